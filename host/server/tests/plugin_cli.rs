//! `minyi plugin …` end to end: the real binary on a real SQLite registry — bootstrap, keys, a signed
//! upload of a real plugin component, activation, listing, rollback, disabling, and a district admin
//! refused on another district.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `cmd` with `MINYI_TOKEN` set to `token` (and no other token from the environment):
/// (exit code, stdout, stderr).
fn run(mut cmd: Command, token: Option<&str>) -> (i32, String, String) {
    cmd.env("RUST_LOG", "warn").env_remove("MINYI_TOKEN");
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

fn minyi(db: &Path, token: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_minyi"));
    cmd.arg("plugin").arg("--db").arg(db).args(args);
    run(cmd, token)
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

/// `minyi ARGS` in `cwd` with `MINYI_TOKEN`, never a database path: (exit code, stdout, stderr).
fn over_http(cwd: &Path, token: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_minyi"));
    cmd.current_dir(cwd).args(args).env_remove("MINYI_DB");
    run(cmd, token)
}

#[test]
fn a_district_admin_works_over_http_with_a_token_and_no_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("minyi.db");
    let db = db.to_str().expect("utf-8");
    // The city's first token is made on the database, once; everything after goes through the API.
    let out = Command::new(env!("CARGO_BIN_EXE_minyi"))
        .args(["token", "--db", db, "create", "--role", "city"])
        .env_remove("MINYI_TOKEN")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let city = json(&String::from_utf8_lossy(&out.stdout))["token"].as_str().expect("token").to_owned();
    // Compiling the 18 MB Python component inside the upload request takes 15-40 s on two loaded cores,
    // past the 30 s request timeout: an upload has its own (`--upload-timeout`, 300 s), so the service
    // runs with its defaults.
    let node = minyi_tests::serve::Node::start_with(env!("CARGO_BIN_EXE_minyi"), db, &[]);
    let elsewhere = tempfile::tempdir().expect("a folder with no database");
    let cwd = elsewhere.path();
    let api = |token: &str, args: &[&str]| {
        let mut all = vec![args[0], "--server", node.base.as_str()];
        all.extend_from_slice(&args[1..]);
        over_http(cwd, Some(token), &all)
    };
    let ok = |token: &str, args: &[&str]| {
        let (code, out, err) = api(token, args);
        assert_eq!(code, 0, "minyi {args:?}: {err}");
        out
    };

    // Tokens: the city makes 朝阳's and 海淀's admins; 朝阳's admin makes an operator of 望京.
    let chaoyang = json(&ok(&city, &["token", "create", "--role", "district", "--district", "110105"]))["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let haidian = json(&ok(&city, &["plugin", "admin-create", "--district", "110108"]))["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let operator = json(&ok(&chaoyang, &["token", "create", "--role", "operator", "--unit", "110105026"]));
    assert_eq!((operator["role"].as_str(), operator["district"].as_str()), (Some("operator"), Some("110105")));
    let operator = operator["token"].as_str().expect("token").to_owned();
    let listed = ok(&chaoyang, &["token", "list"]);
    assert!(listed.lines().count() >= 2 && !listed.contains(&operator), "ids, never secrets: {listed}");
    let (code, _, err) = api(&chaoyang, &["token", "create", "--role", "district", "--district", "110108"]);
    assert_eq!(code, 2);
    assert!(err.contains("auth.forbidden"), "{err}");

    // A plugin: signed locally, its key trusted by the city, uploaded, activated and rolled back by 朝阳.
    let component = minyi_test_artifacts::PLUGINS
        .iter()
        .find(|(n, _, _)| *n == "chaoyang_heating")
        .map(|(_, p, _)| *p)
        .expect("built");
    let keys = json(&ok(&chaoyang, &["plugin", "keygen"]));
    let secret = dir.path().join("chaoyang.key");
    std::fs::write(&secret, keys["secret"].as_str().expect("secret")).expect("write key");
    ok(&city, &["plugin", "trust", "--district", "110105", keys["public"].as_str().expect("public")]);
    for version in ["1.0.0", "1.1.0"] {
        let key = secret.to_str().expect("utf-8");
        let args = [
            "plugin",
            "sign",
            "--key",
            key,
            "--name",
            "chaoyang-heating",
            "--version",
            version,
            "--district",
            "110105",
        ];
        let mut args = args.to_vec();
        args.push(component);
        let manifest = dir.path().join(format!("{version}.json"));
        std::fs::write(&manifest, ok(&chaoyang, &args)).expect("write manifest");
        let added = json(&ok(&chaoyang, &["plugin", "add", manifest.to_str().expect("utf-8"), component]));
        assert_eq!(added["version"], version);
        ok(&chaoyang, &["plugin", "activate", "chaoyang-heating", version]);
    }
    let listed = json(&ok(&chaoyang, &["plugin", "list"]));
    assert_eq!(listed["running"]["version"], "1.1.0", "{listed}");
    let (code, _, err) = api(&haidian, &["plugin", "rollback", "--district", "110105"]);
    assert_eq!(code, 2);
    assert!(err.contains("auth.forbidden") && err.contains("HTTP 403"), "{err}");
    assert_eq!(json(&ok(&chaoyang, &["plugin", "rollback"]))["running"]["version"], "1.0.0");
    assert_eq!(json(&ok(&chaoyang, &["plugin", "faults"])), serde_json::json!([]));

    // The Python plugin (componentize-py, ~18 MB) goes up over HTTP too: the raw component, its
    // manifest in a header, over the JSON body limit and under the upload limit.
    let python = minyi_test_artifacts::PLUGIN_DONGCHENG_FOOD_PY;
    let size = std::fs::metadata(python).expect("built").len();
    assert!(size > 1 << 20, "bigger than the body limit: {size} bytes");
    let key = secret.to_str().expect("utf-8");
    let signed = ok(
        &chaoyang,
        &[
            "plugin",
            "sign",
            "--key",
            key,
            "--name",
            "chaoyang-food",
            "--version",
            "1.0.0",
            "--district",
            "110105",
            python,
        ],
    );
    let manifest = dir.path().join("food.json");
    std::fs::write(&manifest, &signed).expect("write manifest");
    let added = json(&ok(&chaoyang, &["plugin", "add", manifest.to_str().expect("utf-8"), python]));
    assert_eq!((added["name"].as_str(), added["active"].as_bool()), (Some("chaoyang-food"), Some(false)), "{added}");
    // As hex in JSON it would be over the body limit (1 MiB): a JSON body just over it is refused as
    // such, in JSON (just over, so the client finishes sending before it reads the answer).
    let mut res = ureq::post(&format!("{}/api/admin/plugins", node.base))
        .config()
        .http_status_as_error(false)
        .build()
        .header("Authorization", &format!("Bearer {chaoyang}"))
        .header("Content-Type", "application/json")
        .send(format!(r#"{{"manifest": {signed}, "component_hex": "{}"}}"#, "00".repeat(600_000)))
        .expect("answers");
    let refused: Value = res.body_mut().read_json().expect("JSON");
    assert_eq!((res.status().as_u16(), refused["code"].as_str()), (413, Some("body.too_large")), "{refused}");

    // Cases: one filed by a citizen, seen, worked and exported by staff through the API.
    let form = serde_json::json!({"district": "110105", "channel": "web", "kind": "complaint",
        "category": "urban.sanitation.garbage", "title": "垃圾没人清运", "description": "小区垃圾三天没人清运了",
        "address": "朝阳区望京西园三区", "reporter": {"phone": "13800138000"}, "consent": true,
        "received_at": "2026-11-29T10:00:00+08:00"});
    let mut res = ureq::post(&format!("{}/api/cases", node.base))
        .header("Content-Type", "application/json")
        .send(form.to_string())
        .expect("intake answers");
    let taken: Value = res.body_mut().read_json().expect("JSON");
    let id = taken["case_id"].as_str().expect("a case number").to_owned();
    let listed = ok(&chaoyang, &["case", "list", "--state", "dispatched"]);
    assert_eq!(json(listed.lines().next().expect("one case"))["case_id"], id.as_str(), "{listed}");
    assert_eq!(json(&ok(&chaoyang, &["case", "show", &id]))["form"]["reporter"]["phone"], "13800138000");
    let acted = json(&ok(&operator, &["case", "act", &id, r#"{"type":"first_contact"}"#]));
    assert_eq!((acted["event"]["type"].as_str(), acted["state"].as_str()), (Some("first_contact"), Some("dispatched")));
    let events = ok(&chaoyang, &["case", "events"]);
    let types: Vec<String> = events.lines().map(|l| json(l)["type"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(types, ["received", "accepted", "dispatched", "first_contact"], "{events}");
    let (code, _, err) = api(&haidian, &["case", "show", &id]);
    assert_eq!(code, 2);
    assert!(err.contains("auth.forbidden"), "{err}");

    // No token, a wrong one, or no service: refused, named; and nothing touched a local database.
    let (code, _, err) = over_http(cwd, None, &["case", "--server", &node.base, "list"]);
    assert_eq!(code, 2);
    assert!(err.contains("--token"), "{err}");
    let (code, _, err) = api("not-a-token", &["case", "list"]);
    assert_eq!(code, 2);
    assert!(err.contains("auth.unknown_token") && err.contains("HTTP 401"), "{err}");
    let (code, _, err) = over_http(cwd, Some(&chaoyang), &["case", "--server", "ftp://example.cn", "list"]);
    assert_eq!(code, 2);
    assert!(err.contains("not an http:// or https:// URL"), "{err}");
    let (code, _, err) = over_http(cwd, Some(&chaoyang), &["case", "--server", "http://127.0.0.1:9", "list"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot reach"), "{err}");
    assert!(std::fs::read_dir(cwd).expect("cwd").next().is_none(), "no database was opened or made here");
}

/// The plugin kit: `cargo xtask new-plugin` makes a project in each language and for each hook that
/// `minyi plugin build` builds and `minyi plugin test` passes, as made, through the real plugin host.
mod kit {
    use super::run;
    use minyi_tests::xtask::xtask;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    const HOOKS: [&str; 3] = ["validation", "routing", "scoring"];

    /// The target dir this test binary was built in (`…/release/deps/…` → `…`).
    fn target_dir() -> PathBuf {
        let bin = Path::new(env!("CARGO_BIN_EXE_minyi"));
        bin.parent().and_then(Path::parent).expect("the minyi binary is in a profile dir").to_path_buf()
    }

    /// A language's tool, from its variable or where `cargo xtask setup` installs it.
    fn tool(var: &str, installed: &str) -> PathBuf {
        let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| target_dir().join(installed));
        assert!(path.exists(), "no {}: run `cargo xtask setup` (or set {var})", path.display());
        path
    }

    fn minyi(args: &[&str], dir: &Path) -> (i32, String, String) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_minyi"));
        cmd.arg("plugin").args(args).arg(dir);
        cmd.env("MINYI_COMPONENTIZE_PY", tool("MINYI_COMPONENTIZE_PY", "py/bin/componentize-py"));
        cmd.env("MINYI_COMPONENTIZE_JS", tool("MINYI_COMPONENTIZE_JS", "js-tools/node_modules/.bin/componentize-js"));
        run(cmd, None)
    }

    /// Makes `lang`/`hook` in `root`, builds and tests it as made; the project folder.
    fn made_built_tested(root: &Path, lang: &str, hook: &str) -> PathBuf {
        let dir = root.join(format!("{lang}-{hook}"));
        let name = format!("noise-{hook}");
        let out = xtask()
            .args(["new-plugin", &name, "--district", "110105", "--hook", hook, "--lang", lang, "--out"])
            .arg(&dir)
            .output()
            .expect("xtask runs");
        assert!(out.status.success(), "new-plugin: {}", String::from_utf8_lossy(&out.stderr));
        let rust_target = target_dir().join("plugins");
        let (code, built, err) = minyi(&["build", "--target-dir", rust_target.to_str().expect("UTF-8")], &dir);
        assert_eq!(code, 0, "{lang} {hook}: build: {err}");
        let built: serde_json::Value = serde_json::from_str(&built).expect("a JSON summary");
        assert_eq!(built["hooks"], serde_json::json!([hook]), "{built}");
        assert_eq!(built["plugin"], name.as_str());
        // Rust and JS plugins import only the Minyi capabilities (every WASI feature of componentize-js
        // off); CPython needs the empty WASI surface.
        let imports = built["imports"].as_array().expect("imports");
        let own = imports.iter().all(|i| i.as_str().is_some_and(|i| i.starts_with("minyi:casework/")));
        assert_eq!(own, lang != "python", "{built}");
        let (code, tested, err) = minyi(&["test"], &dir);
        assert_eq!(code, 0, "{lang} {hook}: test: {tested}\n{err}");
        assert!(tested.contains(" passed, 0 failed") && !tested.contains("FAIL"), "{tested}");
        eprintln!(
            "{lang} {hook}: {} bytes, imports {}; {}",
            built["bytes"],
            built["imports"],
            tested.lines().last().unwrap_or_default()
        );
        dir
    }

    /// Rewrites the JSON file at `path` with `edit`.
    fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
        let mut value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON");
        edit(&mut value);
        std::fs::write(path, value.to_string()).expect("write");
    }

    #[test]
    fn a_new_rust_plugin_builds_and_passes_its_own_test_for_each_hook() {
        let root = tempfile::tempdir().expect("temp dir");
        let dirs: Vec<PathBuf> = HOOKS.iter().map(|hook| made_built_tested(root.path(), "rust", hook)).collect();

        // A wrong expectation fails the run, naming the case and what came out.
        let validation = &dirs[0];
        edit_json(&validation.join("tests/cases.json"), |c| c["cases"][0]["issues"] = serde_json::json!([]));
        let (code, out, _) = minyi(&["test"], validation);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("FAIL  a noise complaint in a few words is asked for more: the plugin added issues [\"description.too_short\"], expected []"),
            "{out}"
        );
        let scoring = &dirs[2];
        edit_json(&scoring.join("tests/cases.json"), |c| c["cases"][1]["excluded"] = "invalid".into());
        let (code, out, _) = minyi(&["test"], scoring);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("FAIL  a real demand counts: excluded is null, expected \"invalid\""), "{out}");

        // The limits of plugin.toml are the host's: a plugin out of fuel is a fault, not a pass.
        let toml = std::fs::read_to_string(dirs[1].join("plugin.toml")).expect("read");
        std::fs::write(dirs[1].join("plugin.toml"), toml.replace("# fuel = 100000000", "fuel = 1000")).expect("write");
        let (code, out, _) = minyi(&["test"], &dirs[1]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("the plugin faulted") && out.contains("fuel"), "{out}");

        // A project whose plugin.toml names another hook than its component exports is refused.
        let toml = std::fs::read_to_string(validation.join("plugin.toml")).expect("read");
        std::fs::write(validation.join("plugin.toml"), toml.replace("hook = \"validation\"", "hook = \"scoring\""))
            .expect("write");
        let rust_target = target_dir().join("plugins");
        let (code, _, err) = minyi(&["build", "--target-dir", rust_target.to_str().expect("UTF-8")], validation);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("plugin.toml says hook scoring"), "{err}");
        let unknown = "name = \"x\"\nversion = \"1\"\ndistrict = \"110105\"\nhook = \"validation\"\nlanguage = \"rust\"\nfule = 1\n";
        std::fs::write(validation.join("plugin.toml"), unknown).expect("write");
        let (code, _, err) = minyi(&["test"], validation);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("plugin.toml") && err.contains("fule"), "{err}");
        let escaping = unknown.replace("name = \"x\"", "name = \"../../x\"").replace("fule = 1\n", "");
        std::fs::write(validation.join("plugin.toml"), escaping).expect("write");
        let (code, _, err) = minyi(&["build"], validation);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("name \"../../x\": lower-case letters"), "{err}");

        // new-plugin refuses what it cannot make.
        let out =
            xtask().args(["new-plugin", "x", "--district", "999999", "--out"]).arg(root.path().join("x")).output();
        let out = out.expect("xtask runs");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("--district \"999999\""));
    }

    #[test]
    fn a_new_python_plugin_builds_and_passes_its_own_test_for_each_hook() {
        let root = tempfile::tempdir().expect("temp dir");
        for hook in HOOKS {
            made_built_tested(root.path(), "python", hook);
        }
    }

    #[test]
    fn a_new_js_plugin_builds_and_passes_its_own_test_for_each_hook() {
        let root = tempfile::tempdir().expect("temp dir");
        for hook in HOOKS {
            made_built_tested(root.path(), "js", hook);
        }
    }
}
