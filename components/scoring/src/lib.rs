//! Pure core of scoring: case events in; per-case assessments, the three rates (三率), composite,
//! rankings with trend, mergeable partials and hotspots out. No IO, no clock: `as_of` is an input.
#![deny(missing_docs)]

pub mod board;
pub mod case;
pub mod hotspots;
pub mod request;
pub mod sla;
pub mod tally;

pub use board::{Board, Outcome, Partial, Ranking, Skipped, UnitRef, parse_case};
pub use case::{Answers, Assessment, CallbackStatus, CaseFacts, Timeline, assess};
pub use hotspots::{HotspotParams, HotspotReport};
pub use request::{Policy, ScoreRequest};
pub use tally::{Tallies, UnitTally, rank};

use minyi_model::{Callback, Exclusion, ScoreConfig, SlaTier, UnitScore, UnitType};
use serde::Serialize;

/// A request that cannot be scored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScoreError {
    /// The callbacks document is not a JSON array of callbacks.
    #[error("callbacks are not a valid JSON array of callbacks: {0}")]
    Callbacks(String),
    /// The config document is not a valid score config.
    #[error("config is not a valid score config: {0}")]
    Config(String),
    /// The request document is wrong.
    #[error("request: {0}")]
    Request(String),
    /// A case's events are wrong.
    #[error("events: {0}")]
    Events(String),
}

impl ScoreError {
    /// Stable machine code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            ScoreError::Callbacks(_) => "callbacks.invalid",
            ScoreError::Config(_) => "config.invalid",
            ScoreError::Request(_) => "request.invalid",
            ScoreError::Events(_) => "events.invalid",
        }
    }
}

/// Scores callbacks that are already answered and reviewed (no times: `cases` counts callbacks and
/// `replied` stays 0), then ranks units of each type by composite.
pub fn score(callbacks: &[Callback], config: &ScoreConfig) -> Vec<UnitScore> {
    let mut tallies = Tallies::default();
    for cb in callbacks {
        let status = match &cb.exclusion {
            Some(e) => CallbackStatus::Excluded { reason: e.reason },
            None => {
                CallbackStatus::Valid { responded: cb.responded, resolved: cb.resolved, satisfaction: cb.satisfaction }
            }
        };
        let a = Assessment {
            response_due: 0,
            contacted_in_time: cb.responded,
            reply_due: 0,
            replied: false,
            replied_on_time: false,
            callback: status,
        };
        tallies.add(&cb.unit, cb.unit_type, UnitTally::of(&a));
    }
    rank(&tallies, config)
}

/// `score` over JSON: an array of callbacks and a config document in, an array of unit scores out.
pub fn score_json(callbacks_json: &str, config_json: &str) -> Result<String, ScoreError> {
    let callbacks: Vec<Callback> = minyi_model::json::from_str(callbacks_json).map_err(ScoreError::Callbacks)?;
    let config: ScoreConfig = minyi_model::json::from_str(config_json).map_err(ScoreError::Config)?;
    request::check_config(&config)?;
    serde_json::to_string(&score(&callbacks, &config)).map_err(|e| ScoreError::Callbacks(e.to_string()))
}

/// One case assessed, for an operator or an auditor (public JSON shape of `minyi assess`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseAssessment {
    /// Case number.
    pub case_id: String,
    /// `valid`, `excluded`, `no_callback`, `unassigned` (no lead unit) or `not_received`.
    pub status: &'static str,
    /// Lead unit.
    pub unit: Option<String>,
    /// Its type.
    pub unit_type: Option<UnitType>,
    /// Time-limit tier of the latest dispatch, when dispatched.
    pub tier: Option<SlaTier>,
    /// When the case was received, RFC 3339.
    pub received_at: Option<String>,
    /// First contact due.
    pub response_due: Option<String>,
    /// First contact by then, by the events.
    pub contacted_in_time: Option<bool>,
    /// Reply due.
    pub reply_due: Option<String>,
    /// Replied by then.
    pub replied_on_time: Option<bool>,
    /// Where the callback leaves the case in the three rates.
    pub callback: Option<CallbackStatus>,
    /// The active exclusion with its reviewer and reason.
    pub exclusion: Option<Exclusion>,
}

/// Assesses one case from its events (JSON lines or array) as of a date, under a config document.
pub fn assess_json(case_events: &str, config_json: &str, as_of: Option<&str>) -> Result<String, ScoreError> {
    let policy: Policy = minyi_model::json::from_str(config_json).map_err(ScoreError::Config)?;
    let events = parse_case(case_events)?;
    let as_of = match as_of {
        None => None,
        Some(s) => Some(
            request::parse_instant(s)
                .ok_or_else(|| ScoreError::Request(format!("as_of: {s:?} is not an RFC 3339 instant")))?,
        ),
    };
    let facts = CaseFacts::fold(&events, as_of)?;
    let config = policy.resolve(facts.district.as_deref())?;
    request::check_config(&config)?;
    let offset = events
        .iter()
        .find_map(|e| chrono::DateTime::parse_from_rfc3339(e.at.trim()).ok())
        .map(|t| *t.offset())
        .or_else(|| chrono::FixedOffset::east_opt(8 * 3600));
    let show = |t: i64| offset.map_or_else(|| t.to_string(), |o| request::show_instant(t, o));
    let assessment = facts.timeline().map(|t| assess(&t, &config));
    let status = match (&facts.received_at, &assessment) {
        (None, _) => "not_received",
        (Some(_), None) => "unassigned",
        (Some(_), Some(a)) => match a.callback {
            CallbackStatus::NoCallback => "no_callback",
            CallbackStatus::Valid { .. } => "valid",
            CallbackStatus::Excluded { .. } => "excluded",
        },
    };
    let out = CaseAssessment {
        case_id: facts.case_id.clone(),
        status,
        unit: facts.lead.as_ref().map(|(u, _)| u.clone()),
        unit_type: facts.lead.as_ref().map(|(_, t)| *t),
        tier: facts.tier,
        received_at: facts.received_at.map(show),
        response_due: assessment.map(|a| show(a.response_due)),
        contacted_in_time: assessment.map(|a| a.contacted_in_time),
        reply_due: assessment.map(|a| show(a.reply_due)),
        replied_on_time: assessment.map(|a| a.replied_on_time),
        callback: assessment.map(|a| a.callback),
        exclusion: facts.exclusion.clone(),
    };
    serde_json::to_string(&out).map_err(|e| ScoreError::Events(e.to_string()))
}

#[cfg(test)]
mod tests;
