//! District plugins through the HTTP service, as portals and admins use it: the active plugin amends
//! `/api/route` and adds issues to `/api/validate`; the admin endpoints upload, activate, roll back and
//! disable, refusing another district's admin; `/metrics` reports calls and latency.

use crate::common;

use axum::http::StatusCode;
use common::{district_admin, plugin, plugin_service, registry, send, signed};
use minyi_auth::Role;
use minyi_registry::{Hook, signing};
use minyi_server::AppState;
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn plugins_amend_the_api_and_admins_manage_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (plugins, admins, city) = registry(&dir);
    let (chaoyang_token, chaoyang_key) = district_admin(&plugins, &admins, &city, "110105");
    let (haidian_token, haidian_key) = district_admin(&plugins, &admins, &city, "110108");
    let city_token = admins.create_admin(Some(&city), None).expect("token");
    let registry = &plugins.registry;

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
        cases: None,
        admins: Some(Arc::clone(&admins)),
        clock: Default::default(),
        allow_origins: Vec::new(),
        guard: minyi_server::Guard::default(),
        classifier: None,
    };

    // Chaoyang uploads through the API and activates; Haidian may not touch it.
    let heating = plugin("chaoyang_heating");
    let body = json!({ "manifest": signed("chaoyang-heating", "1.0.0", "110105", &[Hook::Routing], heating, &chaoyang_key), "component_hex": hex::encode(heating) });
    let (status, v) = send(&state, "POST", "/api/admin/plugins", Some(&chaoyang_token), body.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (status, v) = send(
        &state,
        "POST",
        "/api/admin/plugins/110105/activate",
        Some(&haidian_token),
        json!({"name": "chaoyang-heating", "version": "1.0.0"}).to_string(),
    )
    .await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("auth.forbidden")), "{v}");
    let (status, _) = send(
        &state,
        "POST",
        "/api/admin/plugins/110105/activate",
        Some("minyi_wrong"),
        json!({"name": "chaoyang-heating", "version": "1.0.0"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, v) = send(
        &state,
        "POST",
        "/api/admin/plugins/110105/activate",
        Some(&chaoyang_token),
        json!({"name": "chaoyang-heating", "version": "1.0.0"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["running"]["version"], "1.0.0");

    // The route API now carries the plugin's amendment and says so.
    let form = json!({"district":"110105","street":"110105026","channel":"web","kind":"complaint","category":"utilities.heating.outage",
        "title":"暖气不热","description":"家里暖气不热","address":"望京西园三区","consent":true,"received_at":"2026-11-29T10:00:00+08:00"});
    let (status, d) = send(&state, "POST", "/api/route", None, form.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["lead"], "bj.heating");
    assert!(d["co_handlers"].as_array().is_some_and(|c| c.contains(&json!("110105026"))), "{d}");
    assert_eq!((d["priority"].as_u64(), d["plugin"]["applied"].as_bool()), (Some(1), Some(true)), "{d}");
    assert_eq!(d["tags"], json!(["heating-season"]), "{d}");
    assert!(
        d["explanation"]["fired"].as_array().is_some_and(|f| f.iter().any(|r| r["rule"] == "plugin:chaoyang-heating"))
    );

    // Haidian's validation plugin, uploaded through the registry, adds its issue to /api/validate: the
    // district schema requires a building number, the plugin checks its form.
    let building = plugin("haidian_building");
    registry
        .upload(
            &admins.authenticate(&haidian_token).expect("admin"),
            &signed("haidian-building", "1.0.0", "110108", &[Hook::Validation], building, &haidian_key),
            building,
            &plugins.host,
        )
        .expect("uploads");
    let (status, _) = send(
        &state,
        "POST",
        "/api/admin/plugins/110108/activate",
        Some(&haidian_token),
        json!({"name": "haidian-building", "version": "1.0.0"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let property = json!({"district":"110108","channel":"web","kind":"complaint","category":"housing.property.service",
        "title":"物业不管电梯","description":"小区电梯坏了一周物业不修","address":"海淀区中关村街道","reporter":{"phone":"13800138000"},"attributes":{"building_no":"3号楼"},
        "consent":true,"received_at":"2026-11-29T10:00:00+08:00"});
    let (status, r) =
        send(&state, "POST", "/api/validate?now=2026-11-29T10:05:00%2B08:00", None, property.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["valid"], false, "{r}");
    assert!(
        r["issues"]
            .as_array()
            .is_some_and(|i| i.iter().any(|i| i["code"] == "building_no.invalid" && i["message"]["zh-CN"].is_string())),
        "{r}"
    );

    // Disable, then roll back: the route is the base decision again.
    let (status, v) = send(
        &state,
        "POST",
        "/api/admin/plugins/110105/disable",
        Some(&chaoyang_token),
        json!({"reason": "review"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, d) = send(&state, "POST", "/api/route", None, form.to_string()).await;
    assert_eq!(
        (d["plugin"]["applied"].as_bool(), d["plugin"]["fault"]["kind"].as_str()),
        (Some(false), Some("disabled")),
        "{d}"
    );
    let (status, v) =
        send(&state, "POST", "/api/admin/plugins/110105/rollback", Some(&chaoyang_token), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v["running"].is_null(), "{v}");
    let (_, d) = send(&state, "POST", "/api/route", None, form.to_string()).await;
    assert!(d.get("plugin").is_none() && d["tags"] == json!([]), "{d}");
    assert!(
        !d["explanation"]["fired"].as_array().is_some_and(|f| f.iter().any(|r| r["rule"] == "plugin:chaoyang-heating"))
    );

    let (status, v) = send(&state, "GET", "/api/admin/plugins/110108", Some(&haidian_token), String::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["running"]["name"], "haidian-building");
    assert_eq!(v["versions"][0]["active"], true);

    let (status, v) = send(&state, "GET", "/metrics", None, String::new()).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("auth.unknown_token")), "{v}");
    let (status, v) = send(&state, "GET", "/metrics", Some(&haidian_token), String::new()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a district admin does not read the city's metrics: {v}");
    let (status, metrics) = send(&state, "GET", "/metrics", Some(&city_token), String::new()).await;
    assert_eq!(status, StatusCode::OK);
    let text = metrics.as_str().expect("text");
    assert!(
        text.contains(r#"minyi_plugin_calls_total{district="110108",plugin="haidian-building",version="1.0.0"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"minyi_plugin_call_duration_seconds_bucket{district="110108",plugin="haidian-building",version="1.0.0",le="+Inf"} 1"#), "{text}");
}

#[tokio::test]
async fn a_plugin_fault_is_stored_with_the_case_the_caller_names() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (plugins, admins, city) = registry(&dir);
    let (token, key) = district_admin(&plugins, &admins, &city, "110101");
    let state = plugin_service(&dir, &plugins, &admins);

    // A plugin that traps in every hook, uploaded and activated through the API.
    let bytes = plugin("hostile");
    let mut manifest =
        signed("hostile", "1.0.0", "110101", &[Hook::Validation, Hook::Routing, Hook::Scoring], bytes, &key);
    manifest.config.insert("mode".into(), "trap".into());
    signing::sign(&mut manifest, &key).expect("signs");
    let body = json!({ "manifest": manifest, "component_hex": hex::encode(bytes) });
    let (status, v) = send(&state, "POST", "/api/admin/plugins", Some(&token), body.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let activate = json!({"name": "hostile", "version": "1.0.0"}).to_string();
    let (status, v) = send(&state, "POST", "/api/admin/plugins/110101/activate", Some(&token), activate).await;
    assert_eq!(status, StatusCode::OK, "{v}");

    let form = json!({"district":"110101","street":"110101001","channel":"web","kind":"complaint","category":"urban.sanitation.garbage",
        "title":"垃圾没人清运","description":"小区垃圾三天没人清运","address":"东城区东华门街道","reporter":{"phone":"138 0013 8000"},"consent":true,"received_at":"2026-11-29T10:00:00+08:00"});
    // Only staff may file a check under a case number: anyone else could litter any case's record.
    let at = "/api/validate?case=BJ-20261129-000042";
    let (status, r) = send(&state, "POST", at, None, form.to_string()).await;
    assert_eq!((status, r["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("auth.unknown_token")), "{r}");
    let app = admins
        .create(
            Some(&city),
            &minyi_auth::NewToken { role: Some(Role::Client), district: Some("110101"), unit: None, name: None },
        )
        .expect("a client token")
        .token;
    let (status, r) = send(&state, "POST", at, Some(&app), form.to_string()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{r}");
    assert!(r["message"].as_str().is_some_and(|m| m.contains("case: only staff")), "{r}");
    let (status, r) = send(&state, "POST", "/api/route?case=BJ-20261129-000042", None, form.to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{r}");
    // Without `case` the check stays public: the fault is noted, filed under no case.
    let (status, r) = send(&state, "POST", "/api/validate", None, form.to_string()).await;
    assert_eq!((status, r["plugin"]["fault"]["kind"].as_str()), (StatusCode::OK, Some("trap")), "{r}");
    let (status, r) = send(&state, "POST", at, Some(&token), form.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!((r["valid"].as_bool(), r["plugin"]["fault"]["kind"].as_str()), (Some(true), Some("trap")), "{r}");

    // The admin sees the fault with its case, from the database (every node writes there).
    let (status, v) = send(&state, "GET", "/api/admin/plugins/110101", Some(&token), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["faults"][0]["case_id"], "BJ-20261129-000042", "{v}");
    assert_eq!((v["faults"][0]["kind"].as_str(), v["faults"][0]["hook"].as_str()), (Some("trap"), Some("validation")));
    let city_view = plugins.registry.case_faults(&city, "BJ-20261129-000042").expect("the case's faults");
    assert_eq!(city_view.len(), 1);
}

/// What the citizen's page gets of a district's plugin: the pointer, then the very bytes (checked by
/// hash) and the transpiled bindings under it; a district without a validation plugin, a disabled
/// plugin, another hash or an unknown district give the page nothing. (A Python plugin is server-only:
/// `CompiledPlugin::runs_in_browser` in `tests/plugins.rs`, where the Python runtime is compiled anyway.)
#[tokio::test]
async fn the_page_gets_the_plugin_the_district_runs_and_nothing_else() {
    use common::{activate, get_raw};
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().expect("temp dir");
    let (plugins, admins, city) = registry(&dir);
    let mut state = plugin_service(&dir, &plugins, &admins);
    for (district, name, file, hooks) in [
        ("110108", "haidian-building", "haidian_building", &[Hook::Validation][..]),
        ("110105", "chaoyang-heating", "chaoyang_heating", &[Hook::Routing][..]),
    ] {
        let (token, key) = district_admin(&plugins, &admins, &city, district);
        let admin = admins.authenticate(&token).expect("admin");
        activate(&plugins, &admin, &key, name, district, hooks, plugin(file));
    }

    let (status, v) = send(&state, "GET", "/api/plugins/110108/browser", None, String::new()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let p = &v["plugin"];
    let sha = hex::encode(Sha256::digest(plugin("haidian_building")));
    assert_eq!(
        (p["name"].as_str(), p["in_browser"].as_bool(), p["sha256"].as_str()),
        (Some("haidian-building"), Some(true), Some(sha.as_str())),
        "{v}"
    );
    assert_eq!(p["grants"]["district"], "110108", "{v}");
    assert!(p["core_modules"].as_object().is_some_and(|m| !m.is_empty()), "{v}");

    let component = p["component"].as_str().expect("a component URL");
    let (status, headers, bytes) = get_raw(&state, component).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, plugin("haidian_building"), "the very bytes the server runs");
    assert_eq!(headers["content-type"], "application/wasm");
    assert!(headers["cache-control"].to_str().is_ok_and(|c| c.contains("immutable")));
    for (file, range) in p["core_modules"].as_object().expect("modules") {
        let (offset, length) =
            (range["offset"].as_u64().expect("offset") as usize, range["length"].as_u64().expect("length") as usize);
        assert_eq!(&bytes[offset..offset + 4], b"\0asm", "{file} is a core module inside the bytes");
        assert!(offset + length <= bytes.len());
    }
    let (status, headers, js) = get_raw(&state, p["bindings"].as_str().expect("a bindings URL")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"].to_str().is_ok_and(|c| c.starts_with("text/javascript")));
    assert!(String::from_utf8_lossy(&js).contains("export function instantiate"), "ES-module bindings");

    // A routing plugin has nothing for the page; a district without a plugin neither.
    for district in ["110105", "110102"] {
        let (status, v) = send(&state, "GET", &format!("/api/plugins/{district}/browser"), None, String::new()).await;
        assert_eq!((status, &v["plugin"]), (StatusCode::OK, &serde_json::Value::Null), "{district}: {v}");
    }
    // Another district's hash, another file, an unknown district.
    for (uri, want) in [
        (format!("/api/plugins/110102/browser/{sha}/plugin.wasm"), StatusCode::NOT_FOUND),
        (
            format!(
                "/api/plugins/110105/browser/{}/plugin.wasm",
                hex::encode(Sha256::digest(plugin("chaoyang_heating")))
            ),
            StatusCode::NOT_FOUND,
        ),
        (format!("/api/plugins/110108/browser/{sha}/plugin.core.wasm"), StatusCode::NOT_FOUND),
        (format!("/api/plugins/110108/browser/{sha}/..%2Fsecret"), StatusCode::NOT_FOUND),
        ("/api/plugins/999999/browser".to_owned(), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (status, headers, body) = get_raw(&state, &uri).await;
        assert_eq!(status, want, "{uri}");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("a JSON error");
        assert!(v["code"].is_string() && v["message"].is_string(), "{uri}: {v}");
        assert!(headers.get("cache-control").is_none_or(|c| !c.to_str().unwrap_or_default().contains("immutable")));
    }

    // Disabled: the page runs nothing; the old URL is gone.
    plugins.host.disable("110108", "review");
    let (_, v) = send(&state, "GET", "/api/plugins/110108/browser", None, String::new()).await;
    assert!(v["plugin"].is_null(), "{v}");
    assert_eq!(get_raw(&state, component).await.0, StatusCode::NOT_FOUND);

    // A service without plugins says so the same way: nothing to run.
    state.plugins = None;
    let (status, v) = send(&state, "GET", "/api/plugins/110108/browser", None, String::new()).await;
    assert_eq!((status, &v["plugin"]), (StatusCode::OK, &serde_json::Value::Null), "{v}");
}

/// Same plugin, same issues: generated 海淀 forms through the server's path (validator, then the active
/// plugin in wasmtime) and through what the page gets over HTTP (pointer, bytes, bindings) run in Node
/// by the browser's loader give identical extra issues — with the district's configuration, the
/// directory, the log and the clock all in use.
#[tokio::test]
async fn the_plugin_gives_the_same_issues_in_node_as_on_the_server() {
    use common::get_raw;
    const NOW: &str = "2026-11-30T12:00:00+08:00";
    const FORMS: usize = 400;
    let site = std::env::var_os("MINYI_WEB_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/site"));
    assert!(
        site.join("minyi-components.js").exists(),
        "no web app in {}: run `cargo xtask test` (or `cargo xtask dist` first)",
        site.display()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let (plugins, admins, city) = registry(&dir);
    let (token, key) = district_admin(&plugins, &admins, &city, "110108");
    let admin = admins.authenticate(&token).expect("admin");
    let bytes = plugin("haidian_building");
    let mut manifest = signed("haidian-building", "1.0.0", "110108", &[Hook::Validation], bytes, &key);
    manifest.config.insert("building_no_categories".into(), "housing.property, utilities.heating".into());
    signing::sign(&mut manifest, &key).expect("signs");
    plugins.registry.upload(&admin, &manifest, bytes, &plugins.host).expect("uploads");
    plugins.registry.activate(&admin, "110108", "haidian-building", "1.0.0").expect("activates");
    plugins.registry.sync(&plugins.host).expect("syncs");
    let state = plugin_service(&dir, &plugins, &admins);
    let runtime = Arc::clone(&state.runtime);

    // The server's way: the validator, then the plugin on a valid result.
    let forms = minyi_tests::forms::haidian_property(FORMS, 20261204);
    let server: Vec<serde_json::Value> = forms
        .iter()
        .map(|f| {
            let json = runtime.validate_json(f, NOW).expect("validates");
            let base: minyi_model::ValidationResult = serde_json::from_str(&json).expect("a result");
            let seen = base.issues.len();
            let noted = minyi_server::plugins::validate(Some(&plugins), None, base.clone());
            assert!(noted.plugin.as_ref().is_none_or(|p| p.fault.is_none()), "{:?}", noted.plugin);
            let extra = base.wants_plugin().then(|| json!(noted.result.issues[seen..]));
            // The base verdict and the plugin's issues; the one rule merging them is the model's.
            json!({ "valid": base.valid, "extra": extra })
        })
        .collect();

    // The page's way: what the HTTP API serves, run by the browser's loader in Node.
    let (_, pointer) = send(&state, "GET", "/api/plugins/110108/browser", None, String::new()).await;
    let pointer = &pointer["plugin"];
    let (_, _, wasm) = get_raw(&state, pointer["component"].as_str().expect("bytes URL")).await;
    let (_, _, js) = get_raw(&state, pointer["bindings"].as_str().expect("bindings URL")).await;
    let files = dir.path();
    for (name, content) in [
        ("pointer.json", serde_json::to_vec(pointer).expect("json")),
        ("plugin.wasm", wasm),
        ("plugin.mjs", js),
        ("forms.json", serde_json::to_vec(&forms).expect("json")),
        ("validator.wasm", runtime.component("validator").expect("loaded").bytes.to_vec()),
    ] {
        std::fs::write(files.join(name), content).expect("write");
    }
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/node/plugin-differential.mjs");
    let out = std::process::Command::new("node")
        .arg(&script)
        .arg(&site)
        .args(["validator.wasm", "pointer.json", "plugin.wasm", "plugin.mjs", "forms.json"].map(|f| files.join(f)))
        .arg(NOW)
        .output()
        .expect("node runs (`cargo xtask setup` installs it)");
    assert!(out.status.success(), "node failed: {}", String::from_utf8_lossy(&out.stderr));
    let node: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("node printed JSON");
    let logged = String::from_utf8_lossy(&out.stderr);
    assert!(logged.contains("[haidian-building] info: 2026-"), "the log and the clock reached the page: {logged}");

    assert_eq!(node.len(), FORMS);
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    let mut unseen = 0;
    for (i, (s, n)) in server.iter().zip(&node).enumerate() {
        assert_eq!(s, n, "form {i} differs: {}", forms[i]);
        match s["extra"].as_array() {
            Some(extra) => {
                for issue in extra {
                    *codes.entry(issue["code"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
                }
            }
            None => unseen += 1,
        }
    }
    eprintln!("{FORMS} haidian forms identical on the server and in Node: {codes:?}, {unseen} not shown to the plugin");
    assert!(unseen > 0, "some forms stop at the base validation");
    for code in ["building_no.required", "building_no.invalid"] {
        assert!(codes.get(code).is_some_and(|n| *n > 0), "the forms reach {code}: {codes:?}");
    }
    let haidian = minyi_model::divisions::district("110108").expect("海淀");
    let named = node.iter().filter_map(|n| n["extra"].as_array()).flatten().any(|i| {
        let message = i["message"]["zh-CN"].as_str().unwrap_or_default();
        haidian.streets.iter().any(|s| message.contains(&format!("物业和{}上门", s.name)))
    });
    assert!(named, "the directory named a street office in the page too");
}
