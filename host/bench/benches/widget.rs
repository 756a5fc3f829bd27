//! The citizen widget's transfer: every file a page embedding it downloads (wasm, JS, CSS and the
//! validator's manifest), fetched from the service as a browser would — `Accept-Encoding: br` and then
//! `gzip` — with the bytes on the wire counted, against the 250 KiB budget; and, apart, what it fetches
//! only once the citizen starts describing a demand (the classifier). Writes
//! `target/bench/widget.json`. Sizes are deterministic: the smoke run (without `--bench`) measures too.

use axum::body::Body;
use axum::http::Request;
use minyi_server::{AppState, app};
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt as _;

/// What the page loads, in the order it does.
const FILES: &[&str] = &[
    "/widget.js",
    "/widget.css",
    "/pkg/minyi_web.js",
    "/pkg/minyi_web_bg.wasm",
    "/minyi-components.js",
    "/components/validator/manifest.json",
    "/components/validator.wasm",
    "/components/validator/validator.js",
];
/// What the page fetches only once the citizen starts describing a demand: the classifier (the model
/// comes from the API, measured by the `classify` bench as `classify/model_gzip`).
const LAZY: &[&str] =
    &["/components/classifier/manifest.json", "/components/classifier.wasm", "/components/classifier/classifier.js"];
const BUDGET: f64 = 250.0 * 1024.0;

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

async fn served(state: &AppState, path: &str, encoding: &str) -> (usize, String) {
    let req = Request::get(path).header("accept-encoding", encoding).body(Body::empty()).expect("request");
    let res = app(state.clone()).oneshot(req).await.expect("infallible");
    assert!(res.status().is_success(), "{path}: {}", res.status());
    let used = res.headers().get("content-encoding").and_then(|v| v.to_str().ok()).unwrap_or("identity").to_owned();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    (bytes.len(), used)
}

fn main() {
    let web_dir = std::env::var_os("MINYI_WEB_DIR").map(PathBuf::from).unwrap_or_else(|| target_dir().join("site"));
    assert!(web_dir.join("widget.js").exists(), "no built web app in {}: run `cargo xtask dist`", web_dir.display());
    let runtime = Arc::new(minyi_runtime::Runtime::new(Default::default()).expect("components load"));
    let state = AppState::stateless(runtime, web_dir);
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    let mut rows = Vec::new();
    let mut totals = [0usize; 3];
    println!("{:<38} {:>10} {:>10} {:>10}", "file", "identity", "gzip", "br");
    for path in FILES {
        let (plain, _) = rt.block_on(served(&state, path, "identity"));
        let (gzip, g) = rt.block_on(served(&state, path, "gzip"));
        let (br, b) = rt.block_on(served(&state, path, "br"));
        println!("{path:<38} {plain:>10} {gzip:>7} {g:<2} {br:>7} {b:<2}");
        for (i, n) in [plain, gzip, br].into_iter().enumerate() {
            totals[i] += n;
        }
        let name = path.trim_start_matches('/');
        rows.push(serde_json::json!({"name": format!("widget/{name}/br"), "value": br, "unit": "bytes"}));
    }
    println!("{:<38} {:>10} {:>10} {:>10}", "total", totals[0], totals[1], totals[2]);
    let over = totals[2] as f64 / BUDGET;
    println!("widget transfer (br) over the 250 KiB budget: {over:.2}×");
    rows.push(serde_json::json!({"name": "widget/total/identity", "value": totals[0], "unit": "bytes"}));
    rows.push(serde_json::json!({"name": "widget/total/gzip", "value": totals[1], "unit": "bytes"}));
    rows.push(serde_json::json!({"name": "widget/total/br", "value": totals[2], "unit": "bytes"}));
    rows.push(serde_json::json!({"name": "widget/total_br_over_budget", "value": over, "unit": "ratio"}));
    let mut lazy = 0;
    for path in LAZY {
        let (br, b) = rt.block_on(served(&state, path, "br"));
        println!("later: {path:<31} {br:>10} {b}");
        lazy += br;
        let name = path.trim_start_matches('/');
        rows.push(serde_json::json!({"name": format!("widget/lazy/{name}/br"), "value": br, "unit": "bytes"}));
    }
    println!("{:<38} {lazy:>10} (br, after the first paint, without the model)", "later, in all");
    rows.push(serde_json::json!({"name": "widget/lazy_total/br", "value": lazy, "unit": "bytes"}));
    let out = target_dir().join("bench");
    std::fs::create_dir_all(&out).expect("bench dir");
    std::fs::write(out.join("widget.json"), serde_json::to_vec_pretty(&rows).expect("json")).expect("writes");
}
