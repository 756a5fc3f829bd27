//! Intake (受理): a demand is stored exactly as received, then validated (the district plugin's extra
//! checks included), then routed (the plugin's amendment included) and dispatched — each step written
//! to the case's history as it ends. A failure after the case is stored moves it to `pending_manual`;
//! nothing that arrived is ever lost.

use crate::AppState;
use chrono::{DateTime, FixedOffset};
use minyi_cases::{CaseError, CaseStore, Outcome, Receipt};
use minyi_model::{CaseEvent, CaseState, Event, IntakeReport, RoutingDecision, Severity, ValidationResult};
use minyi_runtime::CallError;
use minyi_runtime::bindings::types::CaseContext;

/// How far back earlier demands of the same reporter, street and category count as repeats (重复诉求).
pub const REPEAT_WINDOW_DAYS: u32 = 30;

/// Who writes the events intake writes.
const BY: &str = "minyi-intake";

/// Stores `body` (a case-form document — or any bytes at all) and takes it as far as it goes. Fails
/// only when the case could not be stored; every later failure is written down and leaves the case
/// `pending_manual`.
pub fn intake(
    state: &AppState,
    store: &CaseStore,
    body: &[u8],
    at: DateTime<FixedOffset>,
) -> Result<IntakeReport, CaseError> {
    let receipt = store.receive(body, at)?;
    let mut report = IntakeReport {
        case_id: receipt.case_id.clone(),
        tracking_token: receipt.tracking_token.clone(),
        received_at: receipt.received_at.clone(),
        state: CaseState::Received,
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
    #[error("the {what} the component returned is unreadable: {message}")]
    Unreadable { what: &'static str, message: String },
    #[error("routing refused the form: {code}: {message}")]
    Unroutable { code: String, message: String },
    #[error("this server has no rule set (`minyi serve --rules FILE`)")]
    NoRules,
}

fn event(case_id: &str, at: &str, event: Event) -> CaseEvent {
    CaseEvent { case_id: case_id.to_owned(), at: at.to_owned(), by: Some(BY.to_owned()), event }
}

fn process(
    state: &AppState,
    store: &CaseStore,
    receipt: &Receipt,
    body: &[u8],
    at: DateTime<FixedOffset>,
    report: &mut IntakeReport,
) -> Result<(), Stop> {
    let id = receipt.case_id.as_str();
    let now = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let text = match std::str::from_utf8(body) {
        Ok(text) => Ok(text),
        Err(e) => Err(CallError::Input {
            code: "body.not_utf8".to_owned(),
            message: format!(
                "the body is not UTF-8 text (the bytes at {} are not); 请以 UTF-8 编码提交",
                e.valid_up_to()
            ),
        }),
    };
    let json = match text.and_then(|text| state.runtime.validate_json(text, &now)) {
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
    let result: ValidationResult = serde_json::from_str(&json)
        .map_err(|e| Stop::Unreadable { what: "validation result", message: e.to_string() })?;
    let validation = crate::plugins::validate(state.plugins.as_deref(), Some(id), result);
    let validation_json = serde_json::to_string(&validation)
        .map_err(|e| Stop::Unreadable { what: "validation result", message: e.to_string() })?;
    let form = &validation.result.normalized;
    let district = Some(form.district.clone());
    let category = form.category.clone();
    let fingerprint = Some(validation.result.fingerprint.clone());
    // The receipt that counts — for deadlines and months — is this service's; the citizen's own time
    // of filing is kept as reported, and never moves a clock.
    let received = event(
        id,
        &receipt.received_at,
        Event::Received {
            district: district.clone(),
            street: form.street.clone(),
            category: form.category.clone(),
            address: Some(form.address.clone()),
            fingerprint: fingerprint.clone(),
            reported_at: Some(form.received_at.clone()),
        },
    );
    let outcome = Outcome {
        district: district.as_deref(),
        fingerprint: fingerprint.as_deref(),
        category: category.as_deref(),
        validation: Some(&validation_json),
        decision: None,
    };
    let valid = validation.result.valid;
    let reason = rejection_reason(&validation.result);
    let mut form = validation.result.normalized.clone();
    report.validation = Some(validation);
    // Routing's deadline runs from the service's receipt, not from a time the form claims.
    form.received_at = now.clone();
    if !valid {
        let rejected = event(id, &receipt.received_at, Event::Rejected { reason: reason.clone() });
        report.state = store.record(id, &outcome, &[received, rejected])?;
        report.reason = Some(reason);
        return Ok(());
    }
    report.state = store.record(id, &outcome, &[received, event(id, &receipt.received_at, Event::Accepted {})])?;

    let rules = state.rules.as_ref().ok_or(Stop::NoRules)?;
    let repeats = match &fingerprint {
        Some(f) => store.repeats(f, at, REPEAT_WINDOW_DAYS, id)?,
        None => 0,
    };
    report.repeat_count = Some(repeats);
    let form_json = serde_json::to_string(&form)
        .map_err(|e| Stop::Unreadable { what: "normalised form", message: e.to_string() })?;
    let decision = match rules.route_json(&form_json, CaseContext { repeat_count: repeats }) {
        Ok(d) => d,
        Err(CallError::Input { code, message }) => return Err(Stop::Unroutable { code, message }),
        Err(CallError::Runtime(e)) => return Err(e.into()),
    };
    let decision: RoutingDecision = serde_json::from_str(&decision)
        .map_err(|e| Stop::Unreadable { what: "routing decision", message: e.to_string() })?;
    let routing = crate::plugins::route(state.plugins.as_deref(), Some(id), &form, decision);
    let routing_json = serde_json::to_string(&routing)
        .map_err(|e| Stop::Unreadable { what: "routing decision", message: e.to_string() })?;
    let typed = &routing.result;
    let next = if typed.manual {
        let why = typed.explanation.fired.iter().map(|f| format!("{}: {}", f.rule, f.why)).collect::<Vec<_>>();
        Event::PendingManual { reason: format!("routing asks for an operator ({})", why.join("; ")) }
    } else {
        Event::Dispatched {
            unit: typed.lead.clone(),
            unit_type: None,
            tier: Some(typed.tier),
            deadline: Some(typed.deadline.clone()),
            co_handlers: typed.co_handlers.clone(),
        }
    };
    if let Event::PendingManual { reason } = &next {
        report.reason = Some(reason.clone());
    }
    let outcome = Outcome { decision: Some(&routing_json), ..Outcome::default() };
    report.state = store.record(id, &outcome, &[event(id, &receipt.received_at, next)])?;
    report.routing = Some(routing);
    Ok(())
}

/// The error issues of a validation result, as `field: code` pairs; or where it was redirected.
fn rejection_reason(validation: &ValidationResult) -> String {
    let errors: Vec<String> = validation
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| format!("{}: {}", i.field, i.code))
        .collect();
    match (errors.is_empty(), &validation.redirect) {
        (true, Some(r)) => format!("redirected to {}", r.to),
        (true, None) => "invalid".into(),
        (false, _) => errors.join(", "),
    }
}
