//! `cargo xtask bench`: runs the criterion benches, the routing percentile bench and the scoring month
//! bench, then prints one side-by-side table and writes
//! `target/bench/results.json` as `{"name", "value", "unit"}` rows (ratios included) for later comparison.

use anyhow::{Context as _, Result};
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct Row {
    name: String,
    value: f64,
    unit: String,
}

/// Criterion groups: each has `native` and `component`, some a third-party `jsonschema` baseline.
const GROUPS: &[(&str, bool)] = &[
    ("validate", false),
    ("validate_json", true),
    ("validate_json_2000", true),
    ("validate_field", false),
    ("route", false),
    ("score_100", false),
];
const INSTANTIATE: &[&str] = &["instantiate/validator", "instantiate/router", "instantiate/scorer"];

/// A criterion benchmark's median (p50) time per iteration, like every other row: not its mean, which
/// one slow sample moves.
fn p50_ns(criterion: &Path, id: &str) -> Result<f64> {
    let path = criterion.join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)?;
    v["median"]["point_estimate"].as_f64().with_context(|| format!("no median in {}", path.display()))
}

/// Runs the benches and reports.
pub fn run() -> Result<()> {
    crate::setup::targets()?;
    crate::setup::componentize_py()?;
    let selection = crate::test_selection()?;
    // `cargo test --release … -- --bench` runs each bench for real with exactly the profile and package
    // selection of `cargo xtask test`: wasmtime is not compiled a second time. `components`: criterion,
    // every export vs native; `routing`: the 980-rule Beijing set, p50/p99, component vs native vs
    // regorus; `scoring`: 343 units over 2 M cases, component vs native; `plugins`: instantiate p50/p99,
    // a no-op hook's cost, a hot swap under load; `widget`: the embeddable widget's bytes on the wire (br,
    // gzip) against its 250 KiB budget. Each writes `<target>/bench/<name>.json`.
    // `intake`: the whole pipeline over a socket from a load generator in another process, SQLite and
    // PostgreSQL side by side: cases/s at saturation, p50/p99 at fixed rates. `startup` (minyi-server):
    // the `minyi` binary as a new process, `validate` with the code cache warm and off, `serve` until
    // it answers. `browser`: headless Chromium, the validator through its transpiled JS against ajv on the
    // same schema and forms, and the widget's first interaction. `classify`: a category-suggestion model
    // trained on the real hotline messages, its size and one suggestion's time.
    let postgres = crate::setup::postgres().map_err(|e| eprintln!("intake on PostgreSQL skipped: {e:#}")).ok();
    for bench in ["components", "routing", "scoring", "plugins", "widget", "intake", "startup", "browser", "classify"] {
        let mut cmd = crate::cargo();
        cmd.args(["test", "--release"]).args(&selection).args(["--bench", bench, "--", "--bench"]);
        if let Some(url) = &postgres {
            cmd.env("MINYI_TEST_PG", url);
        }
        crate::run(&mut cmd)?;
    }
    let criterion = crate::target_dir().join("criterion");
    let mut rows = Vec::new();
    println!(
        "\n{:<22} {:>11} {:>11} {:>11} {:>10} {:>12}",
        "call (p50)", "native", "component", "jsonschema", "comp/nat", "comp/jsonsch"
    );
    for (what, baseline) in GROUPS {
        let n = p50_ns(&criterion, &format!("{what}/native"))?;
        let c = p50_ns(&criterion, &format!("{what}/component"))?;
        rows.push(Row { name: format!("{what}/native"), value: n / 1e3, unit: "us".into() });
        rows.push(Row { name: format!("{what}/component"), value: c / 1e3, unit: "us".into() });
        rows.push(Row { name: format!("{what}/component_over_native"), value: c / n, unit: "ratio".into() });
        let (j, over) = if *baseline {
            let j = p50_ns(&criterion, &format!("{what}/jsonschema"))?;
            rows.push(Row { name: format!("{what}/jsonschema"), value: j / 1e3, unit: "us".into() });
            rows.push(Row { name: format!("{what}/component_over_jsonschema"), value: c / j, unit: "ratio".into() });
            (format!("{:.2} µs", j / 1e3), format!("{:.2}×", c / j))
        } else {
            ("–".to_owned(), "–".to_owned())
        };
        println!("{what:<22} {:>8.2} µs {:>8.2} µs {j:>11} {:>9.2}× {over:>12}", n / 1e3, c / 1e3, c / n);
    }
    println!();
    for id in INSTANTIATE {
        let v = p50_ns(&criterion, id)?;
        println!("{id:<28} {:>11.2} µs", v / 1e3);
        rows.push(Row { name: (*id).to_owned(), value: v / 1e3, unit: "us".into() });
    }
    for name in ["validator", "router", "scorer", "classifier"] {
        let bytes = crate::component_bytes(name)?;
        rows.push(Row { name: format!("size/{name}"), value: bytes.len() as f64, unit: "bytes".into() });
    }
    let out = crate::target_dir().join("bench");
    std::fs::create_dir_all(&out)?;
    for file in [
        "routing.json",
        "scoring.json",
        "plugins.json",
        "widget.json",
        "intake.json",
        "startup.json",
        "browser.json",
        "classify.json",
    ] {
        let text = std::fs::read_to_string(out.join(file)).with_context(|| format!("reading target/bench/{file}"))?;
        let measured: Vec<serde_json::Value> = serde_json::from_str(&text)?;
        println!();
        for r in &measured {
            let (name, value, unit) = (
                r["name"].as_str().unwrap_or_default(),
                r["value"].as_f64().unwrap_or_default(),
                r["unit"].as_str().unwrap_or_default(),
            );
            let shown = match unit {
                "ratio" => "×",
                "us" => "µs",
                "cases/s" => "cases/s",
                other => other,
            };
            println!("{name:<44} {value:>10.2} {shown}");
            rows.push(Row { name: name.to_owned(), value, unit: unit.to_owned() });
        }
    }
    std::fs::write(out.join("results.json"), serde_json::to_vec_pretty(&rows)?)?;
    println!("\nwrote {}", out.join("results.json").display());
    Ok(())
}
