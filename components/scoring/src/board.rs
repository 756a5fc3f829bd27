//! The scoreboard: cases go in one at a time, land in the period (or the previous one, for the trend),
//! update per-unit tallies, and come out as a ranking or as a partial that merges with other boards'.

use crate::ScoreError;
use crate::case::{CaseFacts, Timeline, assess};
use crate::hotspots::{Collector, HotspotReport};
use crate::request::{Resolved, ScoreRequest, show_instant};
use crate::tally::{Tallies, TallyRow, UnitTally, rank_with_trend};
use minyi_model::{CaseEvent, UnitScore, UnitType};
pub use minyi_model::{Ranking, Skipped};
use serde::{Deserialize, Serialize};

/// A board's mergeable state: per-unit tallies of the period and the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partial {
    /// Period label.
    pub period: String,
    /// Period start, Unix seconds.
    pub from: i64,
    /// Period end, Unix seconds.
    pub to: i64,
    /// Cases in the period.
    pub cases: u64,
    /// Of those, without a lead unit.
    pub unassigned: u64,
    /// Tallies of the period.
    pub current: Vec<TallyRow>,
    /// Tallies of the previous period.
    pub previous: Vec<TallyRow>,
    /// Cases that could not be placed.
    pub skipped: Vec<Skipped>,
}

/// A handling unit named once per batch of outcomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    /// Unit id.
    pub unit: String,
    /// Street or department.
    pub unit_type: UnitType,
}

/// A case summarised by a platform with its own case store; `unit` is a position in the batch's units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Position of the lead unit in the batch's unit list.
    pub unit: u32,
    /// The case's times and answers.
    pub timeline: Timeline,
}

/// One period's scoreboard.
#[derive(Debug, Clone)]
pub struct Board {
    req: Resolved,
    current: Tallies,
    previous: Tallies,
    cases: u64,
    unassigned: u64,
    skipped: Vec<Skipped>,
    hot: Collector,
}

/// Where a case falls.
enum Placement {
    Current,
    Previous,
    Elsewhere,
}

impl Board {
    /// A board for the request.
    pub fn open(request: ScoreRequest) -> Result<Board, ScoreError> {
        let req = request.resolve()?;
        let hot = Collector::new(&req);
        Ok(Board {
            req,
            current: Tallies::default(),
            previous: Tallies::default(),
            cases: 0,
            unassigned: 0,
            skipped: Vec::new(),
            hot,
        })
    }

    /// A board for a request document.
    pub fn open_json(request_json: &str) -> Result<Board, ScoreError> {
        Board::open(minyi_model::json::from_str(request_json).map_err(ScoreError::Request)?)
    }

    /// The request made concrete.
    pub fn request(&self) -> &Resolved {
        &self.req
    }

    fn place(&self, received_at: i64) -> Placement {
        if self.req.period.contains(received_at) {
            Placement::Current
        } else if self.req.previous.contains(received_at) {
            Placement::Previous
        } else {
            Placement::Elsewhere
        }
    }

    /// Adds one case given as its events. Returns whether it fell in the period (and district).
    pub fn add_case(&mut self, events: &[CaseEvent]) -> Result<bool, ScoreError> {
        let facts = CaseFacts::fold(events, self.req.as_of)?;
        let Some(received_at) = facts.received_at else {
            if !facts.case_id.is_empty() {
                let reason = "no received event (as of the date)".to_owned();
                self.skipped.push(Skipped { case_id: facts.case_id, reason });
            }
            return Ok(false);
        };
        if let Some(d) = &self.req.district
            && facts.district.as_deref() != Some(d.as_str())
        {
            return Ok(false);
        }
        let config = self.req.config;
        let assessment = facts.timeline().map(|t| assess(&t, &config));
        self.hot.add(&facts, assessment.as_ref());
        let contribution = match (&facts.lead, assessment) {
            (Some((unit, unit_type)), Some(a)) => Some((unit.as_str(), *unit_type, UnitTally::of(&a))),
            _ => None,
        };
        match (self.place(received_at), contribution) {
            (Placement::Current, Some((unit, unit_type, t))) => {
                self.cases += 1;
                self.current.add(unit, unit_type, t);
                Ok(true)
            }
            (Placement::Current, None) => {
                self.cases += 1;
                self.unassigned += 1;
                Ok(true)
            }
            (Placement::Previous, Some((unit, unit_type, t))) => {
                self.previous.add(unit, unit_type, t);
                Ok(false)
            }
            (Placement::Previous | Placement::Elsewhere, _) => Ok(false),
        }
    }

    /// Adds one case given as JSON lines or a JSON array of its events.
    pub fn add_case_json(&mut self, text: &str) -> Result<bool, ScoreError> {
        let events = parse_case(text)?;
        self.add_case(&events)
    }

    /// Adds cases already summarised. Returns how many fell in the period.
    pub fn add_outcomes(&mut self, units: &[UnitRef], outcomes: &[Outcome]) -> Result<u32, ScoreError> {
        if self.req.district.is_some() {
            return Err(ScoreError::Request(
                "district: outcomes carry no district; give case events, or open the board without a district".into(),
            ));
        }
        let mut current = Vec::with_capacity(units.len());
        let mut previous = Vec::with_capacity(units.len());
        for u in units {
            current.push(self.current.slot(&u.unit, u.unit_type));
            previous.push(self.previous.slot(&u.unit, u.unit_type));
        }
        let config = self.req.config;
        let mut placed = 0;
        for (i, o) in outcomes.iter().enumerate() {
            let unit = o.unit as usize;
            let (Some(&cur), Some(&prev)) = (current.get(unit), previous.get(unit)) else {
                return Err(ScoreError::Request(format!(
                    "outcomes[{i}].unit: {unit} is not a position in the {} units given",
                    units.len()
                )));
            };
            let tally = UnitTally::of(&assess(&o.timeline, &config));
            let slot = match self.place(o.timeline.received_at) {
                Placement::Current => {
                    placed += 1;
                    self.cases += 1;
                    self.current.at(cur)
                }
                Placement::Previous => self.previous.at(prev),
                Placement::Elsewhere => None,
            };
            if let Some(t) = slot {
                t.add(tally);
            }
        }
        Ok(placed)
    }

    /// The board's mergeable partial.
    pub fn partial(&self) -> Partial {
        Partial {
            period: self.req.period.label.clone(),
            from: self.req.period.from,
            to: self.req.period.to,
            cases: self.cases,
            unassigned: self.unassigned,
            current: self.current.rows(),
            previous: self.previous.rows(),
            skipped: self.skipped.clone(),
        }
    }

    /// Adds another board's partial; it must be of the same period.
    pub fn merge(&mut self, p: &Partial) -> Result<(), ScoreError> {
        if (p.from, p.to) != (self.req.period.from, self.req.period.to) {
            return Err(ScoreError::Request(format!(
                "partial.period: {} is not this board's period {}",
                p.period, self.req.period.label
            )));
        }
        self.current.merge(&Tallies::from_rows(&p.current));
        self.previous.merge(&Tallies::from_rows(&p.previous));
        self.cases += p.cases;
        self.unassigned += p.unassigned;
        self.skipped.extend(p.skipped.iter().cloned());
        Ok(())
    }

    /// Adds a partial given as JSON.
    pub fn merge_json(&mut self, partial_json: &str) -> Result<(), ScoreError> {
        let p: Partial = minyi_model::json::from_str(partial_json).map_err(ScoreError::Request)?;
        self.merge(&p)
    }

    /// Unit scores with ranks and trend: streets, then departments.
    pub fn scores(&self) -> Vec<UnitScore> {
        rank_with_trend(&self.current, &self.previous, &self.req.config)
    }

    /// The ranking.
    pub fn ranking(&self) -> Ranking {
        let (streets, departments) = self.scores().into_iter().partition(|s| s.unit_type == UnitType::Street);
        Ranking {
            period: self.req.period.label.clone(),
            from: show_instant(self.req.period.from, self.req.offset),
            to: show_instant(self.req.period.to, self.req.offset),
            previous_period: self.req.previous.label.clone(),
            district: self.req.district.clone(),
            as_of: self.req.as_of.map(|t| show_instant(t, self.req.offset)),
            config: self.req.config,
            cases: self.cases,
            unassigned: self.unassigned,
            overall: crate::tally::overall(&self.current, &self.req.config),
            streets,
            departments,
            skipped: self.skipped.clone(),
        }
    }

    /// Hotspots, repeat demands and 每月一题 candidates of the period.
    pub fn hotspots(&self) -> HotspotReport {
        self.hot.report(&self.req)
    }
}

/// One case's events from JSON lines or a JSON array; errors name the line.
pub fn parse_case(text: &str) -> Result<Vec<CaseEvent>, ScoreError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return minyi_model::json::from_str(trimmed).map_err(|e| ScoreError::Events(format!("events array: {e}")));
    }
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let e: CaseEvent =
            minyi_model::json::from_str(line).map_err(|e| ScoreError::Events(format!("line {}: {e}", i + 1)))?;
        events.push(e);
    }
    Ok(events)
}
