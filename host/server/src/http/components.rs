//! `GET /api/components` (name, SHA-256 and size of every loaded component) and
//! `GET /components/{name}.wasm`: the very bytes the runtime compiled, so the browser runs what the
//! server runs.

use super::AppState;
use crate::AppError;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

/// The component routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/components", get(components)).route("/components/{file}", get(component_bytes))
}

#[derive(Serialize)]
struct ComponentEntry {
    name: &'static str,
    sha256: String,
    bytes: usize,
    url: String,
}

async fn components(State(state): State<AppState>) -> Json<Vec<ComponentEntry>> {
    Json(
        state
            .runtime
            .components()
            .iter()
            .map(|c| ComponentEntry {
                name: c.name,
                sha256: c.sha256.clone(),
                bytes: c.bytes.len(),
                url: format!("/components/{}.wasm", c.name),
            })
            .collect(),
    )
}

/// The bytes, cached by their hash: the ETag is the SHA-256, so a browser revalidating a copy it holds
/// gets 304 and no body until the host loads other bytes.
async fn component_bytes(
    State(state): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(file) = file?;
    let name = file.strip_suffix(".wasm").ok_or_else(|| AppError::NotFound(file.clone()))?;
    let info = state.runtime.component(name).ok_or_else(|| AppError::NotFound(file.clone()))?;
    let etag = format!("\"{}\"", info.sha256);
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let headers = [
        (header::CONTENT_TYPE, "application/wasm".to_owned()),
        (header::CACHE_CONTROL, "no-cache".to_owned()),
        (header::ETAG, etag),
        (header::HeaderName::from_static("x-minyi-sha256"), info.sha256.clone()),
    ];
    if cached {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    Ok((headers, Bytes::from(info.bytes.to_vec())).into_response())
}
