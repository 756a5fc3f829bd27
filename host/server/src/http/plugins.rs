//! The plugin admin endpoints: upload a signed version, list versions with what runs and the newest
//! faults, activate, roll back, disable. A district admin acts on their own district only.

use super::api::{Api, Auth, Op};
use super::{AppState, StaffAuth, blocking};
use crate::AppError;
use crate::error::json_body;
use crate::plugins::Plugins;
use axum::Json;
use axum::extract::rejection::{PathRejection, StringRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minyi_plugins::PluginStatus;
use minyi_registry::{Manifest, StoredFault, VersionRow};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The admin routes.
pub(super) fn routes() -> Api {
    let district = ("district", "the district code, e.g. `110108`");
    let refused: &[(u16, &str)] = &[
        (400, "a malformed body"),
        (401, "no token or an unknown one"),
        (403, "not this district's admin or the city's"),
        (404, "no such version"),
        (409, "refused in the plugin's current state"),
        (503, "the service runs without a plugin registry"),
    ];
    Api::new()
        .post(
            "/api/admin/plugins",
            Op::new(
                "plugins",
                "Uploads a signed plugin version (manifest and component); it does not run until activated.",
            )
            .auth(Auth::Staff)
            .body::<UploadBody>()
            .answers::<VersionRow>(201, "the stored version")
            .fails(refused),
            upload,
        )
        .get(
            "/api/admin/plugins/{district}",
            Op::new("plugins", "A district's plugin versions, what runs on this node, and the newest faults.")
                .auth(Auth::Staff)
                .param(district.0, district.1)
                .answers::<PluginList>(200, "versions, the running plugin and faults")
                .fails(refused),
            list,
        )
        .post(
            "/api/admin/plugins/{district}/activate",
            Op::new("plugins", "Activates a stored version for the district, on every node.")
                .auth(Auth::Staff)
                .param(district.0, district.1)
                .body::<ActivateBody>()
                .answers::<Running>(200, "what now runs")
                .fails(refused),
            activate,
        )
        .post(
            "/api/admin/plugins/{district}/rollback",
            Op::new("plugins", "Goes back to the version active before the current one.")
                .auth(Auth::Staff)
                .param(district.0, district.1)
                .answers::<Running>(200, "what now runs")
                .fails(refused),
            rollback,
        )
        .post(
            "/api/admin/plugins/{district}/disable",
            Op::new("plugins", "Disables the district's active plugin; the base results stand.")
                .auth(Auth::Staff)
                .param(district.0, district.1)
                .body::<DisableBody>()
                .answers::<Running>(200, "what now runs")
                .fails(refused),
            disable,
        )
}

/// A district's plugins, for its admin.
#[derive(Serialize, JsonSchema)]
struct PluginList {
    /// Every stored version.
    versions: Vec<VersionRow>,
    /// The plugin this node runs for the district, if any.
    running: Option<PluginStatus>,
    /// The newest stored faults (from every node, each with its case).
    faults: Vec<StoredFault>,
}

/// What runs after a change.
#[derive(Serialize, JsonSchema)]
struct Running {
    /// The district code.
    district: String,
    /// The plugin this node now runs for it, if any.
    running: Option<PluginStatus>,
}

/// A plugin version to store.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct UploadBody {
    /// The signed manifest.
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
) -> Result<Json<PluginList>, AppError> {
    let p = state.plugins()?;
    let Path(district) = district?;
    blocking(move || {
        let versions = p.registry.list(&admin, &district)?;
        p.registry.persist(&p.host)?;
        let faults = p.registry.faults(&admin, &district, 100)?;
        Ok(Json(PluginList { versions, running: p.host.status(&district), faults }))
    })
    .await
}

/// Runs a change on the district's plugins, then brings this node's host to the database at once and
/// answers with what now runs.
async fn change(
    state: AppState,
    district: Result<Path<String>, PathRejection>,
    op: impl FnOnce(&Plugins, &str) -> Result<(), minyi_registry::RegistryError> + Send + 'static,
) -> Result<Json<Running>, AppError> {
    let p = state.plugins()?;
    let Path(district) = district?;
    blocking(move || {
        op(&p, &district)?;
        p.registry.sync(&p.host)?;
        let running = p.host.status(&district);
        Ok(Json(Running { district, running }))
    })
    .await
}

/// The version to activate.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ActivateBody {
    /// Plugin name.
    name: String,
    /// Its version.
    version: String,
}

/// `POST /api/admin/plugins/{district}/activate` `{"name", "version"}`.
async fn activate(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    district: Result<Path<String>, PathRejection>,
    body: Result<String, StringRejection>,
) -> Result<Json<Running>, AppError> {
    let body: ActivateBody = json_body(&body?)?;
    change(state, district, move |p, d| p.registry.activate(&admin, d, &body.name, &body.version)).await
}

/// `POST /api/admin/plugins/{district}/rollback`.
async fn rollback(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    district: Result<Path<String>, PathRejection>,
) -> Result<Json<Running>, AppError> {
    change(state, district, move |p, d| p.registry.rollback(&admin, d).map(drop)).await
}

/// Why the plugin is disabled.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DisableBody {
    /// Kept in the plugin's history.
    reason: String,
}

/// `POST /api/admin/plugins/{district}/disable` `{"reason"}`.
async fn disable(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    district: Result<Path<String>, PathRejection>,
    body: Result<String, StringRejection>,
) -> Result<Json<Running>, AppError> {
    let body: DisableBody = json_body(&body?)?;
    change(state, district, move |p, d| p.registry.disable(&admin, d, &body.reason)).await
}
