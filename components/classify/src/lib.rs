//! Pure core of category suggestion (智能分拨): free text in, the three likeliest categories out with
//! calibrated confidences, an abstention below a threshold, and the character n-grams that weighed
//! most — an explanation an operator can read.
//!
//! The model: character unigrams and bigrams (Chinese has no spaces between words), TF-IDF weighted
//! and length-normalised, then a linear classifier — one weight per n-gram and category, so the
//! evidence for a suggestion is a list of n-grams with their weights. Trained by SGD on the multiclass
//! hinge loss in a seeded order (the same data and seed give the same bytes; 5-fold on real hotline
//! messages: 86 % against 83 % for a logistic loss), weights stored as 8-bit integers with a scale per
//! category; confidences are the softmax of the scores at a temperature fitted on a held-out fifth.
//! The label set comes from the data: a city trains its own tree.
#![deny(missing_docs)]

mod data;
mod format;
mod metrics;
pub mod text;
mod train;

pub use data::{DataError, read_csv};
pub use format::{ModelError, sha256_hex};
pub use metrics::{Bucket, Evaluation, Prediction, evaluate};
pub use train::{TrainError, TrainOptions, cross_validate, train};

use serde::Serialize;

/// The largest text a suggestion reads, in bytes; longer is refused (a demand is a few hundred
/// characters; a megabyte is not a demand).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// How many categories a suggestion ranks.
pub const TOP: usize = 3;

/// How many n-grams an explanation names.
pub const EXPLAIN: usize = 8;

/// A trained model: its categories, its n-grams with their inverse document frequency, a weight per
/// (category, n-gram) and a bias per category, and the temperature that calibrates its confidences.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub(crate) labels: Vec<String>,
    /// The n-grams, in the order of their numbers; `index` finds one by its number.
    pub(crate) grams: Vec<String>,
    pub(crate) index: text::Index,
    pub(crate) idf: Vec<f32>,
    /// `weights[label][gram]`, quantised: the weight is `q as f32 * scale[label]`.
    pub(crate) weights: Vec<Vec<i8>>,
    pub(crate) scale: Vec<f32>,
    pub(crate) bias: Vec<f32>,
    /// The weights as a suggestion reads them, derived from `weights` and `scale`.
    pub(crate) dense: Dense,
    pub(crate) temperature: f32,
    /// What the model was trained on and how: kept in the file.
    pub(crate) about: About,
}

/// The weights laid out for a suggestion: a row per n-gram with one weight per category
/// (dequantised), and the same row minus its mean (how much the n-gram speaks for one category
/// against the others: the evidence). One pass over a text's n-grams reads both.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Dense {
    pub(crate) weights: Vec<f32>,
    pub(crate) centred: Vec<f32>,
}

impl Dense {
    pub(crate) fn of(weights: &[Vec<i8>], scale: &[f32]) -> Dense {
        let (k, v) = (weights.len(), weights.first().map_or(0, Vec::len));
        let mut dense = Dense { weights: vec![0.0; k * v], centred: vec![0.0; k * v] };
        if k == 0 {
            return dense;
        }
        let rows = dense.weights.chunks_exact_mut(k).zip(dense.centred.chunks_exact_mut(k));
        for (f, (row, centred)) in rows.enumerate() {
            for (c, w) in row.iter_mut().enumerate() {
                *w = f32::from(weights[c][f]) * scale[c];
            }
            let mean = row.iter().sum::<f32>() / k as f32;
            for (centred, w) in centred.iter_mut().zip(row.iter()) {
                *centred = w - mean;
            }
        }
        dense
    }
}

/// What a model file says of itself.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct About {
    /// Labelled rows it was trained on.
    pub rows: usize,
    /// The training options (the seed included).
    pub options: TrainOptions,
    /// The confidence below which a suggestion abstains, unless the caller says otherwise.
    pub abstain_below: f32,
}

/// A category with its confidence (0–1; the confidences of all categories sum to 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    /// The category, as the training data names it.
    pub category: String,
    /// The calibrated probability that it is the right one.
    pub confidence: f32,
}

/// An n-gram of the text and how much it weighed toward the first category (its TF-IDF value times
/// its weight, less its mean weight over the categories).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The n-gram, as normalised (digits read as `0`).
    pub gram: String,
    /// Its contribution to the first category's score.
    pub weight: f32,
}

/// A suggestion: the likeliest categories, whether it abstains, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// The [`TOP`] likeliest categories, likeliest first.
    pub top: Vec<Scored>,
    /// True when the first confidence is below `threshold`: the category is left to a person.
    pub abstained: bool,
    /// The confidence a suggestion needs.
    pub threshold: f32,
    /// The n-grams that weighed most toward the first category, heaviest first.
    pub evidence: Vec<Evidence>,
}

/// Why a text gets no suggestion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    /// Nothing to read: empty, or only spaces and control characters.
    #[error("text: empty — there is nothing to suggest a category from (内容为空，无法推荐分类)")]
    Empty,
    /// Longer than [`MAX_TEXT_BYTES`].
    #[error("text: {bytes} bytes is too long for a suggestion; at most {max} are read (内容过长)")]
    TooLong {
        /// The text's length.
        bytes: usize,
        /// [`MAX_TEXT_BYTES`].
        max: usize,
    },
}

impl ClassifyError {
    /// The stable code for clients: `empty-text` or `text-too-long`.
    pub fn code(&self) -> &'static str {
        match self {
            ClassifyError::Empty => "empty-text",
            ClassifyError::TooLong { .. } => "text-too-long",
        }
    }
}

impl Model {
    /// The categories it knows, in its order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// How many n-grams it reads.
    pub fn features(&self) -> usize {
        self.grams.len()
    }

    /// What it was trained on and how.
    pub fn about(&self) -> &About {
        &self.about
    }

    /// The temperature its scores are divided by before the softmax.
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// The text's features: (n-gram index, TF-IDF value), length-normalised; n-grams the model does not
    /// know are left out.
    pub(crate) fn vector(&self, chars: &[char]) -> Vec<(u32, f32)> {
        let mut found: Vec<u32> = Vec::with_capacity(chars.len() * 2);
        text::each_gram(chars, |g| {
            if let Some(&i) = self.index.get(&g) {
                found.push(i);
            }
        });
        found.sort_unstable();
        weigh(&counted(&found), &self.idf)
    }

    /// Each category's score (before the temperature) for a feature vector.
    pub(crate) fn scores(&self, x: &[(u32, f32)]) -> Vec<f32> {
        let k = self.labels.len();
        let mut scores = self.bias.clone();
        for &(f, v) in x {
            let row = &self.dense.weights[f as usize * k..(f as usize + 1) * k];
            for (s, w) in scores.iter_mut().zip(row) {
                *s += w * v;
            }
        }
        scores
    }

    /// The calibrated confidences of every category for `text`, in the model's label order.
    pub fn confidences(&self, text: &str) -> Result<Vec<f32>, ClassifyError> {
        let chars = read(text)?;
        let x = self.vector(&chars);
        Ok(softmax(&self.scores(&x), self.temperature))
    }

    /// Suggests categories for `text`, abstaining below `threshold` (the model's own when `None`).
    pub fn suggest(&self, text: &str, threshold: Option<f32>) -> Result<Suggestion, ClassifyError> {
        let chars = read(text)?;
        let x = self.vector(&chars);
        let p = softmax(&self.scores(&x), self.temperature);
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
        let top: Vec<Scored> =
            order.iter().take(TOP).map(|&c| Scored { category: self.labels[c].clone(), confidence: p[c] }).collect();
        let threshold = threshold.unwrap_or(self.about.abstain_below);
        let abstained = top.first().is_none_or(|s| s.confidence < threshold);
        let evidence = order.first().map(|&c| self.evidence(c, &x)).unwrap_or_default();
        Ok(Suggestion { top, abstained, threshold, evidence })
    }

    /// The n-grams that pushed `label` up most against the other categories.
    fn evidence(&self, label: usize, x: &[(u32, f32)]) -> Vec<Evidence> {
        let k = self.labels.len();
        let mut weighed: Vec<(u32, f32)> = x
            .iter()
            .map(|&(f, v)| (f, self.dense.centred[f as usize * k + label] * v))
            .filter(|(_, weight)| *weight > 0.0)
            .collect();
        // Heaviest first; equal weights in the order of the n-grams, so the list is stable. The
        // heaviest few are picked before they are sorted.
        let heavier = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if weighed.len() > EXPLAIN {
            weighed.select_nth_unstable_by(EXPLAIN - 1, heavier);
            weighed.truncate(EXPLAIN);
        }
        weighed.sort_by(heavier);
        weighed.into_iter().map(|(f, weight)| Evidence { gram: self.grams[f as usize].clone(), weight }).collect()
    }
}

/// The text's characters as the model reads them, or why it cannot be read.
fn read(text: &str) -> Result<Vec<char>, ClassifyError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(ClassifyError::TooLong { bytes: text.len(), max: MAX_TEXT_BYTES });
    }
    let chars = text::normalise(text);
    if chars.is_empty() {
        return Err(ClassifyError::Empty);
    }
    Ok(chars)
}

/// The known n-grams of a text with how often each occurs, by feature number: from the text's
/// n-grams counted ([`text::grams`]), for training.
pub(crate) fn known(grams: &[(text::Gram, u32)], index: &text::Index) -> Vec<(u32, u32)> {
    let mut known: Vec<(u32, u32)> = grams.iter().filter_map(|(g, tf)| index.get(g).map(|&i| (i, *tf))).collect();
    known.sort_unstable();
    known
}

/// The same from the feature numbers of each occurrence, sorted: for a suggestion, which looks each
/// n-gram up as it reads it.
fn counted(found: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(found.len());
    for &f in found {
        match out.last_mut() {
            Some((last, n)) if *last == f => *n += 1,
            _ => out.push((f, 1)),
        }
    }
    out
}

/// TF-IDF with a sublinear term frequency, length-normalised: from (feature, count) sorted by feature.
pub(crate) fn weigh(known: &[(u32, u32)], idf: &[f32]) -> Vec<(u32, f32)> {
    let mut x: Vec<(u32, f32)> =
        known.iter().map(|&(f, tf)| (f, (1.0 + libm::logf(tf as f32)) * idf[f as usize])).collect();
    let norm = x.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        x.iter_mut().for_each(|(_, v)| *v /= norm);
    }
    x
}

/// Probabilities from scores divided by `temperature`. `exp` and `ln` on the path of a suggestion
/// are libm's, written in Rust: the platform's own differ in the last bit between a native build and
/// wasm32, and the component must answer exactly as the core does.
pub(crate) fn softmax(scores: &[f32], temperature: f32) -> Vec<f32> {
    let t = if temperature > 0.0 { temperature } else { 1.0 };
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = scores.iter().map(|s| libm::expf((s - max) / t)).collect();
    let sum: f32 = e.iter().sum();
    e.iter().map(|v| v / sum).collect()
}

#[cfg(test)]
mod tests;
