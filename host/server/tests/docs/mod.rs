//! The docs under `host/server/docs/` run as written: every ```sh block of a doc, in order, in one
//! `bash -euo pipefail`, from a fresh folder laid out like a checkout (`target` → this build's target
//! dir, so `target/release/minyi`, `target/site`, `target/dist`, `target/py` and `target/js-tools` are
//! what `cargo xtask test` made; `cargo xtask …` → the xtask binary). A command that fails fails the doc.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The docs, in the order they run (one at a time: they serve on the ports 8345–8347).
const DOCS: &[&str] = &["operate.md", "open311.md", "embed-widget.md", "node-and-python.md", "write-a-plugin.md"];

/// The longest a doc may take (a plugin's first Rust build included).
const DOC_TIMEOUT: Duration = Duration::from_secs(900);

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")
}

/// The build's target dir (`…/release/minyi` → `…`).
fn target_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_minyi"));
    bin.parent().and_then(Path::parent).expect("the minyi binary is in a profile dir").to_path_buf()
}

/// The ```sh blocks of a Markdown text, in order.
fn sh_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an unclosed ```sh block");
    blocks
}

#[test]
fn every_doc_is_run_and_has_commands() {
    let mut found: Vec<String> = std::fs::read_dir(docs_dir())
        .expect("host/server/docs")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md") && n != "README.md")
        .collect();
    found.sort();
    let mut listed: Vec<String> = DOCS.iter().map(|d| (*d).to_owned()).collect();
    listed.sort();
    assert_eq!(found, listed, "every doc is in DOCS, and every one of DOCS exists");
    let index = std::fs::read_to_string(docs_dir().join("README.md")).expect("docs/README.md");
    for doc in DOCS {
        assert!(index.contains(&format!("({doc})")), "docs/README.md links {doc}");
        let text = std::fs::read_to_string(docs_dir().join(doc)).expect("a doc");
        assert!(!sh_blocks(&text).is_empty(), "{doc} has commands");
    }
    assert_eq!(sh_blocks("a\n```sh\necho 1\n```\n```text\nno\n```\n```sh\necho 2\n```\n"), ["echo 1\n", "echo 2\n"]);
}

/// Writes `dir/bin/cargo`: `cargo xtask ARGS` runs the xtask binary `cargo xtask test` runs
/// (`MINYI_XTASK`, else through cargo on this checkout); anything else is cargo's.
fn cargo_shim(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let xtask = match std::env::var("MINYI_XTASK") {
        Ok(x) => format!("exec '{x}' \"$@\""),
        Err(_) => format!(
            "exec '{cargo}' run --quiet --manifest-path '{}' --package xtask -- \"$@\"",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml").display()
        ),
    };
    let script = format!("#!/bin/sh\nif [ \"$1\" = xtask ]; then shift; {xtask}; fi\nexec '{cargo}' \"$@\"\n");
    let path = bin.join("cargo");
    std::fs::write(&path, script).expect("write the shim");
    let chmod = Command::new("chmod").arg("+x").arg(&path).status().expect("chmod runs");
    assert!(chmod.success());
    bin
}

/// Runs one doc; panics with its output when a command fails.
fn run_doc(doc: &str, pg: Option<&str>) {
    for port in [8345, 8346, 8347] {
        assert!(
            std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "{doc}: port {port} is taken (a `cargo xtask run`?): the docs serve on 8345–8347"
        );
    }
    let text = std::fs::read_to_string(docs_dir().join(doc)).expect("a doc");
    let script = format!(
        "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\nset -x\n{}",
        sh_blocks(&text).concat()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::symlink(target_dir(), dir.path().join("target")).expect("target link");
    let bin = cargo_shim(dir.path());
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(&script).current_dir(dir.path()).env("PATH", path).env("RUST_LOG", "warn");
    for var in ["MINYI_SERVER", "MINYI_TOKEN", "MINYI_DB", "MINYI_LISTEN", "MINYI_RULES", "PG"] {
        cmd.env_remove(var);
    }
    if let Some(pg) = pg {
        cmd.env("PG", pg);
    }
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("bash runs");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > DOC_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let tail = |s: &str| s.lines().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    match status {
        Some(s) if s.success() => {
            let commands = stderr.lines().filter(|l| l.starts_with("+ ")).count();
            eprintln!("{doc}: {commands} shell commands executed in {:.0?}", started.elapsed());
        }
        Some(s) => panic!(
            "{doc}: a command failed ({s})\n--- stdout\n{}\n--- stderr (last lines)\n{}",
            tail(&stdout),
            tail(&stderr)
        ),
        None => panic!("{doc}: still running after {DOC_TIMEOUT:?}\n--- stderr (last lines)\n{}", tail(&stderr)),
    }
}

#[test]
fn the_docs_commands_run_as_written() {
    let pg = minyi_tests::postgres::server().map(|server| minyi_tests::postgres::fresh_database(&server, "docs"));
    for doc in DOCS {
        match (*doc, &pg) {
            ("operate.md", None) => eprintln!("skipped: {doc} needs PostgreSQL (MINYI_TEST_PG)"),
            _ => run_doc(doc, pg.as_deref()),
        }
    }
}
