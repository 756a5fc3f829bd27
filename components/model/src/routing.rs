//! The routing decision and its explanation.

use crate::Severity;
use serde::{Deserialize, Serialize};

/// Time-limit tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

/// The rule id an explanation names when no rule decided and the rule set's default unit (兜底) took the case.
pub const DEFAULT_RULE: &str = "(default)";

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FiredRule {
    /// Rule id.
    pub rule: String,
    /// Which conditions matched.
    pub why: String,
}

/// A rule that almost fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NearMiss {
    /// Rule id.
    pub rule: String,
    /// The condition that failed.
    pub failed: String,
}

/// Rules of the set that were never evaluated for a case, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NotTried {
    /// How many rules.
    pub count: u32,
    /// Why they were not tried: `index` (the index ruled them out: indexed under other categories or
    /// districts), `street_given` (rules for cases without a street), `decided` (after the deciding rule).
    pub reason: String,
    /// The same, in words.
    pub detail: String,
}

/// Why a decision came out as it did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Explanation {
    /// Rules that fired, in order.
    pub fired: Vec<FiredRule>,
    /// The closest rules that did not fire.
    pub near_misses: Vec<NearMiss>,
    /// The rules never evaluated, counted by reason: with `fired` and the candidates that failed, every
    /// rule of the set is accounted for. Absent from decisions made before it was recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_tried: Vec<NotTried>,
}

/// Where a case goes, by when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// Free labels the rules add (`夜间施工`), for queues and reports.
    pub tags: Vec<String>,
    /// Departments summoned (吹哨).
    pub escalate: Vec<String>,
    /// Operator must dispatch by hand.
    pub manual: bool,
    /// The rules behind it.
    pub explanation: Explanation,
    /// What may make the decision wrong later, e.g. a deadline counted in working days of a year the
    /// holiday calendar does not cover yet. Absent when there is nothing to say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A problem in a rule set: an error stops it loading, a warning (a shadowed or overlapping rule) does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RuleError {
    /// 1-based line, 0 when not tied to one.
    pub line: u32,
    /// 1-based column, 0 when not tied to one.
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// Error or warning.
    pub severity: Severity,
}

impl RuleError {
    /// An error at a place.
    pub fn error(line: u32, column: u32, message: impl Into<String>) -> Self {
        Self { line, column, message: message.into(), severity: Severity::Error }
    }

    /// True for errors (as opposed to warnings).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}: {level}: {}", self.line, self.column, self.message)
    }
}

/// Facts about a case that the form does not carry; the host supplies them from its records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CaseContext {
    /// Earlier demands of the same reporter or about the same address (重复诉求), this one not counted.
    #[serde(default)]
    pub repeat_count: u32,
    /// What the classifier made of the case's text, when intake asked it (智能分拨): rules condition on
    /// it with `suggested`, `confidence_below` and `confidence_at_least`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<ContextSuggestion>,
}

/// The classifier's likeliest category for a case's text and its calibrated confidence — given whether
/// or not the classifier abstained (the form's `category` tells whether it was filled in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ContextSuggestion {
    /// Category leaf code, e.g. `urban.sanitation.garbage`.
    pub category: String,
    /// Calibrated confidence, 0 to 1.
    pub confidence: f64,
}

impl CaseContext {
    /// Reads a case-context document (`{"repeat_count": 2, "suggestion": {"category": …, "confidence":
    /// 0.83}}`), checking what serde cannot: a confidence between 0 and 1 and a category that is a code.
    pub fn from_json(json: &str) -> Result<CaseContext, String> {
        let context: CaseContext = crate::json::from_str(json)?;
        context.check()?;
        Ok(context)
    }

    /// What a context read from TOML or JSON must also meet: the field and the problem when it does not.
    pub fn check(&self) -> Result<(), String> {
        if let Some(s) = &self.suggestion {
            if !(0.0..=1.0).contains(&s.confidence) {
                return Err(format!("suggestion.confidence: {} is not between 0 and 1", s.confidence));
            }
            if s.category.trim().is_empty() || s.category.len() > 128 {
                return Err("suggestion.category: must be a category code of 1 to 128 bytes".to_owned());
            }
        }
        Ok(())
    }
}

/// The outcome of one example written inside a rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExampleOutcome {
    /// The example's name.
    pub name: String,
    /// Line of the example in the rule set.
    pub line: u32,
    /// True when the decision met every expectation.
    pub passed: bool,
    /// What differed (`lead: expected X, got Y`), empty when passed.
    pub mismatches: Vec<String>,
    /// The decision the example's case got.
    pub decision: RoutingDecision,
}
