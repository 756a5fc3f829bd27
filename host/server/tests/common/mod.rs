//! What the HTTP test files share: the built plugins, signed manifests, one request through the
//! router without a socket, and a registry with its city admin and district admins.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use minyi_auth::{Admins, Staff};
use minyi_registry::{Hook, Limits, Manifest, WIT_PACKAGE, signing};
use minyi_server::plugins::Plugins;
use minyi_server::{AppState, app};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tower::ServiceExt;

pub fn plugin(name: &str) -> &'static [u8] {
    minyi_test_artifacts::PLUGINS.iter().find(|(n, _, _)| *n == name).map(|(_, _, b)| *b).expect("plugin built")
}

pub fn signed(name: &str, version: &str, district: &str, hooks: &[Hook], bytes: &[u8], secret: &str) -> Manifest {
    let mut m = Manifest {
        name: name.into(),
        version: version.into(),
        district: district.into(),
        hooks: hooks.to_vec(),
        wit: WIT_PACKAGE.into(),
        limits: Limits::default(),
        config: Default::default(),
        sha256: hex::encode(Sha256::digest(bytes)),
        signature: String::new(),
    };
    signing::sign(&mut m, secret).expect("signs");
    m
}

pub async fn send(state: &AppState, method: &str, uri: &str, token: Option<&str>, body: String) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app(state.clone()).oneshot(req.body(Body::from(body)).expect("request")).await.expect("infallible");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    let value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value)
}

/// A registry in `dir`, the admins of the same database, and its city admin.
pub fn registry(dir: &tempfile::TempDir) -> (Arc<Plugins>, Arc<Admins>, Staff) {
    let db = dir.path().join("minyi.db").to_string_lossy().into_owned();
    let plugins = Plugins::open(&db).expect("registry");
    let admins = Arc::new(Admins::open_url(&db).expect("admins"));
    let city = admins.authenticate(&admins.create_admin(None, None).expect("bootstrap")).expect("city");
    (plugins, admins, city)
}

/// A service over `plugins` and `admins` with the built-in components, no rule set, no case store
/// and no web files but `dir`'s: what the plugin endpoints need.
pub fn plugin_service(dir: &tempfile::TempDir, plugins: &Arc<Plugins>, admins: &Arc<Admins>) -> AppState {
    let runtime = Arc::new(minyi_runtime::Runtime::new(Default::default()).expect("components load"));
    AppState {
        plugins: Some(Arc::clone(plugins)),
        admins: Some(Arc::clone(admins)),
        ..AppState::stateless(runtime, dir.path().to_owned())
    }
}

/// A district admin's token and a signing key the city trusts for that district.
pub fn district_admin(plugins: &Plugins, admins: &Admins, city: &Staff, district: &str) -> (String, String) {
    let token = admins.create_admin(Some(city), Some(district)).expect("token");
    let (key, public) = signing::generate().expect("key");
    plugins.registry.trust_key(city, district, &public).expect("trust");
    (token, key)
}

/// A GET through the router: status, headers and the body as it came (no decoding).
pub async fn get_raw(state: &AppState, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let req = Request::builder().method("GET").uri(uri).body(Body::empty()).expect("request");
    let res = app(state.clone()).oneshot(req).await.expect("infallible");
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    (status, headers, bytes.to_vec())
}

/// Uploads and activates a signed plugin for the district through the registry.
pub fn activate(plugins: &Plugins, admin: &Staff, key: &str, name: &str, district: &str, hooks: &[Hook], bytes: &[u8]) {
    let registry = &plugins.registry;
    registry.upload(admin, &signed(name, "1.0.0", district, hooks, bytes, key), bytes, &plugins.host).expect("uploads");
    registry.activate(admin, district, name, "1.0.0").expect("activates");
    registry.sync(&plugins.host).expect("syncs");
}
