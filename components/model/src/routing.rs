//! The routing decision and its explanation.

use serde::{Deserialize, Serialize};

/// Time-limit tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SlaTier {
    /// Danger to life or property.
    Emergency,
    /// Utility outages.
    Urgent,
    /// Everything else.
    General,
    /// Ruled complex.
    Complex,
    /// Answered from the knowledge base.
    Consult,
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiredRule {
    /// Rule id.
    pub rule: String,
    /// Which conditions matched.
    pub why: String,
}

/// A rule that almost fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearMiss {
    /// Rule id.
    pub rule: String,
    /// The condition that failed.
    pub failed: String,
}

/// Why a decision came out as it did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// Rules that fired, in order.
    pub fired: Vec<FiredRule>,
    /// The closest rules that did not fire.
    pub near_misses: Vec<NearMiss>,
}

/// Where a case goes, by when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingDecision {
    /// Lead unit (主办).
    pub lead: String,
    /// Co-handlers (协办).
    pub co_handlers: Vec<String>,
    /// Time-limit tier.
    pub tier: SlaTier,
    /// Reply deadline (RFC 3339).
    pub deadline: String,
    /// 1 (highest) to 5.
    pub priority: u8,
    /// Tags.
    pub tags: Vec<String>,
    /// Departments summoned (吹哨).
    pub escalate: Vec<String>,
    /// Operator must dispatch by hand.
    pub manual: bool,
    /// The rules behind it.
    pub explanation: Explanation,
}

/// A problem in a rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleError {
    /// 1-based line, 0 when not tied to one.
    pub line: u32,
    /// 1-based column, 0 when not tied to one.
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}
