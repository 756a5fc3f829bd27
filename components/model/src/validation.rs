//! The validation result: issues, the normalised form, the masked public copy, a redirect.

use crate::CaseForm;
use serde::{Deserialize, Serialize};

/// Severity of an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks the form.
    Error,
    /// Worth a look.
    Warning,
}

/// A citizen-facing text in zh-CN and en.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Message {
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    /// English, for staff and residents who read it.
    pub en: String,
}

impl Message {
    /// A message from its two texts.
    pub fn new(zh_cn: impl Into<String>, en: impl Into<String>) -> Self {
        Self { zh_cn: zh_cn.into(), en: en.into() }
    }
}

/// One problem found in a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Issue {
    /// Field path, e.g. `reporter.phone`.
    pub field: String,
    /// Stable code, e.g. `phone.invalid`.
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// The message for people.
    pub message: Message,
}

/// The public copy of the free text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Masked {
    /// Masked title.
    pub title: String,
    /// Masked description.
    pub description: String,
}

/// Where the citizen should turn instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Redirect {
    /// E.g. `119`.
    pub to: String,
    /// What to tell the citizen.
    pub message: Message,
}

/// The outcome of validating a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ValidationResult {
    /// No error and no redirect.
    pub valid: bool,
    /// Every issue found.
    pub issues: Vec<Issue>,
    /// The normalised form.
    pub normalized: CaseForm,
    /// The public copy of the free text.
    pub masked: Masked,
    /// Set when the demand belongs elsewhere.
    pub redirect: Option<Redirect>,
    /// Repeat-finding key.
    pub fingerprint: String,
}

impl ValidationResult {
    /// Whether a district's validation plugin looks at this result: only a valid form is shown to it.
    pub fn wants_plugin(&self) -> bool {
        self.valid
    }

    /// The result with a district plugin's extra issues added after its own: an error among them makes
    /// the form invalid. The one rule for the server and the citizen's page alike.
    pub fn with_plugin_issues(mut self, extra: Vec<Issue>) -> Self {
        if extra.iter().any(|i| i.severity == Severity::Error) {
            self.valid = false;
        }
        self.issues.extend(extra);
        self
    }
}
