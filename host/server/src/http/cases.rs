//! The case API: `POST /api/cases` (intake: stored first, then validated, routed and dispatched),
//! `GET /api/cases/{id}` (the whole case for its district's admins; where it stands for the holder of
//! its tracking token) and `GET /api/cases` (a listing for admins, a district admin's own district).

use super::{AdminAuth, AppState, Bearer, blocking};
use crate::AppError;
use crate::access::may_read;
use axum::extract::rejection::{PathRejection, QueryRejection, StringRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use minyi_auth::AuthError;
use minyi_cases::Filter;
use minyi_model::CaseState;
use serde::Deserialize;
use serde_json::{Value, json};

/// The case routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/cases", get(list).post(submit)).route("/api/cases/{id}", get(show))
}

/// `POST /api/cases`: a case-form document in. 201 with the case number, tracking token, validation
/// result and routing decision; 422 when the form is invalid (stored, `rejected`, issues named); 400
/// when it is not a case form at all (stored too); 503 when it could not be stored.
async fn submit(State(state): State<AppState>, body: Result<String, StringRejection>) -> Result<Response, AppError> {
    let store = state.cases()?;
    let body = body?;
    let report =
        blocking(move || Ok(crate::intake::intake(&state, &store, &body, crate::clock::beijing_time())?)).await?;
    let status = match (report.state, report.code.is_some()) {
        (CaseState::Rejected, true) => StatusCode::BAD_REQUEST,
        (CaseState::Rejected, false) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::CREATED,
    };
    let location = format!("/api/cases/{}", report.case_id);
    Ok((status, [(header::LOCATION, location)], Json(report)).into_response())
}

/// Where a case stands, for the citizen: no personal data, no internals.
fn citizen_view(case: &minyi_cases::StoredCase) -> Value {
    let history: Vec<Value> = case.events.iter().map(|e| json!({ "type": e.event.kind(), "at": e.at })).collect();
    let decision = case.decision.as_ref();
    json!({
        "case_id": case.case_id,
        "received_at": case.received_at,
        "state": case.state,
        "lead": decision.and_then(|d| d.get("lead")),
        "deadline": decision.and_then(|d| d.get("deadline")),
        "history": history,
    })
}

/// `GET /api/cases/{id}` with `Authorization: Bearer <token>`: the tracking token gets where the case
/// stands; an admin of its district (or a city admin) gets the whole case and its plugin faults.
async fn show(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, AppError> {
    let store = state.cases()?;
    let Path(id) = id?;
    blocking(move || {
        if store.check_token(&id, &token)? {
            return Ok(Json(citizen_view(&store.get(&id)?)));
        }
        let admin = state.admins.as_ref().ok_or(AuthError::Unauthenticated)?.authenticate(&token)?;
        may_read(&admin, &store, &id)?;
        let case = store.get(&id)?;
        let faults = match &state.plugins {
            Some(p) => {
                p.registry.persist(&p.host)?;
                p.registry.case_faults(&admin, &id)?
            }
            None => Vec::new(),
        };
        let mut out = serde_json::to_value(&case).map_err(|e| AppError::Internal(e.to_string()))?;
        out["plugin_faults"] = serde_json::to_value(faults).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Json(out))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    district: Option<String>,
    state: Option<CaseState>,
    limit: Option<u32>,
}

/// `GET /api/cases[?district=&state=&limit=]` for admins, newest first; a district admin sees their
/// own district (and is refused another's).
async fn list(
    State(state): State<AppState>,
    AdminAuth(admin): AdminAuth,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, AppError> {
    let Query(q) = q?;
    let store = state.cases()?;
    blocking(move || {
        let district = admin.scope(q.district)?;
        let filter = Filter { district: district.as_deref(), state: q.state, limit: q.limit.unwrap_or(100) };
        Ok(Json(json!({ "cases": store.list(&filter)? })))
    })
    .await
}
