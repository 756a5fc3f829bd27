//! `minyi plugin …` end to end: the real binary on a real SQLite registry — bootstrap, keys, a signed
//! upload of a real plugin component, activation, listing, rollback, disabling, and a district admin
//! refused on another district.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn minyi(db: &Path, token: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_minyi"));
    cmd.arg("plugin").arg("--db").arg(db).args(args).env("RUST_LOG", "warn").env_remove("MINYI_TOKEN");
    if let Some(t) = token {
        cmd.env("MINYI_TOKEN", t);
    }
    let Output { status, stdout, stderr } = cmd.output().expect("minyi runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn a_district_admin_uploads_activates_and_rolls_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("registry.db");
    let component = minyi_test_artifacts::PLUGINS
        .iter()
        .find(|(n, _, _)| *n == "chaoyang_heating")
        .map(|(_, p, _)| *p)
        .expect("built");

    let (code, out, err) = minyi(&db, None, &["admin-create"]);
    assert_eq!(code, 0, "{err}");
    let city = json(&out)["token"].as_str().expect("token").to_owned();
    let (code, _, err) = minyi(&db, None, &["admin-create", "--district", "110105"]);
    assert_eq!(code, 2);
    assert!(err.contains("auth.unknown_token"), "{err}");
    let chaoyang = json(&minyi(&db, Some(&city), &["admin-create", "--district", "110105"]).1)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let haidian = json(&minyi(&db, Some(&city), &["admin-create", "--district", "110108"]).1)["token"]
        .as_str()
        .expect("token")
        .to_owned();

    let keys = json(&minyi(&db, None, &["keygen"]).1);
    let secret = dir.path().join("chaoyang.key");
    std::fs::write(&secret, keys["secret"].as_str().expect("secret")).expect("write key");
    let (code, _, err) =
        minyi(&db, Some(&city), &["trust", "--district", "110105", keys["public"].as_str().expect("public")]);
    assert_eq!(code, 0, "{err}");

    let sign = |version: &str, extra: &[&str]| {
        let mut args = vec![
            "sign",
            "--key",
            secret.to_str().expect("utf-8"),
            "--name",
            "chaoyang-heating",
            "--version",
            version,
            "--district",
            "110105",
        ];
        args.extend_from_slice(extra);
        args.push(component);
        let (code, out, err) = minyi(&db, None, &args);
        assert_eq!(code, 0, "{err}");
        let path = dir.path().join(format!("manifest-{version}.json"));
        std::fs::write(&path, &out).expect("write manifest");
        assert_eq!(json(&out)["hooks"], serde_json::json!(["routing"]), "hooks found in the component");
        path
    };
    let v1 = sign("1.0.0", &[]);
    let v2 = sign("1.1.0", &["--config", "heating_season=12-01..02-28"]);

    let (code, out, err) = minyi(&db, Some(&chaoyang), &["add", v1.to_str().expect("utf-8"), component]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["version"], "1.0.0");
    assert_eq!(minyi(&db, Some(&chaoyang), &["add", v2.to_str().expect("utf-8"), component]).0, 0);
    assert_eq!(minyi(&db, Some(&chaoyang), &["activate", "chaoyang-heating", "1.0.0"]).0, 0);
    assert_eq!(minyi(&db, Some(&chaoyang), &["activate", "chaoyang-heating", "1.1.0"]).0, 0);
    let listed = json(&minyi(&db, Some(&chaoyang), &["list"]).1);
    let active: Vec<&str> = listed
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["active"] == true)
        .filter_map(|r| r["version"].as_str())
        .collect();
    assert_eq!(active, ["1.1.0"]);

    // Haidian's admin cannot touch Chaoyang's plugins.
    let (code, _, err) = minyi(&db, Some(&haidian), &["rollback", "--district", "110105"]);
    assert_eq!(code, 2);
    assert!(err.contains("auth.forbidden") && err.contains("110108") && err.contains("110105"), "{err}");

    let (code, out, _) = minyi(&db, Some(&chaoyang), &["rollback"]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["active"]["version"], "1.0.0");
    let (code, _, _) = minyi(&db, Some(&chaoyang), &["disable", "--reason", "checking the season"]);
    assert_eq!(code, 0);
    let listed = json(&minyi(&db, Some(&chaoyang), &["list"]).1);
    let row = listed.as_array().expect("rows").iter().find(|r| r["active"] == true).cloned().unwrap_or_default();
    assert_eq!((row["version"].as_str(), row["disabled"].as_str()), (Some("1.0.0"), Some("checking the season")));

    // A tampered component is refused by hash; an unsigned manifest by signature.
    let tampered = dir.path().join("tampered.wasm");
    let mut bytes = std::fs::read(component).expect("read");
    bytes.push(0);
    std::fs::write(&tampered, bytes).expect("write");
    let v3 = sign("1.2.0", &[]);
    let (code, _, err) =
        minyi(&db, Some(&chaoyang), &["add", v3.to_str().expect("utf-8"), tampered.to_str().expect("utf-8")]);
    assert_eq!(code, 2);
    assert!(err.contains("manifest.invalid") && err.contains("sha256"), "{err}");
}

#[test]
fn a_scoring_plugin_reviews_cases_in_minyi_score() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("registry.db");
    let component = minyi_test_artifacts::PLUGINS
        .iter()
        .find(|(n, _, _)| *n == "review_rulings")
        .map(|(_, p, _)| *p)
        .expect("built");
    let city = json(&minyi(&db, None, &["admin-create"]).1)["token"].as_str().expect("token").to_owned();
    let chaoyang = json(&minyi(&db, Some(&city), &["admin-create", "--district", "110105"]).1)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let keys = json(&minyi(&db, None, &["keygen"]).1);
    let secret = dir.path().join("k");
    std::fs::write(&secret, keys["secret"].as_str().expect("secret")).expect("write");
    assert_eq!(
        minyi(&db, Some(&city), &["trust", "--district", "110105", keys["public"].as_str().expect("public")]).0,
        0
    );
    let (code, manifest, err) = minyi(
        &db,
        None,
        &[
            "sign",
            "--key",
            secret.to_str().expect("utf-8"),
            "--name",
            "review-rulings",
            "--version",
            "1.0.0",
            "--district",
            "110105",
            component,
        ],
    );
    assert_eq!(code, 0, "{err}");
    let manifest_path = dir.path().join("m.json");
    std::fs::write(&manifest_path, manifest).expect("write");
    assert_eq!(minyi(&db, Some(&chaoyang), &["add", manifest_path.to_str().expect("utf-8"), component]).0, 0);
    assert_eq!(minyi(&db, Some(&chaoyang), &["activate", "review-rulings", "1.0.0"]).0, 0);

    // Four dissatisfied callbacks for one street; the district ruled one of them unreasonable.
    let mut events = String::new();
    for i in 0..4 {
        let id = format!("BJ-2026110{}-00000{i}", i + 2);
        let day = format!("2026-11-0{}", i + 2);
        for line in [
            format!(
                r#"{{"case_id":"{id}","at":"{day}T09:00:00+08:00","type":"received","district":"110105","street":"110105026"}}"#
            ),
            format!(r#"{{"case_id":"{id}","at":"{day}T09:05:00+08:00","type":"dispatched","unit":"110105026"}}"#),
            format!(r#"{{"case_id":"{id}","at":"{day}T18:00:00+08:00","type":"replied"}}"#),
            format!(
                r#"{{"case_id":"{id}","at":"{day}T20:00:00+08:00","type":"callback","resolved":false,"satisfaction":"dissatisfied"}}"#
            ),
        ] {
            events.push_str(&line);
            events.push('\n');
        }
        if i == 0 {
            events.push_str(&format!(r#"{{"case_id":"{id}","at":"2026-11-10T09:00:00+08:00","type":"ruling","decision":"经区级审定，属不合理诉求"}}"#));
            events.push('\n');
        }
    }
    let events_path = dir.path().join("events.jsonl");
    std::fs::write(&events_path, events).expect("write");
    let score = |extra: &[&str]| {
        let mut args = vec!["score", "--month", "2026-11", "--json"];
        args.extend_from_slice(extra);
        args.push(events_path.to_str().expect("utf-8"));
        let Output { status, stdout, stderr } =
            Command::new(env!("CARGO_BIN_EXE_minyi")).args(&args).env("RUST_LOG", "warn").output().expect("minyi runs");
        assert!(status.success(), "{}", String::from_utf8_lossy(&stderr));
        let r = json(&String::from_utf8_lossy(&stdout));
        let s = r["streets"][0].clone();
        (s["valid"].as_u64(), s["excluded"].as_u64())
    };
    assert_eq!(score(&[]), (Some(4), Some(0)));
    assert_eq!(
        score(&["--plugins", db.to_str().expect("utf-8")]),
        (Some(3), Some(1)),
        "the ruled case is reviewed out by the plugin"
    );
}
