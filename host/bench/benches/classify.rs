//! Category suggestion: a model trained on the real hotline messages in `../shared/data` (title and
//! message, first-level category), its size raw and gzipped (what the browser downloads), and the time
//! one suggestion takes for a message of 300 characters, p50 and p99: natively and in the classifier
//! component (the same model file loaded into it, every message answered the same by both before
//! timing; the same messages and rounds, interleaved round by round). Writes
//! `target/bench/classify.json`. Without `--bench`, a few rounds. Without `../shared` on a developer
//! machine it skips; under `CI=true` it fails.

use minyi_classify::{TrainOptions, read_csv, train};
use minyi_runtime::{Runtime, RuntimeConfig};
use std::hint::black_box;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let Some(path) = minyi_tests::shared::data("cn-hotline-messages.csv") else { return };
    let csv = std::fs::read(&path).expect("reads");
    let examples = read_csv(&csv, &["title", "text"], "category").expect("the columns");
    let started = Instant::now();
    let model = train(&examples, &TrainOptions::default()).expect("trains");
    let train_s = started.elapsed().as_secs_f64();
    let bytes = model.to_bytes();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes).expect("gzips");
    let gzipped = gz.finish().expect("gzips").len();
    // Messages of exactly 300 characters, cut from the labelled ones (repeated when shorter).
    let messages: Vec<String> = examples
        .iter()
        .filter(|(_, l)| !l.is_empty())
        .map(|(t, _)| t.chars().filter(|c| !c.is_whitespace()).cycle().take(300).collect())
        .collect();
    let runtime = Runtime::new(RuntimeConfig::default()).expect("components load");
    let started = Instant::now();
    let component = runtime.load_model(&bytes).expect("the component loads the model");
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    // Both answer every message the same (the JSON document is the whole suggestion) before timing.
    for m in &messages {
        let native = serde_json::to_string(&model.suggest(m, None).expect("native")).expect("JSON");
        assert_eq!(component.suggest_json(m, None).expect("component"), native, "{m}");
    }
    let rounds = if full { 20 } else { 1 };
    let (mut native_ns, mut component_ns) =
        (Vec::with_capacity(rounds * messages.len()), Vec::with_capacity(rounds * messages.len()));
    for _ in 0..rounds {
        for m in &messages {
            let t = Instant::now();
            black_box(model.suggest(black_box(m), None).ok());
            native_ns.push(t.elapsed().as_nanos() as u64);
        }
        for m in &messages {
            let t = Instant::now();
            black_box(component.suggest(black_box(m), None).ok());
            component_ns.push(t.elapsed().as_nanos() as u64);
        }
    }
    let at = |ns: &mut Vec<u64>, q: f64| {
        ns.sort_unstable();
        ns[((ns.len() as f64 - 1.0) * q).round() as usize] as f64 / 1e3
    };
    let (p50, p99) = (at(&mut native_ns, 0.5), at(&mut native_ns, 0.99));
    let (c50, c99) = (at(&mut component_ns, 0.5), at(&mut component_ns, 0.99));
    println!("\ncategory suggestion, trained on {} rows in {train_s:.1} s", examples.len());
    println!("model                {:>10} bytes, {gzipped:>8} gzipped ({} n-grams)", bytes.len(), model.features());
    println!("model load in the component  {load_ms:.1} ms");
    println!("suggest, 300 chars   {} messages × {rounds} rounds", messages.len());
    println!("  native             p50 {p50:>7.1} µs, p99 {p99:>7.1} µs");
    println!("  component          p50 {c50:>7.1} µs, p99 {c99:>7.1} µs ({:.2}× native)", c50 / p50);
    let rows = serde_json::json!([
        {"name": "classify/model_bytes", "value": bytes.len(), "unit": "bytes"},
        {"name": "classify/model_gzip_bytes", "value": gzipped, "unit": "bytes"},
        {"name": "classify/model_load_component_ms", "value": load_ms, "unit": "ms"},
        {"name": "classify/suggest_300_chars/native_p50", "value": p50, "unit": "us"},
        {"name": "classify/suggest_300_chars/native_p99", "value": p99, "unit": "us"},
        {"name": "classify/suggest_300_chars/component_p50", "value": c50, "unit": "us"},
        {"name": "classify/suggest_300_chars/component_p99", "value": c99, "unit": "us"},
        {"name": "classify/suggest_300_chars/component_over_native_p50", "value": c50 / p50, "unit": "ratio"},
        {"name": "classify/train_s", "value": train_s, "unit": "s"},
    ]);
    let out = target_dir().join("bench");
    std::fs::create_dir_all(&out).expect("bench folder");
    std::fs::write(out.join("classify.json"), serde_json::to_vec_pretty(&rows).expect("JSON")).expect("writes");
}
