//! Casework after dispatch over HTTP: `POST /api/cases/{id}/events` (a staff member's step: 201 with
//! the stored event and the new state; 403 when their role or unit may not; 409 when the case's state
//! does not allow it), `POST /api/cases/{id}/callback` (回访: the citizen with the tracking token, or
//! staff on the phone), `GET /api/audit?case=ID` (district and city admins), and the time-limit sweep
//! the service runs every minute.

use super::{AppState, Bearer, Remote, StaffAuth, blocking};
use crate::AppError;
use crate::casework::{self, Caller};
use axum::extract::rejection::{PathRejection, QueryRejection, StringRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use minyi_auth::{AuthError, Role};
use minyi_cases::Acted;
use serde::Deserialize;
use serde_json::{Value, json};

/// The casework routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/cases/{id}/events", post(event))
        .route("/api/cases/{id}/callback", post(callback))
        .route("/api/audit", get(audit))
}

/// The answer to a step: the event as stored and the state it left.
fn written(acted: Acted) -> (StatusCode, Json<Value>) {
    let event = acted.events.into_iter().next();
    (StatusCode::CREATED, Json(json!({ "event": event, "state": acted.state })))
}

/// `POST /api/cases/{id}/events` with a staff token; the body is a case event without `case_id`, `at`,
/// `by` and `reviewer` (filled from the server's clock and the token).
async fn event(
    State(state): State<AppState>,
    StaffAuth(staff): StaffAuth,
    Remote(remote): Remote,
    id: Result<Path<String>, PathRejection>,
    body: Result<String, StringRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let store = state.cases()?;
    let Path(id) = id?;
    let body = body?;
    blocking(move || {
        let now = state.clock.now();
        Ok(written(casework::act(&store, &staff, remote.as_deref(), &id, &body, now)?))
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
) -> Result<(StatusCode, Json<Value>), AppError> {
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
        Ok(written(acted))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    case: String,
}

/// `GET /api/audit?case=ID`: every read by staff and every change of the case — who, role, what, when,
/// from where — for its district's admins and the city's.
async fn audit(
    State(state): State<AppState>,
    StaffAuth(staff): StaffAuth,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Value>, AppError> {
    let Query(q) = q?;
    let store = state.cases()?;
    blocking(move || {
        staff.one_of(&[Role::City, Role::District])?;
        let district = store.district_of(&q.case)?;
        staff.administers(district.as_deref().unwrap_or_default())?;
        Ok(Json(json!({ "case_id": q.case, "entries": store.audit_log(&q.case)? })))
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
