//! The service facing hostile and careless callers (issue 18): any bytes are stored before anything
//! reads them, a body over the limit is a JSON 413, every refusal is `{code, message}` with a request
//! id and `WWW-Authenticate` on 401, anonymous calls are rate limited per address, a slow request
//! times out in JSON (a plugin upload by a deadline of its own), and a failing database never shows its SQL to the client.

use super::{db, garbage_form, service};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine as _;
use minyi_cases::{BEIJING, CaseStore};
use minyi_registry::Hook;
use minyi_server::{AppState, Guard, Rate, app};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tower::ServiceExt as _;

/// One request through the router, from `peer` when given: status, headers, the body as JSON.
async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    peer: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let mut req = req.body(Body::from(body)).expect("request");
    if let Some(peer) = peer {
        req.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().expect("an address")));
    }
    let res = app(state.clone()).oneshot(req).await.expect("infallible");
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    let value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!("{method} {uri}: {status} is not JSON ({e}): {:?}", String::from_utf8_lossy(&bytes))
    });
    (status, headers, value)
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn a_body_that_is_not_utf8_is_stored_as_it_came_and_refused_in_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let mut body = garbage_form("110105", "朝阳区望京西园三区").to_string().into_bytes();
    body.extend_from_slice(b"\xff\xfe\x00trailing");
    let (status, headers, r) = call(&state, "POST", "/api/cases", &[JSON], None, body.clone()).await;
    assert_eq!(
        (status, r["code"].as_str(), r["state"].as_str()),
        (StatusCode::BAD_REQUEST, Some("body.not_utf8"), Some("rejected")),
        "{r}"
    );
    assert!(r["reason"].as_str().is_some_and(|m| m.contains("UTF-8") && m.contains("编码")), "in both languages: {r}");
    assert!(headers.contains_key("x-request-id"));
    // Stored byte for byte, before anything read it.
    let store = CaseStore::open_url(&db(&dir), BEIJING).expect("store");
    let id = r["case_id"].as_str().expect("a case number");
    let (kept, sha) = store.body(id).expect("kept");
    assert_eq!(kept, body);
    assert_eq!(sha, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body)));
}

#[tokio::test]
async fn a_body_over_the_intake_limit_is_a_json_413_naming_the_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let state = AppState { guard: Guard { body_limit: 4096, ..Guard::default() }, ..state };
    let form = garbage_form("110105", "朝阳区望京西园三区").to_string();
    let (status, _, r) = call(&state, "POST", "/api/cases", &[JSON], None, form.clone().into_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "under the limit: {r}");
    let mut big: Value = serde_json::from_str(&form).expect("JSON");
    big["description"] = Value::String("很".repeat(2000));
    for path in ["/api/cases", "/api/validate", "/api/route"] {
        let (status, _, r) = call(&state, "POST", path, &[JSON], None, big.to_string().into_bytes()).await;
        assert_eq!(
            (status, r["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("body.too_large")),
            "{path}: {r}"
        );
        assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: {r}");
    }
    let (_, _, r) = call(&state, "POST", "/api/cases", &[JSON], None, big.to_string().into_bytes()).await;
    assert!(r["message"].as_str().is_some_and(|m| m.contains("4096") && m.contains("过大")), "{r}");
}

#[tokio::test]
async fn every_refusal_is_code_and_message_with_a_request_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    // The router's own refusals, not a handler's.
    let (status, headers, r) = call(&state, "DELETE", "/api/cases", &[], None, Vec::new()).await;
    assert_eq!((status, r["code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("method.not_allowed")), "{r}");
    assert!(headers.get(header::ALLOW).is_some(), "405 says what is allowed: {headers:?}");
    let (status, _, r) = call(&state, "GET", "/api/cases/%FF%00/events", &[], None, Vec::new()).await;
    assert!(status.is_client_error() && r["code"].is_string() && r["message"].is_string(), "{status} {r}");
    // 401 says how to authenticate; the request id differs per request.
    let (status, first, r) = call(&state, "GET", "/api/cases", &[], None, Vec::new()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{r}");
    assert_eq!(first.get(header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()), Some("Bearer realm=\"minyi\""));
    let (_, second, _) = call(&state, "GET", "/api/cases", &[("authorization", "Bearer nope")], None, Vec::new()).await;
    assert!(second.contains_key(header::WWW_AUTHENTICATE));
    assert_ne!(first.get("x-request-id"), second.get("x-request-id"));
}

#[tokio::test]
async fn anonymous_calls_are_limited_per_address_and_staff_are_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, _, admins, city) = service(&dir);
    let state = AppState { guard: Guard::default().with_rate(Some(Rate { per_second: 0.5, burst: 3.0 })), ..state };
    let form = garbage_form("110105", "朝阳区望京西园三区").to_string().into_bytes();
    let from = |peer| call(&state, "POST", "/api/validate", &[JSON], Some(peer), form.clone());
    for _ in 0..3 {
        assert_eq!(from("10.1.1.1:5000").await.0, StatusCode::OK);
    }
    let (status, headers, r) = from("10.1.1.1:5001").await;
    assert_eq!((status, r["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate.limited")), "{r}");
    let wait: u64 = headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()?.parse().ok()).expect("Retry-After");
    assert_eq!(wait, 2, "one call per two seconds: {headers:?}");
    assert_eq!(from("10.1.1.2:5000").await.0, StatusCode::OK, "another address has its own calls");
    // A staff token is not anonymous.
    let token = admins.create_admin(Some(&city), None).expect("token");
    let auth = format!("Bearer {token}");
    let (status, _, r) =
        call(&state, "GET", "/api/cases", &[("authorization", &auth)], Some("10.1.1.1:5002"), Vec::new()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
}

#[tokio::test]
async fn a_request_past_its_deadline_is_a_json_408() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, plugins, admins, city) = service(&dir);
    let state = AppState { guard: Guard { request_timeout: Duration::from_nanos(1), ..Guard::default() }, ..state };
    let form = garbage_form("110105", "朝阳区望京西园三区").to_string().into_bytes();
    let (status, _, r) = call(&state, "POST", "/api/cases", &[JSON], None, form).await;
    assert_eq!((status, r["code"].as_str()), (StatusCode::REQUEST_TIMEOUT, Some("request.timeout")), "{r}");

    // A plugin upload has a deadline of its own (`--upload-timeout`): the component arrives and
    // compiles long after the nanosecond every other request gets, and is stored.
    let (token, key) = crate::common::district_admin(&plugins, &admins, &city, "110105");
    let bytes = crate::common::plugin("review_rulings");
    let upload = |version: &str| {
        let manifest = crate::common::signed("review-rulings", version, "110105", &[Hook::Scoring], bytes, &key);
        let json = serde_json::to_vec(&manifest).expect("a manifest");
        base64::engine::general_purpose::STANDARD.encode(json)
    };
    let auth = format!("Bearer {token}");
    let wasm = ("content-type", "application/wasm");
    let manifest = upload("1.0.0");
    let headers = [wasm, ("minyi-manifest", manifest.as_str()), ("authorization", auth.as_str())];
    let (status, _, r) = call(&state, "POST", "/api/admin/plugins", &headers, None, bytes.to_vec()).await;
    assert_eq!((status, r["version"].as_str()), (StatusCode::CREATED, Some("1.0.0")), "{r}");
    // And it is a deadline all the same. The bytes are made new (an empty custom section appended), so
    // this upload compiles them too instead of finding them stored and compiled within the timer's first
    // millisecond tick, before a nanosecond deadline can fire.
    let state = AppState { guard: Guard { upload_timeout: Duration::from_nanos(1), ..state.guard.clone() }, ..state };
    let mut fresh = bytes.to_vec();
    fresh.extend_from_slice(&[0, 6, 5, b'f', b'r', b'e', b's', b'h']);
    let manifest = {
        let manifest = crate::common::signed("review-rulings", "1.0.1", "110105", &[Hook::Scoring], &fresh, &key);
        base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&manifest).expect("a manifest"))
    };
    let headers = [wasm, ("minyi-manifest", manifest.as_str()), ("authorization", auth.as_str())];
    let (status, _, r) = call(&state, "POST", "/api/admin/plugins", &headers, None, fresh).await;
    assert_eq!((status, r["code"].as_str()), (StatusCode::REQUEST_TIMEOUT, Some("request.timeout")), "{r}");
}

#[tokio::test]
async fn a_failing_database_is_logged_not_shown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    // Someone with access to the database breaks it under the running service.
    let conn = rusqlite::Connection::open(db(&dir)).expect("opens");
    conn.execute_batch("DROP TABLE case_bodies; DROP TABLE case_numbers;").expect("drops");
    let form = garbage_form("110105", "朝阳区望京西园三区").to_string().into_bytes();
    let (status, headers, r) = call(&state, "POST", "/api/cases", &[JSON], None, form).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{r}");
    let text = r.to_string().to_lowercase();
    for leak in ["sqlite", "table", "case_numbers", "no such", "select", "insert"] {
        assert!(!text.contains(leak), "{leak:?} reached the client: {r}");
    }
    assert!(r["code"].is_string() && headers.contains_key("x-request-id"), "{r}");
}

/// What the corpus sends in a request: a body, and headers.
struct Bad {
    what: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

fn bad(what: &'static str, body: impl Into<Vec<u8>>) -> Bad {
    Bad { what, body: body.into(), headers: vec![("content-type", "application/json".into())] }
}

/// The bodies every endpoint is sent: malformed and deep JSON, wrong types, a huge body, bad UTF-8,
/// injection strings, nothing at all.
fn bodies() -> Vec<Bad> {
    let injection = r#"{"district":"110105' OR '1'='1","title":"<script>alert(1)</script>","description":"'; DROP TABLE cases; --","address":"../../../etc/passwd\u0000","category":"${jndi:ldap://x}","channel":"web","kind":"complaint","consent":true,"received_at":"2026-11-29T10:00:00+08:00"}"#;
    vec![
        bad("malformed JSON", r#"{"district": "110105", "title": "#),
        bad("deep JSON", format!("{}{}", "[".repeat(20_000), "]".repeat(20_000))),
        bad("deep objects", format!("{}1{}", r#"{"a":"#.repeat(5_000), "}".repeat(5_000))),
        bad("wrong types", r#"{"district": 110105, "title": ["not", "text"], "consent": "yes", "reporter": 7}"#),
        bad("a list, not an object", "[1, 2, 3]"),
        bad("null", "null"),
        bad("huge", format!(r#"{{"district":"110105","title":"{}"}}"#, "诉".repeat(400_000))),
        bad("bad UTF-8", b"{\"district\":\"110105\",\"title\":\"\xff\xfe\xfd\"}".to_vec()),
        bad("injection", injection),
        bad("empty", ""),
        Bad {
            what: "form-encoded",
            body: b"district=110105&title=%FF%FE".to_vec(),
            headers: vec![("content-type", "application/x-www-form-urlencoded".into())],
        },
    ]
}

/// The credentials every endpoint is tried with: none, malformed, foreign, huge.
fn tokens() -> Vec<Bad> {
    ["", "Bearer ", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer ' OR 1=1 --", "Bearer 令牌"]
        .into_iter()
        .map(|t| Bad { what: "a bad token", body: Vec::new(), headers: vec![("authorization", t.to_owned())] })
        .chain([Bad {
            what: "a huge token",
            body: Vec::new(),
            headers: vec![("authorization", format!("Bearer {}", "a".repeat(16_000)))],
        }])
        .collect()
}

/// Every path of the OpenAPI document with its parameters filled, and path tricks on top.
fn targets() -> Vec<(String, String)> {
    let doc = minyi_server::openapi();
    let mut out = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        let filled = path
            .replace("{id}", "BJ-20261129-000001")
            .replace("{district}", "110105")
            .replace("{file}", "validator.wasm")
            .replace("{index}", "0");
        let filled = regex_free_fill(&filled);
        for method in ops.as_object().expect("operations").keys() {
            out.push((method.to_uppercase(), filled.clone()));
        }
    }
    for trick in [
        "/api/cases/..%2F..%2Fetc%2Fpasswd",
        "/api/cases/BJ-20261129-000001%00",
        "/components/..%2F..%2FCargo.toml",
        "/components/%2e%2e/%2e%2e/etc/passwd",
        "/api/admin/plugins/110105%2F..%2F110108",
        "/open311/v2/requests/%27%20OR%201%3D1.json",
        "/api/cases/BJ-20261129-000001/attachments/99999999999999999999",
        "/api/cases?limit=-1&state=%00",
        "/api/validate?now=not-a-time&case=%27",
        "/api/route?repeat=-5",
        "/open311/v2/requests.json?start_date=yesterday&status=maybe",
    ] {
        out.push(("GET".into(), trick.into()));
        out.push(("POST".into(), trick.into()));
    }
    out
}

/// Any `{name}` left in a path becomes `x`.
fn regex_free_fill(path: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for c in path.chars() {
        match (c, skipping) {
            ('{', _) => skipping = true,
            ('}', true) => {
                skipping = false;
                out.push('x');
            }
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
}

#[tokio::test]
async fn a_corpus_of_bad_input_gets_no_5xx_and_every_error_is_code_and_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    // With a classifier model, so `POST /api/suggest` reads the corpus too.
    let model = state.runtime.load_model_shared(&minyi_tests::classifier::model(1)).expect("loads");
    let state = AppState { classifier: Some(std::sync::Arc::new(model)), ..state };
    let mut histogram = std::collections::BTreeMap::<u16, usize>::new();
    let mut sent = 0;
    let mut failures = Vec::new();
    for (method, path) in targets() {
        let writes = method != "GET";
        let corpus = if writes { bodies().into_iter().chain(tokens()).collect::<Vec<_>>() } else { tokens() };
        for b in corpus {
            let mut req = Request::builder().method(method.as_str()).uri(path.as_str());
            for (name, value) in &b.headers {
                req = req.header(*name, value.as_str());
            }
            let Ok(req) = req.body(Body::from(b.body)) else { continue };
            let res = app(state.clone()).oneshot(req).await.expect("infallible");
            sent += 1;
            let status = res.status();
            *histogram.entry(status.as_u16()).or_default() += 1;
            let media =
                res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let text = String::from_utf8_lossy(&bytes).to_lowercase();
            let plain = body["code"].is_string() && body["message"].is_string();
            let named = if path.starts_with("/open311/") {
                // GeoReport's own error shape, a list of {code, description}; the router's refusals
                // (405) are the service's.
                plain
                    || body
                        .as_array()
                        .and_then(|a| a.first())
                        .is_some_and(|e| e["code"].is_number() && e["description"].is_string())
            } else if path.split('?').next() == Some("/api/cases") && method == "POST" {
                // Intake's refusal is the report of a stored case: its number, and the code and reason
                // (400) or each issue named (422).
                plain
                    || body["case_id"].is_string()
                        && (body["code"].is_string() && body["reason"].is_string()
                            || body["validation"]["issues"].is_array())
            } else {
                plain
            };
            let leaked =
                ["sqlite", "postgres", "wasm trap", "panicked", "stack backtrace"].iter().find(|l| text.contains(*l));
            if status.is_server_error() || (status.is_client_error() && !named) || leaked.is_some() {
                failures.push(format!(
                    "{method} {path} ({}): {status} {media} {leaked:?} {}",
                    b.what,
                    &text.chars().take(200).collect::<String>()
                ));
            }
        }
    }
    println!("bad-input corpus: {sent} requests; status histogram {histogram:?}");
    assert!(sent >= 300, "{sent} requests");
    assert!(failures.is_empty(), "{} of {sent}:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn a_wrong_type_is_named_by_its_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let mut form = garbage_form("110105", "朝阳区望京西园三区");
    form["consent"] = Value::String("yes".into());
    for path in ["/api/validate", "/api/cases", "/api/route"] {
        let (status, _, r) = call(&state, "POST", path, &[JSON], None, form.to_string().into_bytes()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {r}");
        let message = r["message"].as_str().or(r["reason"].as_str()).unwrap_or_default();
        assert!(message.contains("consent"), "{path} names the field: {r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_public_calls_never_disable_a_district_s_plugin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, plugins, admins, city) = service(&dir);
    let (token, key) = crate::common::district_admin(&plugins, &admins, &city, "110108");
    let haidian = admins.authenticate(&token).expect("admin");
    let bytes = crate::common::plugin("haidian_building");
    crate::common::activate(&plugins, &haidian, &key, "haidian-building", "110108", &[Hook::Validation], bytes);
    let form = serde_json::json!({"district":"110108","channel":"web","kind":"complaint","category":"housing.property.fees",
        "title":"物业乱收费","description":"物业多收了停车费","address":"海淀区中关村街道","reporter":{"phone":"13800138000"},
        "consent":true,"received_at":"2026-11-29T10:00:00+08:00"})
    .to_string();
    for round in 0..4 {
        let mut calls = tokio::task::JoinSet::new();
        for i in 0..64 {
            let (state, form) = (state.clone(), form.clone());
            let peer = format!("10.0.{round}.{i}:4000");
            calls.spawn(
                async move { call(&state, "POST", "/api/validate", &[JSON], Some(&peer), form.into_bytes()).await },
            );
        }
        while let Some(done) = calls.join_next().await {
            let (status, _, r) = done.expect("a call");
            assert_eq!(status, StatusCode::OK, "{r}");
            let fault = r["plugin"]["fault"]["kind"].as_str();
            assert!(fault.is_none() || fault == Some("not_run"), "only the host's load, never the plugin's fault: {r}");
        }
    }
    let status = plugins.host.status("110108").expect("still loaded");
    assert_eq!(status.disabled, None, "256 calls, 64 at a time: the plugin still runs");
    assert!(plugins.host.faults("110108").is_empty(), "{:?}", plugins.host.faults("110108"));
}

#[tokio::test]
async fn listings_come_a_capped_page_at_a_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, _, admins, city) = service(&dir);
    let mut filed = Vec::new();
    for _ in 0..5 {
        let form = garbage_form("110105", "朝阳区望京西园三区").to_string().into_bytes();
        let (status, _, r) = call(&state, "POST", "/api/cases", &[JSON], None, form).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        filed.push(r["case_id"].as_str().expect("a number").to_owned());
    }
    let auth = format!("Bearer {}", admins.create_admin(Some(&city), None).expect("token"));
    let (mut seen, mut after) = (Vec::new(), String::new());
    loop {
        let uri = format!("/api/cases?limit=2{after}");
        let (status, _, page) = call(&state, "GET", &uri, &[("authorization", &auth)], None, Vec::new()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let cases = page["cases"].as_array().expect("cases");
        assert!(cases.len() <= 2, "{page}");
        seen.extend(cases.iter().filter_map(|c| c["case_id"].as_str().map(str::to_owned)));
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => break,
        }
    }
    filed.reverse();
    assert_eq!(seen, filed, "every case once, newest first");
    let (status, _, r) = call(&state, "GET", "/api/cases?limit=0", &[("authorization", &auth)], None, Vec::new()).await;
    assert_eq!((status, r["cases"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "a page has 1 to 1 000");
}

#[tokio::test]
async fn the_metrics_token_reads_the_metrics_and_nothing_else() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let state =
        AppState { guard: Guard { metrics_token: Some("scraper-secret-0123".into()), ..Guard::default() }, ..state };
    let scraper = [("authorization", "Bearer scraper-secret-0123")];
    let req = Request::builder().uri("/metrics").header("authorization", "Bearer scraper-secret-0123");
    let res = app(state.clone()).oneshot(req.body(Body::empty()).expect("request")).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    let (status, _, r) =
        call(&state, "GET", "/metrics", &[("authorization", "Bearer scraper-secret-0124")], None, Vec::new()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{r}");
    let (status, _, r) = call(&state, "GET", "/api/cases", &scraper, None, Vec::new()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the scraper's token is not a staff token: {r}");
}
