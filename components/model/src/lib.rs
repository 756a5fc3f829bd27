//! The domain's data types, serialised exactly as the public JSON shapes in the domain design.
//!
//! These structs are what the CLI prints, the HTTP API speaks and vendors read. Field names
//! may be added but never renamed. The cores take and return these types; guests convert
//! them to and from the WIT records one-to-one.
#![deny(missing_docs)]

mod case;
pub mod categories;
pub mod divisions;
mod events;
mod form_spec;
pub mod georeport;
mod intake;
pub mod json;
pub mod matcher;
pub mod open311;
pub mod phrases;
mod plugin;
mod reports;
pub mod rng;
mod routing;
mod scoring;
pub mod source;
mod state;
mod validation;

pub use case::{Attachment, CaseForm, Channel, Kind, Location, Reporter};
pub use events::{CaseEvent, CategorySuggestion, Event, Evidence, ScoredCategory};
pub use form_spec::{AttachmentSpec, AttributeSpec, Choice, FormSpec, LengthSpec};
pub use intake::{IntakeReport, Progress, ProgressCallback, ProgressReply, Step};
pub use plugin::{Noted, PluginFault, PluginNote};
pub use reports::{Counted, Hotspot, HotspotParams, HotspotReport, Ranking, RepeatGroup, Skipped, Topic};
pub use routing::{
    CaseContext, ContextSuggestion, DEFAULT_RULE, ExampleOutcome, Explanation, FiredRule, NearMiss, NotTried,
    RoutingDecision, RuleError, SlaTier,
};
pub use scoring::{
    Callback, Exclusion, ExclusionReason, Overall, Satisfaction, ScoreConfig, TierHours, UnitScore, UnitTrend, UnitType,
};
pub use state::{CaseState, IllegalTransition};
pub use validation::{Issue, Masked, Message, Redirect, Severity, ValidationResult};
