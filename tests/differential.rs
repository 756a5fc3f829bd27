//! Same bytes, same answers: generated case forms validated through the wasmtime host and through the
//! transpiled JS in Node (core modules cut from the same component bytes) give byte-identical JSON; and
//! the release bundle's Node and Python examples give the Rust host's answers byte for byte, and refuse
//! altered bytes.

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

/// The release bundle `cargo xtask dist` writes (`MINYI_DIST_DIR`, else `target/dist`).
fn bundle() -> PathBuf {
    let dir = std::env::var_os("MINYI_DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/dist"));
    assert!(
        dir.join("SHA256SUMS").exists(),
        "no release bundle in {}: run `cargo xtask test` (or `cargo xtask dist` first)",
        dir.display()
    );
    dir
}

/// The venv's Python with PyPI `wasmtime` (`MINYI_PYTHON`, else the venv `cargo xtask setup` makes).
fn python() -> PathBuf {
    let python = std::env::var_os("MINYI_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/py/bin/python"));
    assert!(python.exists(), "no {}: run `cargo xtask setup` (it installs PyPI wasmtime there)", python.display());
    python
}

fn sha256(bytes: &[u8]) -> String {
    minyi_transpile::sha256(bytes)
}

/// Every file of `dir`, relative, `/`-separated.
fn files(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("a folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files(&path, base, out);
        } else {
            out.push(path.strip_prefix(base).expect("inside").to_string_lossy().replace('\\', "/"));
        }
    }
}

/// Runs an example of the bundle at `dist` with explicit inputs: its stdout, or its stderr as the error.
fn example(dist: &std::path::Path, program: &std::path::Path, script: &str, month: &str) -> Result<String, String> {
    let inputs = dist.join("examples/inputs");
    let out = Command::new(program)
        .arg(dist.join(script))
        .arg(inputs.join("form.json"))
        .arg(inputs.join("month-2026-11.jsonl"))
        .arg(NOW)
        .arg(month)
        .output()
        .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()));
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).expect("UTF-8"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn node_and_python_give_the_rust_host_s_answers_from_the_release_bundle() {
    let dist = bundle();
    let month = "2026-11";

    // SHA256SUMS names every file of the bundle, each with its hash; the components are the host's bytes.
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).expect("SHA256SUMS");
    let mut listed = Vec::new();
    for line in sums.lines() {
        let (hash, file) = line.split_once("  ").expect("`<sha256>  <path>`");
        assert_eq!(sha256(&std::fs::read(dist.join(file)).expect("a listed file")), hash, "{file}");
        listed.push(file.to_owned());
    }
    let mut present = Vec::new();
    files(&dist, &dist, &mut present);
    present.retain(|f| f != "SHA256SUMS");
    present.sort();
    assert_eq!(listed, present, "SHA256SUMS lists every file, sorted");
    for doc in ["README.md", "embed-widget.md", "write-a-plugin.md", "node-and-python.md", "open311.md", "operate.md"] {
        assert!(present.contains(&format!("docs/{doc}")), "the bundle carries docs/{doc}");
    }
    let wit = std::fs::read_to_string(dist.join("wit/casework.wit")).expect("the WIT package");
    let version = wit
        .lines()
        .find_map(|l| l.strip_prefix("package minyi:casework@")?.strip_suffix(';'))
        .expect("a versioned package");
    for (name, _, bytes) in minyi_artifacts::ALL {
        assert_eq!(std::fs::read(dist.join(format!("components/{name}.wasm"))).expect("component"), *bytes);
        assert_eq!(std::fs::read(dist.join(format!("js/{name}/{name}.wasm"))).expect("package bytes"), *bytes);
        let package: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dist.join(format!("js/{name}/package.json"))).expect("package.json"))
                .expect("JSON");
        assert_eq!((package["version"].as_str(), package["type"].as_str()), (Some(version), Some("module")));
        for typed in [format!("js/{name}/{name}.d.ts"), format!("js/{name}/index.d.ts")] {
            assert!(dist.join(&typed).exists(), "{typed}");
        }
        let loader = std::fs::read_to_string(dist.join(format!("js/{name}/index.js"))).expect("index.js");
        assert!(!loader.contains(&*dist.to_string_lossy()), "{name}: no absolute path in the loader");
    }

    // The Rust host's answers on the same inputs, through the same component functions.
    let runtime = Runtime::new(RuntimeConfig::default()).expect("components load");
    let read = |f: &str| std::fs::read_to_string(dist.join(f)).expect("a bundle file");
    let (form, rules, events) =
        (read("examples/inputs/form.json"), read("rulesets/beijing.toml"), read("examples/inputs/month-2026-11.jsonl"));
    let validation = runtime.validate_json(&form, NOW).expect("validates");
    let context = minyi_runtime::bindings::types::CaseContext { repeat_count: 0 };
    let decision = runtime.route_once_json(&rules, &form, context).expect("routes");
    let board = runtime.open_scoreboard(&format!("{{\"month\":\"{month}\"}}")).expect("opens");
    board.add_cases_json(&minyi_server::scores::by_case(&events).expect("case events")).expect("adds");
    let ranking = board.ranking_json().expect("ranks");
    assert!(validation.contains("\"valid\":true"), "{validation}");
    assert!(decision.starts_with("{\"lead\":\"110105026\""), "{decision}");
    assert!(ranking.contains("\"cases\":10"), "{ranking}");
    let rust = format!("{validation}\n{decision}\n{ranking}\n");

    let (node, python) = (std::path::Path::new("node"), python());
    let from_node = example(&dist, node, "examples/node/example.mjs", month);
    assert_eq!(from_node.as_deref(), Ok(rust.as_str()), "Node");
    let from_python = example(&dist, &python, "examples/python/example.py", month);
    assert_eq!(from_python.as_deref(), Ok(rust.as_str()), "Python");
    eprintln!("Node, Python and the Rust host: the same {} bytes", rust.len());

    // Altered bytes are refused by both, before anything runs.
    let copy = tempfile::tempdir().expect("temp dir");
    let mut all = Vec::new();
    files(&dist, &dist, &mut all);
    for f in &all {
        let to = copy.path().join(f);
        std::fs::create_dir_all(to.parent().expect("a parent")).expect("mkdir");
        std::fs::copy(dist.join(f), &to).expect("copy");
    }
    for f in ["components/validator.wasm", "js/validator/validator.wasm"] {
        let mut bytes = std::fs::read(copy.path().join(f)).expect("bytes");
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        std::fs::write(copy.path().join(f), bytes).expect("tamper");
    }
    let from_node = example(copy.path(), node, "examples/node/example.mjs", month);
    assert!(from_node.as_ref().is_err_and(|e| e.contains("refusing to run them")), "{from_node:?}");
    let from_python = example(copy.path(), &python, "examples/python/example.py", month);
    assert!(from_python.as_ref().is_err_and(|e| e.contains("not the bytes SHA256SUMS names")), "{from_python:?}");
}
