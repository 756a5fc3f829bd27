//! The service's API as the widget calls it, on the widget's host (the `api` attribute, else the origin
//! the widget's script came from): the district's form, intake, server-side validation (when the page
//! cannot run its own copy of the component), the district's own schema (which the page's copy checks
//! the form against), the case's files, a case's progress and the callback survey.

use minyi_model::{FormSpec, Progress, ValidationResult};
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What `POST /api/cases` answered: the service's intake report, the public shape in `minyi-model`.
pub type Intake = minyi_model::IntakeReport;

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
    fn offline(message: String) -> Failed {
        Failed { status: 0, code: String::new(), message }
    }
}

/// A JS error as text: its message, or its JSON, or its debug form.
pub(crate) fn describe(e: JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::Reflect::get(&e, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()))
        .or_else(|| js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| format!("{e:?}"))
}

/// The API of one host, e.g. `https://12345.example.cn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    base: String,
}

impl Api {
    /// The API at `base` (a trailing `/` is dropped).
    pub fn new(base: &str) -> Api {
        Api { base: base.trim_end_matches('/').to_owned() }
    }

    /// An absolute URL on the host.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// One request, its body with its content type: status and body text.
    async fn send(
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
    async fn json<T: DeserializeOwned>(
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
    fn answer<T: DeserializeOwned>(&self, (status, text): (u16, String), ok: &[u16]) -> Result<T, Failed> {
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

    /// `GET /api/form?district=`: the district's case form.
    pub async fn form(&self, district: &str) -> Result<FormSpec, Failed> {
        self.json("GET", &format!("/api/form?district={}", encode(district)), None, None, &[200]).await
    }

    /// `GET /api/districts/{district}/schema`: the schema the district deployed and activated (TOML),
    /// or `None` when the built-in schemas apply to it (404), or the host keeps no registry (503).
    pub async fn district_schema(&self, district: &str) -> Result<Option<String>, Failed> {
        let path = format!("/api/districts/{}/schema", encode(district));
        match self.send("GET", &path, None, None).await? {
            (200, text) => Ok(Some(text)),
            (404 | 503, _) => Ok(None),
            answer => self.answer::<Value>(answer, &[]).map(|_| None),
        }
    }

    /// `POST /api/cases`. The service stores the body before anything else runs on it, so a stored
    /// case comes back even when it is rejected (422) or not a form at all (400).
    pub async fn submit(&self, form_json: &str) -> Result<Intake, Failed> {
        self.json("POST", "/api/cases", Some(form_json), None, &[201, 400, 422]).await
    }

    /// `POST /api/validate`: the server's validation (the same component, with the district's plugin).
    pub async fn validate(&self, form_json: &str) -> Result<ValidationResult, Failed> {
        self.json("POST", "/api/validate", Some(form_json), None, &[200]).await
    }

    /// `PUT /api/cases/{id}/attachments/{index}` with the tracking token: one of the files the form
    /// declared, its bytes as chosen.
    pub async fn upload(
        &self,
        case_id: &str,
        index: usize,
        token: &str,
        file: &web_sys::File,
    ) -> Result<Value, Failed> {
        let path = format!("/api/cases/{}/attachments/{index}", encode(case_id));
        let content_type = file.type_();
        let body = Some((content_type.as_str(), JsValue::from(file.clone())));
        self.answer(self.send("PUT", &path, body, Some(token)).await?, &[201])
    }

    /// `GET /api/cases/{id}` with the tracking token.
    pub async fn progress(&self, case_id: &str, token: &str) -> Result<Progress, Failed> {
        self.json("GET", &format!("/api/cases/{}", encode(case_id)), None, Some(token), &[200]).await
    }

    /// `POST /api/cases/{id}/callback` with the tracking token.
    pub async fn callback(&self, case_id: &str, token: &str, answers: &Value) -> Result<Value, Failed> {
        let body = answers.to_string();
        self.json("POST", &format!("/api/cases/{}/callback", encode(case_id)), Some(&body), Some(token), &[200, 201])
            .await
    }
}

/// A path segment as typed by a person: anything but letters, digits and `-` is escaped.
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
