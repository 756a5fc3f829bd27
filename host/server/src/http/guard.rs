//! The service's guard against hostile and careless callers, around every route: a request id on
//! every answer and in every log line of the request, a per-address rate limit on anonymous API
//! calls (429 with `Retry-After`), a deadline per request (a plugin upload's longer), the body limits, and the rule that every
//! refusal is a `{code, message}` JSON body whoever wrote it — a handler, axum or the router.

use super::AppState;
use crate::AppError;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tracing::Instrument as _;

/// The header carrying a request's id, on every answer.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// How many anonymous API calls one client address may make: `per_second` on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Calls per second, sustained.
    pub per_second: f64,
    /// Calls at once after a quiet spell.
    pub burst: f64,
}

/// The limits of `minyi serve` (each a flag): what a request may carry, how often an address may call,
/// how long a request may take, and who may read `/metrics`.
#[derive(Debug, Clone)]
pub struct Guard {
    /// The largest request body taken — a case form on intake included (`--body-limit`); beyond it a
    /// 413 `body.too_large`.
    pub body_limit: usize,
    /// The largest plugin component uploaded (`--upload-limit`).
    pub upload_limit: usize,
    /// Anonymous API calls per client address (`--rate-limit`); `None`: unlimited.
    pub rate: Option<Rate>,
    /// How long a request may take before it is answered 408 (`--request-timeout`).
    pub request_timeout: Duration,
    /// How long a plugin upload may take — its bytes arriving and the component compiled
    /// (`--upload-timeout`): up to `upload_limit` bytes over a slow link, and a language runtime's
    /// component takes seconds to compile.
    pub upload_timeout: Duration,
    /// A token that may read `/metrics` besides a city admin's (`--metrics-token`), for a scraper.
    pub metrics_token: Option<String>,
    /// The calls each address has made (shared by the clones of one service's guard).
    pub buckets: Buckets,
}

/// The anonymous calls each client address has made lately: start with `Buckets::default()`.
#[derive(Debug, Clone, Default)]
pub struct Buckets(Arc<Limiter>);

impl Default for Guard {
    /// 1 MiB bodies, 64 MiB plugins, 50 anonymous calls a second (100 at once) per address, 30 s per
    /// request and 300 s per plugin upload, `/metrics` for city admins only.
    fn default() -> Self {
        Guard {
            body_limit: 1 << 20,
            upload_limit: 64 << 20,
            rate: Some(Rate { per_second: 50.0, burst: 100.0 }),
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(300),
            metrics_token: None,
            buckets: Buckets::default(),
        }
    }
}

impl Guard {
    /// The same limits with another rate (`None`: unlimited), keeping nothing of the old buckets.
    pub fn with_rate(self, rate: Option<Rate>) -> Self {
        Guard { rate, buckets: Buckets::default(), ..self }
    }

    /// Whether `token` is the metrics token (compared in constant time).
    pub(crate) fn is_metrics_token(&self, token: &str) -> bool {
        let Some(want) = &self.metrics_token else { return false };
        let (a, b) = (want.as_bytes(), token.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
    }

    /// `Some(wait)` when this request is an anonymous API call from an address that has used its calls.
    fn limited(&self, req: &Request) -> Option<Duration> {
        let rate = self.rate?;
        let path = req.uri().path();
        let api = path.starts_with("/api/") || path.starts_with("/open311/");
        if !api || req.headers().contains_key(header::AUTHORIZATION) {
            return None;
        }
        let peer = req.extensions().get::<ConnectInfo<SocketAddr>>()?.0.ip();
        self.buckets.0.take(peer, rate, Instant::now()).err()
    }
}

/// The token buckets, one per client address.
#[derive(Debug, Default)]
struct Limiter {
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl Limiter {
    /// Takes one call from `peer`'s bucket, or says how long until there is one.
    fn take(&self, peer: IpAddr, rate: Rate, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > 100_000 {
            // Full buckets say nothing: forget them so a spray of addresses cannot grow the map.
            let full = Duration::from_secs_f64(rate.burst / rate.per_second);
            buckets.retain(|_, (_, at)| now.duration_since(*at) < full);
        }
        let (tokens, at) = buckets.entry(peer).or_insert((rate.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate.per_second).min(rate.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / rate.per_second))
        }
    }
}

/// A request id: unique in this process, and unlikely to repeat across restarts.
fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static BOOT: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let boot = BOOT.get_or_init(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        (t.as_nanos() as u32) ^ std::process::id().rotate_left(16)
    });
    format!("{boot:08x}-{:06x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The guard around every route (see the module's text).
pub(crate) async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = request_id();
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    async move {
        let mut res = if let Some(wait) = state.guard.limited(&req) {
            tracing::info!("rate limited");
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            let mut res = AppError::RateLimited { retry_after: secs }.into_response();
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            res
        } else {
            let upload = req.method() == axum::http::Method::POST && req.uri().path() == "/api/admin/plugins";
            let limit = if upload { state.guard.upload_timeout } else { state.guard.request_timeout };
            match tokio::time::timeout(limit, next.run(req)).await {
                Ok(res) => as_json(res).await,
                Err(_) => {
                    tracing::warn!(after = ?limit, "request timed out");
                    AppError::Timeout(limit.as_secs()).into_response()
                }
            }
        };
        if res.status() == StatusCode::UNAUTHORIZED && !res.headers().contains_key(header::WWW_AUTHENTICATE) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"minyi\""));
        }
        if let Ok(v) = HeaderValue::from_str(&id) {
            res.headers_mut().insert(REQUEST_ID, v);
        }
        res
    }
    .instrument(span)
    .await
}

/// A refusal some layer wrote as plain text (or nothing) — axum's 405, a rejection no handler mapped
/// — rewritten as `{code, message}`; JSON and XML answers pass as they are.
async fn as_json(res: Response) -> Response {
    let status = res.status();
    let typed = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("json") || t.contains("xml"));
    if !(status.is_client_error() || status.is_server_error()) || typed {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.ok().map(|b| String::from_utf8_lossy(&b).into_owned());
    let code = match status {
        StatusCode::NOT_FOUND => "not_found".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "method.not_allowed".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => "body.too_large".to_owned(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "body.unsupported_type".to_owned(),
        s => format!("http.{}", s.as_u16()),
    };
    let reason = status.canonical_reason().unwrap_or("refused").to_lowercase();
    let message = match text.filter(|t| !t.trim().is_empty()) {
        // A server failure's text may hold internals: it goes to the log only.
        Some(t) if status.is_server_error() => {
            tracing::error!(text = %t, "request failed");
            format!("{reason}; the failure is logged")
        }
        Some(t) => t,
        None => reason,
    };
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_gives_its_burst_then_its_rate() {
        let limiter = Limiter::default();
        let rate = Rate { per_second: 10.0, burst: 3.0 };
        let (peer, other) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take(peer, rate, t0), Ok(()));
        }
        let wait = limiter.take(peer, rate, t0).expect_err("the burst is used");
        assert!(wait > Duration::from_millis(90) && wait <= Duration::from_millis(100), "{wait:?}");
        assert_eq!(limiter.take(other, rate, t0), Ok(()), "another address has its own bucket");
        assert_eq!(limiter.take(peer, rate, t0 + Duration::from_millis(100)), Ok(()), "a tenth of a second: one call");
    }

    #[test]
    fn only_the_metrics_token_is_the_metrics_token() {
        let guard = Guard { metrics_token: Some("s3cret-scrape".into()), ..Guard::default() };
        assert!(guard.is_metrics_token("s3cret-scrape"));
        assert!(
            !guard.is_metrics_token("s3cret-scrapf")
                && !guard.is_metrics_token("s3cret")
                && !guard.is_metrics_token("")
        );
        assert!(!Guard::default().is_metrics_token(""), "no token set: nothing matches");
    }
}
