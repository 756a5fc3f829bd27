//! `cargo xtask train` and `cargo xtask eval-classify`: category-suggestion models from labelled CSVs,
//! through the classifier core (`minyi-classify`), which does all the work.

use anyhow::{Context as _, Result};
use minyi_classify::{TrainOptions, read_csv};
use std::path::Path;

fn examples(data: &Path, text_cols: &[String], label_col: &str) -> Result<Vec<(String, String)>> {
    let csv = std::fs::read(data).with_context(|| format!("reading {}", data.display()))?;
    let cols: Vec<&str> = text_cols.iter().map(String::as_str).collect();
    Ok(read_csv(&csv, &cols, label_col)?)
}

/// Trains on `data` and writes the model to `out`.
pub fn train(data: &Path, text_cols: &[String], label_col: &str, out: &Path, seed: u64) -> Result<()> {
    let examples = examples(data, text_cols, label_col)?;
    let labelled = examples.iter().filter(|(_, l)| !l.is_empty()).count();
    let started = std::time::Instant::now();
    let model = minyi_classify::train(&examples, &TrainOptions { seed, ..TrainOptions::default() })?;
    let bytes = model.to_bytes();
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &bytes)?;
    let gzipped = gz.finish()?.len();
    println!(
        "trained on {labelled} labelled rows ({} without a label) in {:.1} s: {} categories, {} n-grams, \
         temperature {:.1}",
        examples.len() - labelled,
        started.elapsed().as_secs_f64(),
        model.labels().len(),
        model.features(),
        model.temperature()
    );
    println!("wrote {} ({} bytes, {} gzipped)", out.display(), bytes.len(), gzipped);
    Ok(())
}

/// `folds`-fold cross-validation on `data`: the report of every fold's predictions together.
pub fn cross_validate(data: &Path, text_cols: &[String], label_col: &str, folds: usize, seed: u64) -> Result<()> {
    let examples = examples(data, text_cols, label_col)?;
    let options = TrainOptions { seed, ..TrainOptions::default() };
    let (all, each) = minyi_classify::cross_validate(&examples, folds, &options)?;
    println!("{folds}-fold cross-validation on {}", data.display());
    for (i, f) in each.iter().enumerate() {
        println!("  fold {i}: accuracy {:.1} %, macro-F1 {:.3}", f.accuracy * 100.0, f.macro_f1);
    }
    println!("\n{}", all.report());
    Ok(())
}
