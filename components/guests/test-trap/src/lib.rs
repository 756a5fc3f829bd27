//! Test component: a `validator` that traps on purpose (see README.md); it holds no domain logic.
// A component only for wasm32: a native `cargo build --workspace` builds it empty (its export names
// do not link into a native cdylib); clippy still lints it natively.
#![cfg(any(target_arch = "wasm32", clippy))]
#![allow(unsafe_code)]

wit_bindgen::generate!({ world: "validator", path: "../../../wit" });

use exports::minyi::casework::types as wit;

struct TrapValidator;

fn trap(function: &str) -> ! {
    panic!("{function}: the trap test component traps on purpose")
}

impl exports::minyi::casework::validation::Guest for TrapValidator {
    fn validate(_: wit::CaseForm, _: String) -> Result<wit::ValidationResult, wit::InputError> {
        trap("validate")
    }

    fn validate_field(_: String, value: String) -> Vec<wit::Issue> {
        if value == "trap" {
            trap("validate-field")
        }
        if value == "loop" {
            // An endless loop the optimiser cannot remove: only the call's deadline stops it.
            let mut n = 0u64;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        Vec::new()
    }

    fn validate_json(_: String, _: String) -> Result<String, wit::InputError> {
        trap("validate-json")
    }

    fn check_schema(_: String) -> Vec<wit::SchemaError> {
        trap("check-schema")
    }

    fn validate_with_schema(_: String, _: wit::CaseForm, _: String) -> Result<wit::ValidationResult, wit::InputError> {
        trap("validate-with-schema")
    }

    fn validate_json_with_schema(_: String, _: String, _: String) -> Result<String, wit::InputError> {
        trap("validate-json-with-schema")
    }
}

export!(TrapValidator);
