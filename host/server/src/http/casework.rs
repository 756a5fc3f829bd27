//! Casework after dispatch over HTTP: `POST /api/cases/{id}/events` (a staff member's step: 201 with
//! the stored event and the new state; 403 when their role or unit may not; 409 when the case's state
//! does not allow it), `POST /api/cases/{id}/callback` (回访: the citizen with the tracking token, or
//! staff on the phone), `GET /api/audit?case=ID` (district and city admins), and the time-limit sweep
//! the service runs every minute. After each change the case's score is decided again and kept
//! (`crate::rescore`).

use super::api::{Api, Auth, Op};
use super::{AppState, Bearer, Remote, StaffAuth, blocking};
use crate::AppError;
use crate::casework::{self, CallbackAnswers, Caller};
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection, StringRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset};
use minyi_auth::{AuthError, Role};
use minyi_cases::{Acted, AuditEntry, CaseStore};
use minyi_model::{CaseEvent, CaseState, Event};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The casework routes.
pub(super) fn routes() -> Api {
    let id = ("id", "the case number");
    Api::new()
        .post(
            "/api/cases/{id}/events",
            Op::new(
                "casework",
                "A staff member's step on a case (accept, 退单, reply, extension, 改派, ruling, close …).",
            )
            .auth(Auth::Staff)
            .param(id.0, id.1)
            .body::<Event>()
            .answers::<Written>(201, "the event as stored and the state it left")
            .fails(&[
                (400, "not a case event"),
                (401, "no token or an unknown one"),
                (403, "the role or unit may not take this step"),
                (404, "no such case"),
                (409, "the case's state does not allow it"),
                (422, "a field is wrong (named); `case_id`, `at`, `by`, `actor`, `reviewer` are filled by the server"),
            ]),
            event,
        )
        .post(
            "/api/cases/{id}/callback",
            Op::new(
                "casework",
                "The callback survey (回访): the citizen with the tracking token, or staff on the phone.",
            )
            .auth(Auth::Tracking)
            .param(id.0, id.1)
            .body::<CallbackAnswers>()
            .answers::<Written>(201, "the callback as stored and the state it left")
            .fails(&[
                (400, "not the callback's answers"),
                (401, "no token or an unknown one"),
                (403, "may not record this case's callback"),
                (404, "no such case"),
                (409, "the case's state does not allow a callback"),
            ]),
            callback,
        )
        .get(
            "/api/audit",
            Op::new("casework", "A case's audit trail: every read by staff and every change, who, when, from where.")
                .auth(Auth::Staff)
                .query::<AuditQuery>()
                .answers::<AuditLog>(200, "the case's audit log, oldest first")
                .fails(&[(401, "no token or an unknown one"), (403, "not the case's district's admin or the city's")]),
            audit,
        )
}

/// The answer to a step.
#[derive(Serialize, JsonSchema)]
struct Written {
    /// The event as stored.
    event: Option<CaseEvent>,
    /// The state it left the case in.
    state: CaseState,
}

/// A case's audit log.
#[derive(Serialize, JsonSchema)]
struct AuditLog {
    /// The case number.
    case_id: String,
    /// Oldest first.
    entries: Vec<AuditEntry>,
}

/// The answer to a step: the event as stored and the state it left.
/// The case's score decided again after a change (see `crate::rescore`). The change is stored either
/// way: a failure here is logged, and the next change decides again.
fn rescore(state: &AppState, store: &CaseStore, id: &str, now: DateTime<FixedOffset>) {
    let now = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    if let Err(e) = crate::rescore::rescore(&state.runtime, state.plugins.as_deref(), store, id, &now) {
        tracing::error!(case = id, error = %e, "the case's score was not decided again");
    }
}

fn written(acted: Acted) -> (StatusCode, Json<Written>) {
    let event = acted.events.into_iter().next();
    (StatusCode::CREATED, Json(Written { event, state: acted.state }))
}

/// `POST /api/cases/{id}/events` with a staff token; the body is a case event without `case_id`, `at`,
/// `by` and `reviewer` (filled from the server's clock and the token).
async fn event(
    State(state): State<AppState>,
    StaffAuth(staff): StaffAuth,
    Remote(remote): Remote,
    id: Result<Path<String>, PathRejection>,
    body: Result<String, StringRejection>,
) -> Result<(StatusCode, Json<Written>), AppError> {
    let store = state.cases()?;
    let Path(id) = id?;
    let body = body?;
    blocking(move || {
        let now = state.clock.now();
        let acted = casework::act(&store, &staff, remote.as_deref(), &id, &body, now)?;
        rescore(&state, &store, &id, now);
        Ok(written(acted))
    })
    .await
}

/// `POST /api/cases/{id}/callback` with the case's tracking token (the citizen) or a district admin's,
/// reviewer's or city admin's token (a phone callback): `{"resolved", "satisfaction", "comment"?}`.
async fn callback(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    Remote(remote): Remote,
    id: Result<Path<String>, PathRejection>,
    body: Result<String, StringRejection>,
) -> Result<(StatusCode, Json<Written>), AppError> {
    let store = state.cases()?;
    let Path(id) = id?;
    let body = body?;
    blocking(move || {
        let now = state.clock.now();
        let acted = if store.check_token(&id, &token)? {
            casework::callback(&store, Caller::Citizen, remote.as_deref(), &id, &body, now)?
        } else {
            let staff = state.admins.as_ref().ok_or(AuthError::Unauthenticated)?.authenticate(&token)?;
            casework::callback(&store, Caller::Staff(&staff), remote.as_deref(), &id, &body, now)?
        };
        rescore(&state, &store, &id, now);
        Ok(written(acted))
    })
    .await
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// The case number.
    case: String,
}

/// `GET /api/audit?case=ID`: every read by staff and every change of the case — who, role, what, when,
/// from where — for its district's admins and the city's.
async fn audit(
    State(state): State<AppState>,
    StaffAuth(staff): StaffAuth,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditLog>, AppError> {
    let Query(q) = q?;
    let store = state.cases()?;
    blocking(move || {
        staff.one_of(&[Role::City, Role::District])?;
        let district = store.district_of(&q.case)?;
        staff.administers(district.as_deref().unwrap_or_default())?;
        let entries = store.audit_log(&q.case)?;
        Ok(Json(AuditLog { case_id: q.case, entries }))
    })
    .await
}

/// Runs the time-limit sweep every `interval` for as long as the service runs (on every host: the
/// store writes each alarm once however many sweep).
pub(crate) fn sweep_every(state: AppState, interval: std::time::Duration) {
    let Some(store) = state.cases.clone() else { return };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let store = store.clone();
            let now = state.clock.now();
            let swept = tokio::task::spawn_blocking(move || store.sweep(now)).await;
            match swept {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "time-limit sweep failed; it runs again next minute"),
                Err(e) => tracing::error!(error = %e, "time-limit sweep panicked"),
            }
        }
    });
}
