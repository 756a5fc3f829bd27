//! Proactive governance (主动治理): hotspots (a category in an area above its own baseline), repeat
//! demands (one fingerprint again within N days) and the monthly 每月一题 candidates with their evidence.
//!
//! **The hotspot statistic.** Cases of one category in one street arrive as independent events at a
//! rate of their own, so the count in a window is Poisson. The cell's expected count λ is its count in
//! the baseline (the `baseline_days` before the window) scaled to the window's length, floored at
//! 0.5 so a cell never seen before still needs several cases. A cell is a hotspot when its count is at
//! least `min_count` and `min_ratio` × λ, and the Poisson upper tail P(X ≥ count | λ) is below `alpha`
//! divided by the number of cells tested (Bonferroni: ~50 000 street × category cells are tested each
//! month, and an uncorrected 1 % would flag hundreds by chance). Poisson rather than a z-score because
//! most cells have single-digit counts, where the normal approximation flags noise; the cell's own
//! baseline rather than the city's because busy streets are always busy.

use crate::ScoreError;
use crate::case::{Assessment, CallbackStatus, CaseFacts};
use crate::request::{Resolved, show_instant};
use minyi_model::Satisfaction;
pub use minyi_model::{Counted, Hotspot, HotspotParams, HotspotReport, RepeatGroup, Topic};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Rejects hotspot parameters that make no sense.
pub fn check_params(params: &HotspotParams) -> Result<(), ScoreError> {
    let bad = |f: &str, p: &str| Err(ScoreError::Request(format!("hotspots.{f}: {p}")));
    if params.baseline_days == 0 {
        return bad("baseline_days", "must be at least 1");
    }
    if !(params.alpha > 0.0 && params.alpha < 1.0) {
        return bad("alpha", "must be within (0, 1)");
    }
    if !(params.min_ratio >= 1.0 && params.min_ratio.is_finite()) {
        return bad("min_ratio", "must be at least 1");
    }
    if params.min_repeats < 2 {
        return bad("min_repeats", "must be at least 2");
    }
    Ok(())
}

#[derive(Debug, Clone)]
struct HotCase {
    case_id: String,
    at: i64,
    area: u32,
    category: u32,
    unit: Option<u32>,
    fingerprint: Option<u32>,
    dissatisfied: Option<bool>,
}

#[derive(Debug, Clone, Default)]
struct Names {
    index: HashMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), i);
        i
    }

    fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }
}

/// What the hotspot report needs of each case received in its span.
#[derive(Debug, Clone)]
pub struct Collector {
    from: i64,
    to: i64,
    cases: Vec<HotCase>,
    names: Names,
}

const DAY: i64 = 86_400;

/// One area × category cell: window count, baseline count, window cases by lead unit.
type Cell = (u32, u32, HashMap<u32, u32>);

impl Collector {
    /// A collector for the window, its baseline, the repeat look-back and the previous period.
    pub fn new(req: &Resolved) -> Collector {
        let p = &req.hotspots;
        let from = [
            req.previous.from,
            req.period.from - i64::from(p.baseline_days) * DAY,
            req.period.from - i64::from(p.repeat_days) * DAY,
        ]
        .into_iter()
        .min()
        .unwrap_or(req.period.from);
        Collector { from, to: req.period.to, cases: Vec::new(), names: Names::default() }
    }

    /// Notes a case (ignored outside the span).
    pub fn add(&mut self, facts: &CaseFacts, assessment: Option<&Assessment>) {
        let Some(at) = facts.received_at.filter(|&t| self.from <= t && t < self.to) else { return };
        let area = facts.street.as_deref().or(facts.district.as_deref()).unwrap_or("(unknown)");
        let category = facts.category.as_deref().unwrap_or("(uncategorised)");
        let fingerprint = match (&facts.fingerprint, &facts.category, &facts.address) {
            (Some(f), _, _) => Some(f.clone()),
            (None, Some(c), Some(a)) => Some(format!("{c}|{}", a.split_whitespace().collect::<String>())),
            _ => None,
        };
        let dissatisfied = assessment.and_then(|a| match a.callback {
            CallbackStatus::Valid { satisfaction, .. } => Some(satisfaction == Satisfaction::Dissatisfied),
            _ => None,
        });
        let case = HotCase {
            case_id: facts.case_id.clone(),
            at,
            area: self.names.id(area),
            category: self.names.id(category),
            unit: facts.lead.as_ref().map(|(u, _)| self.names.id(u)),
            fingerprint: fingerprint.map(|f| self.names.id(&f)),
            dissatisfied,
        };
        self.cases.push(case);
    }

    fn top(&self, counts: &HashMap<u32, u32>, n: usize) -> Vec<Counted> {
        let mut v: Vec<Counted> =
            counts.iter().map(|(&id, &count)| Counted { id: self.names.name(id).to_owned(), count }).collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
        v.truncate(n);
        v
    }

    /// The report for the request's period.
    pub fn report(&self, req: &Resolved) -> HotspotReport {
        let p = &req.hotspots;
        let (from, to) = (req.period.from, req.period.to);
        let baseline_from = from - i64::from(p.baseline_days) * DAY;
        let scale = (to - from) as f64 / (from - baseline_from) as f64;
        let in_window = |c: &HotCase| from <= c.at && c.at < to;

        // Cells: (area, category) → window count, baseline count, window units.
        let mut cells: HashMap<(u32, u32), Cell> = HashMap::new();
        for c in &self.cases {
            if in_window(c) {
                let cell = cells.entry((c.area, c.category)).or_default();
                cell.0 += 1;
                if let Some(u) = c.unit {
                    *cell.2.entry(u).or_default() += 1;
                }
            } else if baseline_from <= c.at && c.at < from {
                cells.entry((c.area, c.category)).or_default().1 += 1;
            }
        }
        let tested: Vec<_> = cells.iter().filter(|(_, v)| v.0 >= p.min_count).collect();
        let tested_cells = u32::try_from(tested.len()).unwrap_or(u32::MAX);
        let threshold = p.alpha / f64::from(tested_cells.max(1));
        let mut hotspots: Vec<Hotspot> = tested
            .into_iter()
            .filter_map(|(&(area, category), (count, baseline, units))| {
                let expected = (f64::from(*baseline) * scale).max(0.5);
                if f64::from(*count) < p.min_ratio * expected {
                    return None;
                }
                let p_value = poisson_upper_tail(*count, expected);
                (p_value < threshold).then(|| Hotspot {
                    area: self.names.name(area).to_owned(),
                    category: self.names.name(category).to_owned(),
                    count: *count,
                    baseline_count: *baseline,
                    expected,
                    ratio: f64::from(*count) / expected,
                    p_value,
                    units: self.top(units, 3),
                })
            })
            .collect();
        hotspots.sort_by(|a, b| {
            a.p_value
                .total_cmp(&b.p_value)
                .then(b.count.cmp(&a.count))
                .then_with(|| (&a.area, &a.category).cmp(&(&b.area, &b.category)))
        });
        let mut hot_by_category: HashMap<&str, u32> = HashMap::new();
        for h in &hotspots {
            *hot_by_category.entry(h.category.as_str()).or_default() += 1;
        }

        // Repeats: chains of one fingerprint with gaps of at most `repeat_days`, touching the window.
        let repeat_from = from - i64::from(p.repeat_days) * DAY;
        let mut by_fingerprint: BTreeMap<u32, Vec<&HotCase>> = BTreeMap::new();
        for c in self.cases.iter().filter(|c| repeat_from <= c.at && c.at < to) {
            if let Some(f) = c.fingerprint {
                by_fingerprint.entry(f).or_default().push(c);
            }
        }
        let mut repeats = Vec::new();
        let mut repeat_case_ids: HashSet<&str> = HashSet::new();
        for (f, mut group) in by_fingerprint {
            group.sort_by(|a, b| (a.at, &a.case_id).cmp(&(b.at, &b.case_id)));
            let mut start = 0;
            for i in 1..=group.len() {
                let split = i == group.len() || group[i].at - group[i - 1].at > i64::from(p.repeat_days) * DAY;
                if !split {
                    continue;
                }
                let chain = &group[start..i];
                start = i;
                if chain.len() < p.min_repeats as usize || !chain.iter().any(|c| in_window(c)) {
                    continue;
                }
                let (Some(first), Some(last)) = (chain.first(), chain.last()) else { continue };
                let mut units: Vec<String> =
                    chain.iter().filter_map(|c| c.unit).map(|u| self.names.name(u).to_owned()).collect();
                units.sort();
                units.dedup();
                repeat_case_ids.extend(chain.iter().filter(|c| in_window(c)).map(|c| c.case_id.as_str()));
                repeats.push(RepeatGroup {
                    fingerprint: self.names.name(f).to_owned(),
                    count: u32::try_from(chain.len()).unwrap_or(u32::MAX),
                    cases: chain.iter().map(|c| c.case_id.clone()).collect(),
                    first_at: show_instant(first.at, req.offset),
                    last_at: show_instant(last.at, req.offset),
                    area: self.names.name(last.area).to_owned(),
                    category: self.names.name(last.category).to_owned(),
                    units,
                });
            }
        }
        repeats.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| b.last_at.cmp(&a.last_at))
                .then_with(|| a.fingerprint.cmp(&b.fingerprint))
        });

        // Topics: categories of the window with their evidence, by excess over the baseline.
        #[derive(Default)]
        struct Acc {
            count: u32,
            previous: u32,
            baseline: u32,
            areas: HashMap<u32, u32>,
            units: HashMap<u32, u32>,
            repeat_cases: u32,
            callbacks: u32,
            dissatisfied: u32,
        }
        let mut topics: HashMap<u32, Acc> = HashMap::new();
        for c in &self.cases {
            let t = topics.entry(c.category).or_default();
            if in_window(c) {
                t.count += 1;
                *t.areas.entry(c.area).or_default() += 1;
                if let Some(u) = c.unit {
                    *t.units.entry(u).or_default() += 1;
                }
                t.repeat_cases += u32::from(repeat_case_ids.contains(c.case_id.as_str()));
                if let Some(d) = c.dissatisfied {
                    t.callbacks += 1;
                    t.dissatisfied += u32::from(d);
                }
            }
            if req.previous.contains(c.at) {
                t.previous += 1;
            }
            if baseline_from <= c.at && c.at < from {
                t.baseline += 1;
            }
        }
        let mut topics: Vec<Topic> = topics
            .into_iter()
            .filter(|(_, t)| t.count >= p.min_count)
            .map(|(category, t)| {
                let name = self.names.name(category);
                let expected = f64::from(t.baseline) * scale;
                Topic {
                    category: name.to_owned(),
                    count: t.count,
                    previous_count: t.previous,
                    change: i64::from(t.count) - i64::from(t.previous),
                    expected,
                    excess: f64::from(t.count) - expected,
                    areas: u32::try_from(t.areas.len()).unwrap_or(u32::MAX),
                    top_areas: self.top(&t.areas, 3),
                    units: self.top(&t.units, 3),
                    repeat_cases: t.repeat_cases,
                    hotspot_cells: hot_by_category.get(name).copied().unwrap_or(0),
                    callbacks: t.callbacks,
                    dissatisfied: t.dissatisfied,
                }
            })
            .collect();
        topics.sort_by(|a, b| {
            b.excess.total_cmp(&a.excess).then(b.count.cmp(&a.count)).then_with(|| a.category.cmp(&b.category))
        });
        topics.truncate(p.topics as usize);

        let mut warnings = Vec::new();
        match self.cases.iter().map(|c| c.at).min() {
            Some(earliest) if earliest > baseline_from + (from - baseline_from) / 10 => warnings.push(format!(
                "the events start at {}, after the baseline's start {}: cells may look new and be flagged",
                show_instant(earliest, req.offset),
                show_instant(baseline_from, req.offset)
            )),
            None => warnings.push("no cases in the window or its baseline".to_owned()),
            _ => {}
        }
        let (hotspots_total, repeats_total) =
            (u32::try_from(hotspots.len()).unwrap_or(u32::MAX), u32::try_from(repeats.len()).unwrap_or(u32::MAX));
        hotspots.truncate(p.max_listed as usize);
        repeats.truncate(p.max_listed as usize);
        HotspotReport {
            period: req.period.label.clone(),
            from: show_instant(from, req.offset),
            to: show_instant(to, req.offset),
            baseline_from: show_instant(baseline_from, req.offset),
            district: req.district.clone(),
            as_of: req.as_of.map(|t| show_instant(t, req.offset)),
            params: p.clone(),
            statistic: "Poisson upper tail P(X ≥ count | λ) per area × category cell; λ = the cell's baseline count \
                        scaled to the window (at least 0.5); hotspot when count ≥ min_count, count ≥ min_ratio·λ and \
                        p < alpha / cells tested (Bonferroni)"
                .to_owned(),
            tested_cells,
            hotspots_total,
            hotspots,
            repeats_total,
            repeats,
            topics,
            warnings,
        }
    }
}

/// P(X ≥ k) for X ~ Poisson(λ), summed in log space from k upward (exact to double precision for the
/// counts hotspots see; no normal approximation).
pub fn poisson_upper_tail(k: u32, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    let ln_k_factorial: f64 = (1..=k).map(|i| f64::from(i).ln()).sum();
    let mut term = (-lambda + f64::from(k) * lambda.ln() - ln_k_factorial).exp();
    let mut sum = 0.0;
    let mut i = f64::from(k);
    for _ in 0..1_000_000 {
        sum += term;
        i += 1.0;
        term *= lambda / i;
        if i > lambda && term <= sum * 1e-17 {
            break;
        }
    }
    sum.min(1.0)
}
