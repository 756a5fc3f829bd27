//! The reports scoring produces, as public JSON shapes: the 三率 ranking of a period (`minyi score
//! --json`, `GET /api/scores`) and the proactive-governance report (`minyi hotspots --json`). The CLI
//! prints its tables from these types; vendors read the same fields.

use crate::{Overall, ScoreConfig, UnitScore};
use serde::{Deserialize, Serialize};

/// A case the board could not place, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Skipped {
    /// Case number.
    pub case_id: String,
    /// Why it could not be placed (e.g. no `received` event as of the date).
    pub reason: String,
}

/// The ranking of one period (public JSON shape of `minyi score --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Ranking {
    /// `2026-11`.
    pub period: String,
    /// Start of the period.
    pub from: String,
    /// End of the period (exclusive).
    pub to: String,
    /// The period the trend compares with.
    pub previous_period: String,
    /// District filter, if any.
    pub district: Option<String>,
    /// Events after this were ignored.
    pub as_of: Option<String>,
    /// The config in force.
    pub config: ScoreConfig,
    /// Cases received in the period (and district).
    pub cases: u64,
    /// Of those, cases without a lead unit (never dispatched, or returned and not yet re-dispatched).
    pub unassigned: u64,
    /// The rates of all the period's cases with a lead unit together: the district's (or the city's).
    #[serde(default)]
    pub overall: Overall,
    /// Streets, by rank.
    pub streets: Vec<UnitScore>,
    /// Departments, by rank.
    pub departments: Vec<UnitScore>,
    /// Cases that could not be placed.
    pub skipped: Vec<Skipped>,
}

/// Hotspot statistics; all optional in a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct HotspotParams {
    /// Days before the window that make a cell's baseline.
    pub baseline_days: u32,
    /// Family-wise error rate over all cells tested.
    pub alpha: f64,
    /// Fewest cases in the window for a hotspot or a topic.
    pub min_count: u32,
    /// Fewest times the expected count for a hotspot.
    pub min_ratio: f64,
    /// Two demands with one fingerprint this many days apart or less are repeats.
    pub repeat_days: u32,
    /// Fewest demands in a repeat group.
    pub min_repeats: u32,
    /// How many 每月一题 candidates to list.
    pub topics: u32,
    /// How many hotspots and repeat groups to list (the totals count all).
    pub max_listed: u32,
}

impl Default for HotspotParams {
    fn default() -> Self {
        Self {
            baseline_days: 84,
            alpha: 0.01,
            min_count: 5,
            min_ratio: 1.5,
            repeat_days: 30,
            min_repeats: 2,
            topics: 10,
            max_listed: 50,
        }
    }
}

/// An id with a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Counted {
    /// Street, category or unit id.
    pub id: String,
    /// Cases of that id in the window.
    pub count: u32,
}

/// A category in an area above its own baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Hotspot {
    /// Street code (the district when the case had no street).
    pub area: String,
    /// Category code.
    pub category: String,
    /// Cases in the window.
    pub count: u32,
    /// Cases in the baseline.
    pub baseline_count: u32,
    /// Expected cases in the window (λ).
    pub expected: f64,
    /// count / expected.
    pub ratio: f64,
    /// P(X ≥ count | λ), Poisson.
    pub p_value: f64,
    /// Lead units of the window's cases.
    pub units: Vec<Counted>,
}

/// Demands with one fingerprint within the repeat window of each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RepeatGroup {
    /// The fingerprint (validation's, or category and address).
    pub fingerprint: String,
    /// Number of demands.
    pub count: u32,
    /// Their case numbers, oldest first.
    pub cases: Vec<String>,
    /// First received.
    pub first_at: String,
    /// Last received.
    pub last_at: String,
    /// Area of the latest.
    pub area: String,
    /// Category of the latest.
    pub category: String,
    /// Lead units involved.
    pub units: Vec<String>,
}

/// A 每月一题 candidate: a category with the evidence for taking it up city- or district-wide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Topic {
    /// Category code.
    pub category: String,
    /// Cases in the window.
    pub count: u32,
    /// Cases in the previous period.
    pub previous_count: u32,
    /// count − previous count.
    pub change: i64,
    /// Expected from the baseline.
    pub expected: f64,
    /// count − expected: what ranks the candidates.
    pub excess: f64,
    /// Areas with cases.
    pub areas: u32,
    /// The areas with most cases.
    pub top_areas: Vec<Counted>,
    /// The lead units with most cases.
    pub units: Vec<Counted>,
    /// Cases in repeat groups.
    pub repeat_cases: u32,
    /// Hotspot cells of this category.
    pub hotspot_cells: u32,
    /// Valid callbacks of the window's cases.
    pub callbacks: u32,
    /// Of those, 不满意.
    pub dissatisfied: u32,
}

/// The proactive-governance report of one period (public JSON shape of `minyi hotspots --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HotspotReport {
    /// Period label.
    pub period: String,
    /// Window start.
    pub from: String,
    /// Window end (exclusive).
    pub to: String,
    /// Baseline start (it ends where the window starts).
    pub baseline_from: String,
    /// District filter.
    pub district: Option<String>,
    /// Events after this were ignored.
    pub as_of: Option<String>,
    /// The statistics used.
    pub params: HotspotParams,
    /// The statistic, in words.
    pub statistic: String,
    /// Cells with at least `min_count` cases in the window.
    pub tested_cells: u32,
    /// All hotspots found.
    pub hotspots_total: u32,
    /// The most significant hotspots.
    pub hotspots: Vec<Hotspot>,
    /// All repeat groups found.
    pub repeats_total: u32,
    /// The largest repeat groups.
    pub repeats: Vec<RepeatGroup>,
    /// 每月一题 candidates.
    pub topics: Vec<Topic>,
    /// What limits the report (e.g. a baseline the events do not cover).
    pub warnings: Vec<String>,
}
