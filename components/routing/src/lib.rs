//! Pure core of routing: a district's rule set (data) and a case form in, an explained decision out.
//!
//! No IO and no clock: deadlines are computed from the form's `received_at`.
#![deny(missing_docs)]

mod decide;
mod ruleset;

pub use decide::route;
pub use ruleset::{RuleSet, parse};

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
}

impl RouteError {
    /// Stable machine code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            RouteError::Rules(_) => "rules.invalid",
            RouteError::Json(_) => "json.invalid",
            RouteError::ReceivedAt(_) => "received_at.invalid",
        }
    }
}

/// Checks a rule set and returns every problem found (empty when it is sound).
pub fn check_rules(source: &str) -> Vec<RuleError> {
    parse(source).err().unwrap_or_default()
}

/// Parses the rule set and routes one form.
pub fn route_source(source: &str, form: &CaseForm) -> Result<minyi_model::RoutingDecision, RouteError> {
    let rules = parse(source).map_err(RouteError::Rules)?;
    route(&rules, form)
}

/// `route_source` over the public JSON shapes.
pub fn route_json(source: &str, form_json: &str) -> Result<String, RouteError> {
    let form: CaseForm = minyi_model::json::from_str(form_json).map_err(RouteError::Json)?;
    let decision = route_source(source, &form)?;
    serde_json::to_string(&decision).map_err(|e| RouteError::Json(e.to_string()))
}
