//! The plugin admin endpoints: upload a signed version, list versions with what runs and the newest
//! faults, activate, roll back, disable. A district admin acts on their own district only.

use super::{AppState, StaffAuth, blocking};
use crate::AppError;
use crate::error::json_body;
use crate::plugins::Plugins;
use axum::extract::rejection::{PathRejection, StringRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use minyi_registry::Manifest;
use serde::Deserialize;
use serde_json::{Value, json};

/// The admin routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/plugins", post(upload))
        .route("/api/admin/plugins/{district}", get(list))
        .route("/api/admin/plugins/{district}/activate", post(activate))
        .route("/api/admin/plugins/{district}/rollback", post(rollback))
        .route("/api/admin/plugins/{district}/disable", post(disable))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadBody {
    manifest: Manifest,
    /// The component bytes, hex.
    component_hex: String,
}

/// `POST /api/admin/plugins`: a signed manifest and the component (hex) in; the stored version out.
async fn upload(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    body: Result<String, StringRejection>,
) -> Result<Response, AppError> {
    let p = state.plugins()?;
    let body: UploadBody = json_body(&body?)?;
    let bytes = hex::decode(body.component_hex.trim()).map_err(|_| AppError::BadRequest {
        code: "component.invalid".into(),
        message: "component_hex: not hex".into(),
    })?;
    let row = blocking(move || Ok(p.registry.upload(&admin, &body.manifest, &bytes, &p.host)?)).await?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

/// `GET /api/admin/plugins/{district}`: versions, the running plugin's status on this node, and the
/// district's newest stored faults (from every node, each with its case).
async fn list(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    district: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, AppError> {
    let p = state.plugins()?;
    let Path(district) = district?;
    blocking(move || {
        let versions = p.registry.list(&admin, &district)?;
        p.registry.persist(&p.host)?;
        let faults = p.registry.faults(&admin, &district, 100)?;
        Ok(Json(json!({ "versions": versions, "running": p.host.status(&district), "faults": faults })))
    })
    .await
}

/// Runs a change on the district's plugins, then brings this node's host to the database at once and
/// answers with what now runs.
async fn change(
    state: AppState,
    district: Result<Path<String>, PathRejection>,
    op: impl FnOnce(&Plugins, &str) -> Result<(), minyi_registry::RegistryError> + Send + 'static,
) -> Result<Json<Value>, AppError> {
    let p = state.plugins()?;
    let Path(district) = district?;
    blocking(move || {
        op(&p, &district)?;
        p.registry.sync(&p.host)?;
        Ok(Json(json!({ "district": district, "running": p.host.status(&district) })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivateBody {
    name: String,
    version: String,
}

/// `POST /api/admin/plugins/{district}/activate` `{"name", "version"}`.
async fn activate(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    district: Result<Path<String>, PathRejection>,
    body: Result<String, StringRejection>,
) -> Result<Json<Value>, AppError> {
    let body: ActivateBody = json_body(&body?)?;
    change(state, district, move |p, d| p.registry.activate(&admin, d, &body.name, &body.version)).await
}

/// `POST /api/admin/plugins/{district}/rollback`.
async fn rollback(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    district: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, AppError> {
    change(state, district, move |p, d| p.registry.rollback(&admin, d).map(drop)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisableBody {
    reason: String,
}

/// `POST /api/admin/plugins/{district}/disable` `{"reason"}`.
async fn disable(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    district: Result<Path<String>, PathRejection>,
    body: Result<String, StringRejection>,
) -> Result<Json<Value>, AppError> {
    let body: DisableBody = json_body(&body?)?;
    change(state, district, move |p, d| p.registry.disable(&admin, d, &body.reason)).await
}
