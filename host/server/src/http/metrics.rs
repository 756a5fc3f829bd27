//! `GET /metrics`: the plugin host's counters in Prometheus text format (empty without plugins), for
//! the metrics token (`minyi serve --metrics-token`, a scraper's) or a city admin.

use super::api::{Api, Auth, Op};
use super::{AppState, Bearer, blocking};
use crate::AppError;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minyi_auth::{AuthError, Role};

/// The metrics route.
pub(super) fn routes() -> Api {
    Api::new().get(
        "/metrics",
        Op::new("service", "The plugin host's counters (calls, faults, latency), Prometheus text format.")
            .auth(Auth::Staff)
            .answers_raw(200, "the metrics", "text/plain")
            .fails(&[(401, "no token or an unknown one"), (403, "neither the metrics token nor a city admin's")]),
        metrics,
    )
}

async fn metrics(State(state): State<AppState>, Bearer(token): Bearer) -> Result<Response, AppError> {
    if !state.guard.is_metrics_token(&token) {
        let admins = state.admins.clone().ok_or(AuthError::Unauthenticated)?;
        let staff = blocking(move || Ok(admins.authenticate(&token)?)).await?;
        if staff.role != Role::City {
            return Err(AuthError::Forbidden("the metrics are for a city admin or the metrics token".into()).into());
        }
    }
    let text = state.plugins.as_ref().map(|p| p.host.prometheus_text()).unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}
