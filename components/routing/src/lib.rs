//! Pure core of routing: a district's rule set (data) compiled once, cases in, explained decisions out.
//!
//! No IO and no clock: deadlines come from the form's `received_at` and the holiday calendar data.
#![deny(missing_docs)]

pub mod calendar;
mod compile;
mod cond;
mod decide;
mod examples;
mod format;
mod geo;
mod template;
#[cfg(test)]
mod tests;

pub use compile::{RuleSet, compile, expanded_json};
pub use decide::{DEFAULT_RULE, HOTLINE_CENTRE, route};
pub use examples::run_examples;
pub use format::{DayKind, ForEach, FormField, Grid, HitPolicy};

pub use minyi_model::CaseContext;
use minyi_model::{CaseForm, RuleError};

/// A request that cannot be routed at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RouteError {
    /// The rule set has errors.
    #[error("the rule set has {} error(s); first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Rules(Vec<RuleError>),
    /// The form document is not JSON of the case-form shape.
    #[error("form is not a valid case-form document: {0}")]
    Json(String),
    /// The form's `received_at` is not RFC 3339, so no deadline can be set.
    #[error("received_at is not an RFC 3339 timestamp: {0:?}")]
    ReceivedAt(String),
    /// The case-context document is not JSON of the case-context shape.
    #[error("context is not a valid case-context document: {0}")]
    Context(String),
}

impl RouteError {
    /// Stable machine code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            RouteError::Rules(_) => "rules.invalid",
            RouteError::Json(_) => "json.invalid",
            RouteError::ReceivedAt(_) => "received_at.invalid",
            RouteError::Context(_) => "context.invalid",
        }
    }
}

/// Checks a rule set: every error and warning, by line and column (empty when it is sound).
pub fn check_rules(source: &str) -> Vec<RuleError> {
    match compile(source) {
        Ok(rules) => rules.warnings,
        Err(all) => all,
    }
}

/// Routes a case-form document with a compiled rule set; the decision document out.
pub fn route_json(rules: &RuleSet, form_json: &str, context: CaseContext) -> Result<String, RouteError> {
    let form: CaseForm = minyi_model::json::from_str(form_json).map_err(RouteError::Json)?;
    let decision = route(rules, &form, context)?;
    serde_json::to_string(&decision).map_err(|e| RouteError::Json(e.to_string()))
}

/// `route_json` with the whole case context as a document (`{"repeat_count": 2, "suggestion":
/// {"category": …, "confidence": 0.83}}`): the context the WIT record cannot carry without a new
/// version of `minyi:casework`.
pub fn route_with_context_json(rules: &RuleSet, form_json: &str, context_json: &str) -> Result<String, RouteError> {
    let context = CaseContext::from_json(context_json).map_err(RouteError::Context)?;
    route_json(rules, form_json, context)
}

/// Compiles the rule set and routes one case-form document: for one-off use (compile once to route many).
pub fn route_source_json(source: &str, form_json: &str, context: CaseContext) -> Result<String, RouteError> {
    let rules = compile(source).map_err(RouteError::Rules)?;
    route_json(&rules, form_json, context)
}
