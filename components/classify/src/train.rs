//! Training: the vocabulary and IDF from the examples (and the IDF from unlabelled rows too), SGD on
//! the multiclass hinge loss in a seeded order with the weights of the later passes averaged, 8-bit
//! weights, then the temperature that turns scores into calibrated confidences, fitted on a held-out
//! fifth; and k-fold cross-validation.

use crate::metrics::{Evaluation, Prediction, evaluate};
use crate::{About, Dense, Model, known, softmax, text, weigh};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How a model is trained. The defaults are what the 5-fold evaluation on real hotline messages chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Seeds the order of the examples (and the held-out fifth): the same data and seed give the same
    /// model, byte for byte.
    pub seed: u64,
    /// Passes over the data.
    pub epochs: u32,
    /// The first pass's step size (it decays over the passes).
    pub learning_rate: f32,
    /// L2 penalty on the weights.
    pub l2: f32,
    /// An n-gram is kept when at least this many examples have it.
    pub min_df: u32,
    /// The confidence below which a suggestion abstains.
    pub abstain_below: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self { seed: 12345, epochs: 60, learning_rate: 0.1, l2: 1e-5, min_df: 2, abstain_below: 0.5 }
    }
}

/// Why no model could be trained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrainError {
    /// Fewer than two categories among the labelled rows.
    #[error("labels: the labelled rows name {0} categor(ies); a suggestion needs at least 2")]
    TooFewLabels(usize),
    /// No n-gram met `min_df`.
    #[error("text: no n-gram occurs in {0} or more examples; nothing to learn from")]
    NoFeatures(u32),
    /// The options are out of range.
    #[error("options: {0}")]
    Options(String),
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Trains a model on `(text, label)` examples. Examples with an empty label are skipped.
pub fn train(examples: &[(String, String)], options: &TrainOptions) -> Result<Model, TrainError> {
    check(options)?;
    let labelled: Vec<&(String, String)> = examples.iter().filter(|(_, l)| !l.trim().is_empty()).collect();
    let unlabelled: Vec<&str> = examples.iter().filter(|(_, l)| l.trim().is_empty()).map(|(t, _)| t.as_str()).collect();
    // The temperature is fitted on a fifth the first model never saw; the model kept sees everything.
    let mut order: Vec<usize> = (0..labelled.len()).collect();
    Rng(options.seed ^ 0x7E3A).shuffle(&mut order);
    let (held, fit): (Vec<usize>, Vec<usize>) = order.iter().partition(|&&i| i % 5 == 0);
    let pick = |ids: &[usize]| ids.iter().map(|&i| labelled[i]).collect::<Vec<_>>();
    let temperature = if held.len() >= 10 {
        let first = fit_weights(&pick(&fit), &unlabelled, options, 1.0)?;
        fit_temperature(&first, &pick(&held))
    } else {
        1.0
    };
    fit_weights(&labelled, &unlabelled, options, temperature)
}

fn check(o: &TrainOptions) -> Result<(), TrainError> {
    let bad = |what: &str| Err(TrainError::Options(what.to_owned()));
    if o.epochs == 0 || o.epochs > 1000 {
        return bad("epochs must be 1–1000");
    }
    if !(o.learning_rate > 0.0 && o.learning_rate <= 10.0) {
        return bad("learning_rate must be in (0, 10]");
    }
    if !(0.0..=1.0).contains(&o.l2) {
        return bad("l2 must be in [0, 1]");
    }
    if !(0.0..=1.0).contains(&o.abstain_below) {
        return bad("abstain_below must be in [0, 1]");
    }
    Ok(())
}

/// The vocabulary, the IDF and the weights for `examples`.
fn fit_weights(
    examples: &[&(String, String)],
    unlabelled: &[&str],
    options: &TrainOptions,
    temperature: f32,
) -> Result<Model, TrainError> {
    let mut labels: Vec<String> = examples.iter().map(|(_, l)| l.trim().to_owned()).collect();
    labels.sort();
    labels.dedup();
    if labels.len() < 2 {
        return Err(TrainError::TooFewLabels(labels.len()));
    }
    let label_of: HashMap<&str, usize> = labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
    let docs: Vec<Vec<(text::Gram, u32)>> = examples.iter().map(|(t, _)| text::grams(&text::normalise(t))).collect();
    // Rows without a label still tell how common an n-gram is (unsupervised): they count for the IDF.
    let extra: Vec<Vec<(text::Gram, u32)>> = unlabelled.iter().map(|t| text::grams(&text::normalise(t))).collect();
    // The vocabulary: n-grams in at least `min_df` labelled examples. Their document frequency, for
    // the IDF: over every row.
    let count = |docs: &[Vec<(text::Gram, u32)>]| {
        let mut df: HashMap<text::Gram, u32> = HashMap::new();
        for d in docs {
            for (g, _) in d {
                *df.entry(*g).or_default() += 1;
            }
        }
        df
    };
    let labelled_df = count(&docs);
    let df = if extra.is_empty() { labelled_df.clone() } else { count(&[docs.clone(), extra.clone()].concat()) };
    let mut keys: Vec<text::Gram> =
        labelled_df.iter().filter(|(_, n)| **n >= options.min_df.max(1)).map(|(g, _)| *g).collect();
    keys.sort_unstable();
    if keys.is_empty() {
        return Err(TrainError::NoFeatures(options.min_df));
    }
    let n = (docs.len() + extra.len()) as f32;
    let idf: Vec<f32> =
        keys.iter().map(|g| ((1.0 + n) / (1.0 + df.get(g).copied().unwrap_or(0) as f32)).ln() + 1.0).collect();
    let index: text::Index = keys.iter().enumerate().map(|(i, g)| (*g, i as u32)).collect();
    let grams: Vec<String> = keys.iter().map(|g| text::gram_text(*g)).collect();
    let xs: Vec<Vec<(u32, f32)>> = docs.iter().map(|d| weigh(&known(d, &index), &idf)).collect();
    let ys: Vec<usize> = examples.iter().map(|(_, l)| label_of[l.trim()]).collect();

    let (k, v) = (labels.len(), grams.len());
    let mut w = vec![vec![0f32; v]; k];
    let mut b = vec![0f32; k];
    let mut order: Vec<usize> = (0..xs.len()).collect();
    let mut rng = Rng(options.seed);
    // The weights kept are the mean of those after each pass of the second half (averaged SGD):
    // steadier than the last pass alone.
    let (mut w_sum, mut b_sum, mut passes) = (vec![vec![0f32; v]; k], vec![0f32; k], 0u32);
    let average_from = options.epochs / 2;
    for epoch in 0..options.epochs {
        rng.shuffle(&mut order);
        let eta = options.learning_rate / (1.0 + 0.2 * epoch as f32);
        for &j in &order {
            let x = &xs[j];
            let z: Vec<f32> =
                (0..k).map(|c| x.iter().map(|&(f, val)| w[c][f as usize] * val).sum::<f32>() + b[c]).collect();
            // Multiclass hinge loss (Crammer–Singer): the true category must beat the best other
            // one by a margin of 1; if it does not, the two move apart.
            let y = ys[j];
            let rival = (0..k).filter(|&c| c != y).max_by(|&a, &c| z[a].total_cmp(&z[c])).unwrap_or(y);
            let mut p = vec![0f32; k];
            if z[y] - z[rival] < 1.0 {
                p[y] = -1.0;
                p[rival] = 1.0;
            }
            for c in 0..k {
                let g = p[c];
                let row = &mut w[c];
                for &(f, val) in x {
                    let wf = &mut row[f as usize];
                    *wf -= eta * (g * val + options.l2 * *wf);
                }
                b[c] -= eta * g;
            }
        }
        if epoch >= average_from {
            for c in 0..k {
                w_sum[c].iter_mut().zip(&w[c]).for_each(|(s, x)| *s += x);
                b_sum[c] += b[c];
            }
            passes += 1;
        }
    }
    if passes > 0 {
        let n = passes as f32;
        w = w_sum.into_iter().map(|row| row.into_iter().map(|x| x / n).collect()).collect();
        b = b_sum.into_iter().map(|x| x / n).collect();
    }
    // 8 bits per weight, a scale per category.
    let (weights, scale): (Vec<Vec<i8>>, Vec<f32>) = w
        .iter()
        .map(|row| {
            let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
            let s = if max > 0.0 { max / 127.0 } else { 1.0 };
            (row.iter().map(|x| (x / s).round().clamp(-127.0, 127.0) as i8).collect(), s)
        })
        .unzip();
    Ok(Model {
        dense: Dense::of(&weights, &scale),
        labels,
        grams,
        index,
        idf,
        weights,
        scale,
        bias: b,
        temperature,
        about: About { rows: examples.len(), options: options.clone(), abstain_below: options.abstain_below },
    })
}

/// The temperature (from a fixed grid) that gives the held-out examples the lowest negative log
/// likelihood of their true category.
fn fit_temperature(model: &Model, held: &[&(String, String)]) -> f32 {
    let scored: Vec<(Vec<f32>, Option<usize>)> = held
        .iter()
        .map(|(t, l)| {
            let x = model.vector(&text::normalise(t));
            (model.scores(&x), model.labels.iter().position(|m| m == l.trim()))
        })
        .collect();
    // From 0.01 to about 10, each step 10 % more: a hinge loss leaves scores near ±1, which want a
    // temperature well below 1.
    let grid = (0..73).map(|i| 0.01 * 1.1f32.powi(i));
    let nll = |t: f32| -> f32 { scored.iter().filter_map(|(s, y)| y.map(|y| -softmax(s, t)[y].max(1e-9).ln())).sum() };
    grid.min_by(|a, b| nll(*a).total_cmp(&nll(*b))).unwrap_or(1.0)
}

/// `k`-fold cross-validation: the labelled examples dealt into `k` folds in a seeded order, a model
/// trained on the others and evaluated on each; the predictions of every fold together.
pub fn cross_validate(
    examples: &[(String, String)],
    k: usize,
    options: &TrainOptions,
) -> Result<(Evaluation, Vec<Evaluation>), TrainError> {
    if !(2..=20).contains(&k) {
        return Err(TrainError::Options(format!("folds must be 2–20, not {k}")));
    }
    let labelled: Vec<&(String, String)> = examples.iter().filter(|(_, l)| !l.trim().is_empty()).collect();
    let mut order: Vec<usize> = (0..labelled.len()).collect();
    Rng(options.seed ^ 0xF01D).shuffle(&mut order);
    let mut labels: Vec<String> = labelled.iter().map(|(_, l)| l.trim().to_owned()).collect();
    labels.sort();
    labels.dedup();
    let (mut all, mut folds) = (Vec::new(), Vec::new());
    for fold in 0..k {
        let in_fold = |n: usize| n % k == fold;
        let test: Vec<usize> = order.iter().enumerate().filter(|(n, _)| in_fold(*n)).map(|(_, &i)| i).collect();
        let mut train_set: Vec<(String, String)> =
            order.iter().enumerate().filter(|(n, _)| !in_fold(*n)).map(|(_, &i)| labelled[i].clone()).collect();
        train_set.extend(examples.iter().filter(|(_, l)| l.trim().is_empty()).cloned());
        let model = train(&train_set, options)?;
        let predictions: Vec<Prediction> = test
            .iter()
            .map(|&i| {
                let (t, l) = labelled[i];
                // A text the model cannot read (nothing but spaces) counts as a wrong answer.
                let first = model.suggest(t, None).ok().and_then(|s| s.top.into_iter().next());
                let (predicted, confidence) = first.map_or((String::new(), 0.0), |f| (f.category, f.confidence));
                Prediction { truth: l.trim().to_owned(), predicted, confidence }
            })
            .collect();
        folds.push(evaluate(&labels, &predictions, options.abstain_below));
        all.extend(predictions);
    }
    Ok((evaluate(&labels, &all, options.abstain_below), folds))
}
