//! Intake (受理): a demand is stored exactly as received, then validated (the district plugin's extra
//! checks included), then routed (the plugin's amendment included) and dispatched — each step written
//! to the case's history as it ends. A failure after the case is stored moves it to `pending_manual`;
//! nothing that arrived is ever lost.

use crate::AppState;
use chrono::{DateTime, FixedOffset};
use minyi_cases::{CaseError, CaseStore, Outcome, Receipt};
use minyi_model::{CaseEvent, Event, RoutingDecision};
use minyi_runtime::CallError;
use minyi_runtime::bindings::types::CaseContext;
use serde::Serialize;
use serde_json::Value;

/// How far back earlier demands of the same reporter, street and category count as repeats (重复诉求).
pub const REPEAT_WINDOW_DAYS: u32 = 30;

/// Who writes the events intake writes.
const BY: &str = "minyi-intake";

/// What intake answers.
#[derive(Debug, Clone, Serialize)]
pub struct IntakeReport {
    /// The case number.
    pub case_id: String,
    /// The secret that lets the citizen follow the case (shown once).
    pub tracking_token: String,
    /// When the service stored it.
    pub received_at: String,
    /// Where it stands: `rejected`, `pending_manual` or `dispatched`.
    pub state: String,
    /// The validation result (with the plugin's note), when the form could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<Value>,
    /// The routing decision (with the plugin's note), when routed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<Value>,
    /// Earlier demands of the same reporter, street and category in the last 30 days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_count: Option<u32>,
    /// Why the case is rejected or waits for an operator, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the body was not a usable case form: the stable code of the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Stores `body` (a case-form document) and takes it as far as it goes. Fails only when the case
/// could not be stored; every later failure is written down and leaves the case `pending_manual`.
pub fn intake(
    state: &AppState,
    store: &CaseStore,
    body: &str,
    at: DateTime<FixedOffset>,
) -> Result<IntakeReport, CaseError> {
    let receipt = store.receive(body, at)?;
    let mut report = IntakeReport {
        case_id: receipt.case_id.clone(),
        tracking_token: receipt.tracking_token.clone(),
        received_at: receipt.received_at.clone(),
        state: "received".into(),
        validation: None,
        routing: None,
        repeat_count: None,
        reason: None,
        code: None,
    };
    if let Err(failure) = process(state, store, &receipt, body, at, &mut report) {
        let reason = failure.to_string();
        tracing::warn!(case = %receipt.case_id, %reason, "intake stopped; the case waits for an operator");
        let event = event(&receipt.case_id, &receipt.received_at, Event::PendingManual { reason: reason.clone() });
        report.state = store.record(&receipt.case_id, &Outcome::default(), &[event])?;
        report.reason = Some(reason);
    }
    Ok(report)
}

/// Why intake could not finish on its own.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error("a component failed: {0}")]
    Component(#[from] minyi_runtime::RuntimeError),
    #[error("the case store failed: {0}")]
    Store(#[from] CaseError),
    #[error("{0}")]
    Other(String),
}

fn event(case_id: &str, at: &str, event: Event) -> CaseEvent {
    CaseEvent { case_id: case_id.to_owned(), at: at.to_owned(), by: Some(BY.to_owned()), event }
}

fn text(v: &Value, field: &str) -> Option<String> {
    v.get(field).and_then(Value::as_str).map(str::to_owned)
}

fn process(
    state: &AppState,
    store: &CaseStore,
    receipt: &Receipt,
    body: &str,
    at: DateTime<FixedOffset>,
    report: &mut IntakeReport,
) -> Result<(), Stop> {
    let id = receipt.case_id.as_str();
    let now = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let json = match state.runtime.validate_json(body, &now) {
        Ok(json) => json,
        Err(CallError::Input { code, message }) => {
            let rejected = event(id, &receipt.received_at, Event::Rejected { reason: format!("{code}: {message}") });
            report.state = store.record(id, &Outcome::default(), &[rejected])?;
            report.reason = Some(message);
            report.code = Some(code);
            return Ok(());
        }
        Err(CallError::Runtime(e)) => return Err(e.into()),
    };
    let json = match &state.plugins {
        Some(p) => crate::plugins_http::apply_validation(p, Some(id), json),
        None => json,
    };
    let validation: Value =
        serde_json::from_str(&json).map_err(|e| Stop::Other(format!("the validation result is not JSON: {e}")))?;
    let normalized = validation.get("normalized").cloned().unwrap_or(Value::Null);
    let district = text(&normalized, "district");
    let fingerprint = text(&validation, "fingerprint");
    // The citizen's own time of filing when validation accepted it (it refuses one in the future).
    let filed = text(&normalized, "received_at").unwrap_or_else(|| receipt.received_at.clone());
    let received = event(
        id,
        &filed,
        Event::Received {
            district: district.clone(),
            street: text(&normalized, "street"),
            category: text(&normalized, "category"),
            address: text(&normalized, "address"),
            fingerprint: fingerprint.clone(),
        },
    );
    let outcome = Outcome {
        district: district.as_deref(),
        fingerprint: fingerprint.as_deref(),
        validation: Some(&json),
        decision: None,
    };
    report.validation = Some(validation.clone());
    if validation.get("valid") != Some(&Value::Bool(true)) {
        let reason = rejection_reason(&validation);
        let rejected = event(id, &receipt.received_at, Event::Rejected { reason: reason.clone() });
        report.state = store.record(id, &outcome, &[received, rejected])?;
        report.reason = Some(reason);
        return Ok(());
    }
    report.state = store.record(id, &outcome, &[received, event(id, &receipt.received_at, Event::Accepted {})])?;

    let Some(rules) = &state.rules else {
        return Err(Stop::Other("this server has no rule set (`minyi serve --rules FILE`)".into()));
    };
    let repeats = match &fingerprint {
        Some(f) => store.repeats(f, at, REPEAT_WINDOW_DAYS, id)?,
        None => 0,
    };
    report.repeat_count = Some(repeats);
    let form = normalized.to_string();
    let decision = match rules.route_json(&form, CaseContext { repeat_count: repeats }) {
        Ok(d) => d,
        Err(CallError::Input { code, message }) => {
            return Err(Stop::Other(format!("routing refused the form: {code}: {message}")));
        }
        Err(CallError::Runtime(e)) => return Err(e.into()),
    };
    let decision = match &state.plugins {
        Some(p) => crate::plugins_http::apply_routing(p, Some(id), &form, decision),
        None => decision,
    };
    let routing: Value =
        serde_json::from_str(&decision).map_err(|e| Stop::Other(format!("the routing decision is not JSON: {e}")))?;
    let typed: RoutingDecision = serde_json::from_value(routing.clone())
        .map_err(|e| Stop::Other(format!("the routing decision is unreadable: {e}")))?;
    let next = if typed.manual {
        let why = typed.explanation.fired.iter().map(|f| format!("{}: {}", f.rule, f.why)).collect::<Vec<_>>();
        Event::PendingManual { reason: format!("routing asks for an operator ({})", why.join("; ")) }
    } else {
        Event::Dispatched {
            unit: typed.lead.clone(),
            unit_type: None,
            tier: Some(typed.tier),
            deadline: Some(typed.deadline.clone()),
        }
    };
    if let Event::PendingManual { reason } = &next {
        report.reason = Some(reason.clone());
    }
    let outcome = Outcome { decision: Some(&decision), ..Outcome::default() };
    report.state = store.record(id, &outcome, &[event(id, &receipt.received_at, next)])?;
    report.routing = Some(routing);
    Ok(())
}

/// The error issues of a validation result, as `field: code` pairs.
fn rejection_reason(validation: &Value) -> String {
    let issues = validation.get("issues").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let errors: Vec<String> = issues
        .iter()
        .filter(|i| i.get("severity").and_then(Value::as_str) == Some("error"))
        .map(|i| {
            format!(
                "{}: {}",
                i.get("field").and_then(Value::as_str).unwrap_or("?"),
                i.get("code").and_then(Value::as_str).unwrap_or("?")
            )
        })
        .collect();
    match (errors.is_empty(), validation.get("redirect")) {
        (true, Some(r)) if !r.is_null() => {
            format!("redirected to {}", r.get("to").and_then(Value::as_str).unwrap_or("another service"))
        }
        (true, _) => "invalid".into(),
        (false, _) => errors.join(", "),
    }
}
