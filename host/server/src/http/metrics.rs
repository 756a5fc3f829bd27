//! `GET /metrics`: the plugin host's counters in Prometheus text format (empty without plugins).

use super::AppState;
use super::api::{Api, Op};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The metrics route.
pub(super) fn routes() -> Api {
    Api::new().get(
        "/metrics",
        Op::new("service", "The plugin host's counters (calls, faults, latency), Prometheus text format.").answers_raw(
            200,
            "the metrics",
            "text/plain",
        ),
        metrics,
    )
}

async fn metrics(State(state): State<AppState>) -> Response {
    let text = state.plugins.as_ref().map(|p| p.host.prometheus_text()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
