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

/// A small model over four leaf categories of the tree, trained here (as `cargo xtask train` would
/// from a city's labelled CSV); `seed` changes the model, not what it learned.
pub fn classifier_model(seed: u64) -> Vec<u8> {
    let rows = [
        ("暖气不热", "家里暖气从前天开始不热，室温只有十四度", "utilities.heating.low_temperature"),
        ("暖气片冰凉", "暖气片一直是凉的，供热公司不来修", "utilities.heating.low_temperature"),
        ("供热温度低", "小区集中供热温度太低，老人孩子都冻感冒了", "utilities.heating.low_temperature"),
        ("垃圾没人清运", "小区门口的垃圾桶已经满了三天，一直没人清运", "urban.sanitation.garbage"),
        ("垃圾堆放", "路边垃圾堆成山，臭气熏天没人管", "urban.sanitation.garbage"),
        ("垃圾站脏乱", "小区垃圾分类站脏乱，垃圾满地", "urban.sanitation.garbage"),
        ("拖欠工资", "老板已经拖欠两个月工资，不签劳动合同", "labor.wages.arrears"),
        ("工资不发", "公司拖欠工资三个月，找老板也不给", "labor.wages.arrears"),
        ("讨薪", "装修公司拖欠农民工工资", "labor.wages.arrears"),
        ("违章停车", "小区门口消防通道经常有车辆违停", "transport.parking.illegal"),
        ("乱停车", "车辆违停堵住出入口，消防车进不来", "transport.parking.illegal"),
        ("占道停车", "路边违章停车占用人行道", "transport.parking.illegal"),
    ];
    let rows: Vec<(String, String)> = rows.iter().map(|(t, d, l)| (format!("{t}\n{d}"), (*l).to_owned())).collect();
    // Twelve rows make a diffident model: it suggests from a confidence of 0.4 (four categories).
    let options = minyi_classify::TrainOptions { min_df: 1, seed, abstain_below: 0.4, ..Default::default() };
    minyi_classify::train(&rows, &options).expect("trains").to_bytes()
}
