//! Sustained intake through the whole pipeline — store, validate, route, the district's routing plugin,
//! dispatch — over a socket, on SQLite and on PostgreSQL side by side. The service runs in this process;
//! the load comes from a separate process (this same binary re-run as the load generator) on loopback:
//! cases per second at saturation (16 connections), then p50 and p99 at fixed rates, latency counted
//! from when each request was due (an open-loop schedule, so a slow server is not hidden by a client
//! that waits). Writes `<target>/bench/intake.json`. Without `--bench` (the smoke run of
//! `cargo xtask test`), one short round on SQLite.

use minyi_registry::{Hook, Limits, Manifest, WIT_PACKAGE, signing};
use minyi_server::plugins::Plugins;
use minyi_server::{AppState, Guard, app};
use minyi_tests::postgres::Backend;
use sha2::Digest as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A heating outage in 望京: routed by the rule set, amended by 朝阳区's heating plugin. Each demand
/// comes from its own phone (`{phone}`), as a day's intake does: the same reporter over and over would
/// make every case a repeat of all the ones before.
const FORM: &str = r#"{"district":"110105","street":"110105026","channel":"web","kind":"complaint",
  "category":"utilities.heating.outage","title":"暖气不热","description":"家里暖气从昨天开始不热，室温只有十二度。",
  "address":"朝阳区望京西园三区3号楼","reporter":{"phone":"{phone}"},"consent":true,
  "received_at":"2026-11-29T10:00:00+08:00"}"#;

/// What the load generator is told (environment `MINYI_LOADGEN`, JSON).
#[derive(serde::Serialize, serde::Deserialize)]
struct Load {
    url: String,
    connections: usize,
    /// Requests per second in all, or 0: as fast as the server answers.
    rate: f64,
    secs: f64,
}

/// What it measured.
#[derive(serde::Serialize, serde::Deserialize, Debug)]
struct Measured {
    ok: usize,
    failed: usize,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// The load generator's process: `connections` threads posting the form, each on its own kept-alive
/// connection; prints what it measured as one JSON line.
fn generate(load: &Load) {
    let started = Instant::now() + Duration::from_millis(50);
    let end = started + Duration::from_secs_f64(load.secs);
    let threads: Vec<_> = (0..load.connections)
        .map(|i| {
            let (url, rate, n) = (load.url.clone(), load.rate, load.connections);
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                let (mut latencies, mut failed) = (Vec::new(), 0usize);
                let mut k = 0u64;
                loop {
                    // Open loop at a fixed rate: request k of this thread is due at a set time.
                    let due = if rate > 0.0 {
                        started + Duration::from_secs_f64((k as f64 * n as f64 + i as f64) / rate)
                    } else {
                        Instant::now().max(started)
                    };
                    if due >= end {
                        break;
                    }
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let form = FORM.replace("{phone}", &format!("138{:04}{:04}", i, k % 10_000));
                    let answer = agent.post(&url).header("Content-Type", "application/json").send(&form);
                    match answer {
                        Ok(mut res) if res.status().as_u16() == 201 => {
                            let _ = res.body_mut().read_to_vec();
                            latencies.push(due.elapsed());
                        }
                        _ => failed += 1,
                    }
                    k += 1;
                }
                (latencies, failed)
            })
        })
        .collect();
    let (mut all, mut failed) = (Vec::new(), 0);
    for t in threads {
        let (l, f) = t.join().expect("a load thread");
        all.extend(l);
        failed += f;
    }
    all.sort_unstable();
    let at = |q: f64| all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1))).copied();
    let ms = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1e3);
    let measured = Measured {
        ok: all.len(),
        failed,
        per_second: all.len() as f64 / load.secs,
        p50_ms: ms(at(0.50)),
        p99_ms: ms(at(0.99)),
    };
    println!("{}", serde_json::to_string(&measured).expect("JSON"));
}

/// Runs the load generator in its own process against `url`.
fn load(url: &str, connections: usize, rate: f64, secs: f64) -> Measured {
    let spec = serde_json::to_string(&Load { url: url.to_owned(), connections, rate, secs }).expect("JSON");
    let out = std::process::Command::new(std::env::current_exe().expect("this binary"))
        .env("MINYI_LOADGEN", spec)
        .output()
        .expect("the load generator runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.starts_with('{')).expect("a result line");
    serde_json::from_str(line).expect("the load generator's result")
}

/// The service on `db` — components, the Beijing rule set, the case store, the admins and 朝阳区's
/// heating plugin active — on a loopback port, unlimited; its intake URL.
fn serve(db: &str, rt: &tokio::runtime::Runtime) -> String {
    let runtime = Arc::new(minyi_runtime::Runtime::new(Default::default()).expect("components load"));
    let rules = runtime
        .compile_rules_shared(include_str!("../../../components/routing/rulesets/beijing.toml"))
        .expect("runs")
        .expect("compiles");
    let admins = Arc::new(minyi_auth::Admins::open_url(db).expect("admins"));
    let city = admins.authenticate(&admins.create_admin(None, None).expect("city")).expect("city");
    let chaoyang =
        admins.authenticate(&admins.create_admin(Some(&city), Some("110105")).expect("token")).expect("admin");
    let plugins = Plugins::open(db).expect("plugins");
    let (secret, public) = signing::generate().expect("key");
    plugins.registry.trust_key(&city, "110105", &public).expect("trust");
    let bytes = minyi_test_artifacts::PLUGINS
        .iter()
        .find(|(n, _, _)| *n == "chaoyang_heating")
        .map(|(_, _, b)| *b)
        .expect("built");
    let mut manifest = Manifest {
        name: "chaoyang-heating".into(),
        version: "1.0.0".into(),
        district: "110105".into(),
        hooks: vec![Hook::Routing],
        wit: WIT_PACKAGE.into(),
        limits: Limits::default(),
        config: Default::default(),
        sha256: hex_encode(&sha2::Sha256::digest(bytes)),
        signature: String::new(),
    };
    signing::sign(&mut manifest, &secret).expect("signs");
    plugins.registry.upload(&chaoyang, &manifest, bytes, &plugins.host).expect("uploads");
    plugins.registry.activate(&chaoyang, "110105", "chaoyang-heating", "1.0.0").expect("activates");
    plugins.registry.sync(&plugins.host).expect("syncs");
    let state = AppState {
        runtime,
        web_dir: PathBuf::from("/nonexistent"),
        rules: Some(Arc::new(rules)),
        plugins: Some(plugins),
        cases: Some(Arc::new(minyi_cases::CaseStore::open_url(db, minyi_cases::BEIJING).expect("cases"))),
        admins: Some(admins),
        clock: Default::default(),
        allow_origins: Vec::new(),
        guard: Guard::default().with_rate(None),
        classifier: None,
    };
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(async move {
        axum::serve(listener, app(state).into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });
    format!("http://{addr}/api/cases")
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    if let Ok(spec) = std::env::var("MINYI_LOADGEN") {
        return generate(&serde_json::from_str(&spec).expect("a load"));
    }
    let full = std::env::args().any(|a| a == "--bench");
    let (secs, rates): (f64, &[f64]) = if full { (5.0, &[100.0, 250.0, 500.0]) } else { (0.5, &[50.0]) };
    let backends: &[Backend] = if full { &[Backend::Sqlite, Backend::Postgres] } else { &[Backend::Sqlite] };
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rows = Vec::new();
    println!("{:<12} {:<16} {:>10} {:>8} {:>10} {:>10}", "store", "load", "cases/s", "failed", "p50 ms", "p99 ms");
    for backend in backends {
        let Some(db) = backend.database(dir.path(), "minyi_intake_bench") else {
            println!("{:<12} no server here (set MINYI_TEST_PG)", backend.name());
            continue;
        };
        let url = serve(&db, &rt);
        load(&url, 4, 0.0, 0.3); // warm up: connections, page cache, the plugin's first instances
        let mut runs = vec![("saturation".to_owned(), load(&url, 16, 0.0, secs))];
        for rate in rates {
            runs.push((format!("{rate:.0}/s"), load(&url, 16, *rate, secs)));
        }
        for (what, m) in runs {
            println!(
                "{:<12} {:<16} {:>10.0} {:>8} {:>10.2} {:>10.2}",
                backend.name(),
                what,
                m.per_second,
                m.failed,
                m.p50_ms,
                m.p99_ms
            );
            let name = format!("intake/{}/{what}", backend.name());
            rows.push(
                serde_json::json!({"name": format!("{name}/cases_per_s"), "value": m.per_second, "unit": "cases/s"}),
            );
            rows.push(serde_json::json!({"name": format!("{name}/p50"), "value": m.p50_ms, "unit": "ms"}));
            rows.push(serde_json::json!({"name": format!("{name}/p99"), "value": m.p99_ms, "unit": "ms"}));
            assert_eq!(m.failed, 0, "{what}: every demand answered 201");
        }
    }
    let out = target_dir().join("bench");
    std::fs::create_dir_all(&out).expect("bench folder");
    std::fs::write(out.join("intake.json"), serde_json::to_vec_pretty(&rows).expect("JSON")).expect("writes");
    // The services' stores hold blocking database clients, which may not be dropped inside the
    // runtime: the process ends with them.
    std::mem::forget(rt);
}
