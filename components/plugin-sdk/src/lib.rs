//! Write a Minyi district plugin in Rust: enable the feature of its hook (`validation`, `routing` or
//! `scoring`), implement the hook's `Guest` trait and call [`export_plugin!`]; the helpers below wrap
//! the capabilities the district grants (configuration, clock, log, unit directory).
//!
//! ```ignore
//! use minyi_plugin_sdk::{Validation, types::{CaseForm, Issue}, issue};
//! struct Plugin;
//! impl Validation for Plugin {
//!     fn extra_issues(form: CaseForm) -> Vec<Issue> { Vec::new() }
//! }
//! minyi_plugin_sdk::export_plugin!(Plugin);
//! ```
//!
//! `cargo xtask new-plugin` makes a project with this crate and its test cases; `minyi plugin build`
//! builds it into a component and `minyi plugin test` — the test harness — runs the cases through the
//! real plugin host with the grants and limits of the project's `plugin.toml`.
#![allow(unsafe_code)] // the generated bindings
#![cfg_attr(not(any(feature = "validation", feature = "routing", feature = "scoring")), allow(unused))]

#[cfg(any(
    all(feature = "validation", feature = "routing"),
    all(feature = "validation", feature = "scoring"),
    all(feature = "routing", feature = "scoring")
))]
compile_error!("minyi-plugin-sdk: enable one hook feature (validation, routing or scoring) per plugin crate");

/// The bindings of the plugin's world (`validation-plugin`, `routing-plugin` or `scoring-plugin`).
#[cfg(any(feature = "validation", feature = "routing", feature = "scoring"))]
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    #[cfg(feature = "validation")]
    wit_bindgen::generate!({
        world: "validation-plugin",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "export_plugin",
        default_bindings_module: "minyi_plugin_sdk::bindings",
    });
    #[cfg(feature = "routing")]
    wit_bindgen::generate!({
        world: "routing-plugin",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "export_plugin",
        default_bindings_module: "minyi_plugin_sdk::bindings",
    });
    #[cfg(feature = "scoring")]
    wit_bindgen::generate!({
        world: "scoring-plugin",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "export_plugin",
        default_bindings_module: "minyi_plugin_sdk::bindings",
    });
}

#[cfg(any(feature = "validation", feature = "routing", feature = "scoring"))]
pub use bindings::export_plugin;
/// The shared types: case form, issue, routing decision, exclusion, unit …
#[cfg(any(feature = "validation", feature = "routing", feature = "scoring"))]
pub use bindings::minyi::casework::types;

/// The routing hook: `amend_route(form, base) -> Option<RoutingDecision>`.
#[cfg(feature = "routing")]
pub use bindings::exports::minyi::casework::routing_hook::Guest as Routing;
/// The scoring hook: `review_case(case_events) -> Option<Exclusion>`.
#[cfg(feature = "scoring")]
pub use bindings::exports::minyi::casework::scoring_hook::Guest as Scoring;
/// The validation hook: `extra_issues(form) -> Vec<Issue>`, for a form that passed the base validation.
#[cfg(feature = "validation")]
pub use bindings::exports::minyi::casework::validation_hook::Guest as Validation;

#[cfg(any(feature = "validation", feature = "routing", feature = "scoring"))]
mod helpers {
    use crate::bindings::minyi::casework::{clock, directory, district_config, log};
    use crate::types::{Issue, Message, Severity, Unit};

    /// An error on `field` (a path such as `attributes.building_no`) with a stable `code` and the
    /// citizen-facing message in both languages.
    pub fn issue(field: &str, code: &str, zh_cn: &str, en: &str) -> Issue {
        Issue {
            field: field.to_owned(),
            code: code.to_owned(),
            severity: Severity::Error,
            message: Message { zh_cn: zh_cn.to_owned(), en: en.to_owned() },
        }
    }

    /// A warning: the form can still be accepted.
    pub fn warning(field: &str, code: &str, zh_cn: &str, en: &str) -> Issue {
        Issue { severity: Severity::Warning, ..issue(field, code, zh_cn, en) }
    }

    /// The district the plugin runs for.
    pub fn district() -> String {
        district_config::district()
    }

    /// A configuration value the district granted, trimmed; `None` when unset or blank.
    pub fn config(key: &str) -> Option<String> {
        district_config::get(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// A configuration value parsed as `T`; `None` when unset or unreadable (the log says which).
    pub fn config_parsed<T: std::str::FromStr>(key: &str) -> Option<T> {
        let raw = config(key)?;
        let parsed = raw.parse().ok();
        if parsed.is_none() {
            warn(&format!("config {key} = {raw:?} is unreadable; ignored"));
        }
        parsed
    }

    /// A comma-separated configuration value as a list (`a, b,c` → `["a", "b", "c"]`); empty when unset.
    pub fn config_list(key: &str) -> Vec<String> {
        config(key)
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Whether `category` is one of `prefixes` or below one, a whole segment at a time
    /// (`housing.property` covers `housing.property.fee`, not `housing.propertyx`).
    pub fn category_in(category: &str, prefixes: &[String]) -> bool {
        prefixes.iter().any(|p| category == p || category.strip_prefix(p.as_str()).is_some_and(|r| r.starts_with('.')))
    }

    /// The time as the host gives it (RFC 3339, Beijing time).
    pub fn now() -> String {
        clock::now()
    }

    /// A unit of the directory (a street or a department), by code.
    pub fn unit(id: &str) -> Option<Unit> {
        directory::lookup(id)
    }

    /// A line in the plugin's log (the district admin sees it).
    pub fn info(message: &str) {
        log::write(log::Level::Info, message);
    }

    /// A warning in the plugin's log.
    pub fn warn(message: &str) {
        log::write(log::Level::Warn, message);
    }
}

#[cfg(any(feature = "validation", feature = "routing", feature = "scoring"))]
pub use helpers::*;
