//! Casework after dispatch, shared by the HTTP API and `minyi case act`: which role may write which
//! event on which case (the table in [`may_write`]), a staff member's event filled in from the server's
//! clock and their token, and the citizen's callback (回访). Every decision is taken inside the case's
//! locked transaction, so a unit that has just lost the case to a re-dispatch can no longer act on it.

use crate::AppError;
use chrono::{DateTime, FixedOffset};
use minyi_auth::{AuthError, Role, Staff};
use minyi_cases::{Acted, Actor, CaseStore, Current};
use minyi_model::{CaseEvent, Event, Satisfaction, ScoreConfig, SlaTier};
use serde::Deserialize;
use serde_json::Value;

/// The longest free text (a reason, a reply, a note, a comment) an event takes, in characters.
pub const MAX_TEXT: usize = 2_000;

/// Fields of an event the server fills itself; a body that sets one is refused.
const SERVER_FIELDS: [&str; 5] = ["case_id", "at", "by", "actor", "reviewer"];

/// The kinds of event `staff` may write on `case` now: its role's on this case ([`may_write`]) and a
/// legal step from the case's state (the lifecycle's `after`). The console offers these and no others;
/// the event itself is still checked field by field when it is written.
pub fn actions(staff: &Staff, case: &Current) -> Vec<&'static str> {
    let none = String::new;
    let samples = [
        Event::InProgress {},
        Event::FirstContact {},
        Event::Acknowledged { unit: staff.unit.clone().unwrap_or_default() },
        Event::Returned { reason: none() },
        Event::ExtensionRequested { reason: none() },
        Event::Replied { resolved: None, message: None },
        Event::Dispatched { unit: none(), unit_type: None, tier: None, deadline: None, co_handlers: Vec::new() },
        Event::Ruling { decision: none() },
        Event::PendingManual { reason: none() },
        Event::ExtensionApproved { deadline: none() },
        Event::ExtensionDenied { reason: none() },
        Event::Callback { responded: None, resolved: true, satisfaction: Satisfaction::Satisfied, comment: None },
        Event::Closed {},
        Event::Reopened { reason: none() },
        Event::Excluded { reason: minyi_model::ExclusionReason::Invalid, reviewer: none(), note: none() },
        Event::ExclusionRevoked { reviewer: none(), note: none() },
    ];
    samples
        .iter()
        .filter(|e| may_write(staff, case, e).is_ok() && case.state.after(e).is_ok())
        .map(Event::kind)
        .collect()
}

/// What the holder of `staff`'s token may write on `case`, or why not (403).
///
/// | role | may write |
/// |---|---|
/// | operator of the lead unit | `first_contact`, `in_progress`, `returned`, `extension_requested`, `replied` |
/// | operator of a co-handler (协办) | `acknowledged` |
/// | district admin (own district), city admin | `dispatched` (改派), `ruling`, `pending_manual`, `extension_approved`, `extension_denied`, `callback` (by phone), `closed`, `reopened` |
/// | reviewer (own district) | `excluded`, `exclusion_revoked`, `callback` (by phone) |
/// | client | nothing |
///
/// `received`, `accepted`, `rejected` (intake) and `warning`, `overdue` (the time-limit sweep) are the
/// service's own.
pub fn may_write(staff: &Staff, case: &Current, event: &Event) -> Result<(), AuthError> {
    let kind = event.kind();
    let refuse = |why: String| Err(AuthError::Forbidden(why));
    if matches!(
        event,
        Event::Received { .. }
            | Event::Accepted {}
            | Event::Rejected { .. }
            | Event::Warning { .. }
            | Event::Overdue { .. }
    ) {
        return refuse(format!("`{kind}` events are written by the service itself, never by hand"));
    }
    let district = case.district.as_deref().unwrap_or_default();
    let allowed: &[&str] = match staff.role {
        Role::Operator => {
            let unit = staff.unit.as_deref().unwrap_or_default();
            let Some(clock) = &case.clock else {
                return refuse(format!("case {} is held by no unit now; unit {unit} may not act on it", case.case_id));
            };
            if clock.lead == unit {
                &["first_contact", "in_progress", "returned", "extension_requested", "replied"]
            } else if clock.co_handlers.iter().any(|c| c == unit) {
                &["acknowledged"]
            } else {
                return refuse(format!("unit {unit} does not hold case {} (its lead is {})", case.case_id, clock.lead));
            }
        }
        Role::District | Role::City => {
            staff.administers(district)?;
            &[
                "dispatched",
                "ruling",
                "pending_manual",
                "extension_approved",
                "extension_denied",
                "callback",
                "closed",
                "reopened",
            ]
        }
        Role::Reviewer => {
            staff.oversees(district)?;
            &["excluded", "exclusion_revoked", "callback"]
        }
        Role::Client => return refuse("a client token files and follows demands; it does not work cases".into()),
    };
    if !allowed.contains(&kind) {
        return refuse(format!(
            "a {} may not write `{kind}` on this case (it may: {})",
            staff.role,
            allowed.join(", ")
        ));
    }
    if let (Event::Acknowledged { unit }, Some(own)) = (event, &staff.unit)
        && unit != own
    {
        return refuse(format!("unit {own} acknowledges for itself, not for {unit}"));
    }
    Ok(())
}

fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Invalid { field: field.to_owned(), code, message: message.into() }
}

fn instant(field: &str, value: &str) -> Result<DateTime<FixedOffset>, AppError> {
    DateTime::parse_from_rfc3339(value.trim())
        .map_err(|_| invalid(field, "time.invalid", format!("{value:?} is not an RFC 3339 instant")))
}

fn unit_code(field: &str, unit: &str) -> Result<(), AppError> {
    let ok = !unit.is_empty()
        && unit.len() <= 64
        && unit.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok { Ok(()) } else { Err(invalid(field, "unit.invalid", format!("{unit:?} is not a unit code"))) }
}

fn text(field: &str, value: &str, required: bool) -> Result<(), AppError> {
    if required && value.trim().is_empty() {
        return Err(invalid(field, "text.required", format!("`{field}` is required and may not be blank")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(invalid(field, "text.too_long", format!("`{field}` takes at most {MAX_TEXT} characters")));
    }
    Ok(())
}

/// Reads a staff member's event body: a case event without `case_id`, `at`, `by`, `actor` and
/// `reviewer` (the server fills them); the event, checked field by field and completed (a re-dispatch
/// without a deadline gets its tier's limit from `now`).
pub fn read_event(staff: &Staff, body: &str, now: DateTime<FixedOffset>) -> Result<Event, AppError> {
    let mut value: Value = serde_json::from_str(body)
        .map_err(|e| AppError::BadRequest { code: "json.invalid".into(), message: e.to_string() })?;
    let Some(object) = value.as_object_mut() else {
        return Err(AppError::BadRequest {
            code: "json.invalid".into(),
            message: "the body is a case event: a JSON object with a `type`".into(),
        });
    };
    if let Some(field) = SERVER_FIELDS.iter().find(|f| object.contains_key(**f)) {
        return Err(invalid(field, "field.reserved", format!("`{field}` is filled by the server; leave it out")));
    }
    match object.get("type").and_then(Value::as_str) {
        Some("excluded" | "exclusion_revoked") => {
            object.insert("reviewer".into(), Value::String(staff.id.clone()));
        }
        Some("acknowledged") if !object.contains_key("unit") => {
            object.insert("unit".into(), staff.unit.clone().map_or(Value::Null, Value::String));
        }
        _ => {}
    }
    let mut event: Event = minyi_model::json::from_str(&value.to_string())
        .map_err(|message| AppError::BadRequest { code: "event.invalid".into(), message })?;
    match &mut event {
        Event::Returned { reason } => text("reason", reason, true)?,
        Event::Ruling { decision } => text("decision", decision, true)?,
        Event::PendingManual { reason } | Event::ExtensionRequested { reason } => text("reason", reason, true)?,
        Event::ExtensionDenied { reason } | Event::Reopened { reason } | Event::Rejected { reason } => {
            text("reason", reason, false)?;
        }
        Event::Replied { message, .. } => text("message", message.as_deref().unwrap_or_default(), false)?,
        Event::Callback { comment, .. } => text("comment", comment.as_deref().unwrap_or_default(), false)?,
        Event::Excluded { note, .. } | Event::ExclusionRevoked { note, .. } => text("note", note, false)?,
        Event::Acknowledged { unit } => unit_code("unit", unit)?,
        Event::ExtensionApproved { deadline } if instant("deadline", deadline)? <= now => {
            return Err(invalid("deadline", "deadline.past", "the new deadline must be later than now"));
        }
        Event::Dispatched { unit, tier, deadline, co_handlers, .. } => {
            unit_code("unit", unit)?;
            if co_handlers.len() > 16 {
                return Err(invalid("co_handlers", "co_handlers.too_many", "at most 16 co-handling units"));
            }
            for (i, c) in co_handlers.iter().enumerate() {
                unit_code(&format!("co_handlers[{i}]"), c)?;
            }
            match deadline {
                Some(d) if instant("deadline", d)? <= now => {
                    return Err(invalid("deadline", "deadline.past", "the deadline must be later than now"));
                }
                Some(_) => {}
                None => {
                    // 改派 restarts the clock: the tier's reply limit from now.
                    let hours = ScoreConfig::default().reply_hours.of(tier.unwrap_or(SlaTier::General));
                    let due = now + chrono::Duration::hours(i64::from(hours));
                    *deadline = Some(due.to_rfc3339_opts(chrono::SecondsFormat::Secs, false));
                }
            }
        }
        _ => {}
    }
    Ok(event)
}

/// Writes a staff member's event on a case: read and checked, allowed for their role and unit on the
/// case as it stands (checked under the case's lock), legal in its state. What was written.
pub fn act(
    store: &CaseStore,
    staff: &Staff,
    remote: Option<&str>,
    case_id: &str,
    body: &str,
    now: DateTime<FixedOffset>,
) -> Result<Acted, AppError> {
    let event = read_event(staff, body, now)?;
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let actor = Actor { id: &staff.id, role: staff.role.as_str(), remote };
    store.act(case_id, &actor, |case| -> Result<Vec<CaseEvent>, AppError> {
        may_write(staff, case, &event)?;
        Ok(vec![CaseEvent { case_id: case_id.to_owned(), at, by: Some(staff.id.clone()), event }])
    })
}

/// The citizen's answers in the callback (回访).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackAnswers {
    /// "Is the problem solved?"
    pub resolved: bool,
    /// "How satisfied are you?"
    pub satisfaction: Satisfaction,
    /// Anything the citizen adds.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Who records a callback: the citizen (their tracking token), or staff on the phone.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// The holder of the case's tracking token.
    Citizen,
    /// A district admin, reviewer or city admin, recording a phone callback.
    Staff(&'a Staff),
}

/// Records a callback as a `callback` event (the latest counts).
pub fn callback(
    store: &CaseStore,
    caller: Caller<'_>,
    remote: Option<&str>,
    case_id: &str,
    body: &str,
    now: DateTime<FixedOffset>,
) -> Result<Acted, AppError> {
    let answers: CallbackAnswers = crate::error::json_body(body)?;
    text("comment", answers.comment.as_deref().unwrap_or_default(), false)?;
    let comment = answers.comment.filter(|c| !c.trim().is_empty());
    let event =
        Event::Callback { responded: None, resolved: answers.resolved, satisfaction: answers.satisfaction, comment };
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let (id, role) = match caller {
        Caller::Citizen => ("citizen", "citizen"),
        Caller::Staff(s) => (s.id.as_str(), s.role.as_str()),
    };
    let actor = Actor { id, role, remote };
    store.act(case_id, &actor, |case| -> Result<Vec<CaseEvent>, AppError> {
        if let Caller::Staff(staff) = caller {
            may_write(staff, case, &event)?;
        }
        Ok(vec![CaseEvent { case_id: case_id.to_owned(), at, by: Some(id.to_owned()), event }])
    })
}
