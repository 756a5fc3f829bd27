//! In real headless Chromium: the page served by the running host validates a phone field through the
//! transpiled validator component, and the bytes the browser fetched are the bytes the host loaded.

use minyi_runtime::{Runtime, RuntimeConfig};
use minyi_server::{AppState, app};
use minyi_tests::webdriver::Browser;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn web_dir() -> PathBuf {
    let dir = std::env::var_os("MINYI_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site"));
    assert!(
        dir.join("index.html").exists() && dir.join("components/validator/manifest.json").exists(),
        "no built web app in {}: run `cargo xtask test` (or `cargo xtask dist` first)",
        dir.display()
    );
    dir
}

#[test]
fn phone_field_is_validated_in_the_browser_by_the_same_component_bytes() {
    let runtime = Arc::new(Runtime::new(RuntimeConfig::default()).expect("components load"));
    let host_sha = runtime.component("validator").expect("loaded").sha256.clone();
    let state = AppState { runtime, web_dir: web_dir(), rules: None, plugins: None, cases: None };

    let rt = tokio::runtime::Runtime::new().expect("tokio");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(async move { axum::serve(listener, app(state)).await });

    let chromium = std::env::var("MINYI_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let browser = Browser::start(&chromium).expect("headless Chromium starts");
    browser.goto(&format!("http://{addr}/")).expect("page loads");

    let browser_sha = browser
        .wait_for("return document.querySelector('#component-sha256')?.textContent", Duration::from_secs(60))
        .expect("the component loads in the browser");
    assert_eq!(browser_sha.as_str(), Some(host_sha.as_str()), "the browser runs the bytes the host loaded");

    browser.type_into("#phone", "1380013").expect("types");
    let code = browser
        .wait_for(
            "return document.querySelector('#issues-reporter-phone li')?.getAttribute('data-code')",
            Duration::from_secs(20),
        )
        .expect("an issue appears under the phone field");
    assert_eq!(code.as_str(), Some("phone.invalid"));
    let text = browser.eval("return document.querySelector('#issues-reporter-phone').innerText").expect("reads");
    let text = text.as_str().unwrap_or_default();
    assert!(text.contains("电话号码格式不正确"), "zh-CN message shown: {text}");
    assert!(text.contains("not valid"), "en message shown: {text}");

    // Correcting the number clears the issue: the check really runs on each keystroke.
    browser.type_into("#phone", "8000").expect("types");
    browser
        .wait_for("return !document.querySelector('#issues-reporter-phone li')", Duration::from_secs(20))
        .expect("the issue clears once the number is valid");
}
