//! Per-unit tallies: integer counts that add, subtract and merge exactly (the mergeable partials), and
//! the ranking computed from them.

use crate::case::{Assessment, CallbackStatus};
use minyi_model::{Overall, Satisfaction, ScoreConfig, UnitScore, UnitTrend, UnitType};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The counts of one unit over one period. Counts only, so adding is associative and commutative and
/// removing a case undoes adding it exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitTally {
    /// Cases the unit leads.
    pub cases: u32,
    /// Replied to.
    pub replied: u32,
    /// Replied by the deadline.
    pub replied_on_time: u32,
    /// Valid callbacks.
    pub valid: u32,
    /// Callbacks reviewed out.
    pub excluded: u32,
    /// Valid callbacks: responded.
    pub responded: u32,
    /// Valid callbacks: resolved.
    pub resolved: u32,
    /// Valid callbacks: 满意.
    pub satisfied: u32,
    /// Valid callbacks: 基本满意.
    pub basically_satisfied: u32,
    /// Valid callbacks: 不满意.
    pub dissatisfied: u32,
}

impl UnitTally {
    fn fields(&mut self) -> [&mut u32; 10] {
        [
            &mut self.cases,
            &mut self.replied,
            &mut self.replied_on_time,
            &mut self.valid,
            &mut self.excluded,
            &mut self.responded,
            &mut self.resolved,
            &mut self.satisfied,
            &mut self.basically_satisfied,
            &mut self.dissatisfied,
        ]
    }

    /// The counts one assessed case contributes.
    pub fn of(a: &Assessment) -> UnitTally {
        let mut t = UnitTally {
            cases: 1,
            replied: u32::from(a.replied),
            replied_on_time: u32::from(a.replied_on_time),
            ..UnitTally::default()
        };
        match a.callback {
            CallbackStatus::NoCallback => {}
            CallbackStatus::Excluded { .. } => t.excluded = 1,
            CallbackStatus::Valid { responded, resolved, satisfaction } => {
                t.valid = 1;
                t.responded = u32::from(responded);
                t.resolved = u32::from(resolved);
                match satisfaction {
                    Satisfaction::Satisfied => t.satisfied = 1,
                    Satisfaction::BasicallySatisfied => t.basically_satisfied = 1,
                    Satisfaction::Dissatisfied => t.dissatisfied = 1,
                }
            }
        }
        t
    }

    /// Adds `other` (saturating: a tally never wraps).
    pub fn add(&mut self, mut other: UnitTally) {
        for (a, b) in self.fields().into_iter().zip(other.fields()) {
            *a = a.saturating_add(*b);
        }
    }

    /// Removes `other`, which must have been added before.
    pub fn sub(&mut self, mut other: UnitTally) {
        for (a, b) in self.fields().into_iter().zip(other.fields()) {
            *a = a.saturating_sub(*b);
        }
    }

    /// Whether every count is zero.
    pub fn is_empty(&self) -> bool {
        *self == UnitTally::default()
    }
}

/// A unit as tallies name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnitKey {
    /// Unit id.
    pub unit: String,
    /// Street or department.
    pub unit_type: UnitType,
}

/// Tallies of many units over one period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tallies {
    index: HashMap<UnitKey, usize>,
    rows: Vec<(UnitKey, UnitTally)>,
}

/// One row of a partial, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TallyRow {
    /// Unit id.
    pub unit: String,
    /// Street or department.
    pub unit_type: UnitType,
    /// Its counts.
    #[serde(flatten)]
    pub tally: UnitTally,
}

impl Tallies {
    /// The slot of a unit, created empty when new.
    pub fn slot(&mut self, unit: &str, unit_type: UnitType) -> usize {
        let key = UnitKey { unit: unit.to_owned(), unit_type };
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.rows.push((key.clone(), UnitTally::default()));
        self.index.insert(key, self.rows.len() - 1);
        self.rows.len() - 1
    }

    /// The tally in a slot.
    pub fn at(&mut self, slot: usize) -> Option<&mut UnitTally> {
        self.rows.get_mut(slot).map(|(_, t)| t)
    }

    /// Adds a unit's counts.
    pub fn add(&mut self, unit: &str, unit_type: UnitType, t: UnitTally) {
        let slot = self.slot(unit, unit_type);
        self.rows[slot].1.add(t);
    }

    /// Removes a unit's counts.
    pub fn sub(&mut self, unit: &str, unit_type: UnitType, t: UnitTally) {
        let slot = self.slot(unit, unit_type);
        self.rows[slot].1.sub(t);
    }

    /// Adds every row of `other`.
    pub fn merge(&mut self, other: &Tallies) {
        for (k, t) in &other.rows {
            self.add(&k.unit, k.unit_type, *t);
        }
    }

    /// Rows with any count, sorted by unit type then id: the canonical form of a partial.
    pub fn rows(&self) -> Vec<TallyRow> {
        let mut rows: Vec<TallyRow> = self
            .rows
            .iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|(k, t)| TallyRow { unit: k.unit.clone(), unit_type: k.unit_type, tally: *t })
            .collect();
        rows.sort_by(|a, b| (a.unit_type, &a.unit).cmp(&(b.unit_type, &b.unit)));
        rows
    }

    /// Tallies from rows.
    pub fn from_rows(rows: &[TallyRow]) -> Tallies {
        let mut t = Tallies::default();
        for r in rows {
            t.add(&r.unit, r.unit_type, r.tally);
        }
        t
    }
}

fn ratio(n: u32, d: u32) -> f64 {
    if d == 0 { 0.0 } else { f64::from(n) / f64::from(d) }
}

/// The rates of one tally.
pub fn unit_score(unit: &str, unit_type: UnitType, t: &UnitTally, config: &ScoreConfig) -> UnitScore {
    let response_rate = ratio(t.responded, t.valid);
    let resolution_rate = ratio(t.resolved, t.valid);
    let satisfaction_rate = if t.valid == 0 {
        0.0
    } else {
        ((f64::from(t.satisfied) + config.basically_satisfied_factor * f64::from(t.basically_satisfied))
            / f64::from(t.valid))
        .min(1.0)
    };
    let composite = (config.response_weight * response_rate
        + config.resolution_weight * resolution_rate
        + config.satisfaction_weight * satisfaction_rate)
        .clamp(0.0, 1.0);
    UnitScore {
        unit: unit.to_owned(),
        unit_type,
        valid: t.valid,
        excluded: t.excluded,
        responded: t.responded,
        resolved: t.resolved,
        satisfied: t.satisfied,
        basically_satisfied: t.basically_satisfied,
        dissatisfied: t.dissatisfied,
        response_rate,
        resolution_rate,
        satisfaction_rate,
        composite,
        rank: None,
        cases: t.cases,
        replied: t.replied,
        replied_on_time: t.replied_on_time,
        on_time_rate: ratio(t.replied_on_time, t.cases),
        trend: None,
    }
}

/// The rates of every unit's counts together (each case counts once, for its lead unit), computed as
/// one unit's are.
pub fn overall(tallies: &Tallies, config: &ScoreConfig) -> Overall {
    let mut total = UnitTally::default();
    for row in tallies.rows() {
        total.add(row.tally);
    }
    let s = unit_score("", UnitType::Street, &total, config);
    Overall {
        cases: s.cases,
        replied: s.replied,
        replied_on_time: s.replied_on_time,
        valid: s.valid,
        excluded: s.excluded,
        responded: s.responded,
        resolved: s.resolved,
        satisfied: s.satisfied,
        basically_satisfied: s.basically_satisfied,
        dissatisfied: s.dissatisfied,
        response_rate: s.response_rate,
        resolution_rate: s.resolution_rate,
        satisfaction_rate: s.satisfaction_rate,
        composite: s.composite,
        on_time_rate: s.on_time_rate,
    }
}

/// Scores and ranks: competition ranking ("1224") within each unit type by composite, descending;
/// units with fewer than the minimum valid callbacks are listed after the ranked ones, unranked.
/// Output: streets, then departments; within each, by rank, then unit id.
pub fn rank(tallies: &Tallies, config: &ScoreConfig) -> Vec<UnitScore> {
    let mut scores: Vec<UnitScore> =
        tallies.rows().iter().map(|r| unit_score(&r.unit, r.unit_type, &r.tally, config)).collect();
    let min_valid = config.min_valid_callbacks.max(1);
    let unranked = |s: &UnitScore| s.valid < min_valid;
    scores.sort_by(|a, b| {
        (a.unit_type, unranked(a))
            .cmp(&(b.unit_type, unranked(b)))
            .then(b.composite.total_cmp(&a.composite))
            .then(a.unit.cmp(&b.unit))
    });
    let mut previous: Option<(UnitType, f64, u32)> = None;
    let mut position = 0u32;
    for s in scores.iter_mut().filter(|s| s.valid >= min_valid) {
        match previous {
            Some((ty, _, _)) if ty != s.unit_type => position = 1,
            _ => position += 1,
        }
        let rank = match previous {
            Some((ty, composite, rank)) if ty == s.unit_type && composite == s.composite => rank,
            _ => position,
        };
        s.rank = Some(rank);
        previous = Some((s.unit_type, s.composite, rank));
    }
    scores
}

/// Ranks `current` and sets each unit's trend against `previous` (ranked under the same config).
pub fn rank_with_trend(current: &Tallies, previous: &Tallies, config: &ScoreConfig) -> Vec<UnitScore> {
    let before: HashMap<(UnitType, String), UnitScore> =
        rank(previous, config).into_iter().map(|s| ((s.unit_type, s.unit.clone()), s)).collect();
    let mut scores = rank(current, config);
    for s in &mut scores {
        if let Some(p) = before.get(&(s.unit_type, s.unit.clone())) {
            s.trend = Some(UnitTrend {
                previous_composite: p.composite,
                previous_rank: p.rank,
                composite_change: s.composite - p.composite,
                rank_change: match (p.rank, s.rank) {
                    (Some(a), Some(b)) => Some(i64::from(a) - i64::from(b)).and_then(|d| i32::try_from(d).ok()),
                    _ => None,
                },
            });
        }
    }
    scores
}
