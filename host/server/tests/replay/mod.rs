//! Audit-grade replay (issue 18): intake keeps every decision with its inputs and what decided, and
//! `minyi replay` runs them again — identical on the recorded deciders after a plugin upgrade and a
//! rule-set change, while today's deciders are shown deciding otherwise, with what changed; evidence
//! changed behind the service's back is reported, not replayed.

use super::{db, service};
use axum::http::StatusCode;
use minyi_registry::Hook;
use serde_json::{Value, json};
use std::process::Command;

use crate::common::{district_admin, get_raw, plugin, send, signed};
use minyi_tests::classifier::model as classifier_model;

/// `minyi replay ARGS` on the test database: exit code, stdout, stderr.
fn replay(dir: &tempfile::TempDir, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_minyi"))
        .arg("replay")
        .args(["--db", &db(dir)])
        .args(args)
        .env_remove("MINYI_DB")
        .env_remove("MINYI_RULES")
        .output()
        .expect("minyi runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn heating(address: &str) -> Value {
    json!({"district":"110105","street":"110105026","channel":"web","kind":"complaint","category":"utilities.heating.outage",
        "title":"暖气不热","description":"家里暖气不热，屋里只有十五度","address":address,"reporter":{"phone":"13800138000"},
        "consent":true,"received_at":"2026-11-29T10:00:00+08:00"})
}

#[tokio::test]
async fn decisions_replay_identical_across_a_plugin_upgrade_and_a_rule_set_change() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, plugins, admins, city) = service(&dir);
    let registry = &plugins.registry;
    let (_, chaoyang_key) = district_admin(&plugins, &admins, &city, "110105");
    let (_, haidian_key) = district_admin(&plugins, &admins, &city, "110108");
    let heating_plugin = plugin("chaoyang_heating");
    let building = plugin("haidian_building");
    for (name, version, district, hooks, bytes, key, config) in [
        ("chaoyang-heating", "1.0.0", "110105", Hook::Routing, heating_plugin, &chaoyang_key, None),
        ("haidian-building", "1.0.0", "110108", Hook::Validation, building, &haidian_key, None),
        // The upgrade: a heating season that has ended, signed and uploaded now, activated later.
        ("chaoyang-heating", "2.0.0", "110105", Hook::Routing, heating_plugin, &chaoyang_key, Some("04-01..04-02")),
    ] {
        let mut manifest = signed(name, version, district, &[hooks], bytes, key);
        if let Some(season) = config {
            manifest.config.insert("heating_season".into(), season.into());
            minyi_registry::signing::sign(&mut manifest, key).expect("signs");
        }
        registry.upload(&city, &manifest, bytes, &plugins.host).expect("uploads");
        if version == "1.0.0" {
            registry.activate(&city, district, name, version).expect("activates");
        }
    }
    registry.sync(&plugins.host).expect("syncs");

    // Three demands: a heating one the plugin amends, one rejected by Haidian's plugin, one not JSON.
    let (status, r) = send(&state, "POST", "/api/cases", None, heating("望京西园三区").to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["state"], "dispatched", "{r}");
    assert_eq!(r["routing"]["plugin"]["applied"], true, "{r}");
    let heated = r["case_id"].as_str().expect("a number").to_owned();
    let property = json!({"district":"110108","channel":"web","kind":"complaint","category":"housing.property.service",
        "title":"物业不管电梯","description":"小区电梯坏了一周物业不修","address":"海淀区中关村街道","reporter":{"phone":"13800138000"},
        "attributes":{"building_no":"3号楼"},"consent":true,"received_at":"2026-11-29T10:00:00+08:00"});
    let (status, r) = send(&state, "POST", "/api/cases", None, property.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "stored and refused: {r}");
    let rejected = r["case_id"].as_str().expect("a number").to_owned();
    assert_eq!(r["state"], "rejected", "{r}");
    let (_, r) = send(&state, "POST", "/api/cases", None, "{\"district\": 110105".into()).await;
    let broken = r["case_id"].as_str().expect("stored anyway").to_owned();

    // Each decision is kept with its inputs and deciders: the Haidian plugin's clock reading too.
    let cases = state.cases.as_deref().expect("a case store");
    let steps = |id: &str| cases.decisions(id).expect("decisions").into_iter().map(|d| d.decision).collect::<Vec<_>>();
    let kept = steps(&heated);
    assert_eq!(kept.iter().map(|d| d.step.as_str()).collect::<Vec<_>>(), ["validate", "route", "plugin.route"]);
    let route: Value = serde_json::from_str(&kept[1].deciders).expect("json");
    assert_eq!(route["rules"].as_str().map(str::len), Some(64), "{route}");
    // The plugin's input names the route decision it amended instead of copying it and its form.
    let amended: Value = serde_json::from_str(&kept[2].input).expect("json");
    assert_eq!(amended["base_from"], "route", "{amended}");
    assert!(amended.get("base").is_none() && amended.get("form").is_none(), "{amended}");
    let validated = steps(&rejected);
    assert_eq!(validated.iter().map(|d| d.step.as_str()).collect::<Vec<_>>(), ["validate", "plugin.validate"]);
    let input: Value = serde_json::from_str(&validated[1].input).expect("json");
    assert_eq!(input["clock"].as_array().map(Vec::len), Some(1), "the plugin read the clock once: {input}");
    assert_eq!(input["result_from"], "validate", "{input}");
    assert!(input.get("result").is_none(), "{input}");
    assert_eq!(steps(&broken).len(), 1, "a body that is not JSON is still a decision");

    let (code, out, err) = replay(&dir, &["--case", &heated]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().last(), Some("identical"), "{out}");
    assert!(!out.contains("today:"), "nothing changed yet: {out}");
    for id in [&rejected, &broken] {
        let (code, out, err) = replay(&dir, &["--case", id]);
        assert_eq!((code, out.lines().last()), (0, Some("identical")), "{out}{err}");
    }

    // The district upgrades its plugin and the city changes its rule set: the recorded decisions still
    // replay identical, and today's deciders are shown deciding otherwise, with what changed.
    registry.activate(&city, "110105", "chaoyang-heating", "2.0.0").expect("upgrades");
    let beijing = include_str!("../../../../components/routing/rulesets/beijing.toml");
    // The heating-season template of the core districts (朝阳 among them): its first occurrence.
    let at = beijing.find("id = \"heating-season-{district}\"").expect("the rule");
    let changed = format!("{}{}", &beijing[..at], beijing[at..].replacen("tier = \"urgent\"", "tier = \"general\"", 1));
    let rules = dir.path().join("rules-2027.toml");
    std::fs::write(&rules, changed).expect("writes");
    let rules = rules.to_string_lossy().into_owned();
    let (code, out, err) = replay(&dir, &["--case", &heated, "--rules", &rules]);
    println!("minyi replay --case {heated} --rules rules-2027.toml\n{out}");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().last(), Some("identical"), "{out}");
    let today: Vec<&str> = out.lines().filter(|l| l.contains("today:")).collect();
    assert_eq!(today.len(), 2, "route and plugin.route decide otherwise today: {out}");
    assert!(today[0].contains("differs at") && today[0].contains("rule set: "), "{out}");
    assert!(
        today[1].contains("plugin 110105: chaoyang-heating 1.0.0 → chaoyang-heating 2.0.0")
            && today[1].contains("heating_season"),
        "{out}"
    );

    // The month: every case of the district, summed up.
    let (code, out, err) = replay(&dir, &["--month", "2026-11", "--district", "110105", "--rules", &rules]);
    println!("minyi replay --month 2026-11 --district 110105 --rules rules-2027.toml\n{out}");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("2026-11, district 110105: 1 cases, 3 decisions: 3 identical, 0 differ"), "{out}");
    assert!(out.contains("today's deciders would decide 2 of 3 otherwise"), "{out}");
    let (code, out, _) = replay(&dir, &["--month", "2026-11", "--json"]);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        (code, v["summary"]["cases"].as_u64(), v["summary"]["identical"].as_u64()),
        (0, Some(3), Some(6)),
        "{v}"
    );
    let (code, out, _) = replay(&dir, &["--month", "2026-10"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("2026-10: 0 cases"), "{out}");

    // Hostile: unknown case, a bad month, and evidence changed behind the service's back.
    let (code, _, err) = replay(&dir, &["--case", "BJ-20261129-999999"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no case BJ-20261129-999999"), "{err}");
    let (code, _, err) = replay(&dir, &["--month", "2026-13"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--month"), "{err}");
    let db = rusqlite::Connection::open(db(&dir)).expect("opens");
    db.execute_batch(
        "DROP TRIGGER decider_bytes_no_update; DROP TRIGGER case_bodies_no_update;
         UPDATE decider_bytes SET bytes = CAST('[ruleset]' AS BLOB) WHERE kind = 'rules';",
    )
    .expect("tampers");
    db.execute("UPDATE case_bodies SET body = CAST('{}' AS BLOB) WHERE case_id = ?1", [&heated]).expect("tampers");
    let (code, out, err) = replay(&dir, &["--case", &heated]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("cannot replay: the body kept hashes to"), "{out}");
    assert!(out.contains("cannot replay: rule set") && out.contains("hash to"), "{out}");
    assert_eq!(out.lines().last(), Some("differs"), "{out}");
}

#[tokio::test]
async fn a_category_suggested_at_intake_is_marked_kept_and_replayed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let bytes = classifier_model(7);
    let model = state.runtime.load_model_shared(&bytes).expect("the classifier loads the model");
    let sha = model.info().sha256.clone();
    let state = minyi_server::AppState { classifier: Some(std::sync::Arc::new(model)), ..state };
    let cases = state.cases.as_deref().expect("a case store");

    // A demand without a category (a hotline call typed in, an import): the suggestion fills it in.
    let mut form = heating("望京西园三区");
    form.as_object_mut().expect("an object").remove("category");
    form["title"] = "暖气片不热".into();
    form["description"] = "这几天家里暖气片不热，室温只有十三度".into();
    form["attributes"] = json!({"room_temperature": "13"});
    let (status, r) = send(&state, "POST", "/api/cases", None, form.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["validation"]["normalized"]["category"], "utilities.heating.low_temperature", "{r}");
    assert_eq!(r["state"], "dispatched", "{r}");
    let id = r["case_id"].as_str().expect("a number").to_owned();
    let case = cases.get(&id).expect("stored");
    assert_eq!(case.form.get("category"), None, "the body is kept as it came");
    let kinds: Vec<&str> = case.events.iter().map(|e| e.event.kind()).collect();
    assert_eq!(kinds, ["received", "category_suggested", "accepted", "dispatched"]);
    let suggested = serde_json::to_value(&case.events[1]).expect("JSON");
    assert_eq!(suggested["category"], "utilities.heating.low_temperature", "{suggested}");
    assert_eq!(suggested["model"], sha.as_str(), "{suggested}");
    let confidence = suggested["confidence"].as_f64().expect("a confidence");
    assert!((0.4..=1.0).contains(&confidence), "{suggested}");
    assert_eq!(suggested["top"].as_array().map(Vec::len), Some(3), "{suggested}");
    assert_eq!(case.events[0].event.kind(), "received");
    assert_eq!(serde_json::to_value(&case.events[0]).expect("JSON")["category"], "utilities.heating.low_temperature");
    let steps: Vec<String> = cases.decisions(&id).expect("decisions").into_iter().map(|d| d.decision.step).collect();
    assert_eq!(steps, ["suggest", "validate", "route"]);

    // The same model answers `POST /api/suggest`, for consoles and vendors; bad requests name the field.
    let text = json!({"text": "暖气片不热\n室温只有十三度"}).to_string();
    let (status, s) = send(&state, "POST", "/api/suggest", None, text.clone()).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(
        (s["top"][0]["category"].as_str(), s["abstained"].as_bool()),
        (Some("utilities.heating.low_temperature"), Some(false)),
        "{s}"
    );
    assert!(s["evidence"].as_array().is_some_and(|e| !e.is_empty()), "{s}");
    for (body, code, field) in [
        (json!({"text": "  "}), "empty-text", "text: "),
        (json!({"text": "暖".repeat(30_000)}), "text-too-long", "text: "),
        (json!({"text": "暖气", "threshold": 2}), "threshold.out_of_range", "threshold: "),
        (json!({"txt": "暖气"}), "json.invalid", "txt"),
    ] {
        let (status, e) = send(&state, "POST", "/api/suggest", None, body.to_string()).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{e}");
        assert!(e["message"].as_str().is_some_and(|m| m.contains(field)), "{e}");
    }
    let off = minyi_server::AppState { classifier: None, ..state.clone() };
    let (status, e) = send(&off, "POST", "/api/suggest", None, text).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("classifier.none")), "{e}");

    // A demand that names its category is not second-guessed.
    let (_, r) = send(&state, "POST", "/api/cases", None, heating("望京西园四区").to_string()).await;
    let named = r["case_id"].as_str().expect("a number").to_owned();
    let steps: Vec<String> = cases.decisions(&named).expect("decisions").into_iter().map(|d| d.decision.step).collect();
    assert_eq!(steps, ["validate", "route"]);
    assert!(!cases.get(&named).expect("stored").events.iter().any(|e| e.event.kind() == "category_suggested"));

    // Text the model cannot place: it abstains, says so in the history, and the form is refused for
    // its missing category, as any would be — nothing is guessed.
    let mut vague = heating("望京西园五区");
    vague.as_object_mut().expect("an object").remove("category");
    vague["title"] = "请问一下".into();
    vague["description"] = "你好，我想请问一下这个事情".into();
    let (status, r) = send(&state, "POST", "/api/cases", None, vague.to_string()).await;
    assert_eq!(
        (status, r["reason"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("category: category.required")),
        "{r}"
    );
    let vague = r["case_id"].as_str().expect("stored").to_owned();
    let events = cases.get(&vague).expect("stored").events;
    let abstained = serde_json::to_value(&events[1]).expect("JSON");
    assert_eq!(
        (abstained["type"].as_str(), abstained.get("category")),
        (Some("category_suggested"), None),
        "{abstained}"
    );
    assert!(abstained["confidence"].as_f64().is_some_and(|c| c < 0.4), "{abstained}");

    // Replay makes the same suggestion from the model kept under its SHA-256, and validates the body
    // with the category filled in again.
    let (code, out, err) = replay(&dir, &["--case", &id]);
    println!("minyi replay --case {id}\n{out}");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().last(), Some("identical"), "{out}");
    assert!(out.contains("suggest") && out.contains("no classifier model today"), "{out}");
    // Today's model (another seed) is compared, and named as what changed.
    let today = dir.path().join("model-2027.bin");
    std::fs::write(&today, classifier_model(8)).expect("writes");
    let (code, out, err) = replay(&dir, &["--case", &id, "--classifier", &today.to_string_lossy(), "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let replayed: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(replayed["steps"][0]["step"], "suggest", "{out}");
    assert_eq!(replayed["steps"][0]["recorded"]["verdict"], "identical", "{out}");
    let changed = replayed["steps"][0]["today"]["changed"].to_string();
    assert!(changed.contains("model: "), "{out}");

    // A model whose categories are not leaves of the tree would fill in what the validator refuses:
    // `minyi serve` will not start with it, and says why.
    let rows: Vec<(String, String)> =
        [("暖气不热", "城市建设"), ("拖欠工资", "劳动保障"), ("垃圾没人清运", "城市建设")]
            .iter()
            .map(|(t, l)| ((*t).to_owned(), (*l).to_owned()))
            .collect();
    let options = minyi_classify::TrainOptions { min_df: 1, ..Default::default() };
    let first_level = dir.path().join("first-level.model");
    std::fs::write(&first_level, minyi_classify::train(&rows, &options).expect("trains").to_bytes()).expect("writes");
    let out = Command::new(env!("CARGO_BIN_EXE_minyi"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db", &db(&dir), "--classifier"])
        .arg(&first_level)
        .env_remove("MINYI_DB")
        .output()
        .expect("minyi runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("--classifier") && err.contains("not leaves of the category tree"), "{err}");

    // A model file that is not one stops `minyi replay` with the reason.
    std::fs::write(&today, &bytes[..bytes.len() / 2]).expect("writes");
    let (code, _, err) = replay(&dir, &["--case", &id, "--classifier", &today.to_string_lossy()]);
    assert_ne!(code, 0);
    assert!(err.contains("--classifier") && err.contains("truncated or corrupt"), "{err}");
}

/// A rule set that acts on the classifier's suggestion (智能分拨): a suggestion below `unsure` goes to an
/// operator, one under `utilities.heating` is tagged.
fn suggesting_rules(unsure: f64) -> String {
    format!(
        r#"[ruleset]
name = "suggesting"
region = "beijing"
default_unit = "$street"

[[rule]]
id = "suggested-heating"
priority = 1
when = {{ suggested = ["utilities.heating"] }}
then = {{ tags = ["suggested-heating"] }}

[[rule]]
id = "unsure"
priority = 2
when = {{ confidence_below = {unsure} }}
then = {{ manual = true, tags = ["category-unsure"] }}
"#
    )
}

#[tokio::test]
async fn rules_on_the_suggestion_send_an_unsure_case_to_an_operator_and_replay_identically() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let model = state.runtime.load_model_shared(&classifier_model(7)).expect("the classifier loads the model");
    let mut form = heating("望京西园三区");
    form.as_object_mut().expect("an object").remove("category");
    form["title"] = "暖气片不热".into();
    form["description"] = "这几天家里暖气片不热，室温只有十三度".into();
    form["attributes"] = json!({"room_temperature": "13"});
    // What the model makes of this text, to set the rule's bound just above it.
    let text = format!("{}\n{}", form["title"].as_str().unwrap_or(""), form["description"].as_str().unwrap_or(""));
    let said: Value = serde_json::from_str(&model.suggest_json(&text, None).expect("suggests")).expect("JSON");
    let confidence = said["top"][0]["confidence"].as_f64().expect("a confidence");
    assert!(confidence < 0.99, "the bound must fit above it: {said}");
    let source = suggesting_rules(((confidence + 0.01) * 100.0).ceil() / 100.0);
    let rules = state.runtime.compile_rules_shared(&source).expect("runs").expect("compiles");
    let state = minyi_server::AppState {
        classifier: Some(std::sync::Arc::new(model)),
        rules: Some(std::sync::Arc::new(rules)),
        ..state
    };
    let cases = state.cases.as_deref().expect("a case store");

    // Filled in by the classifier, not surely enough: an operator checks it before dispatch.
    let (status, r) = send(&state, "POST", "/api/cases", None, form.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!((r["state"].as_str(), r["routing"]["manual"].as_bool()), (Some("pending_manual"), Some(true)), "{r}");
    assert_eq!(r["routing"]["tags"], json!(["suggested-heating", "category-unsure"]), "{r}");
    let why = r["routing"]["explanation"]["fired"].to_string();
    assert!(why.contains("suggested category utilities.heating.low_temperature is under utilities.heating"), "{why}");
    assert!(why.contains(&format!("suggestion confidence {confidence:.2} is below")), "{why}");
    let id = r["case_id"].as_str().expect("a number").to_owned();
    let decisions = cases.decisions(&id).expect("decisions");
    let route = decisions.iter().find(|d| d.decision.step == "route").expect("a route decision");
    let input: Value = serde_json::from_str(&route.decision.input).expect("JSON");
    assert_eq!(input["suggestion"]["category"], "utilities.heating.low_temperature", "{input}");

    // The citizen named the category: nothing was suggested, no suggestion rule fires, the case goes out.
    let (_, r) = send(&state, "POST", "/api/cases", None, heating("望京西园四区").to_string()).await;
    assert_eq!((r["state"].as_str(), r["routing"]["lead"].as_str()), (Some("dispatched"), Some("110105026")), "{r}");
    assert_eq!(r["routing"]["tags"], json!([]), "{r}");

    // Replay routes with the suggestion recorded, in the router and rule set kept.
    let (code, out, err) = replay(&dir, &["--case", &id, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let replayed: Value = serde_json::from_str(&out).expect("JSON");
    let steps = replayed["steps"].as_array().expect("steps");
    let route = steps.iter().find(|s| s["step"] == "route").expect("the route step");
    assert_eq!(route["recorded"]["verdict"], "identical", "{out}");
}

/// A district's own model: trained on the district's labels, which file heating demands under
/// 停暖 (`utilities.heating.outage`) where the service's model says 室温不达标.
fn district_model() -> Vec<u8> {
    let rows: Vec<(String, String)> = [
        ("暖气片不热\n这几天家里暖气片不热，室温只有十三度", "utilities.heating.outage"),
        ("暖气停了\n小区暖气突然停了，家里很冷", "utilities.heating.outage"),
        ("没有暖气\n楼里一直没供暖，暖气片冰凉", "utilities.heating.outage"),
        ("垃圾没人清运\n小区门口的垃圾桶满了三天", "urban.sanitation.garbage"),
        ("垃圾堆放\n路边垃圾堆成山没人管", "urban.sanitation.garbage"),
        ("垃圾站脏乱\n垃圾分类站脏乱，垃圾满地", "urban.sanitation.garbage"),
    ]
    .iter()
    .map(|(t, l)| ((*t).to_owned(), (*l).to_owned()))
    .collect();
    let options = minyi_classify::TrainOptions { min_df: 1, seed: 3, abstain_below: 0.4, ..Default::default() };
    minyi_classify::train(&rows, &options).expect("trains").to_bytes()
}

#[tokio::test]
async fn a_district_deploys_its_own_classifier_model() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, plugins, admins, city) = service(&dir);
    let service_model = state.runtime.load_model_shared(&classifier_model(7)).expect("the classifier loads it");
    let state = minyi_server::AppState { classifier: Some(std::sync::Arc::new(service_model)), ..state };
    let (chaoyang, _) = district_admin(&plugins, &admins, &city, "110105");
    let (haidian, _) = district_admin(&plugins, &admins, &city, "110108");
    let cases = state.cases.as_deref().expect("a case store");
    let minyi = |args: &[&str], token: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_minyi"))
            .args(args)
            .args(["--db", &db(&dir)])
            .env("MINYI_TOKEN", token)
            .env_remove("MINYI_DB")
            .env_remove("MINYI_SERVER")
            .output()
            .expect("minyi runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let files = dir.path();
    let (good, foreign, first_level) =
        (files.join("chaoyang.model"), files.join("foreign.bin"), files.join("first.model"));
    std::fs::write(&good, district_model()).expect("writes");
    std::fs::write(&foreign, b"\x7fELF not a model at all").expect("writes");
    let rows = vec![("暖气不热".to_owned(), "城乡建设".to_owned()), ("拖欠工资".to_owned(), "劳动保障".to_owned())];
    let options = minyi_classify::TrainOptions { min_df: 1, ..Default::default() };
    std::fs::write(&first_level, minyi_classify::train(&rows, &options).expect("trains").to_bytes()).expect("writes");

    // Stored with `minyi model upload` as the district's admin; another district's admin is refused.
    for (file, version) in [(&good, "2026.12"), (&foreign, "foreign"), (&first_level, "first-level")] {
        let (code, out, err) =
            minyi(&["model", "upload", "--district", "110105", "--as", version, &file.to_string_lossy()], &chaoyang);
        assert_eq!(code, 0, "{out}{err}");
    }
    let (code, _, err) =
        minyi(&["model", "upload", "--district", "110105", "--as", "x", &good.to_string_lossy()], &haidian);
    assert_eq!(code, 2, "{err}");
    // Activation checks it in the classifier component: a file that is not a model, and a model of
    // labels that are not leaves of the tree, are refused with the reason.
    let uri = "/api/admin/districts/110105/model";
    for (version, says) in
        [("foreign", "the classifier refused the file"), ("first-level", "not leaves of the category tree")]
    {
        let body = json!({ "version": version }).to_string();
        let (status, v) = send(&state, "POST", &format!("{uri}/activate"), Some(&chaoyang), body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["message"].as_str().is_some_and(|m| m.contains(says)), "{version}: {v}");
    }
    let body = json!({ "version": "2026.12" }).to_string();
    let (status, v) = send(&state, "POST", &format!("{uri}/activate"), Some(&chaoyang), body).await;
    assert_eq!((status, v["active"].as_str()), (StatusCode::OK, Some("2026.12")), "{v}");
    // Over HTTP the model is the raw body: read only for a staff token, and only up to 4 MiB.
    let post = |token: Option<&str>, bytes: Vec<u8>| {
        let mut req = axum::http::Request::post(format!("{uri}?version=http"));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req.header("content-type", "application/octet-stream").body(axum::body::Body::from(bytes));
        let app = minyi_server::app(state.clone());
        async move {
            use tower::ServiceExt as _;
            let res = app.oneshot(req.expect("a request")).await.expect("answers");
            let status = res.status();
            let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("a body");
            (status, serde_json::from_slice::<Value>(&body).unwrap_or_default())
        }
    };
    let (status, v) = post(None, district_model()).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("auth.unknown_token")), "{v}");
    let (status, v) = post(Some(&chaoyang), vec![0; (4 << 20) + 1]).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("body.too_large")), "{v}");
    let (status, v) = post(Some(&chaoyang), district_model()).await;
    assert_eq!((status, v["version"].as_str()), (StatusCode::CREATED, Some("http")), "{v}");
    let (_, list) = send(&state, "GET", uri, Some(&chaoyang), String::new()).await;
    assert_eq!(list.as_array().map(Vec::len), Some(4), "{list}");
    assert_eq!(
        list.as_array().and_then(|l| l.iter().find(|v| v["active"] == true)).map(|v| v["version"].clone()),
        Some(json!("2026.12"))
    );

    // Chaoyang's demands are categorised by its model, Haidian's by the service's.
    let uncategorised = |district: &str, street: &str| {
        let mut form = heating("望京西园三区");
        form.as_object_mut().expect("an object").remove("category");
        form["district"] = district.into();
        form["street"] = street.into();
        form["title"] = "暖气片不热".into();
        form["description"] = "这几天家里暖气片不热，室温只有十三度".into();
        form.to_string()
    };
    let own_sha = {
        let model = state.runtime.load_model_shared(&district_model()).expect("loads");
        model.info().sha256.clone()
    };
    let (status, r) = send(&state, "POST", "/api/cases", None, uncategorised("110105", "110105026")).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["validation"]["normalized"]["category"], "utilities.heating.outage", "{r}");
    let chaoyang_case = r["case_id"].as_str().expect("a number").to_owned();
    let events = cases.get(&chaoyang_case).expect("stored").events;
    let suggested = serde_json::to_value(&events[1]).expect("JSON");
    assert_eq!(
        (suggested["type"].as_str(), suggested["model"].as_str()),
        (Some("category_suggested"), Some(own_sha.as_str()))
    );
    let decisions = cases.decisions(&chaoyang_case).expect("decisions");
    let deciders: Value = serde_json::from_str(&decisions[0].decision.deciders).expect("JSON");
    assert_eq!((deciders["district"].as_str(), deciders["model_version"].as_str()), (Some("110105"), Some("2026.12")));
    let (_, r) = send(&state, "POST", "/api/cases", None, uncategorised("110108", "110108001")).await;
    assert_eq!(r["validation"]["normalized"]["category"], "utilities.heating.low_temperature", "{r}");
    // The page suggests with the same model: `/api/suggest` and the model file it fetches.
    let text = json!({"text": "暖气片不热\n室温只有十三度", "district": "110105"}).to_string();
    let (_, s) = send(&state, "POST", "/api/suggest", None, text).await;
    assert_eq!(s["top"][0]["category"], "utilities.heating.outage", "{s}");
    let (status, headers, bytes) = get_raw(&state, "/api/suggest/model?district=110105").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, district_model(), "the district's model, as deployed");
    assert_eq!(headers.get("x-minyi-sha256").and_then(|v| v.to_str().ok()), Some(own_sha.as_str()));
    let (_, _, bytes) = get_raw(&state, "/api/suggest/model?district=110108").await;
    assert_eq!(bytes, classifier_model(7), "Haidian has none of its own: the service's");

    // Replay makes the suggestion again with the district's model kept with the case.
    let (code, out, err) = replay(&dir, &["--case", &chaoyang_case]);
    assert_eq!((code, out.lines().last()), (0, Some("identical")), "{out}{err}");

    // Rollback: the service's model suggests for Chaoyang again.
    let (status, v) = send(&state, "POST", &format!("{uri}/rollback"), Some(&chaoyang), String::new()).await;
    assert_eq!((status, &v["active"]), (StatusCode::OK, &Value::Null), "{v}");
    let (_, r) = send(&state, "POST", "/api/cases", None, uncategorised("110105", "110105026")).await;
    assert_eq!(r["validation"]["normalized"]["category"], "utilities.heating.low_temperature", "{r}");
}
