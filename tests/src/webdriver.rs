//! A minimal W3C WebDriver client (plain HTTP on loopback) driving Debian's headless Chromium.

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running ChromeDriver with one browser session; both end when dropped.
#[derive(Debug)]
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: TempDir,
}

/// A fresh profile directory, removed on drop.
#[derive(Debug)]
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn post(url: &str, body: Value) -> Result<Value> {
    value(url, ureq::post(url).config().http_status_as_error(false).build().send_json(&body))
}

fn get(url: &str) -> Result<Value> {
    value(url, ureq::get(url).config().http_status_as_error(false).build().call())
}

fn delete(url: &str) -> Result<Value> {
    value(url, ureq::delete(url).config().http_status_as_error(false).build().call())
}

/// The `value` of a WebDriver answer, or its message when the status is an error.
fn value(url: &str, res: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Value> {
    let mut res = res?;
    let status = res.status();
    let v: Value = res.body_mut().read_json()?;
    if !status.is_success() {
        bail!("WebDriver {url} answered {status}: {}", v["value"]["message"]);
    }
    Ok(v["value"].clone())
}

/// The Tab key, for [`Browser::keys`].
pub const TAB: char = '\u{E004}';
/// The Down arrow key.
pub const ARROW_DOWN: char = '\u{E015}';
/// The Up arrow key.
pub const ARROW_UP: char = '\u{E013}';
/// The Enter key.
pub const ENTER: char = '\u{E007}';
/// The Backspace key.
pub const BACKSPACE: char = '\u{E003}';

impl Browser {
    /// Starts ChromeDriver and a headless Chromium session (flags for a closed network, as root).
    pub fn start(chromium: &str) -> Result<Self> {
        let port = free_port()?;
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver (apt-get install chromium-driver)")?;
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while get(&format!("{base}/status")).map(|v| v["ready"] != true).unwrap_or(true) {
            if Instant::now() > deadline {
                bail!("chromedriver did not become ready on port {port}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = std::env::temp_dir().join(format!("minyi-chromium-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&profile)?;
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args}
        }}});
        let mut browser = Browser { driver, base, session: String::new(), _profile: TempDir(profile) };
        let v = post(&format!("{}/session", browser.base), caps)?;
        browser.session = v["sessionId"].as_str().ok_or_else(|| anyhow!("no session id in {v}"))?.to_owned();
        Ok(browser)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}/{path}", self.base, self.session)
    }

    /// Loads a page.
    pub fn goto(&self, url: &str) -> Result<()> {
        post(&self.url("url"), json!({ "url": url })).map(drop)
    }

    /// Runs a script in the page and returns its result.
    pub fn eval(&self, script: &str) -> Result<Value> {
        post(&self.url("execute/sync"), json!({ "script": script, "args": [] }))
    }

    /// The element matching a CSS selector.
    pub fn find(&self, css: &str) -> Result<String> {
        let v = post(&self.url("element"), json!({ "using": "css selector", "value": css }))?;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no element id for {css}: {v}"))
    }

    /// Types text into an element, as a person would (key events, so the page's input handlers run).
    pub fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let id = self.find(css)?;
        self.type_into_element(&id, text)
    }

    /// Types text into an element found before.
    pub fn type_into_element(&self, id: &str, text: &str) -> Result<()> {
        post(&self.url(&format!("element/{id}/value")), json!({ "text": text })).map(drop)
    }

    /// Clicks an element found before, as a person would.
    pub fn click_element(&self, id: &str) -> Result<()> {
        post(&self.url(&format!("element/{id}/click")), json!({})).map(drop)
    }

    /// The element matching `css` inside the open shadow root of the element matching `host`.
    pub fn find_in_shadow(&self, host: &str, css: &str) -> Result<String> {
        let host = self.find(host)?;
        let root = get(&self.url(&format!("element/{host}/shadow")))?;
        let root = root
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("no shadow root: {root}"))?
            .to_owned();
        let v = post(&self.url(&format!("shadow/{root}/element")), json!({ "using": "css selector", "value": css }))?;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no element for {css} in the shadow root: {v}"))
    }

    /// Presses keys as a keyboard does, on whatever has the focus: each `char` is one key (WebDriver's
    /// codes for the special ones, e.g. [`TAB`], [`ARROW_DOWN`], [`ENTER`]).
    pub fn keys(&self, keys: &str) -> Result<()> {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [json!({"type": "keyDown", "value": c.to_string()}), json!({"type": "keyUp", "value": c.to_string()})]
            })
            .collect();
        post(&self.url("actions"), json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }))?;
        delete(&self.url("actions")).map(drop)
    }

    /// Types text into the element that has the focus (it keeps the focus).
    pub fn type_into_focused(&self, text: &str) -> Result<()> {
        let v = get(&self.url("element/active"))?;
        let id = v
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("nothing has the focus: {v}"))?
            .to_owned();
        self.type_into_element(&id, text)
    }

    /// Runs an async script (it calls `arguments[0]` with its result) and returns the result.
    pub fn eval_async(&self, script: &str) -> Result<Value> {
        post(&self.url("execute/async"), json!({ "script": script, "args": [] }))
    }

    /// Resizes the window (CSS pixels).
    pub fn resize(&self, width: u32, height: u32) -> Result<()> {
        post(&self.url("window/rect"), json!({ "width": width, "height": height })).map(drop)
    }

    /// A PNG of the viewport, written to `path`.
    pub fn screenshot(&self, path: &std::path::Path) -> Result<()> {
        use base64::Engine as _;
        let v = get(&self.url("screenshot"))?;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// Polls `script` until it returns something other than null/false/"" or the timeout passes.
    pub fn wait_for(&self, script: &str, timeout: Duration) -> Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.eval(script)?;
            let empty = v.is_null() || v == Value::Bool(false) || v.as_str() == Some("");
            if !empty {
                return Ok(v);
            }
            if Instant::now() > deadline {
                let page = self.eval("return document.body ? document.body.innerText : ''").unwrap_or_default();
                bail!("timed out waiting for `{script}`; page text: {page}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
