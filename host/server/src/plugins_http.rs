//! District plugins in the service: the registry and the plugin host kept in step (a sync at start and
//! every half second, so every node on one database runs the same versions), the hooks applied to
//! `/api/validate` and `/api/route`, the admin endpoints, and `/metrics` in Prometheus text format.

use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use minyi_registry::{Manifest, Registry};
use minyi_runtime::convert;
use minyi_runtime::plugin::{HookOutcome, LATENCY_BUCKETS_US, PluginHost, PluginHostConfig};
use serde::Deserialize;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

/// The registry and the plugin host it feeds.
#[derive(Debug)]
pub struct Plugins {
    /// Where versions and the active one per district live.
    pub registry: Registry,
    /// Where the active versions run.
    pub host: PluginHost,
}

impl Plugins {
    /// Opens the registry at `db` (an SQLite file, or a `postgres://` URL), builds the host and loads
    /// the active versions.
    pub fn open(db: &str) -> anyhow::Result<Arc<Plugins>> {
        let registry = Registry::open_url(db)?;
        let plugins = Arc::new(Plugins { registry, host: PluginHost::new(PluginHostConfig::default())? });
        let loaded = plugins.registry.sync(&plugins.host)?;
        tracing::info!(backend = plugins.registry.backend(), districts = ?loaded, "plugin registry loaded");
        Ok(plugins)
    }

    /// Keeps the host in step with the database: a sync every `every` (cheap when nothing changed),
    /// which also writes down the host's plugin faults and breaker trips.
    pub fn watch(self: &Arc<Self>, every: Duration) {
        let plugins = Arc::downgrade(self);
        std::thread::spawn(move || {
            while let Some(p) = plugins.upgrade() {
                if let Err(e) = p.registry.sync(&p.host) {
                    tracing::warn!(error = %e, "plugin registry sync failed; will retry");
                }
                drop(p);
                std::thread::sleep(every);
            }
        });
    }
}

/// Admin and metrics routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/api/admin/plugins", post(upload))
        .route("/api/admin/plugins/{district}", get(list))
        .route("/api/admin/plugins/{district}/activate", post(activate))
        .route("/api/admin/plugins/{district}/rollback", post(rollback))
        .route("/api/admin/plugins/{district}/disable", post(disable))
}

fn plugins(state: &AppState) -> Result<Arc<Plugins>, AppError> {
    state.plugins.clone().ok_or_else(|| AppError::NotFound("this server runs without a plugin registry".into()))
}

/// The bearer token of a request (checked against the registry inside the blocking task).
/// The token of `Authorization: Bearer <token>`.
pub(crate) fn token(headers: &HeaderMap) -> Result<String, AppError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(minyi_registry::RegistryError::Unauthenticated)?;
    Ok(token.trim().to_owned())
}

/// Runs registry or store work on a blocking thread, never on the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AppError::Internal(e.to_string()))?
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadBody {
    manifest: Manifest,
    /// The component bytes, hex.
    component_hex: String,
}

/// `POST /api/admin/plugins`: a signed manifest and the component (hex) in; the stored version out.
async fn upload(State(state): State<AppState>, headers: HeaderMap, body: String) -> Result<Response, AppError> {
    let p = plugins(&state)?;
    let token = token(&headers)?;
    let body: UploadBody = crate::error::json_body(&body)?;
    let bytes = hex::decode(body.component_hex.trim()).map_err(|_| AppError::BadRequest {
        code: "component.invalid".into(),
        message: "component_hex: not hex".into(),
    })?;
    let row = blocking(move || {
        let admin = p.registry.authenticate(&token)?;
        Ok(p.registry.upload(&admin, &body.manifest, &bytes, &p.host)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

/// `GET /api/admin/plugins/{district}`: versions, the running plugin's status on this node, and the
/// district's newest stored faults (from every node, each with its case).
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(district): Path<String>,
) -> Result<Json<Value>, AppError> {
    let p = plugins(&state)?;
    let token = token(&headers)?;
    blocking(move || {
        let admin = p.registry.authenticate(&token)?;
        let versions = p.registry.list(&admin, &district)?;
        p.registry.persist(&p.host)?;
        let faults = p.registry.faults(&admin, &district, 100)?;
        Ok(Json(json!({ "versions": versions, "running": p.host.status(&district), "faults": faults })))
    })
    .await
}

/// After a change: brings this node's host to the database at once, and answers with what now runs.
fn synced(p: &Plugins, district: &str) -> Result<Json<Value>, AppError> {
    p.registry.sync(&p.host)?;
    Ok(Json(json!({ "district": district, "running": p.host.status(district) })))
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
    headers: HeaderMap,
    Path(district): Path<String>,
    body: String,
) -> Result<Json<Value>, AppError> {
    let p = plugins(&state)?;
    let body: ActivateBody = crate::error::json_body(&body)?;
    let token = token(&headers)?;
    blocking(move || {
        let admin = p.registry.authenticate(&token)?;
        p.registry.activate(&admin, &district, &body.name, &body.version)?;
        synced(&p, &district)
    })
    .await
}

/// `POST /api/admin/plugins/{district}/rollback`.
async fn rollback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(district): Path<String>,
) -> Result<Json<Value>, AppError> {
    let p = plugins(&state)?;
    let token = token(&headers)?;
    blocking(move || {
        let admin = p.registry.authenticate(&token)?;
        p.registry.rollback(&admin, &district)?;
        synced(&p, &district)
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisableBody {
    reason: String,
}

/// `POST /api/admin/plugins/{district}/disable` `{"reason"}`.
async fn disable(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(district): Path<String>,
    body: String,
) -> Result<Json<Value>, AppError> {
    let p = plugins(&state)?;
    let body: DisableBody = crate::error::json_body(&body)?;
    let token = token(&headers)?;
    blocking(move || {
        let admin = p.registry.authenticate(&token)?;
        p.registry.disable(&admin, &district, &body.reason)?;
        synced(&p, &district)
    })
    .await
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `GET /metrics`: per plugin, calls, faults by kind and a latency histogram (Prometheus text format).
async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP minyi_plugin_calls_total Hook calls made to a district plugin.\n# TYPE minyi_plugin_calls_total counter"
    );
    let active = state.plugins.as_ref().map(|p| p.host.metrics()).unwrap_or_default();
    for (district, name, version, m) in &active {
        let labels =
            format!("district=\"{}\",plugin=\"{}\",version=\"{}\"", label(district), label(name), label(version));
        let _ = writeln!(
            out,
            "minyi_plugin_calls_total{{{labels}}} {}",
            m.calls.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        out,
        "# HELP minyi_plugin_faults_total Plugin calls that faulted, by kind.\n# TYPE minyi_plugin_faults_total counter"
    );
    for (district, name, version, m) in &active {
        let labels =
            format!("district=\"{}\",plugin=\"{}\",version=\"{}\"", label(district), label(name), label(version));
        for (kind, n) in m.faults.lock().map(|f| f.clone()).unwrap_or_default() {
            let _ = writeln!(out, "minyi_plugin_faults_total{{{labels},kind=\"{kind}\"}} {n}");
        }
    }
    let _ = writeln!(
        out,
        "# HELP minyi_plugin_call_duration_seconds Plugin hook call latency.\n# TYPE minyi_plugin_call_duration_seconds histogram"
    );
    for (district, name, version, m) in &active {
        let labels =
            format!("district=\"{}\",plugin=\"{}\",version=\"{}\"", label(district), label(name), label(version));
        let mut cumulative = 0u64;
        for (i, bound) in LATENCY_BUCKETS_US.iter().enumerate() {
            cumulative += m.latency[i].load(std::sync::atomic::Ordering::Relaxed);
            let _ = writeln!(
                out,
                "minyi_plugin_call_duration_seconds_bucket{{{labels},le=\"{}\"}} {cumulative}",
                *bound as f64 / 1e6
            );
        }
        cumulative += m.latency[LATENCY_BUCKETS_US.len()].load(std::sync::atomic::Ordering::Relaxed);
        let _ = writeln!(out, "minyi_plugin_call_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {cumulative}");
        let sum = m.latency_sum_us.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "minyi_plugin_call_duration_seconds_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "minyi_plugin_call_duration_seconds_count{{{labels}}} {cumulative}");
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

fn plugin_note<T>(p: &Plugins, district: &str, out: &HookOutcome<T>) -> Value {
    let status = p.host.status(district);
    json!({
        "name": status.as_ref().map(|s| s.name.clone()),
        "version": status.as_ref().map(|s| s.version.clone()),
        "applied": out.applied,
        "fault": out.fault,
    })
}

/// Adds the district plugin's extra issues to a validation result (a valid form only; a plugin fault
/// leaves the base result, is reported under `plugin` and is stored with `case_id`).
pub fn apply_validation(p: &Plugins, case_id: Option<&str>, result_json: String) -> String {
    let Ok(mut result) = serde_json::from_str::<Value>(&result_json) else { return result_json };
    if result["valid"] != true {
        return result_json;
    }
    let Ok(form) = serde_json::from_value::<minyi_model::CaseForm>(result["normalized"].clone()) else {
        return result_json;
    };
    if p.host.status(&form.district).is_none_or(|s| !s.hooks.contains(&"validation")) {
        return result_json;
    }
    let out = p.host.extra_issues(&form.district, case_id, &convert::case_form(&form));
    let extra: Vec<minyi_model::Issue> = out.value.iter().map(convert::issue_to_model).collect();
    if extra.iter().any(|i| i.severity == minyi_model::Severity::Error) {
        result["valid"] = json!(false);
    }
    if let Some(issues) = result["issues"].as_array_mut() {
        issues.extend(extra.iter().filter_map(|i| serde_json::to_value(i).ok()));
    }
    result["plugin"] = plugin_note(p, &form.district, &out);
    serde_json::to_string(&result).unwrap_or(result_json)
}

/// Lets the district plugin amend a routing decision (a fault leaves the base decision, is reported
/// under `plugin` and is stored with `case_id`).
pub fn apply_routing(p: &Plugins, case_id: Option<&str>, form_json: &str, decision_json: String) -> String {
    let Ok(form) = serde_json::from_str::<minyi_model::CaseForm>(form_json) else { return decision_json };
    if p.host.status(&form.district).is_none_or(|s| !s.hooks.contains(&"routing")) {
        return decision_json;
    }
    let Ok(base) = serde_json::from_str::<minyi_model::RoutingDecision>(&decision_json) else { return decision_json };
    let out = p.host.amend_route(&form.district, case_id, &convert::case_form(&form), convert::decision_to_wit(&base));
    let Ok(mut decision) = serde_json::to_value(convert::decision_to_model(&out.value)) else { return decision_json };
    decision["plugin"] = plugin_note(p, &form.district, &out);
    serde_json::to_string(&decision).unwrap_or(decision_json)
}
