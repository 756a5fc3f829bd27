//! The district data endpoints: a district admin uploads its rule set or form schema (TOML) or its
//! category classifier model (a file `cargo xtask train` wrote), lists the
//! versions, activates one (refused, with the report, unless it checks clean and its examples pass) and
//! rolls back — on every node within a second; anyone reads a district's active schema.

use super::api::{Api, Auth, Op};
use super::{AppState, StaffAuth, blocking};
use crate::AppError;
use crate::error::json_body;
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection, StringRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minyi_registry::{DataKind, DataVersion};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routes.
pub(super) fn routes() -> Api {
    let district = ("district", "the district code, e.g. `110108`");
    let kind = (
        "kind",
        "`rules` (the district's routing rule set), `schema` (its case-form schema) or `model` (its category \
         classifier model)",
    );
    let refused: &[(u16, &str)] = &[
        (400, "a malformed body or version"),
        (401, "no token or an unknown one"),
        (403, "not this district's admin or the city's"),
        (404, "no such kind or version"),
        (409, "another text under that version"),
        (503, "the service runs without a registry"),
    ];
    Api::new()
        .post(
            "/api/admin/districts/{district}/{kind}",
            Op::new(
                "districts",
                "Stores a version of the district's rule set or schema (the TOML text as the body) or model (the \
                 file's bytes), `?version=` optional: else the first 12 hex digits of its SHA-256. It does not apply \
                 until activated, which is where it is checked.",
            )
            .auth(Auth::Staff)
            .param(district.0, district.1)
            .param(kind.0, kind.1)
            .query::<VersionQuery>()
            .body_raw("text/plain")
            .answers::<DataVersion>(201, "the stored version")
            .fails(&[(413, "over the body limit")])
            .fails(refused),
            upload,
        )
        .get(
            "/api/admin/districts/{district}/{kind}",
            Op::new("districts", "The district's stored versions of its rule set or schema, the active one marked.")
                .auth(Auth::Staff)
                .param(district.0, district.1)
                .param(kind.0, kind.1)
                .answers::<Vec<DataVersion>>(200, "the versions, newest first")
                .fails(refused),
            list,
        )
        .post(
            "/api/admin/districts/{district}/{kind}/activate",
            Op::new(
                "districts",
                "Activates a stored version for the district on every node, after checking it again with today's \
                 components: refused with the report when `rules check` finds an error or an example fails.",
            )
            .auth(Auth::Staff)
            .param(district.0, district.1)
            .param(kind.0, kind.1)
            .body::<ActivateData>()
            .answers::<DataState>(200, "what is now active")
            .fails(&[(422, "the check's report: errors, or examples that fail")])
            .fails(refused),
            activate,
        )
        .post(
            "/api/admin/districts/{district}/{kind}/rollback",
            Op::new(
                "districts",
                "Goes back to the version active before the current one; with none, the city's rule set (or the \
                 built-in schemas) decide for the district.",
            )
            .auth(Auth::Staff)
            .param(district.0, district.1)
            .param(kind.0, kind.1)
            .answers::<DataState>(200, "what is now active")
            .fails(refused),
            rollback,
        )
        .get(
            "/api/districts/{district}/schema",
            Op::new(
                "districts",
                "The district's active case-form schema (TOML), for a portal or vendor that validates the district's \
                 forms itself (`validate-json-with-schema`); 404 when the built-in schemas apply.",
            )
            .param(district.0, district.1)
            .answers_raw(200, "the schema", "text/plain")
            .fails(&[(404, "the district has no schema of its own"), (503, "the service runs without a registry")]),
            schema,
        )
}

fn kind_of(kind: &str) -> Result<DataKind, AppError> {
    match kind {
        "rules" => Ok(DataKind::Rules),
        "schema" => Ok(DataKind::Schema),
        "model" => Ok(DataKind::Model),
        other => Err(AppError::NotFound(format!("{other:?}: a district has `rules`, a `schema` and a `model`"))),
    }
}

/// `?version=`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct VersionQuery {
    /// The version to store it under (letters, digits, `.`, `-`, `_`); default: its SHA-256's first 12 hex digits.
    version: Option<String>,
}

/// The version to activate.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ActivateData {
    /// The stored version.
    version: String,
}

/// What a district has active after a change.
#[derive(Serialize, JsonSchema)]
struct DataState {
    /// The district code.
    district: String,
    /// `rules`, `schema` or `model`.
    kind: DataKind,
    /// The active version; none: the city's rule set (the built-in schemas, the service's model) decide.
    active: Option<String>,
}

/// `POST /api/admin/districts/{district}/{kind}[?version=V]`: the TOML text (a model's bytes) as the body.
async fn upload(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<VersionQuery>, QueryRejection>,
    body: axum::body::Body,
) -> Result<Response, AppError> {
    let p = state.plugins()?;
    let Path((district, kind)) = path?;
    let kind = kind_of(&kind)?;
    let Query(query) = query?;
    // Read only for a staff token; a model may be larger than a request body (`--body-limit`).
    let limit = if kind.is_text() { state.guard.body_limit } else { kind.max_bytes() };
    let data = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::TooLarge(format!("a district's {} may have at most {limit} bytes", kind.name())))?;
    if kind.is_text() && std::str::from_utf8(&data).is_err() {
        return Err(AppError::BadRequest {
            code: "body.not_utf8".into(),
            message: format!("the body must be the {}'s TOML text, UTF-8", kind.name()),
        });
    }
    let row =
        blocking(move || Ok(p.registry.upload_data(&admin, &district, kind, query.version.as_deref(), &data)?)).await?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

/// `GET /api/admin/districts/{district}/{kind}`.
async fn list(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Vec<DataVersion>>, AppError> {
    let p = state.plugins()?;
    let Path((district, kind)) = path?;
    let kind = kind_of(&kind)?;
    blocking(move || Ok(Json(p.registry.list_data(&admin, &district, kind)?))).await
}

/// `POST /api/admin/districts/{district}/{kind}/activate` `{"version"}`.
async fn activate(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<String, StringRejection>,
) -> Result<Json<DataState>, AppError> {
    let p = state.plugins()?;
    let Path((district, kind)) = path?;
    let kind = kind_of(&kind)?;
    let body: ActivateData = json_body(&body?)?;
    let runtime = state.runtime.clone();
    blocking(move || {
        let check = |d: &[u8]| crate::districts::check(&runtime, &district, kind, d);
        let row = p.registry.activate_data(&admin, &district, kind, &body.version, &check)?;
        p.districts.sync(&p.registry)?;
        Ok(Json(DataState { district, kind, active: Some(row.version) }))
    })
    .await
}

/// `POST /api/admin/districts/{district}/{kind}/rollback`.
async fn rollback(
    State(state): State<AppState>,
    StaffAuth(admin): StaffAuth,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<DataState>, AppError> {
    let p = state.plugins()?;
    let Path((district, kind)) = path?;
    let kind = kind_of(&kind)?;
    blocking(move || {
        let active = p.registry.rollback_data(&admin, &district, kind)?;
        p.districts.sync(&p.registry)?;
        Ok(Json(DataState { district, kind, active }))
    })
    .await
}

/// `GET /api/districts/{district}/schema`: the active schema's text, as this node has it.
async fn schema(
    State(state): State<AppState>,
    district: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let p = state.plugins()?;
    let Path(district) = district?;
    let loaded = p.districts.get(&district, DataKind::Schema).ok_or_else(|| {
        AppError::NotFound(format!("district {district} has no schema of its own; the built-in ones apply"))
    })?;
    let etag = format!("\"{}\"", loaded.sha256);
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::ETAG, etag.as_str())], loaded.text().to_owned())
        .into_response())
}
