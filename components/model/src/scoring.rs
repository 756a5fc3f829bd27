//! Callbacks (回访) and unit scores (三率).

use serde::{Deserialize, Serialize};

/// Street or department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum UnitType {
    /// A street or township office.
    Street,
    /// A bureau or utility.
    Department,
}

/// The citizen's satisfaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ExclusionReason {
    /// 无效.
    Invalid,
    /// 不合理诉求.
    Unreasonable,
}

/// A reviewed exclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Exclusion {
    /// Invalid (无效) or unreasonable (不合理诉求).
    pub reason: ExclusionReason,
    /// Who reviewed it (a reviewer, or `plugin:<name>@<version>`).
    pub reviewer: String,
    /// The reviewer's note, for the unit that contests it.
    #[serde(default)]
    pub note: String,
}

/// One callback's answers for one case and its lead unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// The citizen's answer: satisfied, basically satisfied or dissatisfied.
    pub satisfaction: Satisfaction,
    /// Reviewed out of the rates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusion: Option<Exclusion>,
}

/// A time limit in hours for each tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TierHours {
    /// Danger to life or property.
    pub emergency: u32,
    /// Utility outages.
    pub urgent: u32,
    /// Everything else.
    pub general: u32,
    /// Ruled complex.
    pub complex: u32,
    /// Answered from the knowledge base.
    pub consult: u32,
}

impl TierHours {
    /// The limit of `tier`, in hours.
    pub fn of(&self, tier: crate::SlaTier) -> u32 {
        use crate::SlaTier::*;
        match tier {
            Emergency => self.emergency,
            Urgent => self.urgent,
            General => self.general,
            Complex => self.complex,
            Consult => self.consult,
        }
    }

    /// First contact (响应): 2 h for emergency and urgent, 24 h otherwise, 1 h for a consult answered on the spot.
    pub const RESPONSE: TierHours = TierHours { emergency: 2, urgent: 2, general: 24, complex: 24, consult: 1 };

    /// Reply when routing gave no deadline: 24 h, 24 h, 7 days, 21 days (≈ 15 working days), 24 h.
    pub const REPLY: TierHours = TierHours { emergency: 24, urgent: 24, general: 168, complex: 504, consult: 24 };
}

/// Scoring policy; every field may be left out of a config document and takes its default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
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
    /// First-contact limit per tier, from dispatch, when the callback does not ask.
    pub response_hours: TierHours,
    /// Reply limit per tier, from receipt, when routing gave no deadline.
    pub reply_hours: TierHours,
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
            response_hours: TierHours::RESPONSE,
            reply_hours: TierHours::REPLY,
        }
    }
}

/// The three rates of one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// Cases of the period the unit leads.
    #[serde(default)]
    pub cases: u32,
    /// Of those, cases replied to.
    #[serde(default)]
    pub replied: u32,
    /// Of those, replied by the deadline.
    #[serde(default)]
    pub replied_on_time: u32,
    /// replied on time / cases.
    #[serde(default)]
    pub on_time_rate: f64,
    /// Month-over-month change; none when the unit had no cases in the previous period.
    #[serde(default)]
    pub trend: Option<UnitTrend>,
}

/// The three rates of every case of a period together — the district's own line when the ranking is
/// of one district, the city's otherwise: the counts are the units' counts summed (each case counts
/// once, for its lead unit), the rates are computed from them as a unit's are.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Overall {
    /// Cases of the period with a lead unit.
    pub cases: u32,
    /// Of those, cases replied to.
    pub replied: u32,
    /// Of those, replied by the deadline.
    pub replied_on_time: u32,
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
    /// replied on time / cases.
    pub on_time_rate: f64,
}

/// A unit's previous-period figures and the change since.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnitTrend {
    /// Composite in the previous period.
    pub previous_composite: f64,
    /// Rank in the previous period, if ranked.
    pub previous_rank: Option<u32>,
    /// composite − previous composite.
    pub composite_change: f64,
    /// previous rank − rank (positive: moved up), when ranked in both.
    pub rank_change: Option<i32>,
}

impl UnitType {
    /// The type a unit code implies when none is given: a 9-digit township code (`110105026`) is a
    /// street, anything else (`bj.heating`, `NYPD`) a department.
    pub fn infer(code: &str) -> UnitType {
        if code.len() == 9 && code.bytes().all(|b| b.is_ascii_digit()) {
            UnitType::Street
        } else {
            UnitType::Department
        }
    }
}
