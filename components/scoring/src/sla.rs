//! The time limits, live: where a case's reply clock stands, and which warning (at 80 % of the limit)
//! or overdue (督办) event is due at an instant. Pure: the service's sweep, its queues and the scorer
//! all read the clock the same events give.

use crate::case::CaseFacts;
use crate::request::show_instant;
use chrono::FixedOffset;
use minyi_model::{Event, ScoreConfig, SlaTier};

/// The share of the reply limit after which the unit is warned: 80 % *(default)*, as a fraction.
const WARN_NUMERATOR: i64 = 4;
const WARN_DENOMINATOR: i64 = 5;

/// The reply clock of a case's current dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    /// The lead unit (主办).
    pub lead: String,
    /// Co-handling units (协办).
    pub co_handlers: Vec<String>,
    /// When the clock started: the dispatch to the current lead, Unix seconds.
    pub started: i64,
    /// The reply deadline: routing's, an approved extension's, or receipt + the tier's limit.
    pub deadline: i64,
    /// When the warning is due: 80 % of the way from `started` to `deadline`.
    pub warn_at: i64,
    /// Still running: the current lead has not replied yet.
    pub running: bool,
    /// The warning was given on this clock.
    pub warned: bool,
    /// The overdue event was written on this clock.
    pub overdue: bool,
    /// The district an overdue case escalates to.
    pub district: Option<String>,
}

impl Clock {
    /// The clock of a case's facts: `None` until the case is received and dispatched to a lead (and
    /// after it is returned, until it is dispatched again).
    pub fn of(f: &CaseFacts, config: &ScoreConfig) -> Option<Clock> {
        let (lead, _) = f.lead.clone()?;
        let started = f.dispatched_at?;
        let received = f.received_at.unwrap_or(started);
        let tier = f.tier.unwrap_or(SlaTier::General);
        let deadline =
            f.deadline.unwrap_or_else(|| received.saturating_add(i64::from(config.reply_hours.of(tier)) * 3600));
        let span = deadline.saturating_sub(started).max(0);
        Some(Clock {
            lead,
            co_handlers: f.co_handlers.clone(),
            started,
            deadline,
            warn_at: started.saturating_add(span / WARN_DENOMINATOR * WARN_NUMERATOR),
            running: f.replied_at.is_none_or(|r| r < started),
            warned: f.warned,
            overdue: f.overdue,
            district: f.district.clone(),
        })
    }

    /// The next instant at which the sweep has something to write; `None` when nothing is left.
    pub fn next_alarm(&self) -> Option<i64> {
        match (self.running, self.warned, self.overdue) {
            (false, _, _) | (true, true, true) => None,
            (true, false, _) => Some(self.warn_at),
            (true, true, false) => Some(self.deadline.saturating_add(1)),
        }
    }

    /// The events due at `now` (Unix seconds), each at most once per clock: the warning once 80 % of
    /// the limit has passed, the overdue event once the deadline has.
    pub fn due(&self, now: i64, offset: FixedOffset) -> Vec<Event> {
        let mut out = Vec::new();
        if !self.running {
            return out;
        }
        let deadline = show_instant(self.deadline, offset);
        if !self.warned && now >= self.warn_at {
            out.push(Event::Warning { deadline: deadline.clone() });
        }
        if !self.overdue && now > self.deadline {
            out.push(Event::Overdue { deadline, district: self.district.clone() });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::CaseFacts;
    use minyi_model::CaseEvent;

    fn ev(at: &str, event: Event) -> CaseEvent {
        CaseEvent { case_id: "BJ-1".into(), at: at.into(), by: None, event }
    }

    fn clock(events: &[CaseEvent]) -> Option<Clock> {
        let facts = CaseFacts::fold(events, None).ok()?;
        Clock::of(&facts, &ScoreConfig::default())
    }

    fn beijing() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!())
    }

    fn at(s: &str) -> i64 {
        crate::request::parse_instant(s).unwrap_or_default()
    }

    fn received() -> CaseEvent {
        ev(
            "2026-11-02T10:00:00+08:00",
            Event::Received {
                district: Some("110105".into()),
                street: None,
                category: None,
                address: None,
                fingerprint: None,
                reported_at: None,
            },
        )
    }

    fn dispatched(at: &str, deadline: &str) -> CaseEvent {
        ev(
            at,
            Event::Dispatched {
                unit: "110105026".into(),
                unit_type: None,
                tier: None,
                deadline: Some(deadline.into()),
                co_handlers: vec!["bj.heating".into()],
            },
        )
    }

    #[test]
    fn warning_at_four_fifths_then_overdue_once_each() {
        let mut events = vec![received(), dispatched("2026-11-02T10:00:00+08:00", "2026-11-07T10:00:00+08:00")];
        let c = clock(&events).unwrap_or_else(|| unreachable!());
        assert_eq!(c.co_handlers, ["bj.heating"]);
        assert_eq!(c.warn_at, at("2026-11-06T10:00:00+08:00"), "4 of 5 days");
        assert!(c.due(at("2026-11-06T09:59:59+08:00"), beijing()).is_empty());
        let due = c.due(at("2026-11-06T10:00:00+08:00"), beijing());
        assert_eq!(due, vec![Event::Warning { deadline: "2026-11-07T10:00:00+08:00".into() }]);
        events.push(ev("2026-11-06T10:00:00+08:00", due[0].clone()));
        let c = clock(&events).unwrap_or_else(|| unreachable!());
        assert_eq!(c.next_alarm(), Some(at("2026-11-07T10:00:01+08:00")));
        assert!(c.due(at("2026-11-07T10:00:00+08:00"), beijing()).is_empty(), "not before the deadline has passed");
        let due = c.due(at("2026-11-08T00:00:00+08:00"), beijing());
        assert!(matches!(&due[..], [Event::Overdue { district: Some(d), .. }] if d == "110105"));
        events.push(ev("2026-11-08T00:00:00+08:00", due[0].clone()));
        let c = clock(&events).unwrap_or_else(|| unreachable!());
        assert!(c.due(at("2026-12-08T00:00:00+08:00"), beijing()).is_empty(), "once each");
        assert_eq!(c.next_alarm(), None);
    }

    #[test]
    fn a_late_sweep_writes_both_and_a_reply_or_a_return_stops_the_clock() {
        let events = vec![received(), dispatched("2026-11-02T10:00:00+08:00", "2026-11-07T10:00:00+08:00")];
        let c = clock(&events).unwrap_or_else(|| unreachable!());
        assert_eq!(c.due(at("2026-11-20T00:00:00+08:00"), beijing()).len(), 2);
        let mut replied = events.clone();
        replied.push(ev("2026-11-03T10:00:00+08:00", Event::Replied { resolved: None, message: None }));
        let c = clock(&replied).unwrap_or_else(|| unreachable!());
        assert!(!c.running && c.next_alarm().is_none());
        let mut returned = events;
        returned.push(ev("2026-11-03T10:00:00+08:00", Event::Returned { reason: "not ours".into() }));
        assert_eq!(clock(&returned), None);
    }

    #[test]
    fn a_new_dispatch_or_an_extension_starts_a_new_clock() {
        let mut events = vec![
            received(),
            dispatched("2026-11-02T10:00:00+08:00", "2026-11-07T10:00:00+08:00"),
            ev("2026-11-06T10:00:00+08:00", Event::Warning { deadline: "2026-11-07T10:00:00+08:00".into() }),
        ];
        events.push(ev(
            "2026-11-06T11:00:00+08:00",
            Event::ExtensionApproved { deadline: "2026-11-12T10:00:00+08:00".into() },
        ));
        let c = clock(&events).unwrap_or_else(|| unreachable!());
        assert!(!c.warned);
        assert_eq!(c.deadline, at("2026-11-12T10:00:00+08:00"));
        events.push(dispatched("2026-11-07T10:00:00+08:00", "2026-11-14T10:00:00+08:00"));
        let c = clock(&events).unwrap_or_else(|| unreachable!());
        assert_eq!((c.started, c.warned), (at("2026-11-07T10:00:00+08:00"), false));
    }

    #[test]
    fn without_a_routed_deadline_the_tier_limit_counts_from_receipt() {
        let mut d = dispatched("2026-11-02T12:00:00+08:00", "x");
        if let Event::Dispatched { deadline, .. } = &mut d.event {
            *deadline = None;
        }
        let c = clock(&[received(), d]).unwrap_or_else(|| unreachable!());
        assert_eq!(c.deadline, at("2026-11-09T10:00:00+08:00"), "general: 7 days from receipt");
    }
}
