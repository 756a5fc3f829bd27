//! `minyi eval-classify`: a category-suggestion model against a labelled CSV, through the classifier
//! core (`minyi-classify`).

use anyhow::Context as _;
use minyi_classify::{Model, Prediction, evaluate as score, read_csv};
use std::path::Path;
use std::process::ExitCode;

/// Suggests a category for every labelled row and prints how often the first suggestion was right,
/// per category and by confidence.
pub(super) fn evaluate(
    model: &Path,
    csv: &Path,
    text_cols: &[String],
    label_col: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(model).with_context(|| format!("--model {}", model.display()))?;
    let model = Model::from_bytes(&bytes).with_context(|| format!("--model {}", model.display()))?;
    let data = std::fs::read(csv).with_context(|| format!("--csv {}", csv.display()))?;
    let cols: Vec<&str> = text_cols.iter().map(String::as_str).collect();
    let rows = read_csv(&data, &cols, label_col).with_context(|| format!("--csv {}", csv.display()))?;
    let predictions: Vec<Prediction> = rows
        .iter()
        .filter(|(_, label)| !label.is_empty())
        .map(|(text, label)| {
            // A text the model cannot read (empty, too long) counts as a wrong answer.
            let first = model.suggest(text, None).ok().and_then(|s| s.top.into_iter().next());
            let (predicted, confidence) = first.map_or((String::new(), 0.0), |f| (f.category, f.confidence));
            Prediction { truth: label.clone(), predicted, confidence }
        })
        .collect();
    // The categories of the model and of the CSV: a label the model never learned is still counted.
    let mut labels = model.labels().to_vec();
    for p in &predictions {
        if !labels.contains(&p.truth) {
            labels.push(p.truth.clone());
        }
    }
    let evaluation = score(&labels, &predictions, model.about().abstain_below);
    if json {
        println!("{}", serde_json::to_string_pretty(&evaluation)?);
    } else {
        println!("{}", evaluation.report());
    }
    Ok(ExitCode::SUCCESS)
}
