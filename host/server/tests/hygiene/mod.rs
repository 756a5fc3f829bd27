//! The service facing hostile and careless callers (issue 18): any bytes are stored before anything
//! reads them, a body over the limit is a JSON 413, every refusal is `{code, message}` with a request
//! id and `WWW-Authenticate` on 401, anonymous calls are rate limited per address, a slow request
//! times out in JSON, and a failing database never shows its SQL to the client.

use super::{db, garbage_form, service};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use minyi_cases::{BEIJING, CaseStore};
use minyi_server::{AppState, Guard, Rate, app};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tower::ServiceExt as _;

/// One request through the router, from `peer` when given: status, headers, the body as JSON.
async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    peer: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let mut req = req.body(Body::from(body)).expect("request");
    if let Some(peer) = peer {
        req.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().expect("an address")));
    }
    let res = app(state.clone()).oneshot(req).await.expect("infallible");
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    let value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!("{method} {uri}: {status} is not JSON ({e}): {:?}", String::from_utf8_lossy(&bytes))
    });
    (status, headers, value)
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn a_body_that_is_not_utf8_is_stored_as_it_came_and_refused_in_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let mut body = garbage_form("110105", "朝阳区望京西园三区").to_string().into_bytes();
    body.extend_from_slice(b"\xff\xfe\x00trailing");
    let (status, headers, r) = call(&state, "POST", "/api/cases", &[JSON], None, body.clone()).await;
    assert_eq!(
        (status, r["code"].as_str(), r["state"].as_str()),
        (StatusCode::BAD_REQUEST, Some("body.not_utf8"), Some("rejected")),
        "{r}"
    );
    assert!(r["reason"].as_str().is_some_and(|m| m.contains("UTF-8") && m.contains("编码")), "in both languages: {r}");
    assert!(headers.contains_key("x-request-id"));
    // Stored byte for byte, before anything read it.
    let store = CaseStore::open_url(&db(&dir), BEIJING).expect("store");
    let id = r["case_id"].as_str().expect("a case number");
    let (kept, sha) = store.body(id).expect("kept");
    assert_eq!(kept, body);
    assert_eq!(sha, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body)));
}

#[tokio::test]
async fn a_body_over_the_intake_limit_is_a_json_413_naming_the_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let state = AppState { guard: Guard { body_limit: 4096, ..Guard::default() }, ..state };
    let form = garbage_form("110105", "朝阳区望京西园三区").to_string();
    let (status, _, r) = call(&state, "POST", "/api/cases", &[JSON], None, form.clone().into_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "under the limit: {r}");
    let mut big: Value = serde_json::from_str(&form).expect("JSON");
    big["description"] = Value::String("很".repeat(2000));
    for path in ["/api/cases", "/api/validate", "/api/route"] {
        let (status, _, r) = call(&state, "POST", path, &[JSON], None, big.to_string().into_bytes()).await;
        assert_eq!(
            (status, r["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("body.too_large")),
            "{path}: {r}"
        );
        assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: {r}");
    }
    let (_, _, r) = call(&state, "POST", "/api/cases", &[JSON], None, big.to_string().into_bytes()).await;
    assert!(r["message"].as_str().is_some_and(|m| m.contains("4096") && m.contains("过大")), "{r}");
}

#[tokio::test]
async fn every_refusal_is_code_and_message_with_a_request_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    // The router's own refusals, not a handler's.
    let (status, headers, r) = call(&state, "DELETE", "/api/cases", &[], None, Vec::new()).await;
    assert_eq!((status, r["code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("method.not_allowed")), "{r}");
    assert!(headers.get(header::ALLOW).is_some(), "405 says what is allowed: {headers:?}");
    let (status, _, r) = call(&state, "GET", "/api/cases/%FF%00/events", &[], None, Vec::new()).await;
    assert!(status.is_client_error() && r["code"].is_string() && r["message"].is_string(), "{status} {r}");
    // 401 says how to authenticate; the request id differs per request.
    let (status, first, r) = call(&state, "GET", "/api/cases", &[], None, Vec::new()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{r}");
    assert_eq!(first.get(header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()), Some("Bearer realm=\"minyi\""));
    let (_, second, _) = call(&state, "GET", "/api/cases", &[("authorization", "Bearer nope")], None, Vec::new()).await;
    assert!(second.contains_key(header::WWW_AUTHENTICATE));
    assert_ne!(first.get("x-request-id"), second.get("x-request-id"));
}

#[tokio::test]
async fn anonymous_calls_are_limited_per_address_and_staff_are_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, _, admins, city) = service(&dir);
    let state = AppState { guard: Guard::default().with_rate(Some(Rate { per_second: 0.5, burst: 3.0 })), ..state };
    let form = garbage_form("110105", "朝阳区望京西园三区").to_string().into_bytes();
    let from = |peer| call(&state, "POST", "/api/validate", &[JSON], Some(peer), form.clone());
    for _ in 0..3 {
        assert_eq!(from("10.1.1.1:5000").await.0, StatusCode::OK);
    }
    let (status, headers, r) = from("10.1.1.1:5001").await;
    assert_eq!((status, r["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate.limited")), "{r}");
    let wait: u64 = headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()?.parse().ok()).expect("Retry-After");
    assert_eq!(wait, 2, "one call per two seconds: {headers:?}");
    assert_eq!(from("10.1.1.2:5000").await.0, StatusCode::OK, "another address has its own calls");
    // A staff token is not anonymous.
    let token = admins.create_admin(Some(&city), None).expect("token");
    let auth = format!("Bearer {token}");
    let (status, _, r) =
        call(&state, "GET", "/api/cases", &[("authorization", &auth)], Some("10.1.1.1:5002"), Vec::new()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
}

#[tokio::test]
async fn a_request_past_its_deadline_is_a_json_408() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let state = AppState { guard: Guard { request_timeout: Duration::from_nanos(1), ..Guard::default() }, ..state };
    let form = garbage_form("110105", "朝阳区望京西园三区").to_string().into_bytes();
    let (status, _, r) = call(&state, "POST", "/api/cases", &[JSON], None, form).await;
    assert_eq!((status, r["code"].as_str()), (StatusCode::REQUEST_TIMEOUT, Some("request.timeout")), "{r}");
}

#[tokio::test]
async fn a_failing_database_is_logged_not_shown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    // Someone with access to the database breaks it under the running service.
    let conn = rusqlite::Connection::open(db(&dir)).expect("opens");
    conn.execute_batch("DROP TABLE case_bodies; DROP TABLE case_numbers;").expect("drops");
    let form = garbage_form("110105", "朝阳区望京西园三区").to_string().into_bytes();
    let (status, headers, r) = call(&state, "POST", "/api/cases", &[JSON], None, form).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{r}");
    let text = r.to_string().to_lowercase();
    for leak in ["sqlite", "table", "case_numbers", "no such", "select", "insert"] {
        assert!(!text.contains(leak), "{leak:?} reached the client: {r}");
    }
    assert!(r["code"].is_string() && headers.contains_key("x-request-id"), "{r}");
}
