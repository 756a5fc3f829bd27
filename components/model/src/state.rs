//! The case lifecycle as data: the states a case can be in and which event may follow which
//! (受理 → 派单 → 办理 → 回访 → 办结), so every host, store and console applies one state machine.

use crate::Event;
use serde::{Deserialize, Serialize};

/// Where a case stands; derived from its events, never set by hand. `snake_case` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Stored on arrival (受理), nothing has run on it yet.
    Received,
    /// Validated and accepted; waiting to be routed.
    Accepted,
    /// Refused: not a usable case form, invalid, or out of scope (redirected). Final.
    Rejected,
    /// Waiting for an operator: no rule hit, a component failed, or routing asked for one.
    PendingManual,
    /// Dispatched (派单) to a lead unit.
    Dispatched,
    /// The lead unit is working on it (办理).
    InProgress,
    /// The unit returned it as not its own (退单); waits for a ruling or a re-dispatch.
    Returned,
    /// The unit replied (答复).
    Replied,
    /// The citizen answered the callback (回访).
    Callback,
    /// Closed (办结).
    Closed,
    /// Reopened after the callback; waits to be dispatched again.
    Reopened,
}

impl CaseState {
    /// Every state, in lifecycle order.
    pub const ALL: [CaseState; 11] = [
        CaseState::Received,
        CaseState::Accepted,
        CaseState::Rejected,
        CaseState::PendingManual,
        CaseState::Dispatched,
        CaseState::InProgress,
        CaseState::Returned,
        CaseState::Replied,
        CaseState::Callback,
        CaseState::Closed,
        CaseState::Reopened,
    ];

    /// The name in JSON and in the database (`pending_manual`).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Received => "received",
            CaseState::Accepted => "accepted",
            CaseState::Rejected => "rejected",
            CaseState::PendingManual => "pending_manual",
            CaseState::Dispatched => "dispatched",
            CaseState::InProgress => "in_progress",
            CaseState::Returned => "returned",
            CaseState::Replied => "replied",
            CaseState::Callback => "callback",
            CaseState::Closed => "closed",
            CaseState::Reopened => "reopened",
        }
    }

    /// The state named `name` (as [`CaseState::as_str`] writes it).
    pub fn parse(name: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// A unit is handling the case: it may contact the citizen, work, ask for more time, return or reply.
    fn with_unit(self) -> bool {
        matches!(self, CaseState::Dispatched | CaseState::InProgress)
    }

    /// The state after `event`, or why `event` may not happen now. Events that record a fact rather than
    /// a step (the facts of receipt, first contact, rulings, extensions, exclusions) leave the state as
    /// it is, but only where they make sense.
    pub fn after(self, event: &Event) -> Result<CaseState, IllegalTransition> {
        use CaseState as S;
        let next = match (self, event) {
            (S::Received, Event::Received { .. } | Event::CategorySuggested { .. }) => Some(self),
            (S::Received, Event::Accepted {}) => Some(S::Accepted),
            (S::Received | S::Accepted, Event::Rejected { .. }) => Some(S::Rejected),
            (S::Received | S::Accepted | S::PendingManual | S::Returned | S::Reopened, Event::PendingManual { .. }) => {
                Some(S::PendingManual)
            }
            // 派单, and 改派 of a case a unit already holds.
            (
                S::Accepted | S::PendingManual | S::Returned | S::Reopened | S::Dispatched | S::InProgress,
                Event::Dispatched { .. },
            ) => Some(S::Dispatched),
            (S::Dispatched, Event::InProgress {}) => Some(S::InProgress),
            (s, Event::FirstContact {} | Event::Acknowledged { .. }) if s.with_unit() => Some(s),
            (s, Event::Warning { .. } | Event::Overdue { .. }) if s.with_unit() => Some(s),
            (s, Event::Returned { .. }) if s.with_unit() => Some(S::Returned),
            (S::Returned | S::PendingManual, Event::Ruling { .. }) => Some(self),
            (s, Event::ExtensionRequested { .. } | Event::ExtensionApproved { .. } | Event::ExtensionDenied { .. })
                if s.with_unit() =>
            {
                Some(s)
            }
            (s, Event::Replied { .. }) if s.with_unit() => Some(S::Replied),
            (S::Replied | S::Callback | S::Closed, Event::Callback { .. }) => {
                Some(if self == S::Closed { S::Closed } else { S::Callback })
            }
            (S::Replied | S::Callback, Event::Closed {}) => Some(S::Closed),
            (S::Replied | S::Callback | S::Closed, Event::Reopened { .. }) => Some(S::Reopened),
            // A reviewer's exclusion (and its reversal) is about the rates: any case a unit has held.
            (
                S::Dispatched
                | S::InProgress
                | S::Returned
                | S::Replied
                | S::Callback
                | S::Closed
                | S::Reopened
                | S::PendingManual,
                Event::Excluded { .. } | Event::ExclusionRevoked { .. },
            ) => Some(self),
            _ => None,
        };
        next.ok_or(IllegalTransition { state: self, event: event.kind() })
    }
}

impl std::fmt::Display for CaseState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event that may not happen in the case's current state (e.g. 退单 after the reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a `{event}` event is not allowed while the case is `{state}`")]
pub struct IllegalTransition {
    /// The case's state.
    pub state: CaseState,
    /// The event's `type`.
    pub event: &'static str,
}

impl Event {
    /// The event's `type` in JSON (`extension_requested`).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Received { .. } => "received",
            Event::CategorySuggested { .. } => "category_suggested",
            Event::Accepted {} => "accepted",
            Event::Rejected { .. } => "rejected",
            Event::PendingManual { .. } => "pending_manual",
            Event::Dispatched { .. } => "dispatched",
            Event::InProgress {} => "in_progress",
            Event::FirstContact {} => "first_contact",
            Event::Acknowledged { .. } => "acknowledged",
            Event::Warning { .. } => "warning",
            Event::Overdue { .. } => "overdue",
            Event::Returned { .. } => "returned",
            Event::Ruling { .. } => "ruling",
            Event::ExtensionRequested { .. } => "extension_requested",
            Event::ExtensionApproved { .. } => "extension_approved",
            Event::ExtensionDenied { .. } => "extension_denied",
            Event::Replied { .. } => "replied",
            Event::Callback { .. } => "callback",
            Event::Reopened { .. } => "reopened",
            Event::Closed {} => "closed",
            Event::Excluded { .. } => "excluded",
            Event::ExclusionRevoked { .. } => "exclusion_revoked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ExclusionReason, Satisfaction};

    /// One event of every kind.
    fn every_event() -> Vec<Event> {
        vec![
            Event::Received {
                district: None,
                street: None,
                category: None,
                address: None,
                fingerprint: None,
                reported_at: None,
            },
            Event::CategorySuggested { category: None, confidence: 0.4, top: Vec::new(), model: String::new() },
            Event::Accepted {},
            Event::Rejected { reason: String::new() },
            Event::PendingManual { reason: String::new() },
            Event::Dispatched {
                unit: "110105026".into(),
                unit_type: None,
                tier: None,
                deadline: None,
                co_handlers: Vec::new(),
            },
            Event::InProgress {},
            Event::FirstContact {},
            Event::Acknowledged { unit: "bj.heating".into() },
            Event::Returned { reason: "not ours".into() },
            Event::Ruling { decision: "110105026".into() },
            Event::ExtensionRequested { reason: String::new() },
            Event::ExtensionApproved { deadline: "2026-12-20T10:00:00+08:00".into() },
            Event::ExtensionDenied { reason: String::new() },
            Event::Warning { deadline: "2026-12-20T10:00:00+08:00".into() },
            Event::Overdue { deadline: "2026-12-20T10:00:00+08:00".into(), district: None },
            Event::Replied { resolved: Some(true), message: None },
            Event::Callback { responded: None, resolved: true, satisfaction: Satisfaction::Satisfied, comment: None },
            Event::Reopened { reason: String::new() },
            Event::Closed {},
            Event::Excluded { reason: ExclusionReason::Invalid, reviewer: "r".into(), note: String::new() },
            Event::ExclusionRevoked { reviewer: "r".into(), note: String::new() },
        ]
    }

    /// The whole table, state by event: `-` where the event is refused, else the state after it.
    /// Written out so that a change to the lifecycle is a visible change to this table.
    const TABLE: &str = "
               received category_suggested accepted rejected pending_manual dispatched in_progress first_contact acknowledged returned ruling         extension_requested extension_approved extension_denied warning     overdue     replied callback reopened closed excluded       exclusion_revoked
received       received received           accepted rejected pending_manual -          -           -             -            -        -              -                   -                  -                -           -           -       -        -        -      -              -
accepted       -        -                  -        rejected pending_manual dispatched -           -             -            -        -              -                   -                  -                -           -           -       -        -        -      -              -
rejected       -        -                  -        -        -              -          -           -             -            -        -              -                   -                  -                -           -           -       -        -        -      -              -
pending_manual -        -                  -        -        pending_manual dispatched -           -             -            -        pending_manual -                   -                  -                -           -           -       -        -        -      pending_manual pending_manual
dispatched     -        -                  -        -        -              dispatched in_progress dispatched    dispatched   returned -              dispatched          dispatched         dispatched       dispatched  dispatched  replied -        -        -      dispatched     dispatched
in_progress    -        -                  -        -        -              dispatched -           in_progress   in_progress  returned -              in_progress         in_progress        in_progress      in_progress in_progress replied -        -        -      in_progress    in_progress
returned       -        -                  -        -        pending_manual dispatched -           -             -            -        returned       -                   -                  -                -           -           -       -        -        -      returned       returned
replied        -        -                  -        -        -              -          -           -             -            -        -              -                   -                  -                -           -           -       callback reopened closed replied        replied
callback       -        -                  -        -        -              -          -           -             -            -        -              -                   -                  -                -           -           -       callback reopened closed callback       callback
closed         -        -                  -        -        -              -          -           -             -            -        -              -                   -                  -                -           -           -       closed   reopened -      closed         closed
reopened       -        -                  -        -        pending_manual dispatched -           -             -            -        -              -                   -                  -                -           -           -       -        -        -      reopened       reopened
";

    #[test]
    fn the_transition_table_holds_for_every_state_and_event() {
        let mut lines = TABLE.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<&str> = lines.next().map(|l| l.split_whitespace().collect()).unwrap_or_default();
        let events = every_event();
        assert_eq!(header, events.iter().map(Event::kind).collect::<Vec<_>>(), "one column per event kind");
        let mut rows = 0;
        for line in lines {
            let cells: Vec<&str> = line.split_whitespace().collect();
            let state = CaseState::parse(cells[0]).unwrap_or_else(|| panic!("unknown state {}", cells[0]));
            assert_eq!(cells.len(), events.len() + 1, "row {}", cells[0]);
            for (event, want) in events.iter().zip(&cells[1..]) {
                let got = state.after(event);
                match *want {
                    "-" => assert_eq!(
                        got,
                        Err(IllegalTransition { state, event: event.kind() }),
                        "{state} + {}",
                        event.kind()
                    ),
                    name => assert_eq!(got.map(CaseState::as_str), Ok(name), "{state} + {}", event.kind()),
                }
            }
            rows += 1;
        }
        assert_eq!(rows, CaseState::ALL.len(), "one row per state");
    }

    #[test]
    fn names_round_trip_and_match_json() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).ok(), Some(format!("\"{s}\"")));
        }
        for e in every_event() {
            let json = serde_json::to_value(&e).unwrap_or_default();
            assert_eq!(json["type"], e.kind());
        }
    }

    #[test]
    fn an_illegal_transition_names_the_state_and_the_event() {
        let err = CaseState::Replied.after(&Event::Returned { reason: "not ours".into() });
        let message = err.map_err(|e| e.to_string()).err().unwrap_or_default();
        assert_eq!(message, "a `returned` event is not allowed while the case is `replied`");
    }
}
