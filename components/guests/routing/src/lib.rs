//! The `router` component: exports `minyi:casework/routing` over `minyi-routing` (no logic here).
#![allow(unsafe_code)]

wit_bindgen::generate!({
    world: "router",
    path: "../../../wit",
});

use convert::input_error;
use exports::minyi::casework::types as wit;
minyi_guest_types::conversions!();

struct Router;

impl exports::minyi::casework::routing::Guest for Router {
    fn check_rules(rules: String) -> Vec<wit::RuleError> {
        minyi_routing::check_rules(&rules).into_iter().map(Into::into).collect()
    }

    fn route(rules: String, form: wit::CaseForm) -> Result<wit::RoutingDecision, Vec<wit::RuleError>> {
        match minyi_routing::route_source(&rules, &form.into()) {
            Ok(decision) => Ok(decision.into()),
            Err(minyi_routing::RouteError::Rules(errors)) => Err(errors.into_iter().map(Into::into).collect()),
            Err(other) => Err(vec![wit::RuleError { line: 0, column: 0, message: other.to_string() }]),
        }
    }

    fn route_json(rules: String, form_json: String) -> Result<String, wit::InputError> {
        minyi_routing::route_json(&rules, &form_json).map_err(|e| input_error(e.code(), e.to_string()))
    }
}

export!(Router);
