//! The `validator` component in the page, through the `minyi-components.js` loader: the bytes are
//! fetched from the host, their SHA-256 is computed here (no `crypto.subtle`, so it works without a
//! secure context) and compared with the served manifest; only matching bytes are instantiated.

use crate::api::describe;
use minyi_model::ValidationResult;
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(raw_module = "../minyi-components.js")]
extern "C" {
    /// Fetches `{bytes, manifest}` of the validator from the host the loader came from.
    #[wasm_bindgen(js_name = fetchValidator, catch)]
    async fn fetch_validator_js() -> Result<JsValue, JsValue>;

    /// Instantiates the transpiled bindings with the core modules cut from `bytes`.
    #[wasm_bindgen(js_name = instantiateValidator, catch)]
    async fn instantiate_validator_js(bytes: &js_sys::Uint8Array, manifest: &JsValue) -> Result<JsValue, JsValue>;

    /// `minyi:casework/validation.validate-json`, through the transpiled component.
    #[wasm_bindgen(js_name = validateJson, catch)]
    fn validate_json_js(form_json: &str, now: &str) -> Result<String, JsValue>;
}

/// Why the page does not validate with its own copy of the component.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    /// The bytes fetched are not the bytes the manifest names: they are not run.
    Mismatch {
        /// SHA-256 in the manifest.
        expected: String,
        /// SHA-256 of the bytes fetched.
        actual: String,
    },
    /// The bytes or the manifest could not be fetched or instantiated.
    Failed(String),
}

/// Fetches the validator, checks its hash against the manifest and instantiates it; returns the SHA-256.
pub async fn load_validator() -> Result<String, LoadError> {
    let fetched = fetch_validator_js().await.map_err(|e| LoadError::Failed(describe(e)))?;
    let field = |name: &str| js_sys::Reflect::get(&fetched, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    let bytes: js_sys::Uint8Array = field("bytes").dyn_into().map_err(|_| LoadError::Failed("no bytes".into()))?;
    let manifest = field("manifest");
    let expected = js_sys::Reflect::get(&manifest, &JsValue::from_str("sha256"))
        .ok()
        .and_then(|v| v.as_string())
        .ok_or_else(|| LoadError::Failed("the manifest names no sha256".into()))?;
    let actual = sha256_hex(&bytes.to_vec());
    if actual != expected {
        return Err(LoadError::Mismatch { expected, actual });
    }
    instantiate_validator_js(&bytes, &manifest).await.map_err(|e| LoadError::Failed(describe(e)))?;
    Ok(actual)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Validates a form document through the component.
pub fn validate(form_json: &str, now: &str) -> Result<ValidationResult, String> {
    let json = validate_json_js(form_json, now).map_err(describe)?;
    serde_json::from_str(&json).map_err(|e| format!("validator returned unexpected JSON: {e}"))
}

/// The current time as RFC 3339 (UTC), the `now` the page passes to the component.
pub fn now() -> String {
    js_sys::Date::new_0().to_iso_string().as_string().unwrap_or_default()
}
