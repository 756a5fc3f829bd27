//! The HTTP API: `app(state)` builds the router, tested with `tower::ServiceExt::oneshot` without a
//! socket. One file per resource, each declaring its routes through `api::Api` (so each is in the
//! OpenAPI document); here the state, the blocking helper and the extractors that say who may call a
//! handler (`Bearer`, `StaffAuth`, `Remote`).

mod admin;
mod api;
mod assets;
mod attachments;
mod browser_plugin;
mod cases;
mod casework;
mod check;
mod components;
mod districts;
mod guard;
mod metrics;
mod open311;
mod plugins;
mod replay;
mod scores;
mod widget;

pub use assets::warm;
pub(crate) use casework::sweep_every;
pub use guard::{Buckets, Guard, Rate};
pub(crate) use plugins::MANIFEST_HEADER;
pub(crate) use widget::origin;

use crate::AppError;
use crate::plugins::Plugins;
use api::{Api, Op};
use axum::Router;
use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use minyi_auth::{Admins, AuthError, Staff};
use minyi_runtime::{CompiledRules, Runtime};
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;

/// Shared state of the service.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The component runtime.
    pub runtime: Arc<Runtime>,
    /// Folder of the built web app (`cargo xtask dist` writes it).
    pub web_dir: PathBuf,
    /// The district's rule set, compiled inside the router component (`minyi serve --rules FILE`).
    pub rules: Option<Arc<CompiledRules<'static>>>,
    /// District plugins: the registry and the host running its active versions (`minyi serve --db`).
    pub plugins: Option<Arc<Plugins>>,
    /// Where cases are stored on receipt (`minyi serve --db`, the same database).
    pub cases: Option<Arc<minyi_cases::CaseStore>>,
    /// Who may act: the staff and client tokens (`minyi serve --db`, the same database).
    pub admins: Option<Arc<Admins>>,
    /// The service's clock: receipts, events and time left are stamped from it.
    pub clock: crate::clock::Clock,
    /// Origins whose pages may embed the widget and call the API (`minyi serve --allow-origin`); none
    /// by default.
    pub allow_origins: Vec<String>,
    /// The limits on callers: body sizes, the anonymous rate, the request deadline, `/metrics`.
    pub guard: Guard,
    /// The category classifier's model, loaded into the classifier component (`minyi serve
    /// --classifier FILE`): intake suggests a category for a form that has none.
    pub classifier: Option<Arc<minyi_runtime::LoadedModel<'static>>>,
}

impl AppState {
    /// A service of the components and the web app in `web_dir` alone: validation, the widget and its
    /// files; no rule set, no database (so no cases, plugins or tokens), no origin allowed, the
    /// default limits. Set the other fields for more.
    pub fn stateless(runtime: Arc<Runtime>, web_dir: PathBuf) -> AppState {
        AppState {
            runtime,
            web_dir,
            rules: None,
            plugins: None,
            cases: None,
            admins: None,
            clock: crate::clock::Clock::default(),
            allow_origins: Vec::new(),
            guard: Guard::default(),
            classifier: None,
        }
    }

    /// The plugins, or 503 `plugins.none`.
    pub(crate) fn plugins(&self) -> Result<Arc<Plugins>, AppError> {
        self.plugins
            .clone()
            .ok_or(AppError::Off { feature: "plugins", how: "start it with `minyi serve --db FILE|URL`" })
    }

    /// The case store, or 503 `cases.none`.
    pub(crate) fn cases(&self) -> Result<Arc<minyi_cases::CaseStore>, AppError> {
        self.cases.clone().ok_or(AppError::Off { feature: "cases", how: "start it with `minyi serve --db FILE|URL`" })
    }

    /// The rule set, or 503 `rules.none`.
    pub(crate) fn rules(&self) -> Result<Arc<CompiledRules<'static>>, AppError> {
        self.rules.clone().ok_or(AppError::Off { feature: "rules", how: "start it with `minyi serve --rules FILE`" })
    }
}

/// Every route of the service, each with its description.
pub(crate) fn routes() -> Api {
    Api::new()
        .get(
            "/healthz",
            Op::new("service", "Liveness: `ok` while the process serves.").answers_raw(200, "ok", "text/plain"),
            || async { "ok" },
        )
        .get(
            "/api/openapi.json",
            Op::new("service", "This document: the service's OpenAPI 3.1 description, generated from its routes.")
                .answers_raw(200, "the OpenAPI document", "application/json"),
            openapi_json,
        )
        .merge(components::routes())
        .merge(admin::routes())
        .merge(check::routes())
        .merge(metrics::routes())
        .merge(plugins::routes())
        .merge(districts::routes())
        .merge(browser_plugin::routes())
        .merge(cases::routes())
        .merge(replay::routes())
        .merge(attachments::routes())
        .merge(casework::routes())
        .merge(scores::routes())
        .merge(open311::routes())
        .merge(widget::routes())
}

/// The OpenAPI 3.1 document of every route the service serves (`GET /api/openapi.json`, committed as
/// `host/server/api/openapi.json`).
pub fn openapi() -> serde_json::Value {
    api::document(&routes().into_parts().1)
}

/// The document, built once per process.
async fn openapi_json() -> axum::response::Response {
    use axum::response::IntoResponse;
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(|| serde_json::to_string_pretty(&openapi()).unwrap_or_default());
    ([(header::CONTENT_TYPE, "application/json")], doc.as_str()).into_response()
}

/// The service's routes.
pub fn app(state: AppState) -> Router {
    let cors = widget::cors(&state.allow_origins);
    let (router, _) = routes().into_parts();
    router
        .fallback(assets::site)
        .layer(axum::extract::DefaultBodyLimit::max(state.guard.body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::guard))
        .layer(CompressionLayer::new())
        .layer(cors)
        .with_state(state)
}

/// Runs database or component work on a blocking thread, never on the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AppError::Internal(e.to_string()))?
}

/// The token of `Authorization: Bearer <token>`: an admin's, or a case's tracking token. Missing: 401.
#[derive(Debug, Clone)]
pub(crate) struct Bearer(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Unauthenticated)?;
        Ok(Bearer(token.to_owned()))
    }
}

/// The holder of a live staff or client token (its role says what it may do): 401 without one.
#[derive(Debug, Clone)]
pub(crate) struct StaffAuth(pub(crate) Staff);

impl<S: Send + Sync> FromRequestParts<S> for StaffAuth
where
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Bearer(token) = Bearer::from_request_parts(parts, state).await?;
        let admins = AppState::from_ref(state).admins.ok_or(AuthError::Unauthenticated)?;
        blocking(move || Ok(StaffAuth(admins.authenticate(&token)?))).await
    }
}

/// No `Authorization` header: `None`; a header: the token must be live (401 otherwise).
impl<S: Send + Sync> OptionalFromRequestParts<S> for StaffAuth
where
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, AppError> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(None);
        }
        <StaffAuth as FromRequestParts<S>>::from_request_parts(parts, state).await.map(Some)
    }
}

/// The peer's address, when the service runs on a socket (`minyi serve`); for the audit log.
#[derive(Debug, Clone)]
pub(crate) struct Remote(pub(crate) Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Remote {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(Remote(peer.map(|c| c.0.to_string())))
    }
}
