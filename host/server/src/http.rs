//! HTTP routes: the validation and routing APIs, the component bytes (exactly those the runtime loaded) and
//! the web app.

use crate::AppError;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use minyi_runtime::bindings::types::CaseContext;
use minyi_runtime::{CompiledRules, Runtime};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::ServeDir;

/// Shared state of the service.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The component runtime.
    pub runtime: Arc<Runtime>,
    /// Folder of the built web app (`cargo xtask dist` writes it).
    pub web_dir: PathBuf,
    /// The district's rule set, compiled inside the router component (`minyi serve --rules FILE`).
    pub rules: Option<Arc<CompiledRules<'static>>>,
    /// District plugins: the registry and the host running its active versions (`minyi serve --db FILE`).
    pub plugins: Option<Arc<crate::plugins_http::Plugins>>,
    /// Where cases are stored on receipt (`minyi serve --db FILE`, the same database).
    pub cases: Option<Arc<minyi_cases::CaseStore>>,
}

/// The service's routes.
pub fn app(state: AppState) -> Router {
    let web = ServeDir::new(&state.web_dir);
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/components", get(components))
        .route("/api/validate", post(validate))
        .route("/api/route", post(route))
        .route("/components/{file}", get(component_bytes))
        .merge(crate::plugins_http::routes())
        .merge(crate::cases_http::routes())
        .fallback_service(web)
        .with_state(state)
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

/// Serves the very bytes the runtime compiled, so the browser runs what the server runs.
async fn component_bytes(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, AppError> {
    let name = file.strip_suffix(".wasm").ok_or_else(|| AppError::NotFound(file.clone()))?;
    let info = state.runtime.component(name).ok_or_else(|| AppError::NotFound(file.clone()))?;
    let headers = [
        (header::CONTENT_TYPE, "application/wasm".to_owned()),
        (header::CACHE_CONTROL, "no-cache".to_owned()),
        (header::HeaderName::from_static("x-minyi-sha256"), info.sha256.clone()),
    ];
    Ok((headers, Bytes::from(info.bytes.to_vec())).into_response())
}

#[derive(Deserialize)]
struct ValidateQuery {
    now: Option<String>,
    /// The case number, when the caller has stored the case: a plugin fault is stored with it.
    case: Option<String>,
}

/// `POST /api/validate[?case=ID]`: a case-form document in, a validation-result document out (the
/// authoritative check).
async fn validate(
    State(state): State<AppState>,
    q: Result<Query<ValidateQuery>, QueryRejection>,
    body: String,
) -> Result<Response, AppError> {
    let Query(q) = q?;
    let now = q.now.unwrap_or_else(crate::beijing_now);
    let runtime = state.runtime.clone();
    let plugins = state.plugins.clone();
    let json = tokio::task::spawn_blocking(move || {
        let json = runtime.validate_json(&body, &now)?;
        Ok::<_, minyi_runtime::CallError>(match plugins {
            Some(p) => crate::plugins_http::apply_validation(&p, q.case.as_deref(), json),
            None => json,
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

#[derive(Deserialize)]
struct RouteQuery {
    /// Earlier demands of the same reporter or address.
    #[serde(default)]
    repeat: u32,
    /// The case number, when the caller has stored the case: a plugin fault is stored with it.
    case: Option<String>,
}

/// `POST /api/route?repeat=N[&case=ID]`: a case-form document in, a routing-decision document out (explanation included).
async fn route(
    State(state): State<AppState>,
    q: Result<Query<RouteQuery>, QueryRejection>,
    body: String,
) -> Result<Response, AppError> {
    let Query(q) = q?;
    let rules = state.rules.clone().ok_or_else(|| AppError::Unavailable {
        code: "rules.none",
        message: "this server has no rule set: start it with `minyi serve --rules FILE`".into(),
    })?;
    let plugins = state.plugins.clone();
    let json = tokio::task::spawn_blocking(move || {
        let json = rules.route_json(&body, CaseContext { repeat_count: q.repeat })?;
        Ok::<_, minyi_runtime::CallError>(match plugins {
            Some(p) => crate::plugins_http::apply_routing(&p, q.case.as_deref(), &body, json),
            None => json,
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    fn state() -> AppState {
        let runtime = Arc::new(Runtime::new(Default::default()).expect("components load"));
        let beijing = include_str!("../../../components/routing/rulesets/beijing.toml");
        let rules = runtime.compile_rules_shared(beijing).expect("runs").expect("the Beijing set compiles");
        AppState { runtime, web_dir: std::env::temp_dir(), rules: Some(Arc::new(rules)), plugins: None, cases: None }
    }

    #[tokio::test]
    async fn route_endpoint_returns_the_decision_with_its_explanation() {
        let form = r#"{"district":"110105","street":"110105026","channel":"web","kind":"complaint","category":"utilities.heating.outage","title":"暖气不热","description":"","address":"望京","consent":true,"received_at":"2026-11-29T10:00:00+08:00"}"#;
        let req = Request::post("/api/route?repeat=5").body(Body::from(form)).expect("request");
        let (status, body) = send(app(state()), req).await;
        assert_eq!(status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!((v["lead"].as_str(), v["tier"].as_str()), (Some("bj.heating"), Some("urgent")), "{v}");
        assert_eq!(v["escalate"], serde_json::json!(["110105.gov"]), "the fifth repeat is supervised");
        assert_eq!(v["explanation"]["fired"][0]["rule"], "repeat-3");

        let req = Request::post("/api/route").body(Body::from("{\"kind\": 3}")).expect("request");
        let (status, body) = send(app(state()), req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["code"], "json.invalid");

        let mut without = state();
        without.rules = None;
        let req = Request::post("/api/route").body(Body::from(form)).expect("request");
        let (status, body) = send(app(without), req).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["code"], "rules.none");
    }

    async fn send(app: Router, req: Request<Body>) -> (StatusCode, Vec<u8>) {
        let res = app.oneshot(req).await.expect("infallible");
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
        (status, body.to_vec())
    }

    #[tokio::test]
    async fn validate_endpoint_reports_field_issues() {
        let form = r#"{"district":"110105","channel":"web","kind":"complaint","category":"urban.sanitation.garbage","title":"垃圾没人清运","description":"垃圾三天没人清运了","address":"望京","reporter":{"phone":"1380013"},"consent":true,"received_at":"2026-11-29T10:00:00+08:00"}"#;
        let req =
            Request::post("/api/validate?now=2026-11-29T10:05:00%2B08:00").body(Body::from(form)).expect("request");
        let (status, body) = send(app(state()), req).await;
        assert_eq!(status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["valid"], false);
        assert_eq!(v["issues"].as_array().map(Vec::len), Some(1), "{v}");
        assert_eq!(v["normalized"]["street"], "110105026", "望京 resolved to its street");
        assert_eq!(v["issues"][0]["field"], "reporter.phone");
        assert_eq!(v["issues"][0]["code"], "phone.invalid");
    }

    #[tokio::test]
    async fn malformed_json_is_a_400_naming_the_problem() {
        let req = Request::post("/api/validate").body(Body::from("{")).expect("request");
        let (status, body) = send(app(state()), req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["code"], "json.invalid");
    }

    #[tokio::test]
    async fn serves_the_loaded_component_bytes() {
        let state = state();
        let expected = state.runtime.component("validator").expect("loaded").bytes.clone();
        let (status, body) =
            send(app(state), Request::get("/components/validator.wasm").body(Body::empty()).expect("request")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, expected.to_vec());
        let (status, _) =
            send(app(self::state()), Request::get("/components/nope.wasm").body(Body::empty()).expect("request")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
