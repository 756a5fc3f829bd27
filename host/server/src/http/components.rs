//! `GET /api/components` (name, SHA-256 and size of every loaded component) and
//! `GET /components/{name}.wasm`: the very bytes the runtime compiled, so the browser runs what the
//! server runs.

use super::AppState;
use super::api::{Api, Op};
use crate::AppError;
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use schemars::JsonSchema;
use serde::Serialize;
use std::sync::Arc;

/// The component routes.
pub(super) fn routes() -> Api {
    Api::new()
        .get(
            "/api/components",
            Op::new("components", "The components this host runs: name, SHA-256, size and where to fetch the bytes.")
                .answers::<Vec<ComponentEntry>>(200, "the loaded components"),
            components,
        )
        .get(
            "/components/{file}",
            Op::new("components", "A component's bytes — the same the server runs — with its SHA-256 as ETag.")
                .param("file", "`validator.wasm`, `router.wasm`, `scorer.wasm` or `classifier.wasm`")
                .answers_raw(200, "the component", "application/wasm")
                .answers_raw(304, "the copy held (If-None-Match) is current", "application/wasm")
                .fails(&[(404, "no such component")]),
            component_bytes,
        )
}

/// A loaded component.
#[derive(Serialize, JsonSchema)]
struct ComponentEntry {
    /// `validator`, `router`, `scorer` or `classifier`.
    name: &'static str,
    /// SHA-256 of the bytes, hex.
    sha256: String,
    /// Size in bytes.
    bytes: usize,
    /// Where to fetch them.
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
