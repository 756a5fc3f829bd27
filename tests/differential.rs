//! Same bytes, same answers: generated case forms validated through the wasmtime host and through the
//! transpiled JS in Node (core modules cut from the same component bytes) give byte-identical JSON.

use minyi_runtime::{CallError, Runtime, RuntimeConfig};
use std::path::PathBuf;
use std::process::Command;

const NOW: &str = "2026-11-30T12:00:00+08:00";
const FORMS: usize = 600;

fn site() -> PathBuf {
    let dir = std::env::var_os("MINYI_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site"));
    assert!(
        dir.join("components/validator/manifest.json").exists(),
        "no transpiled validator in {}: run `cargo xtask test` (or `cargo xtask dist` first)",
        dir.display()
    );
    dir
}

#[test]
fn wasmtime_and_node_give_byte_identical_results() {
    let forms = minyi_tests::forms::generate(FORMS, 20261129);
    let runtime = Runtime::new(RuntimeConfig::default()).expect("components load");
    let host: Vec<serde_json::Value> = forms
        .iter()
        .map(|f| match runtime.validate_json(f, NOW) {
            Ok(json) => serde_json::json!({ "ok": json }),
            Err(CallError::Input { code, message }) => {
                serde_json::json!({ "err": { "code": code, "message": message } })
            }
            Err(e) => panic!("runtime failure on {f}: {e}"),
        })
        .collect();

    let dir = std::env::temp_dir().join(format!("minyi-differential-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let forms_path = dir.join("forms.json");
    std::fs::write(&forms_path, serde_json::to_vec(&forms).expect("serialise")).expect("write forms");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node/differential.mjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(site())
        .arg(minyi_artifacts::VALIDATOR)
        .arg(&forms_path)
        .arg(NOW)
        .output()
        .expect("node runs (Node.js is part of this machine's image)");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "node failed: {}", String::from_utf8_lossy(&out.stderr));
    let node: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("node printed JSON");

    assert_eq!(node.len(), FORMS);
    let (mut valid, mut invalid, mut rejected) = (0, 0, 0);
    for (i, (h, n)) in host.iter().zip(&node).enumerate() {
        assert_eq!(h, n, "form {i} differs: {}", forms[i]);
        match h.get("ok").and_then(|j| j.as_str()) {
            Some(json) if json.contains("\"valid\":true") => valid += 1,
            Some(_) => invalid += 1,
            None => rejected += 1,
        }
    }
    eprintln!(
        "{FORMS} forms identical in wasmtime and Node: {valid} valid, {invalid} invalid, {rejected} rejected input"
    );
    assert!(valid > 0 && invalid > 0 && rejected > 0, "the generator covers every outcome");
}
