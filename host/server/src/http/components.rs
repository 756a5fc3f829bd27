//! `GET /api/components` (name, SHA-256 and size of every loaded component) and
//! `GET /components/{name}.wasm`: the very bytes the runtime compiled, so the browser runs what the
//! server runs.

use super::AppState;
use crate::AppError;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::sync::Arc;

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

/// The bytes, compressed once and cached by their hash: the ETag is the SHA-256, so a browser
/// revalidating a copy it holds gets 304 and no body until the host loads other bytes.
async fn component_bytes(
    State(state): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(file) = file?;
    let name = file.strip_suffix(".wasm").ok_or_else(|| AppError::NotFound(file.clone()))?.to_owned();
    let runtime = Arc::clone(&state.runtime);
    let found = super::blocking(move || {
        Ok(runtime
            .component(&name)
            .map(|info| (super::assets::encoded(&info.bytes, Some(&info.sha256)), info.sha256.clone())))
    })
    .await?;
    let (encoded, sha) = found.ok_or(AppError::NotFound(file))?;
    let mut response = super::assets::respond(&encoded, "application/wasm", &headers);
    if let Ok(v) = HeaderValue::from_str(&sha) {
        response.headers_mut().insert(HeaderName::from_static("x-minyi-sha256"), v);
    }
    Ok(response)
}
