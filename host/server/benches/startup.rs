//! Start-up, end to end as a user meets it: the `minyi` binary run as a new process each round —
//! `minyi validate form.json` with the compiled-code cache warm and with it turned off, and `minyi serve`
//! on a fresh SQLite file until `GET /healthz` answers. p50 and p99 of the rounds, in milliseconds;
//! writes `<target>/bench/startup.json`. Without `--bench` (the smoke run of `cargo xtask test`), one
//! round each.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MINYI: &str = env!("CARGO_BIN_EXE_minyi");

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn form() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../components/examples/inputs/form.json")
}

/// `minyi validate FORM` with the given cache directory (or `off`): its wall time. The form is valid,
/// so anything but exit 0 fails the bench.
fn validate(cache: &str) -> Duration {
    let started = Instant::now();
    let out = Command::new(MINYI)
        .arg("validate")
        .arg(form())
        .env("MINYI_CACHE_DIR", cache)
        .env("RUST_LOG", "warn")
        .output()
        .expect("minyi runs");
    let took = started.elapsed();
    assert!(out.status.success(), "minyi validate: {}", String::from_utf8_lossy(&out.stderr));
    took
}

/// `minyi serve` on a fresh database in `dir`: the time from spawning it until `/healthz` answers 200.
fn serve_ready(dir: &Path, cache: &str, round: usize) -> Duration {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
    let started = Instant::now();
    let mut child = Command::new(MINYI)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--web", "/nonexistent", "--db"])
        .arg(dir.join(format!("startup-{round}.db")))
        .env("MINYI_CACHE_DIR", cache)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("minyi serve starts");
    let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(1))).build().into();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let ready = loop {
        if agent.get(&url).call().is_ok_and(|r| r.status().as_u16() == 200) {
            break started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "minyi serve never answered /healthz");
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("minyi serve exited: {status}");
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let _ = child.kill();
    let _ = child.wait();
    ready
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1;
    samples[i].as_secs_f64() * 1e3
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let rounds = if full { 20 } else { 1 };
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let cache = cache.to_str().expect("a UTF-8 temp path");
    // The first run fills the cache with the validator (what a fresh install pays once), and a first
    // `serve` with the other two: neither is a round.
    let first = validate(cache);
    serve_ready(dir.path(), cache, usize::MAX);
    let mut runs: Vec<(&str, Vec<Duration>)> = vec![
        ("startup/validate_cli/cached", (0..rounds).map(|_| validate(cache)).collect()),
        ("startup/validate_cli/uncached", (0..rounds.min(5)).map(|_| validate("off")).collect()),
        ("startup/serve_ready/cached", (0..rounds.min(10)).map(|r| serve_ready(dir.path(), cache, r)).collect()),
    ];
    let mut rows = vec![serde_json::json!({
        "name": "startup/validate_cli/first_run", "value": first.as_secs_f64() * 1e3, "unit": "ms",
    })];
    println!("{:<34} {:>6} {:>10} {:>10}", "start-up", "rounds", "p50 ms", "p99 ms");
    println!("{:<34} {:>6} {:>10.1} {:>10}", "startup/validate_cli/first_run", 1, first.as_secs_f64() * 1e3, "–");
    for (name, samples) in &mut runs {
        let (p50, p99) = (percentile(samples, 0.5), percentile(samples, 0.99));
        println!("{name:<34} {:>6} {p50:>10.1} {p99:>10.1}", samples.len());
        rows.push(serde_json::json!({"name": format!("{name}/p50"), "value": p50, "unit": "ms"}));
        rows.push(serde_json::json!({"name": format!("{name}/p99"), "value": p99, "unit": "ms"}));
    }
    let out = target_dir().join("bench");
    std::fs::create_dir_all(&out).expect("bench folder");
    std::fs::write(out.join("startup.json"), serde_json::to_vec_pretty(&rows).expect("JSON")).expect("writes");
}
