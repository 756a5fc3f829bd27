//! In real headless Chromium, as a portal developer and a citizen meet the widget: a third-party page
//! on another origin embeds it with one script tag (the host's CORS allow-list lets it in); the
//! citizen fills it in both languages, sees the component's issues live, fills a category's extra field,
//! is shown every issue on a submit attempt, files the case, follows it on the tracking page and — after
//! the unit replies through the API — answers the callback (a photo attached on the way arrives as chosen), which the service then holds. axe-core finds
//! no serious or critical violation; screenshots go to `<target>/screenshots/`. The bytes the browser
//! ran are the host's, and a page whose bytes do not match the manifest refuses them and validates on
//! the server, saying so. On 海淀's iframe page a citizen using only the keyboard meets the district's
//! validation plugin running in the page — its issue live as they type — and files the case; once 朝阳
//! deploys a schema of its own at runtime, the page checks the form against it, as intake does.

use minyi_auth::{Admins, NewToken, Role};
use minyi_cases::{BEIJING, CaseStore};
use minyi_runtime::{Runtime, RuntimeConfig};
use minyi_server::plugins::Plugins;
use minyi_server::{AppState, app};
use minyi_tests::fixtures::CHAOYANG_SCHEMA;
use minyi_tests::webdriver::{ARROW_DOWN, ARROW_UP, BACKSPACE, Browser, ENTER, TAB};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

pub(crate) fn web_dir() -> PathBuf {
    let dir = std::env::var_os("MINYI_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site"));
    assert!(
        dir.join("widget.js").exists() && dir.join("components/validator/manifest.json").exists(),
        "no built web app in {}: run `cargo xtask test` (or `cargo xtask dist` first)",
        dir.display()
    );
    dir
}

/// `<target>/screenshots`, the target dir being `$CARGO_TARGET_DIR` or the workspace's.
pub(crate) fn screenshots() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("screenshots")
}

/// axe-core as `cargo xtask test` installs it (`<target>/node/node_modules/axe-core`).
fn axe_source() -> String {
    let path = screenshots().with_file_name("node/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("axe-core not at {} ({e}): run `cargo xtask test`, whose set-up installs it", path.display())
    })
}

/// A running host: the service on a socket, its case store and tokens, its validator's SHA-256.
pub(crate) struct Host {
    pub(crate) addr: SocketAddr,
    pub(crate) store: Arc<CaseStore>,
    pub(crate) admins: Arc<Admins>,
    pub(crate) plugins: Arc<Plugins>,
    sha256: String,
    _dir: tempfile::TempDir,
}

pub(crate) fn host(rt: &tokio::runtime::Runtime, web_dir: PathBuf, allow_origins: Vec<String>) -> Host {
    host_on(rt, web_dir, allow_origins, minyi_server::clock::Clock::system())
}

/// A running host whose service reads the time from `clock` (a fixed one lets a test receive cases
/// days ago through the same handlers).
pub(crate) fn host_on(
    rt: &tokio::runtime::Runtime,
    web_dir: PathBuf,
    allow_origins: Vec<String>,
    clock: minyi_server::clock::Clock,
) -> Host {
    let runtime = Arc::new(Runtime::new(RuntimeConfig::default()).expect("components load"));
    let sha256 = runtime.component("validator").expect("loaded").sha256.clone();
    let rules = runtime
        .compile_rules_shared(include_str!("../components/routing/rulesets/beijing.toml"))
        .expect("runs")
        .expect("compiles");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("minyi.db").to_string_lossy().into_owned();
    let store = Arc::new(CaseStore::open_url(&db, BEIJING).expect("store"));
    let admins = Arc::new(Admins::open_url(&db).expect("admins"));
    let plugins = Plugins::open(&db).expect("plugin registry");
    let state = AppState {
        runtime: Arc::clone(&runtime),
        web_dir,
        rules: Some(Arc::new(rules)),
        plugins: Some(Arc::clone(&plugins)),
        cases: Some(Arc::clone(&store)),
        admins: Some(Arc::clone(&admins)),
        clock,
        allow_origins,
        guard: minyi_server::Guard::default(),
        // A form that comes without a category gets the small test model's suggestion.
        classifier: Some(Arc::new(runtime.load_model_shared(&minyi_tests::classifier::model(1)).expect("loads"))),
    };
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(async move { axum::serve(listener, app(state)).await });
    Host { addr, store, admins, plugins, sha256, _dir: dir }
}

/// The test plugin `file` uploaded as version `version` of plugin `name` for `district`, with `hooks`,
/// signed by `key` (a key the city let in for the district), as the district's `admin` uploads it; its
/// SHA-256. Not activated.
pub(crate) fn upload_signed(
    host: &Host,
    admin: &minyi_auth::Staff,
    key: &str,
    (district, name, version): (&str, &str, &str),
    file: &str,
    hooks: Vec<minyi_registry::Hook>,
) -> String {
    use minyi_registry::{Limits, Manifest, WIT_PACKAGE, signing};
    let bytes =
        minyi_test_artifacts::PLUGINS.iter().find(|(n, _, _)| *n == file).map(|(_, _, b)| *b).expect("plugin built");
    let mut manifest = Manifest {
        name: name.into(),
        version: version.into(),
        district: district.into(),
        hooks,
        wit: WIT_PACKAGE.into(),
        limits: Limits::default(),
        config: Default::default(),
        sha256: minyi_transpile::sha256(bytes),
        signature: String::new(),
    };
    signing::sign(&mut manifest, key).expect("signs");
    host.plugins.registry.upload(admin, &manifest, bytes, &host.plugins.host).expect("uploads");
    manifest.sha256
}

/// 海淀's validation plugin uploaded, signed by its district's key, and activated, as the district's
/// admin does it; its SHA-256, and the city admin who let the district's key in.
fn activate_haidian_plugin(host: &Host) -> (String, minyi_auth::Staff) {
    use minyi_registry::{Hook, signing};
    let city = host.admins.authenticate(&host.admins.create_admin(None, None).expect("bootstrap")).expect("city");
    let admin = host
        .admins
        .authenticate(&host.admins.create_admin(Some(&city), Some("110108")).expect("district admin"))
        .expect("admin");
    let (key, public) = signing::generate().expect("key");
    let registry = &host.plugins.registry;
    registry.trust_key(&city, "110108", &public).expect("trust");
    let plugin = ("110108", "haidian-building", "1.0.0");
    let sha256 = upload_signed(host, &admin, &key, plugin, "haidian_building", vec![Hook::Validation]);
    registry.activate(&admin, "110108", "haidian-building", "1.0.0").expect("activates");
    registry.sync(&host.plugins.host).expect("syncs");
    (sha256, city)
}

/// Presses Tab until the widget's element `id` has the focus (it must be reachable by keyboard).
fn tab_to(browser: &Browser, id: &str) {
    for _ in 0..80 {
        let at = browser.eval(&in_widget("return r.activeElement?.id ?? ''")).expect("reads");
        if at.as_str() == Some(id) {
            return;
        }
        browser.keys(&TAB.to_string()).expect("presses Tab");
    }
    panic!("#{id} is not reachable with the Tab key");
}

/// Picks `value` in the focused `<select>` with the arrow keys, as a keyboard user does.
fn arrow_to(browser: &Browser, id: &str, value: &str) {
    let at = browser
        .eval(&in_widget(&format!(
            "const s = r.querySelector('#{id}'); return [s.selectedIndex, [...s.options].findIndex(o => o.value === '{value}')]"
        )))
        .expect("reads");
    let (from, to) = (at[0].as_i64().expect("index"), at[1].as_i64().expect("index"));
    assert!(to >= 0, "#{id} offers {value}");
    let key = if to > from { ARROW_DOWN } else { ARROW_UP };
    browser.keys(&key.to_string().repeat(from.abs_diff(to) as usize)).expect("presses arrows");
    let now = browser.eval(&in_widget(&format!("return r.querySelector('#{id}').value"))).expect("reads");
    assert_eq!(now.as_str(), Some(value), "the arrow keys chose it");
}

/// A script run inside the widget's shadow root `r` (the first `<minyi-complaint>` of the page).
fn in_widget(body: &str) -> String {
    format!("const r = document.querySelector('minyi-complaint')?.shadowRoot; if (!r) return null; {body}")
}

fn text(browser: &Browser, css: &str) -> String {
    let v = browser.eval(&in_widget(&format!("return r.querySelector('{css}')?.textContent ?? ''"))).expect("reads");
    v.as_str().unwrap_or_default().to_owned()
}

fn wait(browser: &Browser, body: &str) -> Value {
    browser.wait_for(&in_widget(body), WAIT).expect("the widget gets there")
}

/// Polls `body` (in the widget) until it gives `expected`; fails with the last value seen. For what
/// passes through other values first, such as the server's answers to successive keystrokes.
fn settles_to(browser: &Browser, body: &str, expected: &str, what: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let seen = browser.eval(&in_widget(body)).expect("the script runs");
        if seen.as_str() == Some(expected) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{what}: still {seen} after {WAIT:?}, not {expected:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn click(browser: &Browser, css: &str) {
    let id = browser.find_in_shadow("minyi-complaint", css).expect("in the widget");
    browser.click_element(&id).expect("clicks");
}

fn type_in(browser: &Browser, css: &str, text: &str) {
    let id = browser.find_in_shadow("minyi-complaint", css).expect("in the widget");
    browser.type_into_element(&id, text).expect("types");
}

fn choose(browser: &Browser, css: &str, value: &str) {
    browser
        .eval(&in_widget(&format!(
            "const s = r.querySelector('{css}'); s.value = '{value}'; s.dispatchEvent(new Event('change')); return true"
        )))
        .expect("chooses");
}

/// axe-core (loaded into the page) run over `context` (a JS expression: `document`, or
/// `{ include: [['minyi-complaint']] }`): its violations.
pub(crate) fn axe_run(browser: &Browser, context: &str) -> Vec<Value> {
    browser.eval(&format!("{}\n;return true", axe_source())).expect("axe-core loads");
    let result = browser
        .eval_async(&format!(
            "const done = arguments[0];
             axe.run({context}, {{ resultTypes: ['violations'] }})
               .then((r) => done(r.violations.map((v) => ({{ id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.map((n) => n.html).slice(0, 3) }}))))
               .catch((e) => done({{ error: String(e) }}));"
        ))
        .expect("axe runs");
    result.as_array().cloned().unwrap_or_else(|| panic!("axe failed: {result}"))
}

/// axe-core over the widget: no serious or critical violation.
fn accessible(browser: &Browser, what: &str) {
    let list = axe_run(browser, "{ include: [['minyi-complaint']] }");
    let grave: Vec<&Value> =
        list.iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect();
    assert!(grave.is_empty(), "axe-core on the {what}: {grave:#?}");
}

/// Staff acting on a case through the API, as the unit's operator would.
fn act(host: &Host, token: &str, case_id: &str, event: Value) {
    let url = format!("http://{}/api/cases/{case_id}/events", host.addr);
    let mut res = ureq::post(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_json(&event)
        .expect("the API answers");
    let body: Value = res.body_mut().read_json().unwrap_or_default();
    assert_eq!(res.status().as_u16(), 201, "{event}: {body}");
}

#[test]
fn a_portal_embeds_the_widget_and_a_citizen_files_follows_and_rates_a_case() {
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    // The portal: another origin, with CSS of its own that must not reach the widget, nor ours it.
    let portal = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let portal_origin = format!("http://{}", portal.local_addr().expect("addr"));
    let host = host(&rt, web_dir(), vec![portal_origin.clone()]);
    let page = format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>朝阳区政府 · 接诉即办</title>
        <style>body {{ font-family: serif; }} label {{ color: rgb(255, 0, 0); font-size: 40px; }} input {{ background: yellow; }}</style>
        </head><body><main><h1>朝阳区人民政府门户</h1><label id="portal-label">门户自己的标签</label>
        <script src="http://{}/widget.js"></script>
        <minyi-complaint district="110105" lang="zh-CN"></minyi-complaint></main></body></html>"#,
        host.addr
    );
    let portal_app =
        axum::Router::new().route("/", axum::routing::get(move || async move { axum::response::Html(page) }));
    rt.spawn(async move { axum::serve(portal, portal_app).await });

    let chromium = std::env::var("MINYI_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let browser = Browser::start(&chromium).expect("headless Chromium starts");
    browser.resize(1280, 1400).expect("resizes");
    browser.goto(&format!("{portal_origin}/")).expect("the portal page loads");

    // The widget runs the bytes the host loaded, checked against the manifest in the page.
    let sha = wait(&browser, "return r.querySelector('#component-sha256')?.textContent");
    assert_eq!(sha.as_str(), Some(host.sha256.as_str()), "the browser runs the bytes the host loaded");
    // Styles stay on their side of the shadow root.
    let styles = browser
        .eval(&in_widget(
            "const mine = getComputedStyle(r.querySelector('label')); const theirs = getComputedStyle(document.getElementById('portal-label'));
             return [mine.color, mine.fontSize, getComputedStyle(r.querySelector('input[type=text]')).backgroundColor, theirs.fontWeight, theirs.fontSize]",
        ))
        .expect("reads");
    assert_ne!(styles[0], "rgb(255, 0, 0)", "the portal's label colour stays out: {styles}");
    assert_ne!(styles[1], "40px", "the portal's label size stays out: {styles}");
    assert_ne!(styles[2], "rgb(255, 255, 0)", "the portal's input background stays out: {styles}");
    assert_eq!((styles[3].as_str(), styles[4].as_str()), (Some("400"), Some("40px")), "ours stay in: {styles}");

    // A wrong phone number: the component's issue appears under the field, tied to it for screen readers.
    type_in(&browser, "#f-reporter-phone", "1380013");
    let code = wait(&browser, "return r.querySelector('#issues-reporter-phone li')?.getAttribute('data-code')");
    assert_eq!(code.as_str(), Some("phone.invalid"));
    assert!(text(&browser, "#issues-reporter-phone").contains("电话号码格式不正确"));
    let aria = browser
        .eval(&in_widget(
            "const p = r.querySelector('#f-reporter-phone');
             return [p.getAttribute('aria-invalid'), p.getAttribute('aria-describedby'), p.type, p.inputMode, p.autocomplete]",
        ))
        .expect("reads");
    assert_eq!(aria, json!(["true", "issues-reporter-phone", "tel", "tel", "tel"]));

    // English: every text switches, the component's messages too.
    click(&browser, ".lang-switch");
    wait(&browser, "return r.querySelector('#issues-reporter-phone')?.textContent.includes('not valid')");
    assert!(
        text(&browser, "label[for=f-reporter-phone]").starts_with("Phone"),
        "{}",
        text(&browser, "label[for=f-reporter-phone]")
    );
    type_in(&browser, "#f-reporter-phone", "8000");
    wait(&browser, "return !r.querySelector('#issues-reporter-phone li')");

    // Describing the demand fetches the classifier (none of it came with the first paint) and fills
    // in the category it suggests, with the service's model; 室温不达标 needs the room temperature: the
    // field appears with the category.
    let fetched = "return performance.getEntriesByType('resource').some((e) => e.name.includes('classifier'))";
    assert_eq!(browser.eval(fetched).expect("reads"), false, "the classifier is not fetched before it is needed");
    type_in(&browser, "#f-title", "暖气不热，室温只有14度");
    type_in(&browser, "#f-description", "望京西园三区3号楼502室这几天暖气不热，室内温度只有14度，老人孩子受不了。");
    let suggested = "return r.querySelector('#category-suggestion')?.dataset.applied === 'true' && r.querySelector('#f-category').value";
    assert_eq!(wait(&browser, suggested), "utilities.heating.low_temperature", "the suggestion fills the category in");
    assert!(text(&browser, "#category-suggestion").contains("% sure"), "{}", text(&browser, "#category-suggestion"));
    wait(&browser, "return !!r.querySelector('#f-attributes-room_temperature')");
    // A category picked by hand stays; the suggestion is offered beside it, and taken with one click.
    choose(&browser, "#f-category", "urban.sanitation.garbage");
    type_in(&browser, "#f-description", "暖气片冰凉。");
    let offered = "return r.querySelector('#category-suggestion')?.dataset.applied === 'false' && r.querySelector('#f-category').value";
    assert_eq!(wait(&browser, offered), "urban.sanitation.garbage", "a category picked by hand is not overridden");
    click(&browser, "#category-use-suggestion");
    settles_to(&browser, "return r.querySelector('#f-category').value", "utilities.heating.low_temperature", "taken");
    wait(&browser, "return !!r.querySelector('#f-attributes-room_temperature')");
    assert!(text(&browser, "label[for=f-attributes-room_temperature]").contains("Room temperature"));

    // A submit attempt on an unfinished form shows every issue and moves the focus to the first one.
    click(&browser, "#submit");
    wait(&browser, "return r.querySelector('#issues-attributes-room_temperature li')?.getAttribute('data-code')");
    let status = wait(&browser, "return r.querySelector('#form-status')?.textContent");
    assert!(status.as_str().unwrap_or_default().contains("to correct"), "{status}");
    let focused = browser.eval(&in_widget("return r.activeElement?.getAttribute('aria-invalid')")).expect("reads");
    assert_eq!(focused, "true", "the focus is on a field to correct");
    browser.resize(360, 1400).expect("resizes");
    browser.screenshot(&screenshots().join("widget-360.png")).expect("screenshot");
    let overflow = browser.eval("return document.documentElement.scrollWidth <= window.innerWidth").expect("reads");
    assert_eq!(overflow, true, "usable at 360 px: nothing wider than the screen");
    browser.resize(1280, 1400).expect("resizes");
    accessible(&browser, "form with its issues shown");

    // Back to Chinese, and the rest of the form.
    click(&browser, ".lang-switch");
    assert!(text(&browser, "#category-suggestion").contains("把握"), "{}", text(&browser, "#category-suggestion"));
    type_in(&browser, "#f-address", "朝阳区望京街道望京西园三区3号楼");
    type_in(&browser, "#f-attributes-room_temperature", "14");
    // A photo, declared in the form as it is chosen, uploaded once the case is stored.
    let photo_dir = tempfile::tempdir().expect("temp dir");
    let photo = photo_dir.path().join("暖气片.jpg");
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
    jpeg.resize(4096, 0x20);
    std::fs::write(&photo, &jpeg).expect("writes the photo");
    type_in(&browser, "#f-attachments", &photo.to_string_lossy());
    // A multi-value list: one box per choice, the keys joined in the order ticked.
    click(&browser, "input[name=f-attributes-affected][value=building]");
    click(&browser, "input[name=f-attributes-affected][value=community]");
    click(&browser, "#f-consent");
    wait(&browser, "return r.querySelector('#street-resolved')?.textContent.includes('望京')");
    wait(&browser, "return r.querySelectorAll('[aria-invalid=true]').length === 0");
    browser.screenshot(&screenshots().join("widget-1280.png")).expect("screenshot");
    click(&browser, "#submit");
    let case_id = wait(&browser, "return r.querySelector('#receipt-case-id')?.textContent");
    let case_id = case_id.as_str().expect("text").to_owned();
    let token = text(&browser, "#receipt-token");
    let link = browser.eval(&in_widget("return r.querySelector('#receipt-track').href")).expect("reads");
    let link = link.as_str().expect("a link").to_owned();
    assert_eq!(
        link,
        format!("http://{}/track?case={case_id}&lang=zh-CN#token={token}", host.addr),
        "in the citizen's language"
    );

    // Stored as sent, the extra field with it, dispatched; the token shown is the case's.
    let case = host.store.get(&case_id).expect("stored");
    assert_eq!(case.state, minyi_model::CaseState::Dispatched, "{case:?}");
    assert_eq!(case.form["attributes"]["room_temperature"], "14", "{case:?}");
    assert_eq!(case.form["category"], "utilities.heating.low_temperature", "as the page filled it in");
    assert_eq!(case.form["attributes"]["affected"], "building,community", "{case:?}");
    assert_eq!(case.form["attachments"], json!([{"name": "暖气片.jpg", "mime": "image/jpeg", "bytes": 4096}]));
    let uploads = wait(
        &browser,
        "const u = r.querySelector('#uploads'); return u && u.dataset.stored === u.dataset.total && u.textContent",
    );
    assert!(uploads.as_str().unwrap_or_default().contains("附件已上传 1/1"), "{uploads}");
    let (stored, bytes) = host.store.attachment(&case_id, 0).expect("reads").expect("the photo arrived");
    assert_eq!((stored.name.as_str(), bytes), ("暖气片.jpg", jpeg), "the very bytes chosen");
    assert_eq!(case.form["reporter"]["phone"], "13800138000");
    assert!(host.store.check_token(&case_id, &token).expect("checks"), "the token shown is the case's");
    let lead = case.decision.as_ref().and_then(|d| d["lead"].as_str()).expect("a lead unit").to_owned();

    // The tracking page: where it stands, who holds it, the timeline; nothing personal.
    browser.goto(&link).expect("the tracking page loads");
    let state = wait(&browser, "return r.querySelector('#track-state')?.textContent");
    assert!(state.as_str().unwrap_or_default().contains("已派单"), "{state}");
    assert!(!text(&browser, "#track-unit").is_empty());
    let steps = browser
        .eval(&in_widget("return [...r.querySelectorAll('#track-timeline li')].map(l => l.dataset.type)"))
        .expect("reads");
    assert_eq!(steps, json!(["received", "accepted", "dispatched"]));
    let page = browser.eval(&in_widget("return r.textContent")).expect("reads");
    assert!(!page.as_str().unwrap_or_default().contains("13800138000"), "no personal data on the tracking page");
    browser.screenshot(&screenshots().join("tracking.png")).expect("screenshot");
    accessible(&browser, "tracking page");

    // The unit replies through the API; the citizen's page offers the callback.
    let city = host.admins.authenticate(&host.admins.create_admin(None, None).expect("bootstrap")).expect("city");
    let operator = host
        .admins
        .create(Some(&city), &NewToken { role: Some(Role::Operator), unit: Some(&lead), ..NewToken::default() })
        .expect("an operator of the lead unit")
        .token;
    act(&host, &operator, &case_id, json!({"type": "in_progress"}));
    act(
        &host,
        &operator,
        &case_id,
        json!({"type": "replied", "resolved": true, "message": "已联系供热公司上门检修，室温恢复到20度。"}),
    );
    click(&browser, "#t-lookup");
    wait(&browser, "return !!r.querySelector('#survey')");
    assert!(text(&browser, "#track-reply").contains("供热公司"));
    browser.screenshot(&screenshots().join("callback.png")).expect("screenshot");
    accessible(&browser, "callback survey");
    click(&browser, "#s-resolved-yes");
    click(&browser, "#s-satisfied");
    type_in(&browser, "#s-comment", "师傅很快就来了，谢谢");
    click(&browser, "#s-submit");
    let rated = wait(&browser, "return r.querySelector('#track-callback')?.textContent");
    assert_eq!(rated, "满意");

    // The service holds the callback.
    let case = host.store.get(&case_id).expect("stored");
    assert_eq!(case.state, minyi_model::CaseState::Callback, "{case:?}");
    let last = case.events.last().map(|e| serde_json::to_value(&e.event).unwrap_or_default()).unwrap_or_default();
    assert_eq!(
        (last["type"].as_str(), last["satisfaction"].as_str(), last["resolved"].as_bool()),
        (Some("callback"), Some("satisfied"), Some(true)),
        "{last}"
    );
    assert_eq!(last["comment"], "师傅很快就来了，谢谢");
    for shot in ["widget-1280.png", "widget-360.png", "tracking.png", "callback.png"] {
        let size = std::fs::metadata(screenshots().join(shot)).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{shot}: {size} bytes");
    }
}

/// Copies the built site, with a manifest naming other bytes than the host serves.
fn tampered_site(into: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("dir");
        for entry in std::fs::read_dir(from).expect("reads").flatten() {
            let path = entry.path();
            if path.is_dir() {
                copy(&path, &to.join(entry.file_name()));
            } else {
                std::fs::copy(&path, to.join(entry.file_name())).expect("copies");
            }
        }
    }
    copy(&web_dir(), into);
    let manifest = into.join("components/validator/manifest.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).expect("reads")).expect("json");
    m["sha256"] = json!("0".repeat(64));
    std::fs::write(&manifest, m.to_string()).expect("writes");
}

#[test]
fn bytes_that_do_not_match_are_refused_and_the_iframe_page_takes_the_district_and_language() {
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    let site = tempfile::tempdir().expect("temp dir");
    tampered_site(site.path());
    let tampered = host(&rt, site.path().to_owned(), Vec::new());
    let chromium = std::env::var("MINYI_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let browser = Browser::start(&chromium).expect("headless Chromium starts");

    // The manifest names other bytes: the page does not run them, says so, and the server checks.
    browser.goto(&format!("http://{}/", tampered.addr)).expect("page loads");
    let notice = wait(&browser, "return r.querySelector('#checker-notice')?.textContent");
    assert!(notice.as_str().unwrap_or_default().contains("不一致"), "{notice}");
    assert_eq!(text(&browser, "#component-sha256"), "", "nothing runs unverified");
    type_in(&browser, "#f-reporter-phone", "1380013");
    // The server answers each keystroke; until the last answer is in, an earlier one (an empty phone
    // field: phone.required) may be what shows.
    settles_to(
        &browser,
        "return r.querySelector('#issues-reporter-phone li')?.getAttribute('data-code')",
        "phone.invalid",
        "the server's validation, shown the same way",
    );

    // The iframe page of a portal that allows no scripts: 海淀's own form, in English, with the
    // district's validation plugin running in the page. The citizen uses only the keyboard.
    let host = host(&rt, web_dir(), Vec::new());
    let (plugin_sha, city) = activate_haidian_plugin(&host);
    browser.goto(&format!("http://{}/embed?district=110108&lang=en", host.addr)).expect("page loads");
    wait(&browser, "return r.querySelector('#component-sha256')?.textContent");
    let name = wait(&browser, "return r.querySelector('.schema-name')?.textContent");
    assert!(name.as_str().unwrap_or_default().contains("海淀"), "{name}");
    assert_eq!(text(&browser, ".lang-switch"), "中文", "English first");
    let loaded = wait(&browser, "return r.querySelector('#plugin-sha256')?.textContent");
    assert_eq!(loaded.as_str(), Some(plugin_sha.as_str()), "the page runs the plugin the district runs, checked");

    browser.eval("document.activeElement?.blur(); return true").expect("starts from the page");
    tab_to(&browser, "f-kind");
    arrow_to(&browser, "f-kind", "report");
    // A single-value list appears with a noise category, and takes the arrow keys too.
    tab_to(&browser, "f-category");
    arrow_to(&browser, "f-category", "environment.noise.neighbours");
    wait(&browser, "return !!r.querySelector('#f-attributes-noise_period')");
    tab_to(&browser, "f-attributes-noise_period");
    arrow_to(&browser, "f-attributes-noise_period", "night");
    browser.eval(&in_widget("r.querySelector('#f-category').focus(); return true")).expect("back");
    arrow_to(&browser, "f-category", "housing.property.service");
    wait(&browser, "return !!r.querySelector('#f-attributes-building_no')");
    assert_eq!(text(&browser, "label[for=f-attributes-building_no]"), "Building number *", "required in 海淀");
    for (id, typed) in [
        ("f-title", "Lift broken for a week"),
        ("f-description", "The lift in our building has been broken for a week and the property company does nothing."),
        ("f-address", "海淀区中关村街道科育小区3号楼"),
        ("f-reporter-phone", "13800138000"),
    ] {
        tab_to(&browser, id);
        browser.type_into_focused(typed).expect("types");
    }
    tab_to(&browser, "f-consent");
    browser.keys(" ").expect("ticks the box");
    // The plugin sees a form the base validation passed (as on the server): its own rule, live, under
    // the field, from the page's copy of the plugin.
    tab_to(&browser, "f-attributes-building_no");
    browser.type_into_focused("3号楼").expect("types");
    let code = wait(&browser, "return r.querySelector('#issues-attributes-building_no li')?.getAttribute('data-code')");
    assert_eq!(code.as_str(), Some("building_no.invalid"), "the plugin's issue as the citizen types");
    assert!(text(&browser, "#issues-attributes-building_no").contains("only letters, digits and hyphens"));
    browser.keys(&BACKSPACE.to_string().repeat(2)).expect("corrects");
    wait(&browser, "return !r.querySelector('#issues-attributes-building_no li')");
    wait(&browser, "return r.querySelectorAll('[aria-invalid=true]').length === 0");
    tab_to(&browser, "submit");
    browser.keys(&ENTER.to_string()).expect("submits");
    let case_id = wait(&browser, "return r.querySelector('#receipt-case-id')?.textContent");
    let case = host.store.get(case_id.as_str().expect("text")).expect("stored");
    assert_eq!(
        (case.form["kind"].as_str(), case.form["category"].as_str(), case.form["attributes"]["building_no"].as_str()),
        (Some("report"), Some("housing.property.service"), Some("3")),
        "{case:?}"
    );
    assert!(case.form["attributes"].get("noise_period").is_none(), "a field of another category is not sent");

    // 朝阳 deploys a schema of its own at runtime (garbage complaints name the residential community),
    // as its admin does, over HTTP. The page's component checks the form against that schema — the one
    // intake applies — so the citizen is stopped in the page, and nothing is filed until it is right.
    let chaoyang = host.admins.create_admin(Some(&city), Some("110105")).expect("district admin");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let admin = |uri: &str, content_type: &str, body: &str| {
        let mut res = agent
            .post(&format!("http://{}{uri}", host.addr))
            .header("Authorization", &format!("Bearer {chaoyang}"))
            .header("Content-Type", content_type)
            .send(body)
            .expect("answers");
        (res.status().as_u16(), res.body_mut().read_to_string().unwrap_or_default())
    };
    let (status, v) = admin("/api/admin/districts/110105/schema?version=1", "text/plain", CHAOYANG_SCHEMA);
    assert_eq!(status, 201, "{v}");
    let (status, v) = admin("/api/admin/districts/110105/schema/activate", "application/json", r#"{"version":"1"}"#);
    assert_eq!(status, 200, "{v}");
    browser.goto(&format!("http://{}/embed?district=110105&lang=en", host.addr)).expect("page loads");
    wait(&browser, "return r.querySelector('#component-sha256')?.textContent");
    choose(&browser, "#f-category", "urban.sanitation.garbage");
    wait(&browser, "return !!r.querySelector('#f-attributes-community')");
    for (id, typed) in [
        ("#f-title", "Garbage not collected"),
        ("#f-description", "The garbage in our compound has not been collected for three days and it smells."),
        ("#f-address", "朝阳区望京西园三区"),
        ("#f-reporter-phone", "13800138000"),
    ] {
        type_in(&browser, id, typed);
    }
    click(&browser, "#f-consent");
    click(&browser, "#submit");
    let code = wait(&browser, "return r.querySelector('#issues-attributes-community li')?.getAttribute('data-code')");
    assert_eq!(code.as_str(), Some("attribute.required"), "the district's schema, checked in the page");
    assert_eq!(text(&browser, "#receipt-case-id"), "", "not filed");
    let filed = |store: &CaseStore| {
        store.list(&minyi_cases::Filter { district: Some("110105"), ..Default::default() }).expect("lists").len()
    };
    assert_eq!(filed(&host.store), 0, "the page stopped it: the server never saw it");
    type_in(&browser, "#f-attributes-community", "望京西园三区");
    wait(&browser, "return !r.querySelector('#issues-attributes-community li')");
    click(&browser, "#submit");
    let case_id = wait(&browser, "return r.querySelector('#receipt-case-id')?.textContent");
    let case = host.store.get(case_id.as_str().expect("text")).expect("stored");
    assert_eq!(case.form["attributes"]["community"].as_str(), Some("望京西园三区"), "{case:?}");
    assert_eq!(filed(&host.store), 1);
}
