//! The service's case API as the widget calls it: `POST /api/cases` on the page's own origin.

use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What `POST /api/cases` answered: the service's intake report, the public shape in `minyi-model`.
pub type Intake = minyi_model::IntakeReport;

/// Why a submission did not produce a stored case.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    /// HTTP status, or 0 when the request did not reach the service.
    pub status: u16,
    /// The service's message (its `{code, message}`), or the browser's.
    pub message: String,
}

fn describe(e: JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Posts a case-form document. The service stores it before anything else runs on it, so a stored
/// case comes back even when it is rejected (422) or not a form at all (400).
pub async fn submit_case(form_json: &str) -> Result<Intake, Failed> {
    let offline = |message: String| Failed { status: 0, message };
    let window = web_sys::window().ok_or_else(|| offline("no window".into()))?;
    let headers = web_sys::Headers::new().map_err(|e| offline(describe(e)))?;
    headers.set("Content-Type", "application/json").map_err(|e| offline(describe(e)))?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(form_json));
    let response =
        JsFuture::from(window.fetch_with_str_and_init("/api/cases", &init)).await.map_err(|e| offline(describe(e)))?;
    let response: web_sys::Response = response.dyn_into().map_err(|e| offline(describe(e)))?;
    let status = response.status();
    let text = match response.text() {
        Ok(p) => JsFuture::from(p).await.map_err(|e| offline(describe(e)))?.as_string().unwrap_or_default(),
        Err(e) => return Err(offline(describe(e))),
    };
    match status {
        201 | 400 | 422 => serde_json::from_str(&text)
            .map_err(|e| Failed { status, message: format!("the service answered unexpected JSON: {e}") }),
        _ => {
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or(text);
            Err(Failed { status, message })
        }
    }
}
