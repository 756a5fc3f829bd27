//! Several hosts on one PostgreSQL database, as a city deploys them: the real `minyi` binary uploads a
//! real plugin (the Python one, built by componentize-py) with `minyi plugin` into PostgreSQL, two
//! `minyi serve` processes share that database, a change made through one node's admin API reaches
//! the other node's answers, and the time it took is printed; cases filed on both nodes at once are
//! numbered without a gap or a repeat and followed through either. `cargo xtask test` starts the
//! server and sets `MINYI_TEST_PG`.

use minyi_tests::serve::Node;
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

/// `minyi plugin …` on the database; stdout as JSON.
fn plugin_cli(db: &str, token: Option<&str>, args: &[&str]) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_minyi"));
    cmd.arg("plugin").arg("--db").arg(db).args(args).env("RUST_LOG", "warn").env_remove("MINYI_TOKEN");
    cmd.env("MINYI_PRECOMPILED_KEY", minyi_tests::serve::PRECOMPILED_KEY);
    if let Some(t) = token {
        cmd.env("MINYI_TOKEN", t);
    }
    let out = cmd.output().expect("minyi runs");
    assert!(out.status.success(), "minyi plugin {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn serve(db: &str) -> Node {
    Node::start(env!("CARGO_BIN_EXE_minyi"), db)
}

fn post(url: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut req =
        ureq::post(url).config().http_status_as_error(false).build().header("Content-Type", "application/json");
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut res = req.send(body).expect("answers");
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().expect("a body");
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url} answered {status} {text:?}: {e}")))
}

fn get(url: &str, token: &str) -> Value {
    ureq::get(url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("answers")
        .body_mut()
        .read_json()
        .expect("JSON")
}

const FOOD_FORM: &str = r#"{
  "district": "110101", "street": "110101001", "channel": "web", "kind": "complaint",
  "category": "market.food.restaurants", "title": "饭馆后厨卫生太差",
  "description": "东华门街道一家饭馆后厨苍蝇很多，餐具也不消毒。", "address": "东城区东华门街道王府井大街",
  "reporter": {"phone": "138 0013 8000"}, "consent": true, "received_at": "2026-11-29T10:00:00+08:00"
}"#;

/// The codes of the issues node `base` reports for the food form.
fn codes(node: &Node) -> Vec<String> {
    let (status, v) = post(&format!("{}/api/validate", node.base), None, FOOD_FORM);
    assert_eq!(status, 200, "{v}");
    v["issues"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["code"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Polls `node` until `want` holds of its answer; how long that took.
fn until(node: &Node, want: impl Fn(&[String]) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        if want(&codes(node)) {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{} never converged", node.base);
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn two_servers_on_one_postgresql_run_the_same_version() {
    let Some(server) = minyi_tests::postgres::server() else { return };
    let db = minyi_tests::postgres::fresh_database(&server, "minyi_nodes");
    let dir = tempfile::tempdir().expect("temp dir");
    let component = minyi_test_artifacts::PLUGIN_DONGCHENG_FOOD_PY;

    // The city and 东城区's admin set the registry up in PostgreSQL with the CLI.
    let city = plugin_cli(&db, None, &["admin-create"])["token"].as_str().expect("token").to_owned();
    let dongcheng = plugin_cli(&db, Some(&city), &["admin-create", "--district", "110101"])["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let keys = plugin_cli(&db, None, &["keygen"]);
    let secret = dir.path().join("dongcheng.key");
    std::fs::write(&secret, keys["secret"].as_str().expect("secret")).expect("writes the key");
    plugin_cli(&db, Some(&city), &["trust", "--district", "110101", keys["public"].as_str().expect("public")]);
    let manifest = plugin_cli(
        &db,
        None,
        &["sign", "--key", secret.to_str().expect("utf-8"), "--name", "dongcheng-food", "--version", "1.0.0"][..]
            .iter()
            .copied()
            .chain(["--district", "110101", "--memory-mib", "48", component])
            .collect::<Vec<_>>(),
    );
    assert_eq!(manifest["hooks"], json!(["validation"]));
    assert_eq!(manifest["limits"]["memory_bytes"], json!(48 << 20));
    let manifest_path = dir.path().join("plugin.json");
    std::fs::write(&manifest_path, manifest.to_string()).expect("writes the manifest");
    let t = Instant::now();
    let row = plugin_cli(&db, Some(&dongcheng), &["add", manifest_path.to_str().expect("utf-8"), component]);
    eprintln!("upload of the Python plugin (check, compile, precompile): {:.1} s", t.elapsed().as_secs_f64());
    assert_eq!(row["active"], json!(false));

    // Two nodes on the database; nothing is active, so neither adds an issue.
    let t = Instant::now();
    let (a, b) = (serve(&db), serve(&db));
    eprintln!("two nodes up in {:.1} s", t.elapsed().as_secs_f64());
    assert!(!codes(&a).contains(&"shop_name.required".to_owned()));
    assert!(!codes(&b).contains(&"shop_name.required".to_owned()));

    // Activated through node A: A answers with the plugin at once, B within its sync period.
    let (status, v) = post(
        &format!("{}/api/admin/plugins/110101/activate", a.base),
        Some(&dongcheng),
        r#"{"name": "dongcheng-food", "version": "1.0.0"}"#,
    );
    assert_eq!(status, 200, "{v}");
    let changed = Instant::now();
    assert!(codes(&a).contains(&"shop_name.required".to_owned()), "node A runs it once it answers");
    let activate_b = until(&b, |c| c.contains(&"shop_name.required".to_owned()));
    let activate_total = changed.elapsed();

    // Rolled back through node B: node A goes back to the base result.
    let (status, v) = post(&format!("{}/api/admin/plugins/110101/rollback", b.base), Some(&dongcheng), "");
    assert_eq!(status, 200, "{v}");
    let rollback_a = until(&a, |c| !c.contains(&"shop_name.required".to_owned()));
    assert!(!codes(&b).contains(&"shop_name.required".to_owned()));
    eprintln!(
        "activation through A seen by B after {:.0} ms ({:.0} ms after A answered); rollback through B seen by A after {:.0} ms",
        activate_total.as_secs_f64() * 1e3,
        activate_b.as_secs_f64() * 1e3,
        rollback_a.as_secs_f64() * 1e3
    );

    // A district admin cannot act on another district through either node; both list the same versions.
    let (status, v) =
        post(&format!("{}/api/admin/plugins/110105/disable", b.base), Some(&dongcheng), r#"{"reason": "x"}"#);
    assert_eq!(status, 403, "{v}");
    let listed_a = get(&format!("{}/api/admin/plugins/110101", a.base), &dongcheng);
    let listed_b = get(&format!("{}/api/admin/plugins/110101", b.base), &dongcheng);
    assert_eq!(listed_a["versions"], listed_b["versions"]);
    assert_eq!(listed_a["versions"][0]["version"], json!("1.0.0"));

    // Cases filed on both nodes at once: one numbering per day, no gap, no repeat; each followed on the
    // other node with its tracking token, and listed alike by either.
    let t = Instant::now();
    let filed: Vec<(String, String, usize)> = std::thread::scope(|scope| {
        let nodes = [&a, &b];
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let node = nodes[t % 2];
                scope.spawn(move || {
                    (0..5)
                        .map(|_| {
                            let (status, v) = post(&format!("{}/api/cases", node.base), None, FOOD_FORM);
                            assert_eq!((status, v["state"].as_str()), (201, Some("dispatched")), "{v}");
                            let text = |f: &str| v[f].as_str().expect("a string").to_owned();
                            (text("case_id"), text("tracking_token"), t % 2)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a filer")).collect()
    });
    eprintln!("{} cases filed by 4 threads over both nodes in {:.0} ms", filed.len(), t.elapsed().as_secs_f64() * 1e3);
    let mut per_day: std::collections::BTreeMap<&str, Vec<u32>> = Default::default();
    for (id, _, _) in &filed {
        let (day, n) = id.rsplit_once('-').expect("BJ-YYYYMMDD-NNNNNN");
        per_day.entry(day).or_default().push(n.parse().expect("a number"));
    }
    for numbers in per_day.values_mut() {
        numbers.sort_unstable();
        assert_eq!(*numbers, (1..=numbers.len() as u32).collect::<Vec<_>>(), "numbered 1, 2, 3… across nodes");
    }
    for (id, token, filed_on) in &filed {
        let other = [&a, &b][1 - filed_on];
        let seen = get(&format!("{}/api/cases/{id}", other.base), token);
        assert_eq!(
            (seen["case_id"].as_str(), seen["state"].as_str()),
            (Some(id.as_str()), Some("dispatched")),
            "{seen}"
        );
    }
    let listed_a = get(&format!("{}/api/cases?limit=100", a.base), &dongcheng);
    let listed_b = get(&format!("{}/api/cases?limit=100", b.base), &dongcheng);
    assert_eq!(listed_a["cases"].as_array().map(Vec::len), Some(filed.len()), "{listed_a}");
    assert_eq!(listed_a, listed_b);
}
