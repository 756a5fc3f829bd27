//! What both benches share: a model case form as the WIT record the runtime takes, field for field.

use minyi_runtime::bindings::types as wit;

pub fn wit_form(f: &minyi_model::CaseForm) -> wit::CaseForm {
    minyi_runtime::convert::case_form(f)
}
