//! {{name}}: a scoring plugin for district {{district}}. A case whose events carry the configured
//! `marker` (a test call to the hotline) is excluded from the three rates as invalid.
#![cfg(target_arch = "wasm32")]

use minyi_plugin_sdk::types::{Exclusion, ExclusionReason};
use minyi_plugin_sdk::{Scoring, config, info};

struct Plugin;

impl Scoring for Plugin {
    fn review_case(case_events: String) -> Option<Exclusion> {
        let marker = config("marker").unwrap_or_else(|| "测试诉求".to_owned());
        if !case_events.contains(&marker) {
            return None;
        }
        info(&format!("a case marked {marker:?}: excluded"));
        Some(Exclusion {
            reason: ExclusionReason::Invalid,
            reviewer: "plugin:{{name}}".to_owned(),
            note: format!("含“{marker}”：测试诉求，不计入考核 (a test demand: not scored)"),
        })
    }
}

minyi_plugin_sdk::export_plugin!(Plugin);
