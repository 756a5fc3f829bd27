//! The plugin admin endpoints: upload a signed version, list versions with what runs and the newest
//! faults, activate, roll back, disable. A district admin acts on their own district only.

use super::api::{Api, Auth, Op};
use super::{AppState, StaffAuth, blocking};
use crate::AppError;
use crate::error::json_body;
use crate::plugins::Plugins;
use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, StringRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
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
                "Uploads a signed plugin version; it does not run until activated. The component as the body \
                 (`Content-Type: application/wasm`, the signed manifest's JSON in base64 in `Minyi-Manifest`, \
                 up to `minyi serve --upload-limit`), or both in JSON (the component in hex).",
            )
            .auth(Auth::Staff)
            .body_raw_or::<UploadBody>("application/wasm")
            .answers::<VersionRow>(201, "the stored version")
            .fails(&[(413, "the component is over the upload limit"), (415, "neither wasm nor JSON")])
            .fails(refused),
            upload,
        )
        // The one body larger than `--body-limit`: the handler reads it up to `--upload-limit`.
        .wrap(|r| r.layer(axum::extract::DefaultBodyLimit::disable()))
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

/// The header carrying the signed manifest of a raw upload: its JSON, in base64.
pub(crate) const MANIFEST_HEADER: &str = "minyi-manifest";

/// `POST /api/admin/plugins`: the component (`application/wasm`, the manifest in `Minyi-Manifest`) or
/// a JSON body with both; the stored version out. The bytes are read only for a staff token, and only
/// up to the upload limit.
async fn upload(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let p = state.plugins()?;
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let media = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    // The raw component has its own limit; a JSON body is a JSON body.
    let (limit, flag) = match media.as_str() {
        "application/wasm" => (state.guard.upload_limit, "--upload-limit"),
        _ => (state.guard.body_limit, "--body-limit"),
    };
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        AppError::TooLarge(format!("this upload may have at most {limit} bytes (`minyi serve {flag}`); send a large component as application/wasm"))
    })?;
    let (manifest, bytes) = match media.as_str() {
        "application/wasm" => {
            let manifest = headers.get(MANIFEST_HEADER).ok_or_else(|| {
                bad("the signed manifest is missing: send its JSON, base64, in the Minyi-Manifest header")
            })?;
            let json = base64::engine::general_purpose::STANDARD
                .decode(manifest.as_bytes().trim_ascii())
                .map_err(|_| bad("Minyi-Manifest: not base64"))?;
            let json = std::str::from_utf8(&json).map_err(|_| bad("Minyi-Manifest: not UTF-8 JSON"))?;
            (json_body::<Manifest>(json)?, bytes.to_vec())
        }
        "application/json" => {
            let text = std::str::from_utf8(&bytes).map_err(|_| bad("the body is not UTF-8"))?;
            let body: UploadBody = json_body(text)?;
            let component = hex::decode(body.component_hex.trim()).map_err(|_| bad("component_hex: not hex"))?;
            (body.manifest, component)
        }
        other => {
            return Err(AppError::Unsupported(format!(
                "{other:?}: send the component as application/wasm (or both as application/json)"
            )));
        }
    };
    let row = blocking(move || Ok(p.registry.upload(&admin, &manifest, &bytes, &p.host)?)).await?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

fn bad(message: &str) -> AppError {
    AppError::BadRequest { code: "component.invalid".into(), message: message.to_owned() }
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
