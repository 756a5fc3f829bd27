//! Bindings to the transpiled `validator` component, reached through the `/minyi-components.js` loader.

use minyi_model::ValidationResult;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(raw_module = "/minyi-components.js")]
extern "C" {
    /// Fetches the component bytes, instantiates them and resolves to their SHA-256 (hex).
    #[wasm_bindgen(js_name = loadValidator, catch)]
    async fn load_validator_js() -> Result<JsValue, JsValue>;

    /// `minyi:casework/validation.validate-json`, through the transpiled component.
    #[wasm_bindgen(js_name = validateJson, catch)]
    fn validate_json_js(form_json: &str, now: &str) -> Result<String, JsValue>;
}

/// Loads the validator; returns the SHA-256 of the bytes fetched, or why it failed.
pub async fn load_validator() -> Result<String, String> {
    load_validator_js().await.map(|v| v.as_string().unwrap_or_default()).map_err(describe)
}

/// Validates a form document through the component.
pub fn validate(form_json: &str, now: &str) -> Result<ValidationResult, String> {
    let json = validate_json_js(form_json, now).map_err(describe)?;
    serde_json::from_str(&json).map_err(|e| format!("validator returned unexpected JSON: {e}"))
}

fn describe(e: JsValue) -> String {
    js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string()).unwrap_or_else(|| format!("{e:?}"))
}

/// The current time as RFC 3339 (UTC), the `now` the page passes to the component.
pub fn now() -> String {
    js_sys::Date::new_0().to_iso_string().as_string().unwrap_or_default()
}
