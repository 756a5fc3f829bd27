//! `FormSpec`: a district's case form as a page draws it — required fields, lengths, attachment limits and
//! the extra attributes of each category with their Open311 datatypes (what `GET /api/form` answers).

use crate::Message;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A district's case form, described for the pages that draw it. Checking stays the validator's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FormSpec {
    /// The district the form is for (a six-digit code).
    pub district: String,
    /// The schema's name, shown to the citizen.
    pub name: String,
    /// Required field paths of the case-form shape, e.g. `reporter.phone`.
    pub required: Vec<String>,
    /// Character lengths per text field path.
    pub lengths: BTreeMap<String, LengthSpec>,
    /// What may be attached.
    pub attachments: AttachmentSpec,
    /// Extra attributes, each for the categories it names.
    pub attributes: Vec<AttributeSpec>,
}

/// Character bounds of a text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LengthSpec {
    /// Fewest characters.
    pub min: u32,
    /// Most characters.
    pub max: u32,
}

/// Attachment limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AttachmentSpec {
    /// Most files.
    pub max_count: u32,
    /// Largest file, in bytes.
    pub max_bytes: u64,
    /// Allowed MIME types.
    pub mime: Vec<String>,
}

/// An extra attribute of some categories (an Open311 service attribute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AttributeSpec {
    /// The key in the form's `attributes`.
    pub code: String,
    /// Category prefixes it applies to (a prefix covers its whole subtree).
    pub categories: Vec<String>,
    /// Open311 datatype: `string`, `number`, `datetime`, `text`, `singlevaluelist`, `multivaluelist`.
    pub datatype: String,
    /// Must be given.
    pub required: bool,
    /// Lower bound (numbers) or fewest characters (text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Upper bound (numbers) or most characters (text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The label.
    pub label: Message,
    /// The choices of a list datatype.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Choice>,
}

impl AttributeSpec {
    /// Applies to a form of this category (the category itself or one under a listed prefix)?
    pub fn applies_to(&self, category: &str) -> bool {
        self.categories.iter().any(|p| crate::categories::under(category, p))
    }
}

/// One choice of a list attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Choice {
    /// The value sent in the form.
    pub key: String,
    /// What the citizen reads.
    pub label: Message,
}
