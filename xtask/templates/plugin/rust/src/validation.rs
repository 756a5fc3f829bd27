//! {{name}}: a validation plugin for district {{district}}. A demand in one of the configured
//! `categories` must describe the problem in at least `min_chars` characters.
#![cfg(target_arch = "wasm32")]

use minyi_plugin_sdk::types::{CaseForm, Issue};
use minyi_plugin_sdk::{Validation, category_in, config_list, config_parsed, info, issue};

struct Plugin;

impl Validation for Plugin {
    fn extra_issues(form: CaseForm) -> Vec<Issue> {
        let category = form.category.unwrap_or_default();
        if !category_in(&category, &config_list("categories")) {
            return Vec::new();
        }
        let min: usize = config_parsed("min_chars").unwrap_or(15);
        let length = form.description.chars().count();
        if length >= min {
            return Vec::new();
        }
        info(&format!("{category}: a description of {length} characters, {min} wanted"));
        vec![issue(
            "description",
            "description.too_short",
            &format!("请把问题描述得更具体一些：时间、地点、情况，至少 {min} 个字。"),
            &format!("Please say more — when, where, what happens — in at least {min} characters."),
        )]
    }
}

minyi_plugin_sdk::export_plugin!(Plugin);
