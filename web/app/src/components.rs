//! The `validator` component in the page, through the `minyi-components.js` loader: the bytes are
//! fetched from the host, their SHA-256 is computed here (no `crypto.subtle`, so it works without a
//! secure context) and compared with the served manifest; only matching bytes are instantiated. The
//! district's validation plugin likewise: its bytes are checked against the hash the host says the
//! district runs, and its extra issues are added by the model's one rule (`with_plugin_issues`). The
//! `classifier` too, with the model the API suggests with, once the citizen starts describing a demand.

use crate::api::describe;
use minyi_model::{CategorySuggestion, Issue, ValidationResult};
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

    /// `minyi:casework/validation.validate-json-with-schema`: against a district's deployed schema.
    #[wasm_bindgen(js_name = validateJsonWithSchema, catch)]
    fn validate_json_with_schema_js(schema: &str, form_json: &str, now: &str) -> Result<String, JsValue>;

    /// `{pointer, bytes}` of the district's plugin when it runs in the browser, else `null`.
    #[wasm_bindgen(js_name = fetchPlugin, catch)]
    async fn fetch_plugin_js(api: &str, district: &str) -> Result<JsValue, JsValue>;

    /// Instantiates the plugin's bindings with its granted capabilities, for `district`.
    #[wasm_bindgen(js_name = instantiatePlugin, catch)]
    async fn instantiate_plugin_js(
        api: &str,
        district: &str,
        pointer: &JsValue,
        bytes: &js_sys::Uint8Array,
    ) -> Result<JsValue, JsValue>;

    /// Forgets the district's plugin.
    #[wasm_bindgen(js_name = dropPlugin)]
    fn drop_plugin_js(district: &str);

    /// `minyi:casework/validation-hook.extra-issues` over JSON, through the district's plugin.
    #[wasm_bindgen(js_name = extraIssues, catch)]
    fn extra_issues_js(district: &str, form_json: &str) -> Result<String, JsValue>;

    /// `{bytes, manifest, model}` of the classifier and the API's model, or `null` when it runs none.
    #[wasm_bindgen(js_name = fetchClassifier, catch)]
    async fn fetch_classifier_js(api: &str, district: &str) -> Result<JsValue, JsValue>;

    /// Instantiates the classifier's bindings and loads the model; the model's SHA-256.
    #[wasm_bindgen(js_name = instantiateClassifier, catch)]
    async fn instantiate_classifier_js(
        bytes: &js_sys::Uint8Array,
        manifest: &JsValue,
        model: &js_sys::Uint8Array,
    ) -> Result<JsValue, JsValue>;

    /// `minyi:classifier/classification.model.suggest-json`, with the model's own threshold.
    #[wasm_bindgen(js_name = suggestJson, catch)]
    fn suggest_json_js(text: &str) -> Result<String, JsValue>;
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
    let actual = checked(&bytes, &manifest)?;
    instantiate_validator_js(&bytes, &manifest).await.map_err(|e| LoadError::Failed(describe(e)))?;
    Ok(actual)
}

/// The SHA-256 of `bytes` when it is the one `manifest.sha256` names.
fn checked(bytes: &js_sys::Uint8Array, manifest: &JsValue) -> Result<String, LoadError> {
    let expected = js_sys::Reflect::get(manifest, &JsValue::from_str("sha256"))
        .ok()
        .and_then(|v| v.as_string())
        .ok_or_else(|| LoadError::Failed("the manifest names no sha256".into()))?;
    let actual = sha256_hex(&bytes.to_vec());
    if actual != expected {
        return Err(LoadError::Mismatch { expected, actual });
    }
    Ok(actual)
}

/// Loads the district's validation plugin from the API at `api` when it runs in the browser, checking
/// its bytes against the hash the host names: `Some(SHA-256)` when loaded, `None` when the page has no
/// plugin to run (none, disabled, or server-only).
pub async fn load_plugin(api: &str, district: &str) -> Result<Option<String>, LoadError> {
    drop_plugin_js(district);
    let fetched = fetch_plugin_js(api, district).await.map_err(|e| LoadError::Failed(describe(e)))?;
    if fetched.is_null() || fetched.is_undefined() {
        return Ok(None);
    }
    let field = |name: &str| js_sys::Reflect::get(&fetched, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    let bytes: js_sys::Uint8Array = field("bytes").dyn_into().map_err(|_| LoadError::Failed("no bytes".into()))?;
    let pointer = field("pointer");
    let actual = checked(&bytes, &pointer)?;
    instantiate_plugin_js(api, district, &pointer, &bytes).await.map_err(|e| LoadError::Failed(describe(e)))?;
    Ok(Some(actual))
}

/// Fetches the classifier component, checks its hash against its manifest, and loads the model the API
/// at `api` suggests with for `district` (its own when it deployed one): `Some(model SHA-256)`, or
/// `None` when that service runs no model.
pub async fn load_classifier(api: &str, district: &str) -> Result<Option<String>, LoadError> {
    let fetched = fetch_classifier_js(api, district).await.map_err(|e| LoadError::Failed(describe(e)))?;
    if fetched.is_null() || fetched.is_undefined() {
        return Ok(None);
    }
    let field = |name: &str| js_sys::Reflect::get(&fetched, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    let bytes: js_sys::Uint8Array = field("bytes").dyn_into().map_err(|_| LoadError::Failed("no bytes".into()))?;
    let model: js_sys::Uint8Array = field("model").dyn_into().map_err(|_| LoadError::Failed("no model".into()))?;
    let manifest = field("manifest");
    checked(&bytes, &manifest)?;
    let sha = instantiate_classifier_js(&bytes, &manifest, &model).await.map_err(|e| LoadError::Failed(describe(e)))?;
    Ok(Some(sha.as_string().unwrap_or_default()))
}

/// The classifier's suggestion for a demand's title and description (the text intake reads), through
/// the component loaded by [`load_classifier`]; `None` when there is no text.
pub fn suggest(title: &str, description: &str) -> Option<Result<CategorySuggestion, String>> {
    let text = CategorySuggestion::text_of(title, description)?;
    Some(
        suggest_json_js(&text).map_err(describe).and_then(|json| {
            serde_json::from_str(&json).map_err(|e| format!("classifier returned unexpected JSON: {e}"))
        }),
    )
}

/// The district's plugin on a result: its extra issues added when the result is one it looks at. A
/// plugin that fails leaves the result as it was (the server, which runs it again, records the fault).
pub fn with_plugin(district: &str, result: ValidationResult) -> ValidationResult {
    if !result.wants_plugin() {
        return result;
    }
    let extra = serde_json::to_string(&result.normalized)
        .map_err(|e| e.to_string())
        .and_then(|form| extra_issues_js(district, &form).map_err(describe))
        .and_then(|json| serde_json::from_str::<Vec<Issue>>(&json).map_err(|e| e.to_string()));
    match extra {
        Ok(extra) => result.with_plugin_issues(extra),
        Err(e) => {
            web_sys::console::warn_1(&JsValue::from_str(&format!("district plugin failed: {e}")));
            result
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Validates a form document through the component: against `schema` (the TOML of the schema the
/// district deployed) when it has one, else against the built-in schema of the form's district.
pub fn validate(schema: Option<&str>, form_json: &str, now: &str) -> Result<ValidationResult, String> {
    let json = match schema {
        Some(schema) => validate_json_with_schema_js(schema, form_json, now),
        None => validate_json_js(form_json, now),
    }
    .map_err(describe)?;
    serde_json::from_str(&json).map_err(|e| format!("validator returned unexpected JSON: {e}"))
}

/// The current time as RFC 3339 (UTC), the `now` the page passes to the component.
pub fn now() -> String {
    js_sys::Date::new_0().to_iso_string().as_string().unwrap_or_default()
}
