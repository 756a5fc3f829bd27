//! Category suggestion: a model trained on the real hotline messages in `../shared/data` (title and
//! message, first-level category), its size raw and gzipped (what the browser downloads), and the time
//! one suggestion takes for a message of 300 characters, p50 and p99. Writes
//! `target/bench/classify.json`. Without `--bench`, a few rounds. Without `../shared` on a developer
//! machine it skips; under `CI=true` it fails.

use minyi_classify::{TrainOptions, read_csv, train};
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
    let rounds = if full { 20 } else { 1 };
    let mut ns = Vec::with_capacity(rounds * messages.len());
    for m in &messages {
        black_box(model.suggest(m, None).ok()); // warm-up
    }
    for _ in 0..rounds {
        for m in &messages {
            let t = Instant::now();
            black_box(model.suggest(black_box(m), None).ok());
            ns.push(t.elapsed().as_nanos() as u64);
        }
    }
    ns.sort_unstable();
    let at = |q: f64| ns[((ns.len() as f64 - 1.0) * q).round() as usize] as f64 / 1e3;
    let (p50, p99) = (at(0.5), at(0.99));
    println!("\ncategory suggestion, trained on {} rows in {train_s:.1} s", examples.len());
    println!("model                {:>10} bytes, {gzipped:>8} gzipped ({} n-grams)", bytes.len(), model.features());
    println!("suggest, 300 chars   p50 {p50:.1} µs, p99 {p99:.1} µs (native; {} messages × {rounds})", messages.len());
    let rows = serde_json::json!([
        {"name": "classify/model_bytes", "value": bytes.len(), "unit": "bytes"},
        {"name": "classify/model_gzip_bytes", "value": gzipped, "unit": "bytes"},
        {"name": "classify/suggest_300_chars/native_p50", "value": p50, "unit": "us"},
        {"name": "classify/suggest_300_chars/native_p99", "value": p99, "unit": "us"},
        {"name": "classify/train_s", "value": train_s, "unit": "s"},
    ]);
    let out = target_dir().join("bench");
    std::fs::create_dir_all(&out).expect("bench folder");
    std::fs::write(out.join("classify.json"), serde_json::to_vec_pretty(&rows).expect("JSON")).expect("writes");
}
