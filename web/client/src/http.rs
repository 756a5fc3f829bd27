//! The service's HTTP API as the browser calls it: one host's base URL, `fetch` with an optional
//! bearer token, and answers read as JSON or as the service's `{code, message}` error.

use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Why a call did not give what was asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    /// HTTP status, or 0 when the request did not reach the service.
    pub status: u16,
    /// The service's code (its `{code, message}`), when it gave one.
    pub code: String,
    /// The service's message, or the browser's.
    pub message: String,
}

impl Failed {
    /// A failure before the service answered (no network, a browser error).
    pub fn offline(message: String) -> Failed {
        Failed { status: 0, code: String::new(), message }
    }
}

/// A JS error as text: its message, or its JSON, or its debug form.
pub fn describe(e: JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::Reflect::get(&e, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()))
        .or_else(|| js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| format!("{e:?}"))
}

/// The API of one host, e.g. `https://12345.example.cn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    base: String,
}

impl Client {
    /// The API at `base` (a trailing `/` is dropped).
    pub fn new(base: &str) -> Client {
        Client { base: base.trim_end_matches('/').to_owned() }
    }

    /// An absolute URL on the host.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// One request, its body with its content type: status and body text.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, JsValue)>,
        token: Option<&str>,
    ) -> Result<(u16, String), Failed> {
        let offline = |e: JsValue| Failed::offline(describe(e));
        let window = web_sys::window().ok_or_else(|| Failed::offline("no window".into()))?;
        let headers = web_sys::Headers::new().map_err(offline)?;
        if let Some((content_type, _)) = &body {
            headers.set("Content-Type", content_type).map_err(offline)?;
        }
        if let Some(token) = token {
            headers.set("Authorization", &format!("Bearer {token}")).map_err(offline)?;
        }
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        init.set_headers(&headers);
        if let Some((_, body)) = &body {
            init.set_body(body);
        }
        let response = JsFuture::from(window.fetch_with_str_and_init(&self.url(path), &init)).await.map_err(offline)?;
        let response: web_sys::Response = response.dyn_into().map_err(offline)?;
        let text = JsFuture::from(response.text().map_err(offline)?).await.map_err(offline)?;
        Ok((response.status(), text.as_string().unwrap_or_default()))
    }

    /// A JSON answer when the status is one of `ok`, else the service's `{code, message}`.
    pub async fn json<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        token: Option<&str>,
        ok: &[u16],
    ) -> Result<T, Failed> {
        let body = body.map(|b| ("application/json", JsValue::from_str(b)));
        self.answer(self.send(method, path, body, token).await?, ok)
    }

    /// The answer as `T` when its status is one of `ok`, else the service's `{code, message}`.
    pub fn answer<T: DeserializeOwned>(&self, (status, text): (u16, String), ok: &[u16]) -> Result<T, Failed> {
        if ok.contains(&status) {
            return serde_json::from_str(&text).map_err(|e| Failed {
                status,
                code: "answer.unreadable".into(),
                message: format!("the service answered unexpected JSON: {e}"),
            });
        }
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Err(Failed { status, code: field("code").unwrap_or_default(), message: field("message").unwrap_or(text) })
    }
}

/// A path segment as typed by a person: anything but letters, digits and `-` is escaped.
pub fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
