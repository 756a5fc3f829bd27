//! Scoring review: a case the district ruled unreasonable (审定 → 不合理诉求) leaves the three rates; a
//! `scoring-plugin` component (see README.md).
// A component only for wasm32: a native `cargo build --workspace` builds it empty (its export names
// do not link into a native cdylib); clippy still lints it natively.
#![cfg(any(target_arch = "wasm32", clippy))]
#![allow(unsafe_code)]

wit_bindgen::generate!({ world: "scoring-plugin", path: "../../../wit" });

use exports::minyi::casework::scoring_hook::Guest;
use minyi::casework::types::{Exclusion, ExclusionReason};
use minyi::casework::{district_config, log};

struct Plugin;

/// Words in a ruling's decision that mean "unreasonable demand"; the district may add its own.
const DEFAULT_MARKERS: &[&str] = &["不合理", "unreasonable"];

impl Guest for Plugin {
    fn review_case(case_events: String) -> Option<Exclusion> {
        let extra = district_config::get("unreasonable_markers").unwrap_or_default();
        let markers: Vec<&str> =
            DEFAULT_MARKERS.iter().copied().chain(extra.split(',').map(str::trim).filter(|m| !m.is_empty())).collect();
        let mut ruling: Option<String> = None;
        for line in case_events.lines().filter(|l| !l.trim().is_empty()) {
            let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
                log::write(log::Level::Warn, "a case event is not JSON; case left as it is");
                return None;
            };
            if event["type"] == "ruling" {
                // The latest ruling is the binding one.
                ruling = event["decision"].as_str().map(str::to_owned);
            }
        }
        let decision = ruling?;
        let marker = markers.iter().find(|m| decision.contains(**m))?;
        Some(Exclusion {
            reason: ExclusionReason::Unreasonable,
            reviewer: "plugin:review-rulings".to_owned(),
            note: format!("区级审定为不合理诉求（“{marker}”）: {decision}"),
        })
    }
}

export!(Plugin);
