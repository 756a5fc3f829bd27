//! 海淀区 extra validation: property-management complaints must give the building number; a
//! `validation-plugin` component (see README.md).
// A component only for wasm32: a native `cargo build --workspace` builds it empty (its export names
// do not link into a native cdylib); clippy still lints it natively.
#![cfg(any(target_arch = "wasm32", clippy))]
#![allow(unsafe_code)]

wit_bindgen::generate!({ world: "validation-plugin", path: "../../../wit" });

use exports::minyi::casework::validation_hook::Guest;
use minyi::casework::types::{CaseForm, Issue, Message, Severity};

struct Plugin;

impl Guest for Plugin {
    fn extra_issues(form: CaseForm) -> Vec<Issue> {
        let property = form.category.as_deref().is_some_and(|c| c.starts_with("housing.property"));
        if !property {
            return Vec::new();
        }
        let given = form.attributes.iter().find(|a| a.key == "building_no").map(|a| a.value.trim());
        match given {
            Some(v) if !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => Vec::new(),
            Some(v) if !v.is_empty() => vec![Issue {
                field: "attributes.building_no".to_owned(),
                code: "building_no.invalid".to_owned(),
                severity: Severity::Error,
                message: Message {
                    zh_cn: format!("楼号“{v}”只能包含字母、数字和连字符，例如 3 或 12-B。"),
                    en: format!("The building number {v:?} may contain only letters, digits and hyphens, e.g. 3 or 12-B."),
                },
            }],
            _ => vec![Issue {
                field: "attributes.building_no".to_owned(),
                code: "building_no.required".to_owned(),
                severity: Severity::Error,
                message: Message {
                    zh_cn: "海淀区物业类诉求请填写楼号，便于物业和街道上门处理。".to_owned(),
                    en: "Haidian: property-management complaints need the building number, so the property company and the street can come to the door.".to_owned(),
                },
            }],
        }
    }
}

export!(Plugin);
