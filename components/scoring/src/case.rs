//! One case: its events folded into facts as of a date, and the facts assessed against the time limits.

use crate::ScoreError;
use crate::request::parse_instant;
use minyi_model::{CaseEvent, Event, Exclusion, ExclusionReason, Satisfaction, ScoreConfig, SlaTier, UnitType};
use serde::{Deserialize, Serialize};

/// The citizen's answers in the latest callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    /// Asked "were you contacted in time?"; `None` when not asked.
    pub responded: Option<bool>,
    /// "Is the problem solved?"
    pub resolved: bool,
    /// "How satisfied are you?"
    pub satisfaction: Satisfaction,
}

/// What scoring needs to know of a case, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    /// Time-limit tier.
    pub tier: SlaTier,
    /// When the case was received, Unix seconds.
    pub received_at: i64,
    /// Dispatched to the current lead.
    pub dispatched_at: i64,
    /// First contact by the current lead.
    pub first_contact_at: Option<i64>,
    /// Latest reply.
    pub replied_at: Option<i64>,
    /// Reply deadline from routing or an approved extension.
    pub deadline: Option<i64>,
    /// Latest callback.
    pub callback: Option<Answers>,
    /// Active exclusion.
    pub excluded: Option<ExclusionReason>,
}

/// A case's facts from its events, as of a date.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CaseFacts {
    /// Case number.
    pub case_id: String,
    /// Received, if a `received` event was seen.
    pub received_at: Option<i64>,
    /// District code, from the `received` event.
    pub district: Option<String>,
    /// Street (township) code, when known.
    pub street: Option<String>,
    /// Category leaf code, when known.
    pub category: Option<String>,
    /// Address as the citizen gave it.
    pub address: Option<String>,
    /// Fingerprint from validation.
    pub fingerprint: Option<String>,
    /// Current lead unit and its type.
    pub lead: Option<(String, UnitType)>,
    /// Co-handling units (协办) of the current dispatch.
    pub co_handlers: Vec<String>,
    /// A time-limit warning was given on the current clock (since the dispatch or the extension).
    pub warned: bool,
    /// The current clock ran out and the case was escalated (督办).
    pub overdue: bool,
    /// Tier of the current dispatch.
    pub tier: Option<SlaTier>,
    /// Dispatched to the current lead.
    pub dispatched_at: Option<i64>,
    /// First contact by the current lead.
    pub first_contact_at: Option<i64>,
    /// Latest reply.
    pub replied_at: Option<i64>,
    /// Reply deadline.
    pub deadline: Option<i64>,
    /// Latest callback and when.
    pub callback: Option<(Answers, i64)>,
    /// Active exclusion (the last `excluded` not revoked after it).
    pub exclusion: Option<Exclusion>,
}

fn at_error(case: &str, line: usize, field: &str, value: &str) -> ScoreError {
    ScoreError::Events(format!("case {case}, event {line}: {field} {value:?} is not an RFC 3339 instant"))
}

/// Lifecycle order of events stamped with the same second (sources stamp to the second; a dispatch and
/// the first contact often share one). Same stage: the order given.
fn stage(e: &Event) -> u8 {
    match e {
        Event::Received { .. } | Event::CategorySuggested { .. } => 0,
        Event::Accepted {} | Event::Rejected { .. } | Event::PendingManual { .. } => 1,
        Event::Returned { .. } | Event::Ruling { .. } => 2,
        Event::Dispatched { .. } => 3,
        Event::InProgress {} | Event::FirstContact {} | Event::Acknowledged { .. } => 4,
        Event::ExtensionRequested { .. }
        | Event::ExtensionApproved { .. }
        | Event::ExtensionDenied { .. }
        | Event::Warning { .. }
        | Event::Overdue { .. } => 5,
        Event::Replied { .. } => 6,
        Event::Callback { .. } => 7,
        Event::Reopened { .. } | Event::Closed {} => 8,
        Event::Excluded { .. } | Event::ExclusionRevoked { .. } => 9,
    }
}

impl CaseFacts {
    /// Folds one case's events (any order: by time, then lifecycle stage, then as given) ignoring those after `as_of`.
    pub fn fold(events: &[CaseEvent], as_of: Option<i64>) -> Result<CaseFacts, ScoreError> {
        let mut timed = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            let t = parse_instant(&e.at).ok_or_else(|| at_error(&e.case_id, i + 1, "at", &e.at))?;
            timed.push((t, i, e));
        }
        timed.sort_by_key(|&(t, i, e)| (t, stage(&e.event), i));
        let mut f =
            CaseFacts { case_id: events.first().map(|e| e.case_id.clone()).unwrap_or_default(), ..Default::default() };
        for (t, i, e) in timed {
            if e.case_id != f.case_id {
                return Err(ScoreError::Events(format!(
                    "case {}, event {}: belongs to case {:?}",
                    f.case_id,
                    i + 1,
                    e.case_id
                )));
            }
            if as_of.is_some_and(|cut| t > cut) {
                break;
            }
            match &e.event {
                Event::Received { district, street, category, address, fingerprint, reported_at: _ } => {
                    f.received_at = Some(t);
                    f.district.clone_from(district);
                    f.street.clone_from(street);
                    f.category.clone_from(category);
                    f.address.clone_from(address);
                    f.fingerprint.clone_from(fingerprint);
                }
                Event::Dispatched { unit, unit_type, tier, deadline, co_handlers } => {
                    f.lead = Some((unit.clone(), unit_type.unwrap_or_else(|| UnitType::infer(unit))));
                    f.co_handlers.clone_from(co_handlers);
                    f.warned = false;
                    f.overdue = false;
                    f.tier = Some(tier.unwrap_or(SlaTier::General));
                    f.dispatched_at = Some(t);
                    f.first_contact_at = None;
                    f.deadline = match deadline {
                        None => None,
                        Some(d) => Some(parse_instant(d).ok_or_else(|| at_error(&f.case_id, i + 1, "deadline", d))?),
                    };
                }
                Event::Returned { .. } => {
                    f.lead = None;
                    f.co_handlers.clear();
                    f.dispatched_at = None;
                    f.first_contact_at = None;
                }
                Event::FirstContact {} => {
                    f.first_contact_at.get_or_insert(t);
                }
                Event::ExtensionApproved { deadline } => {
                    f.deadline =
                        Some(parse_instant(deadline).ok_or_else(|| at_error(&f.case_id, i + 1, "deadline", deadline))?);
                    f.warned = false;
                    f.overdue = false;
                }
                Event::Warning { .. } => f.warned = true,
                Event::Overdue { .. } => f.overdue = true,
                Event::Replied { .. } => f.replied_at = Some(t),
                Event::Callback { responded, resolved, satisfaction, comment: _ } => {
                    f.callback =
                        Some((Answers { responded: *responded, resolved: *resolved, satisfaction: *satisfaction }, t));
                }
                Event::Excluded { reason, reviewer, note } => {
                    f.exclusion = Some(Exclusion { reason: *reason, reviewer: reviewer.clone(), note: note.clone() });
                }
                Event::ExclusionRevoked { .. } => f.exclusion = None,
                Event::Accepted {}
                | Event::CategorySuggested { .. }
                | Event::Rejected { .. }
                | Event::PendingManual { .. }
                | Event::InProgress {}
                | Event::Acknowledged { .. }
                | Event::Ruling { .. }
                | Event::ExtensionRequested { .. }
                | Event::ExtensionDenied { .. }
                | Event::Reopened { .. }
                | Event::Closed {} => {}
            }
        }
        Ok(f)
    }

    /// The timeline to assess, when the case was received and has a lead unit.
    pub fn timeline(&self) -> Option<Timeline> {
        Some(Timeline {
            tier: self.tier.unwrap_or(SlaTier::General),
            received_at: self.received_at?,
            dispatched_at: self.dispatched_at?,
            first_contact_at: self.first_contact_at,
            replied_at: self.replied_at,
            deadline: self.deadline,
            callback: self.callback.map(|(a, _)| a),
            excluded: self.exclusion.as_ref().map(|e| e.reason),
        })
    }
}

/// Where the callback leaves a case in the rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum CallbackStatus {
    /// No callback yet: the case is not in the three rates.
    NoCallback,
    /// Counts in the three rates.
    Valid {
        /// Contacted within the limit (the citizen's answer, or the events when not asked).
        responded: bool,
        /// "Is the problem solved?"
        resolved: bool,
        /// "How satisfied are you?"
        satisfaction: Satisfaction,
    },
    /// Reviewed out of the rates.
    Excluded {
        /// Invalid (无效) or unreasonable (不合理诉求).
        reason: ExclusionReason,
    },
}

/// A case assessed against its time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// First contact due (dispatch + the tier's response limit).
    pub response_due: i64,
    /// First contact by then, by the events.
    pub contacted_in_time: bool,
    /// Reply due (routing's deadline, or receipt + the tier's reply limit).
    pub reply_due: i64,
    /// Replied at all.
    pub replied: bool,
    /// Replied by the deadline.
    pub replied_on_time: bool,
    /// Where the callback leaves it.
    pub callback: CallbackStatus,
}

/// Assesses a timeline. Pure: the same timeline and config always give the same assessment.
pub fn assess(t: &Timeline, config: &ScoreConfig) -> Assessment {
    let response_due = t.dispatched_at.saturating_add(i64::from(config.response_hours.of(t.tier)) * 3600);
    let contacted_in_time = t.first_contact_at.is_some_and(|c| c <= response_due);
    let reply_due =
        t.deadline.unwrap_or_else(|| t.received_at.saturating_add(i64::from(config.reply_hours.of(t.tier)) * 3600));
    let replied_on_time = t.replied_at.is_some_and(|r| r <= reply_due);
    let callback = match (t.excluded, t.callback) {
        (Some(reason), _) => CallbackStatus::Excluded { reason },
        (None, None) => CallbackStatus::NoCallback,
        (None, Some(a)) => CallbackStatus::Valid {
            responded: a.responded.unwrap_or(contacted_in_time),
            resolved: a.resolved,
            satisfaction: a.satisfaction,
        },
    };
    Assessment {
        response_due,
        contacted_in_time,
        reply_due,
        replied: t.replied_at.is_some(),
        replied_on_time,
        callback,
    }
}
