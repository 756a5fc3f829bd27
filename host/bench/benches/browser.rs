//! Validation in the browser, where it runs on every keystroke: headless Chromium, the validator
//! component through its transpiled JS (the bytes and glue the widget loads from the service) against
//! ajv 8 (`ajv-dist`, its own browser bundle) on the same JSON Schema 2020-12 and the same forms — the
//! typical one and a 2,000-character one. Both start from the JSON text, as the widget has it: the
//! component parses it itself, ajv is timed with `JSON.parse`. Calls are timed in batches (the browser's
//! clock is coarse), p50 and p99 of the per-call time over the batches; then the widget's first
//! interaction: from navigation to the validator answering inside a portal page that embeds it; and the
//! category suggestion as the widget makes it — the classifier component through its transpiled JS,
//! with a model trained on the real messages in `../shared/data` (as the `classify` bench trains it),
//! on the same 300-character messages the `classify` bench times natively and in wasmtime. Writes
//! `target/bench/browser.json`. Without `--bench` (the smoke run of `cargo xtask test`), a few batches.

use minyi_server::{AppState, app};
use minyi_tests::webdriver::Browser;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[path = "common/forms.rs"]
mod forms;

const NOW: &str = "2026-11-29T10:05:00+08:00";

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// What the bench needs from the set-up, or why it cannot run here: the built site, Chromium and ajv.
fn prerequisites() -> Result<(PathBuf, String, String), String> {
    let web_dir = std::env::var_os("MINYI_WEB_DIR").map(PathBuf::from).unwrap_or_else(|| target_dir().join("site"));
    if !web_dir.join("components/validator/manifest.json").exists() {
        return Err(format!("no built web app in {} (`cargo xtask dist`)", web_dir.display()));
    }
    let chromium = std::env::var("MINYI_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        return Err(format!("no Chromium at {chromium}"));
    }
    let ajv = target_dir().join("ajv/node_modules/ajv-dist/dist/ajv2020.min.js");
    let ajv = std::fs::read_to_string(&ajv)
        .map_err(|e| format!("no ajv at {} ({e}): `cargo xtask test` installs it", ajv.display()))?;
    Ok((web_dir, chromium, ajv))
}

/// Times `call` (a JS expression on `text`) on `engine`'s side of the page: `batches` batches of `per`
/// calls after a warm-up; per-call p50 and p99 in µs.
const TIMING: &str = r#"
const [forms, batches, per] = [FORMS, BATCHES, PER];
const engines = {
  component: (text) => window.__minyi.validateJson(text, NOW),
  ajv: (text) => window.__ajv(JSON.parse(text)),
};
const out = {};
for (const [name, text] of Object.entries(forms)) {
  for (const [engine, call] of Object.entries(engines)) {
    for (let i = 0; i < per; i++) call(text);
    const times = [];
    for (let b = 0; b < batches; b++) {
      const t = performance.now();
      for (let i = 0; i < per; i++) call(text);
      times.push((performance.now() - t) * 1000 / per);
    }
    times.sort((a, b) => a - b);
    const at = (q) => times[Math.min(times.length - 1, Math.round((times.length - 1) * q))];
    out[`${name}/${engine}`] = [at(0.5), at(0.99)];
  }
}
return out;
"#;

/// The classifier in the page as the widget loads it (component and model from the service), checked to
/// answer every message as the server's copy does, then timed in batches of 50 messages over all of them:
/// per-call p50 and p99 in µs.
fn suggest_in_page(
    browser: &Browser,
    host: &str,
    model: &minyi_runtime::LoadedModel<'static>,
    messages: &[String],
    full: bool,
) -> (f64, f64) {
    let loaded = browser
        .eval_async(&format!(
            r#"const done = arguments[0];
            (async () => {{
              const c = await window.__minyi.fetchClassifier("{host}", "110105");
              await window.__minyi.instantiateClassifier(c.bytes, c.manifest, c.model);
              return "ok";
            }})().then(done, (e) => done(String(e)));"#
        ))
        .expect("the classifier loads");
    assert_eq!(loaded, json!("ok"), "the classifier loads in the page");
    let texts = serde_json::to_string(messages).expect("JSON");
    let page: Vec<String> = serde_json::from_value(
        browser.eval(&format!("return {texts}.map((t) => window.__minyi.suggestJson(t));")).expect("suggests"),
    )
    .expect("strings");
    for (m, got) in messages.iter().zip(&page) {
        assert_eq!(got, &model.suggest_json(m, None).expect("the server's copy"), "{m}");
    }
    let rounds = if full { 20 } else { 1 };
    let timed = browser
        .eval(&format!(
            "const texts = {texts}; const times = [];
             for (let r = 0; r < {rounds}; r++) {{
               for (let i = 0; i < texts.length; i += 50) {{
                 const batch = texts.slice(i, i + 50);
                 const t = performance.now();
                 for (const text of batch) window.__minyi.suggestJson(text);
                 times.push((performance.now() - t) * 1000 / batch.length);
               }}
             }}
             times.sort((a, b) => a - b);
             const at = (q) => times[Math.min(times.length - 1, Math.round((times.length - 1) * q))];
             return [at(0.5), at(0.99)];"
        ))
        .expect("the timing runs");
    (timed[0].as_f64().expect("a time"), timed[1].as_f64().expect("a time"))
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (web_dir, chromium, ajv) = match prerequisites() {
        Ok(found) => found,
        Err(why) if std::env::var_os("CI").is_some() => panic!("the browser bench cannot run: {why}"),
        Err(why) => return println!("browser bench skipped: {why}"),
    };
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    // The portal: another origin whose page embeds the widget, as in the widget guide.
    let portal = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let portal_origin = format!("http://{}", portal.local_addr().expect("addr"));
    let runtime = Arc::new(minyi_runtime::Runtime::new(Default::default()).expect("components load"));
    // The model the service suggests with, and the messages to suggest for (none without `../shared`).
    let (model, messages) = match minyi_tests::shared::data("cn-hotline-messages.csv") {
        Some(path) => {
            let csv = std::fs::read(&path).expect("reads");
            let examples = minyi_classify::read_csv(&csv, &["title", "text"], "category").expect("the columns");
            let model = minyi_classify::train(&examples, &Default::default()).expect("trains").to_bytes();
            let messages: Vec<String> = examples
                .iter()
                .filter(|(_, l)| !l.is_empty())
                .map(|(t, _)| t.chars().filter(|c| !c.is_whitespace()).cycle().take(300).collect())
                .collect();
            let loaded = runtime.load_model_shared(&model).expect("the classifier loads the model");
            (Some(Arc::new(loaded)), messages)
        }
        None => (None, Vec::new()),
    };
    // What `minyi serve` does on a thread of its own as it starts: every file compressed before the
    // first visitor, who then pays for the download and the compile, not for brotli.
    minyi_server::warm_assets(&web_dir, &runtime);
    let state = AppState {
        allow_origins: vec![portal_origin.clone()],
        guard: minyi_server::Guard::default().with_rate(None),
        classifier: model.clone(),
        ..AppState::stateless(runtime, web_dir)
    };
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let host = format!("http://{}", listener.local_addr().expect("addr"));
    rt.spawn(async move {
        axum::serve(listener, app(state).into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });
    // The page notes when the validator first answers in the widget (its bytes' SHA-256 shows then).
    let page = format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>门户</title></head><body>
        <script>
          (function watch() {{
            const r = document.querySelector('minyi-complaint')?.shadowRoot;
            if (r && r.querySelector('#component-sha256')?.textContent) window.__ready = performance.now();
            else setTimeout(watch, 1);
          }})();
        </script>
        <script src="{host}/widget.js"></script>
        <minyi-complaint district="110105" lang="zh-CN"></minyi-complaint></body></html>"#
    );
    // A bare page of the portal's for the engines: no policy of ours, so ajv may compile its schema
    // into code (`new Function`), as it does on a portal.
    let bare = "<!doctype html><html><head><meta charset=\"utf-8\"><title>bench</title></head><body></body></html>";
    let portal_app = axum::Router::new()
        .route("/", axum::routing::get(move || async move { axum::response::Html(page) }))
        .route("/bare", axum::routing::get(move || async move { axum::response::Html(bare) }));
    rt.spawn(async move { axum::serve(portal, portal_app).await });

    let browser = Browser::start(&chromium).expect("headless Chromium starts");
    // The widget's first interaction: a first visit (nothing cached in the browser), then fresh pages
    // with the browser's HTTP cache warm, as for a citizen who comes back.
    let rounds = if full { 10 } else { 1 };
    let mut ready = Vec::new();
    for _ in 0..=rounds {
        browser.goto(&format!("{portal_origin}/?{}", ready.len())).expect("the portal page loads");
        let at = browser
            .wait_for("return window.__ready ?? null", Duration::from_secs(30))
            .expect("the widget's validator answers");
        ready.push(at.as_f64().expect("a time"));
    }
    let first_visit = ready.remove(0);
    ready.sort_by(f64::total_cmp);
    let ready_p50 = ready[ready.len() / 2];

    // The engines on a portal page: the validator as the widget loads it from the service, ajv beside it.
    browser.goto(&format!("{portal_origin}/bare")).expect("the portal's page loads");
    let loaded = browser
        .eval_async(&format!(
            r#"const done = arguments[0];
            (async () => {{
              const m = await import("{host}/minyi-components.js");
              const {{ bytes, manifest }} = await m.fetchValidator();
              await m.instantiateValidator(bytes, manifest);
              window.__minyi = m;
              (0, eval)({ajv});
              const Ajv = window.ajv2020.default ?? window.ajv2020;
              window.__ajv = new Ajv({{ allErrors: false, strict: false }}).compile({schema});
              return "ok";
            }})().then(done, (e) => done(String(e)));"#,
            ajv = serde_json::to_string(&ajv).expect("JSON"),
            schema = forms::json_schema(),
        ))
        .expect("the engines load");
    assert_eq!(loaded, json!("ok"), "the validator and ajv load in the page");
    let forms = json!({
        "typical": serde_json::to_string(&forms::model_form()).expect("JSON"),
        "long_2000": serde_json::to_string(&forms::long_form()).expect("JSON"),
    });
    // Both accept both forms before anything is timed.
    let verdicts = browser
        .eval(&format!(
            "const forms = {forms}; return Object.values(forms).map((t) => \
             [JSON.parse(window.__minyi.validateJson(t, {NOW:?})).valid, window.__ajv(JSON.parse(t))]);"
        ))
        .expect("validates");
    assert_eq!(verdicts, json!([[true, true], [true, true]]), "both engines accept both forms");
    let (batches, per) = if full { (40, 1000) } else { (3, 200) };
    let script = TIMING
        .replace("FORMS", &forms.to_string())
        .replace("BATCHES", &batches.to_string())
        .replace("PER", &per.to_string())
        .replace("NOW", &format!("{NOW:?}"));
    let timed = browser.eval(&script).expect("the timing runs");

    let mut rows = Vec::new();
    println!("\nvalidate_json in headless Chromium, {batches} batches × {per} calls, per call");
    println!(
        "{:<12} {:>14} {:>14} {:>14} {:>14} {:>10}",
        "form", "component p50", "component p99", "ajv p50", "ajv p99", "comp/ajv"
    );
    for form in ["typical", "long_2000"] {
        let get = |engine: &str, i: usize| timed[format!("{form}/{engine}")][i].as_f64().expect("a time");
        let (c50, c99, a50, a99) = (get("component", 0), get("component", 1), get("ajv", 0), get("ajv", 1));
        println!("{form:<12} {c50:>11.2} µs {c99:>11.2} µs {a50:>11.2} µs {a99:>11.2} µs {:>9.2}×", c50 / a50);
        let name = format!("browser/validate_json/{form}");
        for (what, value, unit) in [
            ("component_p50", c50, "us"),
            ("component_p99", c99, "us"),
            ("ajv_p50", a50, "us"),
            ("ajv_p99", a99, "us"),
            ("component_over_ajv_p50", c50 / a50, "ratio"),
        ] {
            rows.push(json!({"name": format!("{name}/{what}"), "value": value, "unit": unit}));
        }
    }
    if let Some(model) = &model {
        let (c50, c99) = suggest_in_page(&browser, &host, model, &messages, full);
        println!("suggest, 300 chars, in Chromium: p50 {c50:.1} µs, p99 {c99:.1} µs ({} messages)", messages.len());
        rows.push(json!({"name": "browser/suggest_300_chars/component_p50", "value": c50, "unit": "us"}));
        rows.push(json!({"name": "browser/suggest_300_chars/component_p99", "value": c99, "unit": "us"}));
    }
    println!(
        "widget first interaction: first visit {first_visit:.0} ms, p50 of {} later visits {ready_p50:.0} ms",
        ready.len()
    );
    rows.push(json!({"name": "browser/widget_first_interaction/first_visit", "value": first_visit, "unit": "ms"}));
    rows.push(json!({"name": "browser/widget_first_interaction/p50", "value": ready_p50, "unit": "ms"}));
    let out = target_dir().join("bench");
    std::fs::create_dir_all(&out).expect("bench folder");
    std::fs::write(out.join("browser.json"), serde_json::to_vec_pretty(&rows).expect("JSON")).expect("writes");
    drop(browser);
    // The service holds blocking clients that may not be dropped inside the runtime: the process ends.
    std::mem::forget(rt);
}
