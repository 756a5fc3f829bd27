//! Callbacks (回访) and unit scores (三率).

use serde::{Deserialize, Serialize};

/// Street or department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitType {
    /// A street or township office.
    Street,
    /// A bureau or utility.
    Department,
}

/// The citizen's satisfaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意.
    Satisfied,
    /// 基本满意.
    BasicallySatisfied,
    /// 不满意.
    Dissatisfied,
}

/// Why a callback is reviewed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExclusionReason {
    /// 无效.
    Invalid,
    /// 不合理诉求.
    Unreasonable,
}

/// A reviewed exclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    /// Why.
    pub reason: ExclusionReason,
    /// Reviewer.
    pub reviewer: String,
    /// Note.
    #[serde(default)]
    pub note: String,
}

/// One callback's answers for one case and its lead unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    /// Case number.
    pub case_id: String,
    /// Unit being rated.
    pub unit: String,
    /// Its type.
    pub unit_type: UnitType,
    /// Contacted in time.
    pub responded: bool,
    /// Problem solved.
    pub resolved: bool,
    /// Satisfaction.
    pub satisfaction: Satisfaction,
    /// Reviewed out of the rates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusion: Option<Exclusion>,
}

/// Scoring policy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreConfig {
    /// Weight of the response rate.
    pub response_weight: f64,
    /// Weight of the resolution rate.
    pub resolution_weight: f64,
    /// Weight of the satisfaction rate.
    pub satisfaction_weight: f64,
    /// Credit for 基本满意.
    pub basically_satisfied_factor: f64,
    /// Minimum valid callbacks to be ranked.
    pub min_valid_callbacks: u32,
}

impl Default for ScoreConfig {
    /// Beijing's defaults: 0.1 / 0.45 / 0.45, factor 0.9, minimum 5.
    fn default() -> Self {
        Self {
            response_weight: 0.1,
            resolution_weight: 0.45,
            satisfaction_weight: 0.45,
            basically_satisfied_factor: 0.9,
            min_valid_callbacks: 5,
        }
    }
}

/// The three rates of one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitScore {
    /// Unit id.
    pub unit: String,
    /// Its type.
    pub unit_type: UnitType,
    /// Valid callbacks.
    pub valid: u32,
    /// Excluded callbacks.
    pub excluded: u32,
    /// Responded count.
    pub responded: u32,
    /// Resolved count.
    pub resolved: u32,
    /// 满意 count.
    pub satisfied: u32,
    /// 基本满意 count.
    pub basically_satisfied: u32,
    /// 不满意 count.
    pub dissatisfied: u32,
    /// responded / valid.
    pub response_rate: f64,
    /// resolved / valid.
    pub resolution_rate: f64,
    /// (satisfied + factor × basically satisfied) / valid.
    pub satisfaction_rate: f64,
    /// Weighted composite.
    pub composite: f64,
    /// Rank among the same type; none below the minimum sample.
    pub rank: Option<u32>,
}
