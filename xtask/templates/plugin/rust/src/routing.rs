//! {{name}}: a routing plugin for district {{district}}. A demand in one of the configured `categories`
//! gets the configured `tag`, so the district reviews it; the decision says why.
#![cfg(target_arch = "wasm32")]

use minyi_plugin_sdk::types::{CaseForm, FiredRule, RoutingDecision};
use minyi_plugin_sdk::{Routing, category_in, config, config_list, info};

struct Plugin;

impl Routing for Plugin {
    fn amend_route(form: CaseForm, base: RoutingDecision) -> Option<RoutingDecision> {
        let category = form.category.unwrap_or_default();
        if !category_in(&category, &config_list("categories")) {
            return None;
        }
        let tag = config("tag").unwrap_or_else(|| "district-review".to_owned());
        let mut decision = base;
        if !decision.tags.contains(&tag) {
            decision.tags.push(tag.clone());
        }
        decision.explanation.fired.push(FiredRule {
            rule: "plugin:{{name}}".to_owned(),
            why: format!("{category} 由区里复核，标记 {tag} (the district reviews {category}: tagged {tag})"),
        });
        info(&format!("{category}: tagged {tag}"));
        Some(decision)
    }
}

minyi_plugin_sdk::export_plugin!(Plugin);
