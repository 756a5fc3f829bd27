//! The `router` component: exports `minyi:casework/routing` and `minyi:router/context-routing` over
//! `minyi-routing` (no logic here).
// A component only for wasm32: a native `cargo build --workspace` builds it empty (its export names
// do not link into a native cdylib); clippy still lints it natively.
#![cfg(any(target_arch = "wasm32", clippy))]
#![allow(unsafe_code)]

wit_bindgen::generate!({
    world: "minyi:router/router",
    path: ["../../../wit", "../../../wit/router"],
});

use convert::input_error;
use exports::minyi::casework::routing as api;
use exports::minyi::casework::types as wit;
minyi_guest_types::conversions!();

struct Router;

/// A compiled rule set, owned by the component and handed to the host as a resource.
struct RuleSet(minyi_routing::RuleSet);

fn route_error(e: minyi_routing::RouteError) -> wit::InputError {
    input_error(e.code(), e.to_string())
}

impl api::Guest for Router {
    type RuleSet = RuleSet;

    fn check_rules(rules: String) -> Vec<wit::RuleError> {
        minyi_routing::check_rules(&rules).into_iter().map(Into::into).collect()
    }

    fn route_once_json(rules: String, form_json: String, context: wit::CaseContext) -> Result<String, wit::InputError> {
        minyi_routing::route_source_json(&rules, &form_json, context.into()).map_err(route_error)
    }
}

impl api::GuestRuleSet for RuleSet {
    fn compile(rules: String) -> Result<api::RuleSet, Vec<wit::RuleError>> {
        match minyi_routing::compile(&rules) {
            Ok(compiled) => Ok(api::RuleSet::new(RuleSet(compiled))),
            Err(errors) => Err(errors.into_iter().map(Into::into).collect()),
        }
    }

    fn name(&self) -> String {
        self.0.name.clone()
    }

    fn rule_count(&self) -> u32 {
        u32::try_from(self.0.rule_count()).unwrap_or(u32::MAX)
    }

    fn warnings(&self) -> Vec<wit::RuleError> {
        self.0.warnings.iter().cloned().map(Into::into).collect()
    }

    fn route(&self, form: wit::CaseForm, context: wit::CaseContext) -> Result<wit::RoutingDecision, wit::InputError> {
        minyi_routing::route(&self.0, &form.into(), context.into()).map(Into::into).map_err(route_error)
    }

    fn route_json(&self, form_json: String, context: wit::CaseContext) -> Result<String, wit::InputError> {
        minyi_routing::route_json(&self.0, &form_json, context.into()).map_err(route_error)
    }

    fn run_examples(&self) -> Vec<wit::ExampleOutcome> {
        minyi_routing::run_examples(&self.0).into_iter().map(Into::into).collect()
    }
}

impl exports::minyi::router::context_routing::Guest for Router {
    fn route_with_context_json(
        rules: api::RuleSetBorrow<'_>,
        form_json: String,
        context_json: String,
    ) -> Result<String, wit::InputError> {
        let rules = &rules.get::<RuleSet>().0;
        minyi_routing::route_with_context_json(rules, &form_json, &context_json).map_err(route_error)
    }
}

export!(Router);
