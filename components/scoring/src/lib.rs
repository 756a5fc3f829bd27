//! Pure core of scoring: callbacks (回访) in, the three rates (三率), composite and ranks out.
#![deny(missing_docs)]

use minyi_model::{Callback, Satisfaction, ScoreConfig, UnitScore, UnitType};
use std::collections::BTreeMap;

/// A request that cannot be scored at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScoreError {
    /// The callbacks document is not a JSON array of callbacks.
    #[error("callbacks are not a valid JSON array of callbacks: {0}")]
    Callbacks(String),
    /// The config document is not a valid score config.
    #[error("config is not a valid score config: {0}")]
    Config(String),
}

impl ScoreError {
    /// Stable machine code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            ScoreError::Callbacks(_) => "callbacks.invalid",
            ScoreError::Config(_) => "config.invalid",
        }
    }
}

/// Counts of one unit, before rates are computed.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    valid: u32,
    excluded: u32,
    responded: u32,
    resolved: u32,
    satisfied: u32,
    basically: u32,
    dissatisfied: u32,
}

fn ratio(n: u32, d: u32) -> f64 {
    if d == 0 { 0.0 } else { f64::from(n) / f64::from(d) }
}

/// Scores every unit in `callbacks`, then ranks units of each type by composite (ties share a rank;
/// units under the minimum sample are listed unranked). Output: by type, then rank, then unit id.
pub fn score(callbacks: &[Callback], config: &ScoreConfig) -> Vec<UnitScore> {
    let mut tallies: BTreeMap<(&str, UnitType), Tally> = BTreeMap::new();
    for cb in callbacks {
        let t = tallies.entry((cb.unit.as_str(), cb.unit_type)).or_default();
        if cb.exclusion.is_some() {
            t.excluded += 1;
            continue;
        }
        t.valid += 1;
        t.responded += u32::from(cb.responded);
        t.resolved += u32::from(cb.resolved);
        match cb.satisfaction {
            Satisfaction::Satisfied => t.satisfied += 1,
            Satisfaction::BasicallySatisfied => t.basically += 1,
            Satisfaction::Dissatisfied => t.dissatisfied += 1,
        }
    }
    let mut scores: Vec<UnitScore> = tallies
        .into_iter()
        .map(|((unit, unit_type), t)| {
            let response_rate = ratio(t.responded, t.valid);
            let resolution_rate = ratio(t.resolved, t.valid);
            let satisfaction_rate = if t.valid == 0 {
                0.0
            } else {
                (f64::from(t.satisfied) + config.basically_satisfied_factor * f64::from(t.basically))
                    / f64::from(t.valid)
            };
            let composite = config.response_weight * response_rate
                + config.resolution_weight * resolution_rate
                + config.satisfaction_weight * satisfaction_rate;
            UnitScore {
                unit: unit.to_owned(),
                unit_type,
                valid: t.valid,
                excluded: t.excluded,
                responded: t.responded,
                resolved: t.resolved,
                satisfied: t.satisfied,
                basically_satisfied: t.basically,
                dissatisfied: t.dissatisfied,
                response_rate,
                resolution_rate,
                satisfaction_rate,
                composite,
                rank: None,
            }
        })
        .collect();
    rank(&mut scores, config.min_valid_callbacks);
    scores
}

/// Competition ranking ("1224") within each unit type by composite, descending.
fn rank(scores: &mut [UnitScore], min_valid: u32) {
    scores.sort_by(|a, b| {
        let ranked = |s: &UnitScore| s.valid < min_valid.max(1);
        (a.unit_type, ranked(a))
            .cmp(&(b.unit_type, ranked(b)))
            .then(b.composite.total_cmp(&a.composite))
            .then(a.unit.cmp(&b.unit))
    });
    let mut i = 0;
    while i < scores.len() {
        let ty = scores[i].unit_type;
        let mut position = 0u32;
        let mut rank = 0u32;
        let mut last: Option<f64> = None;
        while i < scores.len() && scores[i].unit_type == ty {
            if scores[i].valid >= min_valid.max(1) {
                position += 1;
                if last != Some(scores[i].composite) {
                    rank = position;
                    last = Some(scores[i].composite);
                }
                scores[i].rank = Some(rank);
            }
            i += 1;
        }
    }
}

/// `score` over JSON: an array of callbacks and a config document in, an array of unit scores out.
pub fn score_json(callbacks_json: &str, config_json: &str) -> Result<String, ScoreError> {
    let callbacks: Vec<Callback> = minyi_model::json::from_str(callbacks_json).map_err(ScoreError::Callbacks)?;
    let config: ScoreConfig = minyi_model::json::from_str(config_json).map_err(ScoreError::Config)?;
    serde_json::to_string(&score(&callbacks, &config)).map_err(|e| ScoreError::Callbacks(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use minyi_model::{Exclusion, ExclusionReason};

    fn cb(unit: &str, responded: bool, resolved: bool, s: Satisfaction) -> Callback {
        Callback {
            case_id: format!("BJ-{unit}"),
            unit: unit.into(),
            unit_type: UnitType::Street,
            responded,
            resolved,
            satisfaction: s,
            exclusion: None,
        }
    }

    #[test]
    fn rates_by_hand() {
        use Satisfaction::*;
        let mut cbs = vec![
            cb("a", true, true, Satisfied),
            cb("a", true, false, BasicallySatisfied),
            cb("a", false, false, Dissatisfied),
            cb("a", true, true, Satisfied),
        ];
        let mut excluded = cb("a", false, false, Dissatisfied);
        excluded.exclusion =
            Some(Exclusion { reason: ExclusionReason::Invalid, reviewer: "r".into(), note: String::new() });
        cbs.push(excluded);
        let config = ScoreConfig { min_valid_callbacks: 1, ..ScoreConfig::default() };
        let s = &score(&cbs, &config)[0];
        assert_eq!((s.valid, s.excluded), (4, 1));
        assert!((s.response_rate - 0.75).abs() < 1e-12);
        assert!((s.resolution_rate - 0.5).abs() < 1e-12);
        assert!((s.satisfaction_rate - 2.9 / 4.0).abs() < 1e-12);
        assert!((s.composite - (0.1 * 0.75 + 0.45 * 0.5 + 0.45 * 0.725)).abs() < 1e-12);
        assert_eq!(s.rank, Some(1));
    }

    #[test]
    fn ties_share_a_rank_and_small_units_are_unranked() {
        use Satisfaction::*;
        let mut cbs = Vec::new();
        for u in ["a", "b", "c"] {
            for _ in 0..5 {
                cbs.push(cb(u, true, u != "c", Satisfied));
            }
        }
        cbs.push(cb("d", true, true, Satisfied));
        let s = score(&cbs, &ScoreConfig::default());
        let ranks: Vec<_> = s.iter().map(|s| (s.unit.as_str(), s.rank)).collect();
        assert_eq!(ranks, vec![("a", Some(1)), ("b", Some(1)), ("c", Some(3)), ("d", None)]);
    }

    proptest::proptest! {
        #[test]
        fn rates_stay_in_unit_interval(answers in proptest::collection::vec((0u8..4, proptest::bool::ANY, proptest::bool::ANY, 0u8..3), 0..200)) {
            let cbs: Vec<_> = answers.iter().map(|&(u, a, b, s)| {
                let s = [Satisfaction::Satisfied, Satisfaction::BasicallySatisfied, Satisfaction::Dissatisfied][s as usize];
                cb(&u.to_string(), a, b, s)
            }).collect();
            for s in score(&cbs, &ScoreConfig::default()) {
                for r in [s.response_rate, s.resolution_rate, s.satisfaction_rate, s.composite] {
                    proptest::prop_assert!((0.0..=1.0).contains(&r));
                }
            }
        }
    }
}
