//! Audit-grade replay (issue 18): intake keeps every decision with its inputs and what decided, and
//! `minyi replay` runs them again — identical on the recorded deciders after a plugin upgrade and a
//! rule-set change, while today's deciders are shown deciding otherwise, with what changed; evidence
//! changed behind the service's back is reported, not replayed.

use super::{db, service};
use axum::http::StatusCode;
use minyi_registry::Hook;
use serde_json::{Value, json};
use std::process::Command;

use crate::common::{district_admin, plugin, send, signed};
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
    let validated = steps(&rejected);
    assert_eq!(validated.iter().map(|d| d.step.as_str()).collect::<Vec<_>>(), ["validate", "plugin.validate"]);
    let input: Value = serde_json::from_str(&validated[1].input).expect("json");
    assert_eq!(input["clock"].as_array().map(Vec::len), Some(1), "the plugin read the clock once: {input}");
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
