//! District plugins: instantiating a plugin from its pre-instantiated form (p50/p99, with and without
//! batched decommits), what a no-op hook adds to one case, a validation hook in Rust vs in Python, and a
//! hot swap under a steady load with the number of failed calls. Writes
//! `target/bench/plugins.json`.
//!
//! `cargo bench --bench plugins` (or `cargo xtask bench`) measures; without `--bench` it is a quick smoke run.

use minyi_plugins::{Grants, PluginHost, PluginHostConfig, PluginLimits, PluginSpec};
use minyi_runtime::bindings::types as wit;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn plugin(name: &str) -> &'static [u8] {
    minyi_test_artifacts::PLUGINS.iter().find(|(n, _, _)| *n == name).map(|(_, _, b)| *b).expect("plugin built")
}

fn spec(name: &str, district: &str, version: &str, mode: &str) -> PluginSpec {
    PluginSpec {
        name: name.into(),
        version: version.into(),
        grants: Grants {
            district: district.into(),
            config: [("mode".to_owned(), mode.to_owned())].into_iter().collect(),
            now: Some("2026-11-29T10:00:00+08:00".into()),
            units: Default::default(),
            clock_tape: Vec::new(),
            wasi_clock_tape: Vec::new(),
        },
        limits: PluginLimits::default(),
    }
}

fn form() -> wit::CaseForm {
    wit::CaseForm {
        district: "110105".into(),
        street: Some("110105026".into()),
        channel: wit::Channel::Web,
        kind: wit::Kind::Complaint,
        category: Some("utilities.heating.outage".into()),
        title: "暖气不热".into(),
        description: "家里暖气不热".into(),
        address: "望京西园三区".into(),
        location: None,
        reporter: None,
        attributes: vec![],
        attachments: vec![],
        consent: true,
        received_at: "2026-11-29T10:00:00+08:00".into(),
    }
}

fn decision() -> wit::RoutingDecision {
    wit::RoutingDecision {
        lead: "bj.heating".into(),
        co_handlers: vec![],
        tier: wit::SlaTier::Urgent,
        deadline: "2026-11-30T10:00:00+08:00".into(),
        priority: 2,
        tags: vec![],
        escalate: vec![],
        manual: false,
        explanation: wit::Explanation { fired: vec![], near_misses: vec![] },
    }
}

fn percentiles(mut us: Vec<f64>) -> (f64, f64) {
    us.sort_by(f64::total_cmp);
    (us[us.len() / 2], us[(us.len() * 99 / 100).min(us.len() - 1)])
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let (n, swap_ms) = if measuring { (20_000, 3_000) } else { (200, 100) };
    let host = Arc::new(PluginHost::new(PluginHostConfig::default()).expect("plugin host"));
    let hostile = host.compile(plugin("hostile")).expect("compiles");
    host.activate(hostile.clone(), spec("hostile", "110105", "1", "behave")).expect("activates");

    let time = |f: &dyn Fn()| {
        (0..n)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect::<Vec<_>>()
    };
    let (i50, i99) = percentiles(time(&|| {
        host.instantiate("110105").expect("loaded").expect("instantiates");
    }));
    // Side by side: the same plugin on a host that gives each slot's memory back at once.
    let unbatched =
        PluginHost::new(PluginHostConfig { decommit_batch: 1, ..PluginHostConfig::default() }).expect("plugin host");
    let compiled = unbatched.compile(plugin("hostile")).expect("compiles");
    unbatched.activate(compiled, spec("hostile", "110105", "1", "behave")).expect("activates");
    let (u50, u99) = percentiles(time(&|| {
        unbatched.instantiate("110105").expect("loaded").expect("instantiates");
    }));
    drop(unbatched);
    let f = form();
    let base = decision();
    let (h50, h99) = percentiles(time(&|| {
        let out = host.amend_route("110105", None, &f, base.clone());
        assert!(out.fault.is_none());
    }));
    let (none50, _) = percentiles(time(&|| {
        let out = host.amend_route("110199", None, &f, base.clone());
        assert!(!out.applied);
    }));

    // A validation hook in Rust (海淀 building number) and one in Python (东城 shop name, componentize-py),
    // each on a form its rule refuses, side by side.
    let mut food = form();
    food.district = "110101".into();
    food.category = Some("market.food.restaurants".into());
    let mut property = form();
    property.district = "110108".into();
    property.category = Some("housing.property.service".into());
    let rust = host.compile(plugin("haidian_building")).expect("compiles");
    host.activate(rust, spec("haidian-building", "110108", "1", "")).expect("activates");
    let python = host.compile(plugin("dongcheng_food_py")).expect("compiles");
    host.activate(python, spec("dongcheng-food", "110101", "1", "")).expect("activates");
    let hook_n = if measuring { 500 } else { 5 };
    let time_hook = |district: &str, f: &wit::CaseForm| {
        let us: Vec<f64> = (0..hook_n)
            .map(|_| {
                let t = Instant::now();
                let out = host.extra_issues(district, None, f);
                assert!(out.fault.is_none() && out.value.len() == 1, "{out:?}");
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        percentiles(us)
    };
    let (r50, r99) = time_hook("110108", &property);
    let (p50, p99) = time_hook("110101", &food);

    // Hot swap under a steady load: two threads call the routing hook while the main thread swaps
    // versions back and forth every millisecond.
    let heating = host.compile(plugin("chaoyang_heating")).expect("compiles");
    host.activate(heating.clone(), spec("chaoyang-heating", "110105", "1", "")).expect("activates");
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (host, stop, f, base) = (Arc::clone(&host), Arc::clone(&stop), form(), decision());
            std::thread::spawn(move || {
                let (mut ok, mut failed) = (0u64, 0u64);
                while !stop.load(Ordering::Relaxed) {
                    let out = host.amend_route("110105", None, &f, base.clone());
                    if out.applied && out.fault.is_none() { ok += 1 } else { failed += 1 }
                }
                (ok, failed)
            })
        })
        .collect();
    let started = Instant::now();
    let mut swaps = 0u64;
    while started.elapsed() < Duration::from_millis(swap_ms) {
        host.activate(heating.clone(), spec("chaoyang-heating", "110105", &swaps.to_string(), "")).expect("activates");
        swaps += 1;
        std::thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Relaxed);
    let (ok, failed) =
        workers.into_iter().map(|w| w.join().expect("worker")).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert_eq!(failed, 0, "a hot swap failed a call");

    println!("\nplugins, {n} calls each");
    println!("{:<44} {:>9} {:>9}", "", "p50 µs", "p99 µs");
    println!("{:<44} {i50:>9.2} {i99:>9.2}", "instantiate from the pre-instantiated plugin");
    println!("{:<44} {u50:>9.2} {u99:>9.2}", "  the same, decommits not batched");
    println!("{:<44} {:>9.2}", "  batched / not batched, p50", i50 / u50);
    println!("{:<44} {h50:>9.2} {h99:>9.2}", "no-op routing hook (instantiate + call)");
    println!("{:<44} {none50:>9.2}", "district without a plugin (lookup only)");
    println!("{:<44} {r50:>9.2} {r99:>9.2}", format!("validation hook in Rust ({hook_n} calls)"));
    println!("{:<44} {p50:>9.2} {p99:>9.2}", "validation hook in Python, componentize-py");
    println!("{:<44} {:>9.1}", "  Python / Rust, p50", p50 / r50);
    println!("hot swap: {swaps} swaps in {swap_ms} ms under 2 callers: {ok} calls, {failed} failed");
    if measuring {
        let rows = serde_json::json!([
            {"name": "plugin/instantiate_p50", "value": i50, "unit": "us"},
            {"name": "plugin/instantiate_p99", "value": i99, "unit": "us"},
            {"name": "plugin/instantiate_unbatched_p50", "value": u50, "unit": "us"},
            {"name": "plugin/instantiate_unbatched_p99", "value": u99, "unit": "us"},
            {"name": "plugin/noop_hook_p50", "value": h50, "unit": "us"},
            {"name": "plugin/noop_hook_p99", "value": h99, "unit": "us"},
            {"name": "plugin/no_plugin_p50", "value": none50, "unit": "us"},
            {"name": "plugin/rust_validation_hook_p50", "value": r50, "unit": "us"},
            {"name": "plugin/python_validation_hook_p50", "value": p50, "unit": "us"},
            {"name": "plugin/python_validation_hook_p99", "value": p99, "unit": "us"},
            {"name": "plugin/hot_swaps", "value": swaps as f64, "unit": "count"},
            {"name": "plugin/hot_swap_calls", "value": ok as f64, "unit": "count"},
            {"name": "plugin/hot_swap_failed_calls", "value": failed as f64, "unit": "count"},
        ]);
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("bench");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("plugins.json"), serde_json::to_vec_pretty(&rows).unwrap_or_default());
    }
}
