//! The case form (诉求表单): what a citizen or operator submits.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a demand came in (渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// 12345 operator entry.
    Hotline,
    /// The citizen complaint widget.
    Web,
    /// A mobile app.
    App,
    /// WeChat (a mini-program or the official account).
    Wechat,
    /// The Open311-style API.
    Open311,
    /// Anything else.
    Other,
}

/// What the citizen asks for (诉求类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// 咨询.
    Consult,
    /// 求助.
    Help,
    /// 投诉.
    Complaint,
    /// 举报.
    Report,
    /// 建议.
    Suggestion,
    /// 表扬.
    Praise,
}

/// A WGS-84 point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Location {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
}

/// The citizen (诉求人).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reporter {
    /// Name as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Mobile or landline number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 18-digit resident identity number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Anonymous to the public.
    #[serde(default)]
    pub anonymous: bool,
}

/// A file the citizen attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// MIME type.
    pub mime: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// The case form: input of validation, intake and routing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CaseForm {
    /// District code, e.g. `110105` (missing is reported by validation, not a parse error).
    #[serde(default)]
    pub district: String,
    /// Street code, e.g. `110105026`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Intake channel.
    pub channel: Channel,
    /// Kind of demand.
    pub kind: Kind,
    /// Category leaf code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Short title.
    #[serde(default)]
    pub title: String,
    /// Free-text description.
    #[serde(default)]
    pub description: String,
    /// Address as written.
    #[serde(default)]
    pub address: String,
    /// Point, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The citizen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<Reporter>,
    /// Extra attributes of the category.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// Attached files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Consent to the processing of personal data.
    #[serde(default)]
    pub consent: bool,
    /// When the demand was received (RFC 3339).
    pub received_at: String,
}
