//! What intake (受理, `POST /api/cases`) answers: the case number and tracking token of the stored
//! demand, where it stands, and the validation and routing that ran on it.

use crate::{CaseState, Noted, RoutingDecision, ValidationResult};
use serde::{Deserialize, Serialize};

/// The answer to `POST /api/cases` (201 dispatched or waiting, 422 invalid, 400 not a case form): the
/// case is stored in every one of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct IntakeReport {
    /// The case number, e.g. `BJ-20261203-000001`.
    pub case_id: String,
    /// The secret that lets the citizen follow the case (shown once, stored hashed).
    pub tracking_token: String,
    /// When the service stored it (RFC 3339, Beijing time): the receipt time that counts.
    pub received_at: String,
    /// Where it stands: `rejected`, `pending_manual` or `dispatched`.
    pub state: CaseState,
    /// The validation result (with the district plugin's note), when the form could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Noted<ValidationResult>>,
    /// The routing decision (with the district plugin's note), when routed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Noted<RoutingDecision>>,
    /// Earlier demands of the same reporter, street and category in the repeat window (30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_count: Option<u32>,
    /// Why the case is rejected or waits for an operator, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the body was not a usable case form: the stable code of the problem (`json.invalid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// What the citizen's tracking token shows of a case (`GET /api/cases/{id}` with the token): where it
/// stands, who holds it, the deadline, the unit's reply and the citizen's callback, and the timeline —
/// no personal data, no names of staff, no internals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Progress {
    /// The case number.
    pub case_id: String,
    /// When the service stored it.
    pub received_at: String,
    /// Where it stands.
    pub state: CaseState,
    /// The unit leading it, once routed.
    pub lead: Option<String>,
    /// When the unit's reply is due.
    pub deadline: Option<String>,
    /// The unit's latest reply.
    pub reply: Option<ProgressReply>,
    /// The latest callback.
    pub callback: Option<ProgressCallback>,
    /// Each step: its event type (`received`, `dispatched`, `replied` …) and when.
    pub history: Vec<Step>,
}

/// The unit's reply as the citizen sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProgressReply {
    /// When.
    pub at: String,
    /// The reply text.
    pub message: Option<String>,
    /// The unit's own claim that the problem is solved.
    pub resolved: Option<bool>,
}

/// The citizen's latest callback answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProgressCallback {
    /// When.
    pub at: String,
    /// "Was it resolved?"
    pub resolved: bool,
    /// How satisfied.
    pub satisfaction: crate::Satisfaction,
    /// The citizen's comment.
    pub comment: Option<String>,
}

/// One step of a case's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Step {
    /// The event type.
    #[serde(rename = "type")]
    pub kind: String,
    /// When.
    pub at: String,
}
