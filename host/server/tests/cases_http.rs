//! Intake through the HTTP service, as portals, citizens and district admins use it, on real
//! components and a real SQLite file: every body stored first (even one that is not JSON), invalid
//! forms rejected with the field named, valid ones routed and dispatched with repeats counted from
//! the store; the citizen follows the case with the tracking token, admins see their district's cases
//! whole, with the plugin faults stored with them; and the stored events feed `minyi score`.

use crate::common;
#[path = "contract/mod.rs"]
mod contract;
#[path = "hygiene/mod.rs"]
mod hygiene;
#[path = "open311/mod.rs"]
mod open311;
#[path = "replay/mod.rs"]
mod replay;

use axum::http::StatusCode;
use common::{district_admin, plugin, registry, send, signed};
use minyi_auth::{Admins, Staff};
use minyi_cases::{BEIJING, CaseStore};
use minyi_registry::{Hook, signing};
use minyi_server::AppState;
use minyi_server::clock::Clock;
use minyi_server::plugins::Plugins;
use serde_json::{Value, json};
use std::sync::Arc;

/// The one origin the test service lets embed the widget.
const PORTAL: &str = "https://portal.example.cn";

/// A service on one SQLite file: components, the Beijing rule set, the registry and the case store.
fn service(dir: &tempfile::TempDir) -> (AppState, Arc<Plugins>, Arc<Admins>, Staff) {
    let (plugins, admins, city) = registry(dir);
    let runtime = Arc::new(minyi_runtime::Runtime::new(Default::default()).expect("components load"));
    let rules = runtime
        .compile_rules_shared(include_str!("../../../components/routing/rulesets/beijing.toml"))
        .expect("runs")
        .expect("compiles");
    let cases = CaseStore::open_url(&db(dir), BEIJING).expect("case store");
    let state = AppState {
        runtime,
        web_dir: dir.path().to_owned(),
        rules: Some(Arc::new(rules)),
        plugins: Some(Arc::clone(&plugins)),
        cases: Some(Arc::new(cases)),
        admins: Some(Arc::clone(&admins)),
        // The service receives every case in this file at 2026-11-29 10:05 Beijing time.
        clock: Clock::fixed(
            chrono::DateTime::parse_from_rfc3339("2026-11-29T10:05:00+08:00").expect("a fixed instant"),
        ),
        allow_origins: vec![PORTAL.to_owned()],
        guard: minyi_server::Guard::default(),
        classifier: None,
    };
    (state, plugins, admins, city)
}

fn db(dir: &tempfile::TempDir) -> String {
    dir.path().join("minyi.db").to_string_lossy().into_owned()
}

fn garbage_form(district: &str, street_address: &str) -> Value {
    json!({"district": district, "channel": "web", "kind": "complaint", "category": "urban.sanitation.garbage",
        "title": "垃圾没人清运", "description": "小区垃圾三天没人清运了", "address": street_address,
        "reporter": {"name": "王女士", "phone": "138 0013 8000"}, "consent": true,
        "received_at": "2026-11-29T10:00:00+08:00"})
}

/// `BJ-YYYYMMDD-NNNNNN`.
fn is_case_number(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && parts[0] == "BJ"
        && parts[1].len() == 8
        && parts[2].len() == 6
        && parts[1..].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn types(events: &Value) -> Vec<String> {
    events
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn intake_stores_first_then_validates_routes_and_dispatches() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, plugins, admins, city) = service(&dir);
    let city_token = admins.create_admin(Some(&city), None).expect("token");
    let (chaoyang, _) = district_admin(&plugins, &admins, &city, "110105");
    let (haidian, _) = district_admin(&plugins, &admins, &city, "110108");

    // A valid demand: stored, accepted, routed to the street 望京 resolves to, dispatched.
    let form = garbage_form("110105", "朝阳区望京西园三区").to_string();
    let (status, r) = send(&state, "POST", "/api/cases", None, form.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert!(is_case_number(&r["case_id"]), "{r}");
    let id = r["case_id"].as_str().expect("case id").to_owned();
    let tracking = r["tracking_token"].as_str().expect("token").to_owned();
    assert_eq!(tracking.len(), 32);
    assert_eq!((r["state"].as_str(), r["validation"]["valid"].as_bool()), (Some("dispatched"), Some(true)), "{r}");
    assert_eq!(r["routing"]["lead"], "110105026", "{r}");
    assert_eq!(r["repeat_count"], 0);

    // The citizen follows it with the tracking token: where it stands, nothing personal.
    let (status, v) = send(&state, "GET", &format!("/api/cases/{id}"), Some(&tracking), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["state"].as_str(), v["lead"].as_str()), (Some("dispatched"), Some("110105026")), "{v}");
    assert_eq!(types(&v["history"]), ["received", "accepted", "dispatched"]);
    assert!(v["deadline"].is_string());
    let text = v.to_string();
    assert!(!text.contains("13800138000") && !text.contains("王女士") && v.get("form").is_none(), "{v}");

    // Its district's admin sees it whole; another district's admin may not; no token, no case.
    let (status, v) = send(&state, "GET", &format!("/api/cases/{id}"), Some(&chaoyang), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["form"]["reporter"]["phone"], "138 0013 8000", "the body as received");
    assert_eq!(v["validation"]["normalized"]["street"], "110105026");
    assert_eq!(types(&v["events"]), ["received", "accepted", "dispatched"]);
    assert_eq!(v["events"][0]["fingerprint"], r["validation"]["fingerprint"]);
    assert_eq!(v["events"][2]["unit"], "110105026");
    assert_eq!(v["plugin_faults"], json!([]));
    let (status, v) = send(&state, "GET", &format!("/api/cases/{id}"), Some(&haidian), String::new()).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("auth.forbidden")), "{v}");
    let (status, v) = send(&state, "GET", &format!("/api/cases/{id}"), None, String::new()).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("auth.unknown_token")), "{v}");
    let (status, _) = send(&state, "GET", &format!("/api/cases/{id}"), Some("not-a-token"), String::new()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, v) = send(&state, "GET", "/api/cases/BJ-19990101-000001", Some(&city_token), String::new()).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{v}");

    // An invalid form: stored and rejected, the field and the problem named, in both languages.
    let mut bad = garbage_form("110105", "朝阳区望京西园三区");
    bad["reporter"]["phone"] = json!("1380013");
    let (status, r) = send(&state, "POST", "/api/cases", None, bad.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(r["state"], "rejected");
    assert_eq!(r["reason"], "reporter.phone: phone.invalid", "{r}");
    assert!(r["validation"]["issues"][0]["message"]["zh-CN"].is_string());
    assert!(r["validation"]["issues"][0]["message"]["en"].is_string());
    let rejected = r["case_id"].as_str().expect("stored with a number").to_owned();

    // Not a case form at all: stored byte for byte all the same, and the problem named.
    let (status, r) = send(&state, "POST", "/api/cases", None, "{\"district\": 110105".into()).await;
    assert_eq!(
        (status, r["code"].as_str(), r["state"].as_str()),
        (StatusCode::BAD_REQUEST, Some("json.invalid"), Some("rejected")),
        "{r}"
    );
    let unreadable = r["case_id"].as_str().expect("stored with a number").to_owned();
    let (status, v) = send(&state, "GET", &format!("/api/cases/{unreadable}"), Some(&city_token), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["form"].as_str(), v["state"].as_str()), (Some("{\"district\": 110105"), Some("rejected")));
    let (status, _) = send(&state, "GET", &format!("/api/cases/{unreadable}"), Some(&chaoyang), String::new()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a case of no district is the city's");

    // Listings: a district admin's own district, newest first; a city admin's, every case.
    let (status, v) = send(&state, "GET", "/api/cases", Some(&chaoyang), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let ids: Vec<&str> = v["cases"].as_array().expect("cases").iter().filter_map(|c| c["case_id"].as_str()).collect();
    assert_eq!(ids, [rejected.as_str(), id.as_str()]);
    let (_, v) = send(&state, "GET", "/api/cases?state=dispatched", Some(&city_token), String::new()).await;
    assert_eq!(v["cases"].as_array().map(Vec::len), Some(1), "{v}");
    let (_, v) = send(&state, "GET", "/api/cases", Some(&city_token), String::new()).await;
    assert_eq!(v["cases"].as_array().map(Vec::len), Some(3), "{v}");
    let (status, _) = send(&state, "GET", "/api/cases?district=110108", Some(&chaoyang), String::new()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, v) = send(&state, "GET", "/api/cases?limit=many", Some(&chaoyang), String::new()).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("query.invalid")), "{v}");

    // The same reporter, street and category again: repeats counted from the store reach routing.
    let mut last = Value::Null;
    for expected in 1..=3 {
        let (status, r) = send(&state, "POST", "/api/cases", None, form.clone()).await;
        assert_eq!((status, r["repeat_count"].as_u64()), (StatusCode::CREATED, Some(expected)), "{r}");
        last = r;
    }
    let fired: Vec<&str> = last["routing"]["explanation"]["fired"]
        .as_array()
        .expect("fired")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(fired.contains(&"repeat-3"), "the third repeat is tagged: {fired:?}");
}

#[tokio::test]
async fn plugin_issues_and_faults_land_with_the_case() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, plugins, admins, city) = service(&dir);
    let (dongcheng, dongcheng_key) = district_admin(&plugins, &admins, &city, "110101");
    let (haidian, haidian_key) = district_admin(&plugins, &admins, &city, "110108");
    let city_token = admins.create_admin(Some(&city), None).expect("token");

    // 东城区 runs a plugin that traps in every hook; 海淀区 its building-number check.
    let bytes = plugin("hostile");
    let mut manifest =
        signed("hostile", "1.0.0", "110101", &[Hook::Validation, Hook::Routing, Hook::Scoring], bytes, &dongcheng_key);
    manifest.config.insert("mode".into(), "trap".into());
    signing::sign(&mut manifest, &dongcheng_key).expect("signs");
    for (token, district, manifest, bytes) in [
        (&dongcheng, "110101", manifest, bytes),
        (
            &haidian,
            "110108",
            signed(
                "haidian-building",
                "1.0.0",
                "110108",
                &[Hook::Validation],
                plugin("haidian_building"),
                &haidian_key,
            ),
            plugin("haidian_building"),
        ),
    ] {
        let name = manifest.name.clone();
        let body = json!({ "manifest": manifest, "component_hex": hex::encode(bytes) });
        let (status, v) = send(&state, "POST", "/api/admin/plugins", Some(token), body.to_string()).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let activate = json!({"name": name, "version": "1.0.0"}).to_string();
        let (status, v) =
            send(&state, "POST", &format!("/api/admin/plugins/{district}/activate"), Some(token), activate).await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }

    // The trapping plugin costs the case nothing: base validation and routing, dispatched.
    let (status, r) =
        send(&state, "POST", "/api/cases", None, garbage_form("110101", "东城区东华门街道").to_string()).await;
    assert_eq!((status, r["state"].as_str()), (StatusCode::CREATED, Some("dispatched")), "{r}");
    assert_eq!(r["validation"]["plugin"]["fault"]["kind"], "trap", "{r}");
    assert_eq!(r["routing"]["plugin"]["fault"]["kind"], "trap", "{r}");
    assert!(r["routing"]["lead"].as_str().is_some_and(|l| l.starts_with("110101")), "{r}");
    let id = r["case_id"].as_str().expect("case id");
    // …and its district's admin finds both faults with the case.
    let (status, v) = send(&state, "GET", &format!("/api/cases/{id}"), Some(&dongcheng), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let faults = v["plugin_faults"].as_array().expect("faults");
    let mut hooks: Vec<&str> = faults.iter().filter_map(|f| f["hook"].as_str()).collect();
    hooks.sort_unstable();
    assert_eq!(hooks, ["routing", "validation"], "{v}");
    assert!(faults.iter().all(|f| f["case_id"] == id && f["kind"] == "trap"), "{v}");
    // …and `/metrics` counts them by kind for that plugin.
    let (status, metrics) = send(&state, "GET", "/metrics", Some(&city_token), String::new()).await;
    assert_eq!(status, StatusCode::OK);
    let text = metrics.as_str().expect("text");
    assert!(
        text.contains(r#"minyi_plugin_faults_total{district="110101",plugin="hostile",version="1.0.0",kind="trap"} 2"#),
        "{text}"
    );

    // 海淀区's plugin adds its issue: the case is stored and rejected, the plugin's field named.
    let property = json!({"district":"110108","channel":"web","kind":"complaint","category":"housing.property.service",
        "title":"物业不管电梯","description":"小区电梯坏了一周物业不修","address":"海淀区中关村街道",
        "reporter":{"phone":"13800138000"},"attributes":{"building_no":"3号楼"},
        "consent":true,"received_at":"2026-11-29T10:00:00+08:00"});
    let (status, r) = send(&state, "POST", "/api/cases", None, property.to_string()).await;
    assert_eq!((status, r["state"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rejected")), "{r}");
    assert_eq!(r["reason"], "attributes.building_no: building_no.invalid", "{r}");
    assert_eq!(r["validation"]["plugin"]["name"], "haidian-building");
}

#[tokio::test]
async fn stored_events_feed_minyi_score() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, plugins, admins, city) = service(&dir);
    let (chaoyang, _) = district_admin(&plugins, &admins, &city, "110105");
    for address in ["朝阳区望京西园三区", "朝阳区望京西园三区", "朝阳区三里屯"] {
        let (status, r) = send(&state, "POST", "/api/cases", None, garbage_form("110105", address).to_string()).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
    }
    let minyi = |args: &[&str], stdin: &str| {
        use std::io::Write as _;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_minyi"))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("minyi runs");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("writes");
        let out = child.wait_with_output().expect("finishes");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let events = minyi(&["case", "events", "--db", &db(&dir), "--token", &chaoyang], "");
    assert_eq!(events.lines().count(), 9, "received, accepted, dispatched for each: {events}");
    let listing = minyi(&["case", "list", "--db", &db(&dir), "--token", &chaoyang, "--state", "dispatched"], "");
    assert_eq!(listing.lines().count(), 3, "{listing}");

    let ranking: Value =
        serde_json::from_str(&minyi(&["score", "--month", "2026-11", "--json", "-"], &events)).expect("JSON ranking");
    assert_eq!(ranking["cases"], 3, "{ranking}");
    let streets: Vec<(&str, u64)> = ranking["streets"]
        .as_array()
        .expect("streets")
        .iter()
        .filter_map(|s| Some((s["unit"].as_str()?, s["cases"].as_u64()?)))
        .collect();
    assert!(streets.contains(&("110105026", 2)), "two cases dispatched to 望京: {streets:?}");
}

/// A request with extra headers, answered by the service: status, headers and the body as sent.
async fn raw(state: &AppState, method: &str, uri: &str, headers: &[(&str, &str)]) -> axum::http::Response<Vec<u8>> {
    use tower::ServiceExt as _;
    let mut req = axum::http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let req = req.body(axum::body::Body::empty()).expect("request");
    let res = minyi_server::app(state.clone()).oneshot(req).await.expect("infallible");
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
    axum::http::Response::from_parts(parts, bytes.to_vec())
}

#[tokio::test]
async fn portals_on_the_allow_list_may_call_the_api_and_others_may_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let allow = "access-control-allow-origin";
    // The preflight of a cross-origin POST from the listed portal is allowed, for its origin only.
    let preflight = [
        ("origin", PORTAL),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "content-type"),
    ];
    let res = raw(&state, "OPTIONS", "/api/cases", &preflight).await;
    assert_eq!(res.headers().get(allow).and_then(|v| v.to_str().ok()), Some(PORTAL), "{:?}", res.headers());
    let methods = res.headers().get("access-control-allow-methods").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");
    let res = raw(&state, "GET", "/api/form?district=110108", &[("origin", PORTAL)]).await;
    assert_eq!(res.headers().get(allow).and_then(|v| v.to_str().ok()), Some(PORTAL));
    // Any other origin, or a look-alike, gets no CORS header at all: its browser refuses the answer.
    for stranger in ["https://evil.example.cn", "https://portal.example.cn.evil.cn", "http://portal.example.cn", "null"]
    {
        let res = raw(&state, "GET", "/api/form?district=110108", &[("origin", stranger)]).await;
        assert!(res.headers().get(allow).is_none(), "{stranger} allowed: {:?}", res.headers());
    }
    // With no --allow-origin nothing is allowed.
    let closed = AppState { allow_origins: Vec::new(), ..state.clone() };
    let res = raw(&closed, "GET", "/api/form?district=110108", &[("origin", PORTAL)]).await;
    assert!(res.headers().get(allow).is_none(), "{:?}", res.headers());
}

#[tokio::test]
async fn the_form_of_each_district_comes_from_its_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let (status, haidian) = send(&state, "GET", "/api/form?district=110108", None, String::new()).await;
    assert_eq!(status, StatusCode::OK, "{haidian}");
    let attribute = |form: &Value, code: &str| {
        form["attributes"].as_array().into_iter().flatten().find(|a| a["code"] == code).cloned().unwrap_or_default()
    };
    assert_eq!(attribute(&haidian, "building_no")["required"], true, "{haidian}");
    let (_, chaoyang) = send(&state, "GET", "/api/form?district=110105", None, String::new()).await;
    assert_eq!(attribute(&chaoyang, "building_no")["required"], false, "{chaoyang}");
    let heat = attribute(&chaoyang, "room_temperature");
    assert_eq!((heat["datatype"].as_str(), heat["required"].as_bool()), (Some("number"), Some(true)), "{heat}");
    assert_eq!(attribute(&chaoyang, "noise_period")["values"][1]["label"]["zh-CN"], "夜间（22:00–6:00）");
    assert_eq!(chaoyang["lengths"]["title"], json!({"min": 2, "max": 100}));
    // A district that is not one, or none: the field is named.
    for uri in ["/api/form?district=110199", "/api/form?district=1101", "/api/form?district=110105026"] {
        let (status, v) = send(&state, "GET", uri, None, String::new()).await;
        assert_eq!(
            (status, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("district.unknown")),
            "{uri}: {v}"
        );
        assert!(v["message"].as_str().unwrap_or_default().contains("district"), "{v}");
    }
    let (status, v) = send(&state, "GET", "/api/form", None, String::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test]
async fn the_component_bytes_travel_compressed_when_the_browser_accepts_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let plain = raw(&state, "GET", "/components/validator.wasm", &[]).await;
    assert_eq!(plain.status(), StatusCode::OK);
    let sha = plain.headers().get("x-minyi-sha256").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    sha2::Digest::update(&mut hasher, plain.body());
    assert_eq!(hex::encode(sha2::Digest::finalize(hasher)), sha, "the plain bytes are the bytes hashed");
    for encoding in ["br", "gzip"] {
        let res = raw(&state, "GET", "/components/validator.wasm", &[("accept-encoding", encoding)]).await;
        assert_eq!(res.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some(encoding));
        assert!(
            res.body().len() * 2 < plain.body().len(),
            "{encoding}: {} of {}",
            res.body().len(),
            plain.body().len()
        );
    }
    // Cached by content hash: a browser holding these bytes revalidates and gets no body.
    let etag = format!("\"{sha}\"");
    assert_eq!(plain.headers().get("etag").and_then(|v| v.to_str().ok()), Some(etag.as_str()));
    let again = raw(&state, "GET", "/components/validator.wasm", &[("if-none-match", &etag)]).await;
    assert_eq!((again.status(), again.body().len()), (StatusCode::NOT_MODIFIED, 0));
    let other = raw(&state, "GET", "/components/validator.wasm", &[("if-none-match", "\"0000\"")]).await;
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_web_app_is_served_compressed_cached_by_hash_and_nothing_else_is() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let script = "customElements.define('minyi-complaint', class extends HTMLElement {});\n".repeat(50);
    std::fs::write(dir.path().join("widget.js"), &script).expect("writes");
    std::fs::write(dir.path().join("index.html"), "<!doctype html><title>x</title>").expect("writes");
    let res = raw(&state, "GET", "/widget.js", &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("br"));
    assert!(res.body().len() * 10 < script.len(), "{} of {}", res.body().len(), script.len());
    let etag = res.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    sha2::Digest::update(&mut hasher, script.as_bytes());
    assert_eq!(
        etag,
        format!("\"{}\"", hex::encode(sha2::Digest::finalize(hasher))),
        "the ETag is the content's SHA-256"
    );
    let again = raw(&state, "GET", "/widget.js", &[("if-none-match", &etag)]).await;
    assert_eq!((again.status(), again.body().len()), (StatusCode::NOT_MODIFIED, 0));
    let plain = raw(&state, "GET", "/widget.js", &[]).await;
    assert_eq!(plain.body(), script.as_bytes(), "no coding asked, none given");
    assert_eq!(raw(&state, "GET", "/", &[]).await.status(), StatusCode::OK, "/ is index.html");
    // The iframe page may be framed by the allow-list only; the tracking page by nobody else.
    std::fs::write(dir.path().join("embed.html"), "<!doctype html><title>embed</title>").expect("writes");
    std::fs::write(dir.path().join("track.html"), "<!doctype html><title>track</title>").expect("writes");
    let csp = |res: &axum::http::Response<Vec<u8>>| {
        res.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    let embed = raw(&state, "GET", "/embed?district=110108&lang=en", &[]).await;
    assert_eq!((embed.status(), csp(&embed)), (StatusCode::OK, format!("frame-ancestors 'self' {PORTAL}")));
    let track = raw(&state, "GET", "/track?case=BJ-20261129-000001", &[]).await;
    assert_eq!((track.status(), csp(&track)), (StatusCode::OK, "frame-ancestors 'self'".to_owned()));
    // The database next to it, paths out of the folder, hidden files: not found, never read.
    std::fs::write(dir.path().join(".env"), "SECRET=1").expect("writes");
    for path in ["/minyi.db", "/../minyi.db", "/%2e%2e/etc/passwd", "/.env", "/pkg/../widget.js", "/nothing.js"] {
        let res = raw(&state, "GET", path, &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!String::from_utf8_lossy(res.body()).contains("SECRET"), "{path}");
    }
}

/// One upload through the service: status and JSON answer.
async fn put_file(state: &AppState, uri: &str, token: &str, mime: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    use tower::ServiceExt as _;
    let req = axum::http::Request::builder()
        .method("PUT")
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", mime)
        .body(axum::body::Body::from(bytes))
        .expect("request");
    let res = minyi_server::app(state.clone()).oneshot(req).await.expect("infallible");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// The files a form declares: each uploaded once by the citizen's token, as declared — type, size and
/// the bytes' signature — never replaced; given back to staff who may read the case, as a download.
#[tokio::test]
async fn attachments_arrive_as_declared_or_not_at_all() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, _, admins, city) = service(&dir);
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.resize(3000, 0x42);
    let pdf = b"%PDF-1.7\n%\xE2\xE3\n1 0 obj\n<<>>\nendobj\n".to_vec();
    let mut form = garbage_form("110105", "朝阳区望京街道望京西园三区");
    form["attachments"] = json!([
        {"name": "垃圾堆.jpg", "mime": "image/jpeg", "bytes": jpeg.len()},
        {"name": "物业回复.pdf", "mime": "application/pdf", "bytes": pdf.len()},
    ]);
    let (status, r) = send(&state, "POST", "/api/cases", None, form.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (id, token) =
        (r["case_id"].as_str().expect("id").to_owned(), r["tracking_token"].as_str().expect("token").to_owned());
    let at = |i: u32| format!("/api/cases/{id}/attachments/{i}");

    // Each way an upload can differ from the declaration is refused, naming what differs.
    let mut exe = b"MZ\x90\0".to_vec();
    exe.resize(jpeg.len(), 0);
    let staff = admins.create_admin(Some(&city), None).expect("a city admin");
    for (uri, who, mime, bytes, want, code) in [
        (at(0), "minyi_wrong", "image/jpeg", jpeg.clone(), StatusCode::FORBIDDEN, "auth.forbidden"),
        (at(0), staff.as_str(), "image/jpeg", jpeg.clone(), StatusCode::FORBIDDEN, "auth.forbidden"),
        (at(2), token.as_str(), "image/jpeg", jpeg.clone(), StatusCode::UNPROCESSABLE_ENTITY, "attachment.undeclared"),
        (at(0), token.as_str(), "image/png", jpeg.clone(), StatusCode::UNPROCESSABLE_ENTITY, "attachment.type"),
        (
            at(0),
            token.as_str(),
            "image/jpeg",
            jpeg[..100].to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attachment.size",
        ),
        (at(0), token.as_str(), "image/jpeg", exe, StatusCode::UNPROCESSABLE_ENTITY, "attachment.content"),
        (
            "/api/cases/BJ-20261129-999999/attachments/0".to_owned(),
            token.as_str(),
            "image/jpeg",
            jpeg.clone(),
            StatusCode::FORBIDDEN,
            "auth.forbidden",
        ),
    ] {
        let (status, v) = put_file(&state, &uri, who, mime, bytes).await;
        assert_eq!((status, v["code"].as_str()), (want, Some(code)), "{uri} {mime}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.contains("SQL")), "{v}");
    }
    let (status, v) = put_file(&state, &at(0), &token, "image/jpeg; charset=binary", jpeg.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!((v["name"].as_str(), v["bytes"].as_u64()), (Some("垃圾堆.jpg"), Some(3000)), "{v}");
    // The same bytes again (a retry) are stored once; other bytes never replace them.
    assert_eq!(put_file(&state, &at(0), &token, "image/jpeg", jpeg.clone()).await.0, StatusCode::CREATED);
    let mut other = jpeg.clone();
    other[100] = 0;
    let (status, v) = put_file(&state, &at(0), &token, "image/jpeg", other).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::CONFLICT, Some("attachment.exists")), "{v}");
    assert_eq!(put_file(&state, &at(1), &token, "application/pdf", pdf.clone()).await.0, StatusCode::CREATED);

    // Staff who may read the case get the files back as downloads; the citizen's token does not.
    let res = raw(&state, "GET", &at(1), &[("authorization", &format!("Bearer {staff}"))]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.body(), &pdf);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .is_ok_and(|d| d.starts_with("attachment; filename*=UTF-8''%E7%89%A9"))
    );
    let res = raw(&state, "GET", &at(1), &[("authorization", &format!("Bearer {token}"))]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (_, case) = send(&state, "GET", &format!("/api/cases/{id}"), Some(&staff), String::new()).await;
    assert_eq!(case["attachments"].as_array().map(Vec::len), Some(2), "{case}");
    assert_eq!(case["attachments"][0]["sha256"].as_str().map(str::len), Some(64));

    // A rejected case takes no files; a file over the schema's limit never gets a case at all.
    let mut rejected = garbage_form("110105", "朝阳区望京街道");
    rejected["attachments"] = json!([{"name": "a.jpg", "mime": "image/jpeg", "bytes": 3000}]);
    rejected["consent"] = json!(false);
    let (status, r) = send(&state, "POST", "/api/cases", None, rejected.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let uri = format!("/api/cases/{}/attachments/0", r["case_id"].as_str().expect("stored anyway"));
    let (status, v) = put_file(&state, &uri, r["tracking_token"].as_str().expect("token"), "image/jpeg", jpeg).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("case.rejected")), "{v}");
}
