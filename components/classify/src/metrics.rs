//! How good the suggestions are: accuracy, macro-F1, the confusion matrix and the calibration
//! (reliability by confidence bucket), and what abstaining would cost and save.

use serde::Serialize;

/// One suggestion against the truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The category the row was labelled with.
    pub truth: String,
    /// The first suggested category (empty when the text could not be read).
    pub predicted: String,
    /// Its confidence.
    pub confidence: f32,
}

/// Suggestions whose confidence fell in `[from, to)`: how many, how confident, how often right.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Lower bound of the confidence.
    pub from: f32,
    /// Upper bound (the last bucket includes 1).
    pub to: f32,
    /// Suggestions in it.
    pub count: usize,
    /// Their mean confidence.
    pub confidence: f32,
    /// The share of them that were right.
    pub accuracy: f32,
}

/// The evaluation of a set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Predictions evaluated.
    pub count: usize,
    /// Share whose first suggestion is the truth.
    pub accuracy: f32,
    /// The F1 score of each category, averaged with equal weight.
    pub macro_f1: f32,
    /// Each category's F1, in `labels` order.
    pub f1: Vec<f32>,
    /// The categories, in the order of the matrix.
    pub labels: Vec<String>,
    /// `confusion[truth][predicted]`, in `labels` order.
    pub confusion: Vec<Vec<usize>>,
    /// Ten buckets of confidence, 0.0–0.1 … 0.9–1.0.
    pub reliability: Vec<Bucket>,
    /// Expected calibration error: the buckets' |accuracy − confidence|, weighted by their counts.
    pub ece: f32,
    /// The threshold below which a suggestion abstains.
    pub abstain_below: f32,
    /// Share of suggestions at or above the threshold.
    pub coverage: f32,
    /// Accuracy of those.
    pub accuracy_when_suggested: f32,
}

/// Evaluates `predictions` over `labels`.
pub fn evaluate(labels: &[String], predictions: &[Prediction], abstain_below: f32) -> Evaluation {
    let at = |l: &str| labels.iter().position(|x| x == l);
    let k = labels.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for p in predictions {
        if let (Some(t), Some(q)) = (at(&p.truth), at(&p.predicted)) {
            confusion[t][q] += 1;
        }
    }
    let right = predictions.iter().filter(|p| p.truth == p.predicted).count();
    let share = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f32 / b as f32 };
    let f1: Vec<f32> = (0..k)
        .map(|c| {
            let tp = confusion[c][c];
            let predicted = predictions.iter().filter(|p| p.predicted == labels[c]).count();
            let actual = predictions.iter().filter(|p| p.truth == labels[c]).count();
            let (precision, recall) = (share(tp, predicted), share(tp, actual));
            if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) }
        })
        .collect();
    let reliability: Vec<Bucket> = (0..10)
        .map(|b| {
            let (from, to) = (b as f32 / 10.0, (b + 1) as f32 / 10.0);
            let inside: Vec<&Prediction> = predictions
                .iter()
                .filter(|p| p.confidence >= from && (p.confidence < to || b == 9 && p.confidence <= 1.0))
                .collect();
            let n = inside.len();
            let confidence = if n == 0 { 0.0 } else { inside.iter().map(|p| p.confidence).sum::<f32>() / n as f32 };
            let accuracy = share(inside.iter().filter(|p| p.truth == p.predicted).count(), n);
            Bucket { from, to, count: n, confidence, accuracy }
        })
        .collect();
    let ece = reliability.iter().map(|b| share(b.count, predictions.len()) * (b.accuracy - b.confidence).abs()).sum();
    let suggested: Vec<&Prediction> = predictions.iter().filter(|p| p.confidence >= abstain_below).collect();
    Evaluation {
        count: predictions.len(),
        accuracy: share(right, predictions.len()),
        macro_f1: if k == 0 { 0.0 } else { f1.iter().sum::<f32>() / k as f32 },
        f1,
        labels: labels.to_vec(),
        confusion,
        reliability,
        ece,
        abstain_below,
        coverage: share(suggested.len(), predictions.len()),
        accuracy_when_suggested: share(suggested.iter().filter(|p| p.truth == p.predicted).count(), suggested.len()),
    }
}

impl Evaluation {
    /// The evaluation as a report a person reads: the figures, the confusion matrix, the calibration.
    pub fn report(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "rows {}  accuracy {:.1} %  macro-F1 {:.3}",
            self.count,
            self.accuracy * 100.0,
            self.macro_f1
        );
        let _ = writeln!(
            out,
            "abstaining below {:.2}: {:.1} % suggested, {:.1} % of those right",
            self.abstain_below,
            self.coverage * 100.0,
            self.accuracy_when_suggested * 100.0
        );
        let _ = writeln!(out, "\nconfusion (rows: labelled, columns: suggested)");
        let _ = write!(out, "{:>4}", "");
        for c in 0..self.labels.len() {
            let _ = write!(out, " {:>5}", format!("[{c}]"));
        }
        let _ = writeln!(out, "   F1");
        for (t, row) in self.confusion.iter().enumerate() {
            let _ = write!(out, "{:>4}", format!("[{t}]"));
            for n in row {
                let _ = write!(out, " {n:>5}");
            }
            let _ = writeln!(out, "  {:.3}  {}", self.f1[t], self.labels[t]);
        }
        let _ = writeln!(out, "\ncalibration (ECE {:.3})\n  confidence   rows   mean conf.   accuracy", self.ece);
        for b in self.reliability.iter().filter(|b| b.count > 0) {
            let _ = writeln!(
                out,
                "  {:.1}–{:.1}  {:>8}  {:>11.3}  {:>9.3}",
                b.from, b.to, b.count, b.confidence, b.accuracy
            );
        }
        out
    }
}
