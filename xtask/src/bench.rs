//! `cargo xtask bench`: runs the criterion benches, then prints one side-by-side table and writes
//! `target/bench/results.json` as `{"name", "value", "unit"}` rows (ratios included) for later comparison.

use anyhow::{Context as _, Result};
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct Row {
    name: String,
    value: f64,
    unit: &'static str,
}

/// Criterion benchmark ids, grouped as (what, native id, component id).
const PAIRS: &[(&str, &str, &str)] = &[
    ("validate", "validate/native", "validate/component"),
    ("validate_json", "validate_json/native", "validate_json/component"),
    ("validate_field", "validate_field/native", "validate_field/component"),
    ("route", "route/native", "route/component"),
    ("score_100", "score_100/native", "score_100/component"),
];
const INSTANTIATE: &[&str] = &["instantiate/validator", "instantiate/router", "instantiate/scorer"];

fn mean_ns(criterion: &Path, id: &str) -> Result<f64> {
    let path = criterion.join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)?;
    v["mean"]["point_estimate"].as_f64().with_context(|| format!("no mean in {}", path.display()))
}

/// Runs the benches and reports.
pub fn run() -> Result<()> {
    crate::setup::targets()?;
    // `cargo test --release … -- --bench` runs criterion for real while building with exactly the
    // profile and feature set of `cargo test --release`: wasmtime is not compiled a second time.
    crate::run(crate::cargo().args(["test", "--release", "--bench", "components", "--", "--bench"]))?;
    let root = crate::root();
    let criterion = root.join("target/criterion");
    let mut rows = Vec::new();
    println!("\n{:<28} {:>14} {:>14} {:>8}", "call", "native", "component", "ratio");
    for (what, native, component) in PAIRS {
        let n = mean_ns(&criterion, native)?;
        let c = mean_ns(&criterion, component)?;
        println!("{what:<28} {:>11.2} µs {:>11.2} µs {:>7.2}×", n / 1e3, c / 1e3, c / n);
        rows.push(Row { name: format!("{what}/native"), value: n / 1e3, unit: "us" });
        rows.push(Row { name: format!("{what}/component"), value: c / 1e3, unit: "us" });
        rows.push(Row { name: format!("{what}/component_over_native"), value: c / n, unit: "ratio" });
    }
    println!();
    for id in INSTANTIATE {
        let v = mean_ns(&criterion, id)?;
        println!("{id:<28} {:>11.2} µs", v / 1e3);
        rows.push(Row { name: (*id).to_owned(), value: v / 1e3, unit: "us" });
    }
    for (name, _, bytes) in minyi_artifacts::ALL {
        rows.push(Row { name: format!("size/{name}"), value: bytes.len() as f64, unit: "bytes" });
    }
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("results.json"), serde_json::to_vec_pretty(&rows)?)?;
    println!("\nwrote {}", out.join("results.json").display());
    Ok(())
}
