//! A district deploys its own rule set and form schema at runtime, through the HTTP service and the
//! `minyi` binary, on SQLite and PostgreSQL: versions stored, activation refused with the report when
//! `rules check` finds an error or an example fails, activated on every node within a second, intake
//! routing by the district's rules first and the city's set where they decide nothing (兜底), forms
//! validated by the district's schema, rollback, another district's admin refused, and replay identical.

use crate::common;

use axum::http::StatusCode;
use common::send;
use minyi_auth::{Admins, NewToken, Role};
use minyi_cases::{BEIJING, CaseStore};
use minyi_registry::DataKind;
use minyi_server::AppState;
use minyi_server::plugins::Plugins;
use minyi_tests::fixtures::{CHAOYANG_RULES as RULES, CHAOYANG_SCHEMA as SCHEMA};
use minyi_tests::postgres::Backend;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

minyi_tests::on_both!(a_district_deploys_its_rules_and_schema_at_runtime);

fn form(street: &str, category: &str, community: Option<&str>) -> String {
    let mut f = json!({"district": "110105", "street": street, "channel": "web", "kind": "complaint",
        "category": category, "title": "垃圾没人清运", "description": "小区垃圾三天没人清运了",
        "address": "朝阳区望京西园三区", "reporter": {"phone": "13800138000"}, "consent": true,
        "received_at": "2026-11-30T10:00:00+08:00"});
    if let Some(c) = community {
        f["attributes"] = json!({ "community": c });
    }
    f.to_string()
}

fn text_body(state: &AppState, uri: &str, token: &str, body: &str) -> (StatusCode, Value) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(send(state, "POST", uri, Some(token), body.to_owned()))
}

fn call(state: &AppState, method: &str, uri: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(send(state, method, uri, token, if body.is_null() { String::new() } else { body.to_string() }))
}

fn minyi(args: &[&str], token: &str) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_minyi"))
        .args(args)
        .env("MINYI_TOKEN", token)
        .env("RUST_LOG", "warn")
        .output()
        .expect("minyi runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn a_district_deploys_its_rules_and_schema_at_runtime(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(db) = backend.database(dir.path(), "minyi_districts") else { return };
    let plugins = Plugins::open(&db).expect("registry");
    let admins = Arc::new(Admins::open_url(&db).expect("tokens"));
    let make = |by: Option<&minyi_auth::Staff>, role, district: Option<&str>| {
        admins.create(by, &NewToken { role: Some(role), district, unit: None, name: None }).expect("token").token
    };
    let city = make(None, Role::City, None);
    let by = admins.authenticate(&city).expect("city");
    let chaoyang = make(Some(&by), Role::District, Some("110105"));
    let haidian = make(Some(&by), Role::District, Some("110108"));
    let runtime = Arc::new(minyi_runtime::Runtime::new(Default::default()).expect("components load"));
    let rules = runtime
        .compile_rules_shared(include_str!("../../../components/routing/rulesets/beijing.toml"))
        .expect("runs")
        .expect("compiles");
    let state = AppState {
        runtime,
        web_dir: dir.path().to_owned(),
        rules: Some(Arc::new(rules)),
        plugins: Some(Arc::clone(&plugins)),
        cases: Some(Arc::new(CaseStore::open_url(&db, BEIJING).expect("case store"))),
        admins: Some(Arc::clone(&admins)),
        clock: Default::default(),
        allow_origins: Vec::new(),
        guard: minyi_server::Guard::default(),
        classifier: None,
    };
    // A second node on the same database, syncing as `minyi serve` does.
    let other = Plugins::open(&db).expect("a second node");
    other.watch(Duration::from_millis(200));
    let rules_uri = "/api/admin/districts/110105/rules";

    // Refused at activation, with the report: an example that fails, and an error `rules check` finds.
    let failing = RULES.replace("expect = { lead = \"110105.hwz\" }", "expect = { lead = \"110105026\" }");
    let (status, v) = text_body(&state, &format!("{rules_uri}?version=0.1-wrong"), &chaoyang, &failing);
    assert_eq!(status, StatusCode::CREATED, "stored, not yet checked: {v}");
    let (status, v) =
        call(&state, "POST", &format!("{rules_uri}/activate"), Some(&chaoyang), json!({"version": "0.1-wrong"}));
    assert_eq!((status, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("data.refused")), "{v}");
    let report = v["message"].as_str().unwrap_or_default();
    assert!(
        report.contains("1 of 1 example(s) failed") && report.contains("FAIL Wangjing garbage goes to the station"),
        "{report}"
    );
    let broken = RULES.replace("then = { lead = \"110105.hwz\"", "then = { lead = \"110105.nobody\"");
    let (status, _) = text_body(&state, &format!("{rules_uri}?version=0.2-broken"), &chaoyang, &broken);
    assert_eq!(status, StatusCode::CREATED);
    let (status, v) =
        call(&state, "POST", &format!("{rules_uri}/activate"), Some(&chaoyang), json!({"version": "0.2-broken"}));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let report = v["message"].as_str().unwrap_or_default();
    assert!(
        report.contains("`rules check` found 1 error(s)") && report.contains("unknown unit \"110105.nobody\""),
        "{report}"
    );
    println!("activation refusals:\n{report}");

    // Another district's admin may neither store nor activate Chaoyang's rules; nobody activates what is not stored.
    let (status, _) = text_body(&state, rules_uri, &haidian, RULES);
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, v) =
        call(&state, "POST", &format!("{rules_uri}/activate"), Some(&chaoyang), json!({"version": "9.9"}));
    assert_eq!((status, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{v}");
    let (status, v) = call(&state, "GET", "/api/admin/districts/110105/plugin", Some(&chaoyang), Value::Null);
    assert_eq!(status, StatusCode::NOT_FOUND, "only rules and schema: {v}");

    // The good version through the `minyi` binary on the database; the same text again is a no-op,
    // other text under its version a conflict.
    let file = dir.path().join("chaoyang.toml");
    std::fs::write(&file, RULES).expect("writes");
    let path = file.to_string_lossy().into_owned();
    let (code, out, err) =
        minyi(&["rules", "upload", "--db", &db, "--district", "110105", "--as", "1.0", &path], &chaoyang);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"version\": \"1.0\""), "{out}");
    let (code, _, err) =
        minyi(&["rules", "upload", "--db", &db, "--district", "110105", "--as", "1.0", &path], &chaoyang);
    assert_eq!(code, 0, "the same text again: {err}");
    std::fs::write(&file, RULES.replace("望京站", "望京工作站")).expect("writes");
    let (code, _, err) =
        minyi(&["rules", "upload", "--db", &db, "--district", "110105", "--as", "1.0", &path], &chaoyang);
    assert!(code == 2 && err.contains("conflict"), "{err}");
    let (code, out, err) = minyi(&["rules", "activate", "--db", &db, "--district", "110105", "1.0"], &chaoyang);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"active\": \"1.0\""), "{out}");
    let (code, _, err) = minyi(&["rules", "activate", "--db", &db, "--district", "110105", "0.1-wrong"], &chaoyang);
    assert!(code == 2 && err.contains("data.refused") && err.contains("FAIL"), "the binary refuses too: {err}");

    // The binary acted on the database: this node picks it up at its next sync.
    plugins.districts.sync(&plugins.registry).expect("syncs");

    // Intake: the district's rule decides Wangjing's garbage; what it does not decide, the city's set does.
    let (status, v) = call(
        &state,
        "POST",
        "/api/cases",
        None,
        serde_json::from_str(&form("110105026", "urban.sanitation.garbage", None)).expect("json"),
    );
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["routing"]["lead"], "110105.hwz", "{v}");
    assert_eq!(v["routing"]["explanation"]["fired"][0]["rule"], "wangjing-garbage", "{v}");
    let own = v["case_id"].as_str().expect("a case").to_owned();
    let (status, v) = call(
        &state,
        "POST",
        "/api/cases",
        None,
        serde_json::from_str(&form("110105004", "urban.sanitation.garbage", None)).expect("json"),
    );
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["routing"]["lead"], "110105004", "Sanlitun: the city's street-direct rule: {v}");
    // The explanation, as the component gave it through the service, names what its index ruled out.
    let index = v["routing"]["explanation"]["not_tried"]
        .as_array()
        .and_then(|n| n.iter().find(|e| e["reason"] == "index").cloned())
        .unwrap_or_default();
    assert!(index["count"].as_u64().is_some_and(|c| c > 100), "most of the city's rules are never tried: {v}");
    assert!(index["detail"].as_str().is_some_and(|d| d.contains("urban.sanitation.garbage")), "{index}");
    let fallback = v["case_id"].as_str().expect("a case").to_owned();

    // The schema: refused for another district, then Chaoyang's garbage forms must name the community.
    let schema_uri = "/api/admin/districts/110105/schema";
    let (status, _) = text_body(
        &state,
        &format!("{schema_uri}?version=haidian"),
        &chaoyang,
        &SCHEMA.replace("district = \"110105\"", "district = \"110108\""),
    );
    assert_eq!(status, StatusCode::CREATED);
    let (status, v) =
        call(&state, "POST", &format!("{schema_uri}/activate"), Some(&chaoyang), json!({"version": "haidian"}));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["message"].as_str().is_some_and(|m| m.contains("schema.district")), "{v}");
    let (status, _) = text_body(&state, &format!("{schema_uri}?version=1"), &chaoyang, SCHEMA);
    assert_eq!(status, StatusCode::CREATED);
    let started = Instant::now();
    let (status, v) = call(&state, "POST", &format!("{schema_uri}/activate"), Some(&chaoyang), json!({"version": "1"}));
    assert_eq!((status, v["active"].as_str()), (StatusCode::OK, Some("1")), "{v}");
    // Every node picks it up within a second (the second node syncs as `minyi serve` does).
    while other.districts.get("110105", DataKind::Schema).map(|l| l.version).as_deref() != Some("1") {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the second node did not pick the schema up within a second"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    println!("the second node runs the schema {:?} after the activation was asked for", started.elapsed());
    assert_eq!(other.districts.get("110105", DataKind::Rules).map(|l| l.version).as_deref(), Some("1.0"));
    let (status, v) = call(&state, "GET", "/api/districts/110105/schema", None, Value::Null);
    assert_eq!(status, StatusCode::OK);
    assert!(v.as_str().is_some_and(|t| t.contains("code = \"community\"")), "{v}");
    let (status, _) = call(&state, "GET", "/api/districts/110108/schema", None, Value::Null);
    assert_eq!(status, StatusCode::NOT_FOUND, "Haidian has none of its own");
    // The widget renders the schema's attribute (`GET /api/form`), and Open311 describes it.
    let (status, spec) = call(&state, "GET", "/api/form?district=110105", None, Value::Null);
    assert_eq!(status, StatusCode::OK, "{spec}");
    assert!(spec["attributes"].to_string().contains("\"community\""), "{spec}");
    // Open311 describes Chaoyang's garbage service with the schema's attribute.
    let uri = "/open311/v2/services/urban.sanitation.garbage.json?jurisdiction_id=110105";
    let (status, def) = call(&state, "GET", uri, None, Value::Null);
    assert_eq!(status, StatusCode::OK, "{def}");
    let community = def["attributes"].as_array().and_then(|a| a.iter().find(|x| x["code"] == "community").cloned());
    assert_eq!(community.map(|c| c["required"].clone()), Some(json!(true)), "{def}");
    let (_, v) = call(&state, "GET", "/open311/v2/services.json?jurisdiction_id=110105", None, Value::Null);
    let garbage =
        v.as_array().and_then(|s| s.iter().find(|x| x["service_code"] == "urban.sanitation.garbage").cloned());
    assert_eq!(garbage.map(|g| g["metadata"].clone()), Some(json!(true)), "{v}");
    let (status, v) = call(
        &state,
        "POST",
        "/api/cases",
        None,
        serde_json::from_str(&form("110105026", "urban.sanitation.garbage", None)).expect("json"),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "stored, and rejected: {v}");
    assert_eq!(v["state"], "rejected", "{v}");
    assert!(v["validation"]["issues"].to_string().contains("community"), "{v}");
    // `POST /api/validate` (the widget's fallback, a vendor's check) applies the same schema as intake.
    let (status, v) = call(
        &state,
        "POST",
        "/api/validate",
        None,
        serde_json::from_str(&form("110105026", "urban.sanitation.garbage", None)).expect("json"),
    );
    assert_eq!((status, &v["valid"]), (StatusCode::OK, &json!(false)), "{v}");
    assert!(v["issues"].to_string().contains("attribute.required"), "{v}");
    let (status, v) = call(
        &state,
        "POST",
        "/api/cases",
        None,
        serde_json::from_str(&form("110105026", "urban.sanitation.garbage", Some("望京西园三区"))).expect("json"),
    );
    assert_eq!((status, v["state"].as_str()), (StatusCode::CREATED, Some("dispatched")), "{v}");
    let schema_case = v["case_id"].as_str().expect("a case").to_owned();

    // Rollback: the city's set decides again.
    let (status, v) = call(&state, "POST", &format!("{rules_uri}/rollback"), Some(&chaoyang), Value::Null);
    assert_eq!((status, &v["active"]), (StatusCode::OK, &Value::Null), "{v}");
    let (status, v) = call(
        &state,
        "POST",
        "/api/cases",
        None,
        serde_json::from_str(&form("110105026", "urban.sanitation.garbage", Some("望京西园三区"))).expect("json"),
    );
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["routing"]["lead"], "110105026", "the city's street-direct rule: {v}");
    let (status, v) = call(&state, "GET", rules_uri, Some(&chaoyang), Value::Null);
    assert_eq!(status, StatusCode::OK);
    let versions: Vec<(&str, bool)> = v
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| (r["version"].as_str().unwrap_or(""), r["active"].as_bool().unwrap_or(true)))
        .collect();
    assert_eq!(versions.len(), 3, "{v}");
    assert!(versions.iter().all(|(_, active)| !active), "{v}");

    // Every decision runs again identically: the district's rule set and schema kept as evidence.
    for case in [&own, &fallback, &schema_case] {
        let (code, out, err) = minyi(&["replay", "--db", &db, "--case", case], &chaoyang);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out.lines().last(), Some("identical"), "{case}: {out}");
    }
    let decisions = state.cases.as_ref().expect("store").decisions(&own).expect("decisions");
    let route: Vec<&str> =
        decisions.iter().filter(|d| d.decision.step == "route").map(|d| d.decision.deciders.as_str()).collect();
    assert_eq!(route.len(), 1, "the district's set decided alone: {route:?}");
    assert!(route[0].contains("\"rules_version\":\"1.0\""), "{route:?}");
    let decisions = state.cases.as_ref().expect("store").decisions(&fallback).expect("decisions");
    assert_eq!(
        decisions.iter().filter(|d| d.decision.step == "route").count(),
        2,
        "the district's set, then the city's"
    );

    // The same commands through a running service's API (`--server`), as an admin without database
    // access deploys: a second schema version, listed, activated, rolled back; a refusal with its report.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let server = format!("http://{}", listener.local_addr().expect("addr"));
    rt.spawn(async move { axum::serve(listener, minyi_server::app(state)).await });
    let schema_file = dir.path().join("chaoyang-schema.toml");
    std::fs::write(&schema_file, SCHEMA.replace("max = 40", "max = 20")).expect("writes");
    let schema_path = schema_file.to_string_lossy().into_owned();
    let over = |args: &[&str], token: &str| {
        let mut all = args.to_vec();
        all.extend(["--server", server.as_str(), "--district", "110105"]);
        minyi(&all, token)
    };
    let (code, out, err) = over(&["schema", "upload", "--as", "2", &schema_path], &chaoyang);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"version\": \"2\""), "{out}");
    let (code, out, err) = over(&["schema", "activate", "2"], &chaoyang);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"active\": \"2\""), "{out}");
    let (code, out, err) = over(&["schema", "list"], &chaoyang);
    assert_eq!(code, 0, "{err}");
    let listed: Value = serde_json::from_str(&out).expect("JSON");
    let active: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter(|r| r["active"] == true)
        .filter_map(|r| r["version"].as_str())
        .collect();
    assert_eq!(active, ["2"], "{out}");
    let (code, out, err) = over(&["schema", "rollback"], &chaoyang);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"active\": \"1\""), "back to the version before: {out}");
    let (code, _, err) = over(&["rules", "activate", "0.1-wrong"], &chaoyang);
    assert!(code == 2 && err.contains("data.refused") && err.contains("FAIL"), "refused with the report: {err}");
    let (code, _, err) = over(&["schema", "activate", "2"], &haidian);
    assert!(code == 2 && err.contains("auth.forbidden"), "another district's admin: {err}");
    let (code, _, err) = over(&["schema", "list"], "not-a-token");
    assert!(code == 2 && err.contains("auth.unknown_token"), "{err}");
}
