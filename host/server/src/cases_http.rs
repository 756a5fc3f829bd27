//! The case API: `POST /api/cases` (intake: stored first, then validated, routed and dispatched),
//! `GET /api/cases/{id}` (the whole case for its district's admins; where it stands for the holder of
//! its tracking token) and `GET /api/cases` (a listing for admins, a district admin's own district).

use crate::plugins_http::{blocking, token};
use crate::{AppError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use minyi_cases::{CaseStore, Filter};
use minyi_registry::{Admin, RegistryError};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The case routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/cases", get(list).post(submit)).route("/api/cases/{id}", get(show))
}

fn store(state: &AppState) -> Result<Arc<CaseStore>, AppError> {
    state.cases.clone().ok_or_else(|| AppError::Unavailable {
        code: "cases.none",
        message: "this server has no case store: start it with `minyi serve --db FILE|URL`".into(),
    })
}

/// `POST /api/cases`: a case-form document in. 201 with the case number, tracking token, validation
/// result and routing decision; 422 when the form is invalid (stored, `rejected`, issues named); 400
/// when it is not a case form at all (stored too); 503 when it could not be stored.
async fn submit(State(state): State<AppState>, body: String) -> Result<Response, AppError> {
    let store = store(&state)?;
    let report = blocking(move || Ok(crate::intake::intake(&state, &store, &body, crate::beijing_time())?)).await?;
    let status = match (report.state.as_str(), report.code.is_some()) {
        ("rejected", true) => StatusCode::BAD_REQUEST,
        ("rejected", false) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::CREATED,
    };
    let location = format!("/api/cases/{}", report.case_id);
    Ok((status, [(header::LOCATION, location)], Json(report)).into_response())
}

fn admin(state: &AppState, token: &str) -> Result<Admin, AppError> {
    let plugins = state.plugins.as_ref().ok_or(RegistryError::Unauthenticated)?;
    Ok(plugins.registry.authenticate(token)?)
}

/// The district an admin's listing covers: the one asked for, else the admin's own (a city admin's:
/// every district); refused outside the admin's district.
pub(crate) fn scope(admin: &Admin, asked: Option<String>) -> Result<Option<String>, RegistryError> {
    let district = asked.or_else(|| admin.district.clone());
    if let Some(d) = &district {
        admin.may_act_on(d)?;
    }
    Ok(district)
}

/// Refuses an admin outside the case's district; a case with no district (unreadable) is a city admin's.
pub(crate) fn may_read(admin: &Admin, store: &CaseStore, case_id: &str) -> Result<(), AppError> {
    let district = store.district_of(case_id)?;
    Ok(admin.may_act_on(district.as_deref().unwrap_or_default())?)
}

/// Where a case stands, for the citizen: no personal data, no internals.
fn citizen_view(case: &minyi_cases::StoredCase) -> Value {
    let history: Vec<Value> = case
        .events
        .iter()
        .filter_map(|e| serde_json::to_value(e).ok())
        .map(|e| json!({ "type": e["type"], "at": e["at"] }))
        .collect();
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
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let store = store(&state)?;
    let token = token(&headers)?;
    blocking(move || {
        if store.check_token(&id, &token)? {
            return Ok(Json(citizen_view(&store.get(&id)?)));
        }
        let admin = admin(&state, &token)?;
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
    state: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/cases[?district=&state=&limit=]` for admins, newest first; a district admin sees their
/// own district (and is refused another's).
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, AppError> {
    let Query(q) = q?;
    let store = store(&state)?;
    let token = token(&headers)?;
    blocking(move || {
        let admin = admin(&state, &token)?;
        let district = scope(&admin, q.district)?;
        let filter = Filter { district: district.as_deref(), state: q.state.as_deref(), limit: q.limit.unwrap_or(100) };
        Ok(Json(json!({ "cases": store.list(&filter)? })))
    })
    .await
}
