//! Case events: the append-only history (one JSON object per line) a case's state and its assessment derive from.

use crate::{ExclusionReason, Satisfaction, SlaTier, UnitType};
use serde::{Deserialize, Serialize};

/// One event in a case's history. Nothing is ever deleted; corrections are new events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CaseEvent {
    /// Case number, e.g. `BJ-20261129-000123`.
    pub case_id: String,
    /// When it happened, RFC 3339 with an offset (`2026-11-29T10:00:00+08:00`).
    pub at: String,
    /// Who did it (operator, unit, reviewer), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

/// A category and how likely the classifier found it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScoredCategory {
    /// Category code.
    pub category: String,
    /// Calibrated confidence, 0 to 1.
    pub confidence: f32,
}

/// An n-gram of the text and how much it pushed the first category up against the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Evidence {
    /// One or two characters of the text, as the classifier read them.
    pub gram: String,
    /// Its weight toward the first category.
    pub weight: f32,
}

/// The classifier's suggestion for a text (`POST /api/suggest`; the classifier component's
/// `suggest-json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CategorySuggestion {
    /// Up to three categories, likeliest first, with calibrated confidences.
    pub top: Vec<ScoredCategory>,
    /// True when the first category's confidence is under `threshold`: no category is suggested.
    pub abstained: bool,
    /// The threshold applied.
    pub threshold: f32,
    /// The n-grams that weighed most toward the first category, heaviest first.
    pub evidence: Vec<Evidence>,
}

impl CategorySuggestion {
    /// The category to fill in: the likeliest, unless the classifier abstained.
    pub fn chosen(&self) -> Option<&ScoredCategory> {
        self.top.first().filter(|_| !self.abstained)
    }

    /// The text the classifier reads of a demand — intake's and the widget's alike: its title and
    /// description, the blank ones left out, joined by a line break (as `cargo xtask train` joins a CSV's
    /// text columns); `None` when both are blank.
    pub fn text_of(title: &str, description: &str) -> Option<String> {
        let text: Vec<&str> = [title, description].into_iter().filter(|t| !t.trim().is_empty()).collect();
        (!text.is_empty()).then(|| text.join("\n"))
    }
}

/// What happened to the case; `type` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Received (受理) and stored; carries the facts scoring and hotspots need.
    Received {
        /// District code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        district: Option<String>,
        /// Street (township) code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        street: Option<String>,
        /// Category code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<String>,
        /// Address as given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
        /// The validation result's repeat-finding fingerprint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fingerprint: Option<String>,
        /// The citizen's own time of filing, kept as reported; the event's `at` (the service's clock) is
        /// what deadlines and months count from.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reported_at: Option<String>,
    },
    /// The form came without a category and the classifier suggested one (智能分拨): the category
    /// filled in, or none when it abstained (its confidence under the model's threshold).
    CategorySuggested {
        /// The category filled in; absent when the classifier abstained.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<String>,
        /// The calibrated confidence of the likeliest category.
        confidence: f32,
        /// The likeliest categories, best first, with their confidences.
        #[serde(default)]
        top: Vec<ScoredCategory>,
        /// SHA-256 of the model file that suggested it.
        model: String,
    },
    /// Validated and accepted.
    Accepted {},
    /// Rejected as invalid or out of scope.
    Rejected {
        /// Why it was refused, shown to the citizen (`field: code` pairs, or the redirect).
        #[serde(default)]
        reason: String,
    },
    /// Waiting for an operator (no rule hit, plugin failure).
    PendingManual {
        /// What the operator needs to know (no rule hit, which component failed).
        #[serde(default)]
        reason: String,
    },
    /// Dispatched (派单) to a lead unit; a later dispatch replaces the lead and restarts its clocks.
    Dispatched {
        /// The lead unit.
        unit: String,
        /// Street or department; inferred from the code when absent (9 digits: street).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_type: Option<UnitType>,
        /// Time-limit tier; `general` when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tier: Option<SlaTier>,
        /// Reply deadline from routing; the tier's default limit when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline: Option<String>,
        /// Co-handling units (协办): they see the case in their queue and acknowledge it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        co_handlers: Vec<String>,
    },
    /// The unit started work.
    InProgress {},
    /// The unit contacted the citizen (响应).
    FirstContact {},
    /// A co-handling unit (协办) acknowledged its part.
    Acknowledged {
        /// The co-handling unit.
        unit: String,
    },
    /// 退单: the unit says the case is not its own.
    Returned {
        /// The unit's reason; required, the district rules on it.
        #[serde(default)]
        reason: String,
    },
    /// 审定: the district's binding ruling on a dispute.
    Ruling {
        /// The decision.
        #[serde(default)]
        decision: String,
    },
    /// 延期 requested.
    ExtensionRequested {
        /// What the unit needs the extra time for.
        #[serde(default)]
        reason: String,
    },
    /// 延期 approved: the new reply deadline.
    ExtensionApproved {
        /// New deadline, RFC 3339.
        deadline: String,
    },
    /// 延期 denied.
    ExtensionDenied {
        /// Why the district refused more time.
        #[serde(default)]
        reason: String,
    },
    /// 80 % of the reply limit has passed without a reply (the service's time-limit sweep).
    Warning {
        /// The reply deadline being watched, RFC 3339.
        deadline: String,
    },
    /// Past the reply deadline without a reply: 督办, escalated to the district.
    Overdue {
        /// The reply deadline that passed, RFC 3339.
        deadline: String,
        /// The district it is escalated to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        district: Option<String>,
    },
    /// The unit replied (答复 / 办结).
    Replied {
        /// The unit's own claim that the problem is solved.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resolved: Option<bool>,
        /// The reply to the citizen (答复内容), shown on their tracking page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// The citizen's answers in the callback (回访). The latest callback counts.
    Callback {
        /// "Was the unit in contact within the limit?"; derived from events when not asked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        responded: Option<bool>,
        /// "Is the problem solved?"
        resolved: bool,
        /// "How satisfied are you?"
        satisfaction: Satisfaction,
        /// What the citizen added in their own words.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// Reopened after the callback.
    Reopened {
        /// The citizen's or the reviewer's reason to reopen.
        #[serde(default)]
        reason: String,
    },
    /// Closed (办结): nothing more is done unless it is reopened.
    Closed {},
    /// Reviewed out of the rates (无效 / 不合理诉求); reversible.
    Excluded {
        /// Invalid (无效) or unreasonable (不合理诉求).
        reason: ExclusionReason,
        /// Who reviewed it.
        reviewer: String,
        /// The reviewer's note.
        #[serde(default)]
        note: String,
    },
    /// An exclusion reversed on review: the case counts again.
    ExclusionRevoked {
        /// Who reviewed it.
        reviewer: String,
        /// The reviewer's note.
        #[serde(default)]
        note: String,
    },
}
