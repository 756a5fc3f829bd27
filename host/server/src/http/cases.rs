//! The case API: `POST /api/cases` (intake: stored first, then validated, routed and dispatched),
//! `GET /api/cases/{id}` (the whole case for staff who may read it, each read written to the audit log;
//! where it stands — the reply and the callback included, no personal data — for the holder of its
//! tracking token; staff also see the files uploaded, `attachments.rs`) and `GET /api/cases` (a unit's queue for its operators; a district's or the city's
//! listing for admins and reviewers), each case with its deadline and the time left.

use super::api::{Api, Auth, Op};
use super::{AppState, Bearer, Remote, StaffAuth, blocking};
use crate::AppError;
use crate::access::may_read;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minyi_auth::{AuthError, Role};
use minyi_cases::Actor;
use minyi_cases::{CaseSummary, Filter, StoredAttachment, StoredCase};
use minyi_model::{CaseForm, CaseState, IntakeReport, Progress};
use minyi_registry::StoredFault;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The case routes.
pub(super) fn routes() -> Api {
    let id = ("id", "the case number, e.g. `BJ-20261205-000042`");
    Api::new()
        .post(
            "/api/cases",
            Op::new("cases", "Files a demand: stored first, then validated, routed and dispatched.")
                .body::<CaseForm>()
                .answers::<IntakeReport>(201, "taken: the case number, tracking token, validation and routing")
                .answers::<IntakeReport>(400, "not a case form at all (stored, rejected)")
                .answers::<IntakeReport>(422, "an invalid form (stored, rejected, each issue named)")
                .fails(&[(413, "the body is too large"), (503, "the case could not be stored")]),
            submit,
        )
        .get(
            "/api/cases",
            Op::new("cases", "A unit's queue for its operators; a district's or the city's listing, newest first.")
                .auth(Auth::Staff)
                .query::<ListQuery>()
                .answers::<CaseList>(200, "the cases, each with its deadline and time left")
                .fails(&[
                    (400, "a bad parameter"),
                    (401, "no token or an unknown one"),
                    (403, "outside the caller's unit or district"),
                ]),
            list,
        )
        .get(
            "/api/cases/{id}",
            Op::new("cases", "Where a case stands (tracking token), or the whole case for staff who may read it.")
                .auth(Auth::Tracking)
                .param(id.0, id.1)
                .answers::<CaseView>(200, "the citizen's view, or the staff's (audited)")
                .fails(&[(401, "no token or an unknown one"), (403, "may not read this case"), (404, "no such case")]),
            show,
        )
}

/// A case as `GET /api/cases/{id}` answers it: where it stands for the holder of its tracking token,
/// the whole case for staff.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // describes what `show` writes
enum CaseView {
    /// For the citizen: the steps, the reply and the latest callback — no personal data.
    Citizen(Progress),
    /// For staff who may read it.
    Staff(StaffCase),
}

/// The whole case, for staff.
#[derive(Serialize, JsonSchema)]
pub(crate) struct StaffCase {
    #[serde(flatten)]
    case: StoredCase,
    /// The plugin faults stored with it (district and city admins; empty for others).
    plugin_faults: Vec<StoredFault>,
    /// The files uploaded for it.
    attachments: Vec<StoredAttachment>,
    /// The kinds of event the caller may write on it now (`POST /api/cases/{id}/events`): its role's
    /// on this case and a legal step from its state.
    actions: Vec<&'static str>,
}

/// A listing of cases.
#[derive(Serialize, JsonSchema)]
struct CaseList {
    /// Newest first.
    cases: Vec<ListedCase>,
    /// When the page is full: pass it as `after` for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

/// A case in a listing.
#[derive(Serialize, JsonSchema)]
struct ListedCase {
    #[serde(flatten)]
    case: CaseSummary,
    /// Seconds to the reply deadline while the reply clock runs; negative when overdue.
    #[serde(skip_serializing_if = "Option::is_none")]
    time_left_s: Option<i64>,
    /// Past the reply deadline with no reply, while the clock runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    overdue: Option<bool>,
    /// 80 % of the reply limit gone with no reply (the sweep's `warning`, written or due), while the
    /// clock runs; overdue cases are warned too.
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<bool>,
}

/// `POST /api/cases`: a case-form document in. 201 with the case number, tracking token, validation
/// result and routing decision; 422 when the form is invalid (stored, `rejected`, issues named); 400
/// when it is not a case form at all (stored too); 503 when it could not be stored.
async fn submit(State(state): State<AppState>, body: Result<Bytes, BytesRejection>) -> Result<Response, AppError> {
    let store = state.cases()?;
    let limit = state.guard.body_limit;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(format!(
            "a demand may have at most {limit} bytes (`minyi serve --body-limit`); 诉求内容过大，请删减后重新提交"
        )),
        _ => AppError::BadRequest { code: "body.invalid".into(), message: e.body_text() },
    })?;
    let report = blocking(move || Ok(crate::intake::intake(&state, &store, &body, state.clock.now())?)).await?;
    let status = match (report.state, report.code.is_some()) {
        (CaseState::Rejected, true) => StatusCode::BAD_REQUEST,
        (CaseState::Rejected, false) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::CREATED,
    };
    let location = format!("/api/cases/{}", report.case_id);
    Ok((status, [(header::LOCATION, location)], Json(report)).into_response())
}

/// Where a case stands, for the citizen: the steps and their times, the unit's reply and the latest
/// callback — no personal data, no names of staff, no internals.
fn citizen_view(case: &StoredCase) -> Progress {
    use minyi_model::{Event, ProgressCallback, ProgressReply, Step};
    let decision = case.decision.as_ref();
    let text = |key: &str| decision.and_then(|d| d.get(key)).and_then(Value::as_str).map(str::to_owned);
    let mut progress = Progress {
        case_id: case.case_id.clone(),
        received_at: case.received_at.clone(),
        state: case.state,
        lead: text("lead"),
        deadline: text("deadline"),
        reply: None,
        callback: None,
        history: case.events.iter().map(|e| Step { kind: e.event.kind().to_owned(), at: e.at.clone() }).collect(),
    };
    for e in &case.events {
        match &e.event {
            Event::Dispatched { unit, deadline, .. } => {
                progress.lead = Some(unit.clone());
                progress.deadline = deadline.clone();
            }
            Event::ExtensionApproved { deadline } => progress.deadline = Some(deadline.clone()),
            Event::Replied { resolved, message } => {
                progress.reply =
                    Some(ProgressReply { at: e.at.clone(), message: message.clone(), resolved: *resolved });
            }
            Event::Callback { resolved, satisfaction, comment, .. } => {
                progress.callback = Some(ProgressCallback {
                    at: e.at.clone(),
                    resolved: *resolved,
                    satisfaction: *satisfaction,
                    comment: comment.clone(),
                });
            }
            _ => {}
        }
    }
    progress
}

/// `GET /api/cases/{id}` with `Authorization: Bearer <token>`: the tracking token gets where the case
/// stands; staff who may read it (`access::may_read`) get the whole case — admins with its plugin
/// faults — and the read is written to the audit log.
async fn show(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    Remote(remote): Remote,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let store = state.cases()?;
    let Path(id) = id?;
    blocking(move || {
        if store.check_token(&id, &token)? {
            return Ok(Json(citizen_view(&store.get(&id)?)).into_response());
        }
        let admin = state.admins.as_ref().ok_or(AuthError::Unauthenticated)?.authenticate(&token)?;
        may_read(&admin, &store, &id)?;
        store.audit_read(&id, &Actor { id: &admin.id, role: admin.role.as_str(), remote: remote.as_deref() })?;
        let case = store.get(&id)?;
        let faults = match &state.plugins {
            Some(p) if matches!(admin.role, Role::City | Role::District) => {
                p.registry.persist(&p.host)?;
                p.registry.case_faults(&admin, &id)?
            }
            _ => Vec::new(),
        };
        let actions = crate::casework::actions(&admin, &case.current()?);
        let attachments = store.attachments(&id)?;
        Ok(Json(StaffCase { case, plugin_faults: faults, attachments, actions }).into_response())
    })
    .await
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// A district code (district admins: their own; the city: any).
    district: Option<String>,
    /// One unit's cases (an operator: only its own).
    unit: Option<String>,
    /// Cases in this state only.
    state: Option<CaseState>,
    /// Cases of this category leaf only (e.g. `utilities.heating.low_temperature`).
    category: Option<String>,
    /// At most this many (default 100, at most 1 000).
    limit: Option<u32>,
    /// The next page: the `next` of the page before (the case number it ended with).
    after: Option<String>,
}

/// `GET /api/cases[?unit=&district=&state=&category=&limit=&after=]`, newest first, a page at a time, each case with its lead, deadline
/// and time left (`time_left_s`, negative when overdue, and `warning` once 80 % of the limit is gone,
/// while the reply clock runs). An operator gets
/// its unit's queue (`unit` may only name its own); district admins and reviewers their district's
/// cases, the city any — narrowed to one unit with `unit`.
async fn list(
    State(state): State<AppState>,
    StaffAuth(staff): StaffAuth,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<CaseList>, AppError> {
    let Query(q) = q?;
    let store = state.cases()?;
    blocking(move || {
        let (district, unit) = match staff.role {
            Role::Operator => {
                let own = staff.unit.clone().unwrap_or_default();
                if q.unit.as_ref().is_some_and(|u| *u != own) {
                    return Err(
                        AuthError::Forbidden(format!("an operator of {own} sees its own unit's queue only")).into()
                    );
                }
                if q.district.is_some() {
                    return Err(
                        AuthError::Forbidden("an operator's queue is its unit's, not a district's".into()).into()
                    );
                }
                (None, Some(own))
            }
            _ => (staff.scope(q.district)?, q.unit),
        };
        let filter = Filter {
            district: district.as_deref(),
            state: q.state,
            unit: unit.as_deref(),
            category: q.category.as_deref(),
            limit: q.limit.unwrap_or(100).clamp(1, 1_000),
            after: q.after.as_deref(),
            ..Filter::default()
        };
        let now = state.clock.now().timestamp_millis();
        let cases: Vec<ListedCase> = store
            .list(&filter)?
            .into_iter()
            .map(|case| {
                let left = case.time_left_s(now);
                ListedCase { time_left_s: left, overdue: left.map(|l| l < 0), warning: case.warned(now), case }
            })
            .collect();
        let full = cases.len() == filter.limit as usize;
        let next = if full { cases.last().map(|c| c.case.case_id.clone()) } else { None };
        Ok(Json(CaseList { cases, next }))
    })
    .await
}
