//! Pure core of case-form validation: inputs in, a validation result out; no IO, no clock.
//!
//! The same function runs natively (tests, benchmarks) and inside the `validator`
//! component, which the server and the browser both load.
#![deny(missing_docs)]

mod form;
mod id_number;
mod messages;
mod phone;
mod pii;

pub use form::{validate, validate_field};
pub use id_number::check_id_number;
pub use phone::{Phone, normalize_phone};

use minyi_model::ValidationResult;

/// A request that cannot be validated at all: the caller's mistake, not the citizen's.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    /// The form document is not JSON of the case-form shape.
    #[error("form is not a valid case-form document: {0}")]
    Json(String),
    /// `now` is not an RFC 3339 timestamp.
    #[error("`now` is not an RFC 3339 timestamp: {0:?}")]
    Now(String),
}

impl InputError {
    /// Stable machine code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            InputError::Json(_) => "json.invalid",
            InputError::Now(_) => "now.invalid",
        }
    }
}

/// Validates a case-form JSON document and returns the validation-result JSON document.
pub fn validate_json(form_json: &str, now: &str) -> Result<String, InputError> {
    let form = minyi_model::json::from_str(form_json).map_err(InputError::Json)?;
    let result: ValidationResult = validate(&form, now)?;
    serde_json::to_string(&result).map_err(|e| InputError::Json(e.to_string()))
}
