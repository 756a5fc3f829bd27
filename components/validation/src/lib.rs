//! Pure core of case-form validation: inputs in, a validation result out; no IO, no clock.
//!
//! The same function runs natively (tests, benchmarks) and inside the `validator` component,
//! which the server and the browser both load. Schemas, screening keywords, divisions and
//! categories are data.
#![deny(missing_docs)]

pub mod address;
pub mod content;
mod form;
mod id_number;
pub use minyi_model::matcher;
mod messages;
mod phone;
pub mod pii;
pub mod schema;
pub mod screening;
#[cfg(test)]
mod tests;

pub use form::{validate, validate_field, validate_with};
pub use id_number::{IdProblem, check_id_number};
pub use phone::{Phone, normalize_phone};
pub use schema::{Schema, SchemaError};

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
    /// The schema document has errors.
    #[error("the schema has {} error(s): {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Schema(Vec<SchemaError>),
}

impl InputError {
    /// Stable machine code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            InputError::Json(_) => "json.invalid",
            InputError::Now(_) => "now.invalid",
            InputError::Schema(_) => "schema.invalid",
        }
    }
}

/// Validates a case-form JSON document (built-in schema of its district) and returns the
/// validation-result JSON document.
pub fn validate_json(form_json: &str, now: &str) -> Result<String, InputError> {
    let form = minyi_model::json::from_str(form_json).map_err(InputError::Json)?;
    let result: ValidationResult = validate(&form, now)?;
    serde_json::to_string(&result).map_err(|e| InputError::Json(e.to_string()))
}

/// Like [`validate_json`], with a schema document (TOML) instead of the built-in one.
pub fn validate_json_with_schema(schema: &str, form_json: &str, now: &str) -> Result<String, InputError> {
    let schema = schema::cached(schema).map_err(InputError::Schema)?;
    let form = minyi_model::json::from_str(form_json).map_err(InputError::Json)?;
    let result = validate_with(&schema, &form, now)?;
    serde_json::to_string(&result).map_err(|e| InputError::Json(e.to_string()))
}

/// Checks a schema document; empty when it is sound.
pub fn check_schema(schema: &str) -> Vec<SchemaError> {
    schema::parse(schema).err().unwrap_or_default()
}
