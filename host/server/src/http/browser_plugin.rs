//! A district's validation plugin in the citizen's browser: `GET /api/plugins/{district}/browser` says
//! what the district runs (name, version, SHA-256, what it imports and is granted) and, under that
//! hash, serves the plugin's very component bytes and its bindings, transpiled to JS by the transpiler
//! that makes the validator's, with core modules located inside the bytes. A plugin that needs WASI (a
//! Python one) is marked server-only: the page runs nothing and says nothing; the server still runs it.

use super::AppState;
use super::api::{Api, Op};
use crate::AppError;
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use minyi_model::divisions;
use minyi_plugins::{Hook, PluginStatus};
use minyi_transpile::Range;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

/// The routes.
pub(super) fn routes() -> Api {
    let district = ("district", "the district code");
    Api::new()
        .get(
            "/api/plugins/{district}/browser",
            Op::new(
                "widget",
                "The district's validation plugin for the browser: version, SHA-256, imports, grants, URLs.",
            )
            .param(district.0, district.1)
            .answers::<BrowserPointer>(200, "the plugin, or `null` when the district runs none in the browser")
            .fails(&[(422, "not one of Beijing's district codes")]),
            pointer,
        )
        .get(
            "/api/plugins/{district}/browser/{sha}/{file}",
            Op::new("widget", "The active plugin's component bytes or JS bindings, only under the hash it runs now.")
                .param(district.0, district.1)
                .param("sha", "the SHA-256 the pointer gives")
                .param("file", "`plugin.wasm` or `plugin.js`")
                .answers_raw(
                    200,
                    "the bytes (`application/wasm`) or the bindings (`text/javascript`)",
                    "application/wasm",
                )
                .fails(&[(404, "not the hash the district runs now, or another file"), (422, "not a district code")]),
            file,
        )
}

/// What the page asks first.
#[derive(Serialize, JsonSchema)]
struct BrowserPointer {
    /// The district code.
    district: String,
    /// Its validation plugin as the page runs it; `null` when it runs none.
    plugin: Option<BrowserPlugin>,
}

/// The file name the bindings are transpiled under (`plugin.js`, `plugin.core.wasm`, …).
const NAME: &str = "plugin";

/// A plugin as the page gets it.
#[derive(Debug, Serialize, JsonSchema)]
struct BrowserPlugin {
    /// Plugin name.
    name: String,
    /// Its version.
    version: String,
    /// SHA-256 of the component bytes; the page refuses bytes with another hash.
    sha256: String,
    /// False for a plugin only the server runs; then nothing below is set.
    in_browser: bool,
    /// URL of the component bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    component: Option<String>,
    /// URL of the JS bindings.
    #[serde(skip_serializing_if = "Option::is_none")]
    bindings: Option<String>,
    /// Where each core module the bindings load lies inside the component bytes.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    core_modules: BTreeMap<String, Range>,
    /// The interfaces it imports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    imports: Vec<String>,
    /// What the district grants it.
    #[serde(skip_serializing_if = "Option::is_none")]
    grants: Option<BrowserGrants>,
}

/// Exactly what the district grants the plugin, for the page's implementation of its imports.
#[derive(Debug, Serialize, JsonSchema)]
struct BrowserGrants {
    /// The district code.
    district: String,
    /// Configuration (`district-config.get`), only when the plugin imports `district-config`.
    config: BTreeMap<String, String>,
    /// A fixed time for `clock.now`; Beijing's wall clock when none.
    now: Option<String>,
    /// The unit directory (`directory.lookup`), only when the plugin imports `directory`.
    units: Vec<BrowserUnit>,
}

/// A unit of the directory, as `directory.lookup` returns it.
#[derive(Debug, Serialize, JsonSchema)]
struct BrowserUnit {
    /// Unit code.
    id: String,
    /// Its name.
    name: String,
    /// `street` or `department`.
    unit_type: &'static str,
    /// Its district.
    district: Option<String>,
}

/// A transpiled plugin: its bytes, its bindings and where its core modules are.
#[derive(Debug)]
struct Bundle {
    bytes: Vec<u8>,
    bindings: Vec<u8>,
    core_modules: BTreeMap<String, Range>,
}

/// Transpiled plugins by SHA-256: a version is transpiled once per node.
fn bundles() -> &'static Mutex<HashMap<String, Arc<Bundle>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Bundle>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Most transpiled versions kept (a node sees a handful: one per district with a plugin).
const KEPT: usize = 64;

fn bundle(state: &AppState, sha256: &str) -> Result<Arc<Bundle>, AppError> {
    if let Some(b) = bundles().lock().ok().and_then(|c| c.get(sha256).cloned()) {
        return Ok(b);
    }
    let bytes = state.plugins()?.registry.component(sha256)?;
    let started = std::time::Instant::now();
    let mut t = minyi_transpile::transpile(NAME, &bytes).map_err(|e| AppError::Internal(e.to_string()))?;
    let bindings = t
        .files
        .remove(&format!("{NAME}.js"))
        .ok_or_else(|| AppError::Internal(format!("transpiling {sha256} gave no {NAME}.js")))?;
    tracing::info!(sha256, elapsed = ?started.elapsed(), "plugin transpiled for the browser");
    let b = Arc::new(Bundle { bytes, bindings, core_modules: t.manifest.core_modules });
    if let Ok(mut cache) = bundles().lock() {
        if cache.len() >= KEPT {
            cache.clear();
        }
        cache.insert(sha256.to_owned(), Arc::clone(&b));
    }
    Ok(b)
}

fn known_district(district: &str) -> Result<(), AppError> {
    if divisions::district(district).is_none_or(|d| d.code != district) {
        return Err(AppError::Invalid {
            field: "district".into(),
            code: "district.unknown",
            message: format!("{district:?} is not the code of one of Beijing's 16 districts"),
        });
    }
    Ok(())
}

/// The district's running plugin when it validates and is not disabled.
fn validating(state: &AppState, district: &str) -> Option<PluginStatus> {
    let p = state.plugins.as_ref()?;
    p.host.status(district).filter(|s| s.disabled.is_none() && s.hooks.contains(&Hook::Validation))
}

fn imports(status: &PluginStatus, interface: &str) -> bool {
    let name = format!("minyi:casework/{interface}@");
    status.imports.iter().any(|i| i.starts_with(&name))
}

/// `GET /api/plugins/{district}/browser`: `{"district", "plugin"}`, the plugin `null` when the district
/// runs no validation plugin (none active, or disabled).
async fn pointer(
    State(state): State<AppState>,
    district: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(district) = district?;
    known_district(&district)?;
    let plugin = super::blocking(move || {
        let Some(status) = validating(&state, &district) else {
            return Ok((district, None));
        };
        let mut out = BrowserPlugin {
            name: status.name.clone(),
            version: status.version.clone(),
            sha256: status.sha256.clone(),
            in_browser: status.in_browser,
            component: None,
            bindings: None,
            core_modules: BTreeMap::new(),
            imports: Vec::new(),
            grants: None,
        };
        if status.in_browser {
            let b = bundle(&state, &status.sha256)?;
            let base = format!("/api/plugins/{district}/browser/{}", status.sha256);
            out.component = Some(format!("{base}/{NAME}.wasm"));
            out.bindings = Some(format!("{base}/{NAME}.js"));
            out.core_modules = b.core_modules.clone();
            let grants = state.plugins()?.host.grants(&district).unwrap_or_default();
            out.grants = Some(BrowserGrants {
                district: grants.district.clone(),
                config: if imports(&status, "district-config") { grants.config.clone() } else { BTreeMap::new() },
                now: grants.now.clone(),
                units: if imports(&status, "directory") { directory(&grants) } else { Vec::new() },
            });
            out.imports = status.imports;
        }
        Ok((district, Some(out)))
    })
    .await?;
    let mut response = Json(BrowserPointer { district: plugin.0, plugin: plugin.1 }).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// What `directory.lookup` finds on the server: the granted units, then every street of Beijing.
fn directory(grants: &minyi_plugins::Grants) -> Vec<BrowserUnit> {
    use minyi_runtime::bindings::types::UnitType;
    let granted = grants.units.values().map(|u| BrowserUnit {
        id: u.id.clone(),
        name: u.name.clone(),
        unit_type: match u.unit_type {
            UnitType::Street => "street",
            UnitType::Department => "department",
        },
        district: u.district.clone(),
    });
    let streets = divisions::DISTRICTS.iter().flat_map(|d| {
        d.streets.iter().map(|s| BrowserUnit {
            id: s.code.to_owned(),
            name: s.name.to_owned(),
            unit_type: "street",
            district: Some(d.code.to_owned()),
        })
    });
    granted.chain(streets).collect()
}

/// `GET /api/plugins/{district}/browser/{sha}/plugin.wasm|plugin.js`: the bytes or the bindings of the
/// version the district runs now; any other hash is 404, so nothing but active plugins leaves the registry.
async fn file(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path((district, sha, file)) = path?;
    known_district(&district)?;
    let content_type = match file.strip_prefix(NAME) {
        Some(".wasm") => "application/wasm",
        Some(".js") => "text/javascript; charset=utf-8",
        _ => return Err(AppError::NotFound(file)),
    };
    let wasm = content_type == "application/wasm";
    let encoded = super::blocking(move || {
        let status = validating(&state, &district)
            .filter(|s| s.in_browser && s.sha256 == sha)
            .ok_or_else(|| AppError::NotFound(format!("plugin {sha} of {district}")))?;
        let b = bundle(&state, &status.sha256)?;
        Ok(if wasm {
            super::assets::encoded(&b.bytes, Some(&status.sha256))
        } else {
            super::assets::encoded(&b.bindings, None)
        })
    })
    .await?;
    let mut response = super::assets::respond(&encoded, content_type, &headers);
    // The URL names the content: it never changes.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    Ok(response)
}
