//! The `validator` component: exports `minyi:casework/validation` over `minyi-validation` (no logic here).
// A component only for wasm32: a native `cargo build --workspace` builds it empty (its export names
// do not link into a native cdylib); clippy still lints it natively.
#![cfg(any(target_arch = "wasm32", clippy))]
#![allow(unsafe_code)]

wit_bindgen::generate!({
    world: "validator",
    path: "../../../wit",
});

use convert::input_error;
use exports::minyi::casework::types as wit;
minyi_guest_types::conversions!();

struct Validator;

impl exports::minyi::casework::validation::Guest for Validator {
    fn validate(form: wit::CaseForm, now: String) -> Result<wit::ValidationResult, wit::InputError> {
        minyi_validation::validate(&form.into(), &now).map(Into::into).map_err(|e| input_error(e.code(), e.to_string()))
    }

    fn validate_field(field: String, value: String) -> Vec<wit::Issue> {
        minyi_validation::validate_field(&field, &value).into_iter().map(Into::into).collect()
    }

    fn validate_json(form_json: String, now: String) -> Result<String, wit::InputError> {
        minyi_validation::validate_json(&form_json, &now).map_err(|e| input_error(e.code(), e.to_string()))
    }

    fn check_schema(schema: String) -> Vec<wit::SchemaError> {
        minyi_validation::check_schema(&schema)
            .into_iter()
            .map(|e| wit::SchemaError { line: e.line, column: e.column, field: e.field, message: e.message })
            .collect()
    }

    fn validate_with_schema(
        schema: String,
        form: wit::CaseForm,
        now: String,
    ) -> Result<wit::ValidationResult, wit::InputError> {
        let schema = minyi_validation::schema::cached(&schema)
            .map_err(minyi_validation::InputError::Schema)
            .map_err(|e| input_error(e.code(), e.to_string()))?;
        minyi_validation::validate_with(&schema, &form.into(), &now)
            .map(Into::into)
            .map_err(|e| input_error(e.code(), e.to_string()))
    }

    fn validate_json_with_schema(schema: String, form_json: String, now: String) -> Result<String, wit::InputError> {
        minyi_validation::validate_json_with_schema(&schema, &form_json, &now)
            .map_err(|e| input_error(e.code(), e.to_string()))
    }
}

export!(Validator);
