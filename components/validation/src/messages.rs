//! Builders for issues with their bilingual messages, so every check words its findings the same way.

use minyi_model::{Issue, Message, Severity};

/// An error-severity issue.
pub(crate) fn error(field: &str, code: &str, zh_cn: impl Into<String>, en: impl Into<String>) -> Issue {
    issue(field, code, Severity::Error, zh_cn, en)
}

/// A warning-severity issue.
pub(crate) fn warning(field: &str, code: &str, zh_cn: impl Into<String>, en: impl Into<String>) -> Issue {
    issue(field, code, Severity::Warning, zh_cn, en)
}

fn issue(field: &str, code: &str, severity: Severity, zh_cn: impl Into<String>, en: impl Into<String>) -> Issue {
    Issue { field: field.to_owned(), code: code.to_owned(), severity, message: Message::new(zh_cn, en) }
}

/// "This field is required."
pub(crate) fn required(field: &str, label_zh: &str, label_en: &str) -> Issue {
    error(
        field,
        &format!("{}.required", field.rsplit('.').next().unwrap_or(field)),
        format!("请填写{label_zh}。"),
        format!("Please enter the {label_en}."),
    )
}
