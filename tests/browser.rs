//! In real headless Chromium: the page served by the running host validates a phone field through the
//! transpiled validator component, the bytes the browser fetched are the bytes the host loaded, and a
//! completed form is filed through `POST /api/cases`: stored, routed, its case number shown.

use minyi_cases::{BEIJING, CaseStore};
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
fn the_widget_validates_with_the_host_bytes_and_files_the_case() {
    let runtime = Arc::new(Runtime::new(RuntimeConfig::default()).expect("components load"));
    let host_sha = runtime.component("validator").expect("loaded").sha256.clone();
    let rules = runtime
        .compile_rules_shared(include_str!("../components/routing/rulesets/beijing.toml"))
        .expect("runs")
        .expect("compiles");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(CaseStore::open_url(&dir.path().join("cases.db").to_string_lossy(), BEIJING).expect("store"));
    let state = AppState {
        runtime,
        web_dir: web_dir(),
        rules: Some(Arc::new(rules)),
        plugins: None,
        cases: Some(Arc::clone(&store)),
        admins: None,
        clock: Default::default(),
        allow_origins: Vec::new(),
    };

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

    // Nothing to submit until the form is valid.
    assert_eq!(browser.eval("return document.querySelector('#submit').disabled").expect("reads"), true);
    browser.type_into("#title", "小区垃圾三天没人清运").expect("types");
    browser.type_into("#description", "望京西园三区3号楼下的垃圾桶满了三天，没有人来清运。").expect("types");
    browser.type_into("#address", "朝阳区望京街道望京西园三区3号楼").expect("types");
    browser
        .eval(
            "const c = document.querySelector('#category'); c.value = 'urban.sanitation.garbage';
             c.dispatchEvent(new Event('change', {bubbles: true}));
             document.querySelector('#consent').click(); return true",
        )
        .expect("picks the category and consents");
    browser
        .wait_for("return !document.querySelector('#submit').disabled || null", Duration::from_secs(20))
        .expect("the form becomes valid and submittable");
    browser.eval("document.querySelector('#submit').click(); return true").expect("submits");
    let case_id = browser
        .wait_for("return document.querySelector('#receipt-case-id')?.textContent", Duration::from_secs(30))
        .expect("the service answers with a case number");
    let case_id = case_id.as_str().expect("text").to_owned();
    let token = browser.eval("return document.querySelector('#receipt-token').textContent").expect("reads");
    let shown = browser.eval("return document.querySelector('#receipt-state').textContent").expect("reads");
    let shown = shown.as_str().unwrap_or_default();
    assert!(shown.contains("朝阳区望京街道"), "dispatched to the street named in the address: {shown}");

    // The case is in the store as the browser sent it, dispatched, and the code shown lets its holder follow it.
    let case = store.get(&case_id).expect("stored");
    assert_eq!(case.state, minyi_model::CaseState::Dispatched, "{case:?}");
    assert_eq!(case.form["reporter"]["phone"], "13800138000", "the form as typed: {case:?}");
    assert!(
        store.check_token(&case_id, token.as_str().unwrap_or_default()).expect("checks"),
        "the token shown is the case's"
    );
    // Submitting again needs a change: the button is off once the case is filed.
    assert_eq!(browser.eval("return document.querySelector('#submit').disabled").expect("reads"), true);
}
