//! 海淀区 extra validation: property-management complaints must give the building number; a
//! `validation-plugin` component (see README.md). It uses each capability a district grants — its
//! configuration (which categories), the unit directory (the street office named in the message), a
//! log line stamped by the clock — so the host and the browser both show they give it the same.
// A component only for wasm32: a native `cargo build --workspace` builds it empty (its export names
// do not link into a native cdylib); clippy still lints it natively.
#![cfg(any(target_arch = "wasm32", clippy))]
#![allow(unsafe_code)]

wit_bindgen::generate!({ world: "validation-plugin", path: "../../../wit" });

use exports::minyi::casework::validation_hook::Guest;
use minyi::casework::types::{CaseForm, Issue, Message, Severity};
use minyi::casework::{clock, directory, district_config, log};

/// Categories the rule covers unless the district configures `building_no_categories`.
const DEFAULT_CATEGORIES: &str = "housing.property";

struct Plugin;

/// Whether `category` is one of the comma-separated category prefixes (a whole segment at a time).
fn covered(category: &str, prefixes: &str) -> bool {
    prefixes
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .any(|p| category == p || category.strip_prefix(p).is_some_and(|rest| rest.starts_with('.')))
}

impl Guest for Plugin {
    fn extra_issues(form: CaseForm) -> Vec<Issue> {
        let prefixes = district_config::get("building_no_categories").unwrap_or_else(|| DEFAULT_CATEGORIES.to_owned());
        if !form.category.as_deref().is_some_and(|c| covered(c, &prefixes)) {
            return Vec::new();
        }
        // The street office that will come to the door, by name when the directory knows it.
        let (office_zh, office_en) = match form.street.as_deref().and_then(directory::lookup) {
            Some(unit) => (unit.name.clone(), unit.name),
            None => ("街道".to_owned(), "the street office".to_owned()),
        };
        let given = form.attributes.iter().find(|a| a.key == "building_no").map(|a| a.value.trim());
        let issue = match given {
            Some(v) if !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => return Vec::new(),
            Some(v) if !v.is_empty() => Issue {
                field: "attributes.building_no".to_owned(),
                code: "building_no.invalid".to_owned(),
                severity: Severity::Error,
                message: Message {
                    zh_cn: format!("楼号“{v}”只能包含字母、数字和连字符，例如 3 或 12-B。"),
                    en: format!(
                        "The building number {v:?} may contain only letters, digits and hyphens, e.g. 3 or 12-B."
                    ),
                },
            },
            _ => Issue {
                field: "attributes.building_no".to_owned(),
                code: "building_no.required".to_owned(),
                severity: Severity::Error,
                message: Message {
                    zh_cn: format!("海淀区物业类诉求请填写楼号，便于物业和{office_zh}上门处理。"),
                    en: format!(
                        "Haidian: property-management complaints need the building number, so the property company and {office_en} can come to the door."
                    ),
                },
            },
        };
        log::write(
            log::Level::Info,
            &format!(
                "{} {}: {} ({})",
                clock::now(),
                district_config::district(),
                issue.code,
                form.category.unwrap_or_default()
            ),
        );
        vec![issue]
    }
}

export!(Plugin);
