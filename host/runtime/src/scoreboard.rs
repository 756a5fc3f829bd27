//! The scorer's `scoreboard` resource held in its own instance: open once, add cases batch by batch,
//! then rank, export the partial, or report hotspots. No logic here: every figure comes from the component.

use crate::bindings::scorer::Scorer;
use crate::bindings::types::{CaseOutcome, UnitRef, UnitScore};
use crate::engine::{Kept, input};
use crate::sandbox::CallLimits;
use crate::{CallError, Runtime, RuntimeError};
use std::sync::Mutex;
use wasmtime::Store;
use wasmtime::component::ResourceAny;

type BoardSlot = Kept<Scorer>;

/// A scoreboard living in a scorer instance of its own. Calls are serialised and each gets a fresh
/// deadline; the board's memory stays under the runtime's memory cap. A board whose call failed
/// (deadline, memory, trap) is gone: its state lived in the instance, so every later call reports it and a new board
/// must be opened.
pub struct Scoreboard<'rt> {
    runtime: &'rt Runtime,
    slot: Mutex<Option<BoardSlot>>,
}

impl std::fmt::Debug for Scoreboard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scoreboard").finish_non_exhaustive()
    }
}

impl Runtime {
    /// `scoring.scoreboard.open`: a board for the request document (period, district, as-of, config).
    pub fn open_scoreboard(&self, request_json: &str) -> Result<Scoreboard<'_>, CallError> {
        let component = self.scorer.info.name;
        let mut store = self.store();
        let instance = self.instance(&self.scorer, &mut store)?;
        let opened = instance
            .minyi_casework_scoring()
            .scoreboard()
            .call_open(&mut store, request_json)
            .map_err(|e| self.classify(component, &store, e))?;
        let handle = opened.map_err(input)?;
        Ok(Scoreboard { runtime: self, slot: Mutex::new(Some((store, instance, handle))) })
    }
}

impl Scoreboard<'_> {
    fn with<R>(
        &self,
        f: impl FnOnce(&mut Store<CallLimits>, &Scorer, ResourceAny) -> wasmtime::Result<R>,
    ) -> Result<R, RuntimeError> {
        let rt = self.runtime;
        let component = rt.scorer.info.name;
        let mut guard = self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(kept) = guard.take() else {
            return Err(RuntimeError::Lost {
                component,
                what: "the scoreboard",
                reason: "its instance was dropped when an earlier call failed; open a new one".into(),
            });
        };
        rt.run_kept(component, &mut guard, kept, f)
    }

    /// `scoreboard.add-cases-json`: cases, each as its events; returns how many fell in the period.
    pub fn add_cases_json(&self, cases: &[String]) -> Result<u32, CallError> {
        self.with(|s, i, h| i.minyi_casework_scoring().scoreboard().call_add_cases_json(s, h, cases))?.map_err(input)
    }

    /// `scoreboard.add-outcomes`: cases already summarised by the caller's own store.
    pub fn add_outcomes(&self, units: &[UnitRef], outcomes: &[CaseOutcome]) -> Result<u32, CallError> {
        self.with(|s, i, h| i.minyi_casework_scoring().scoreboard().call_add_outcomes(s, h, units, outcomes))?
            .map_err(input)
    }

    /// `scoreboard.partial-json`.
    pub fn partial_json(&self) -> Result<String, RuntimeError> {
        self.with(|s, i, h| i.minyi_casework_scoring().scoreboard().call_partial_json(s, h))
    }

    /// `scoreboard.merge-json`.
    pub fn merge_json(&self, partial_json: &str) -> Result<(), CallError> {
        self.with(|s, i, h| i.minyi_casework_scoring().scoreboard().call_merge_json(s, h, partial_json))?.map_err(input)
    }

    /// `scoreboard.ranking`.
    pub fn ranking(&self) -> Result<Vec<UnitScore>, RuntimeError> {
        self.with(|s, i, h| i.minyi_casework_scoring().scoreboard().call_ranking(s, h))
    }

    /// `scoreboard.ranking-json`.
    pub fn ranking_json(&self) -> Result<String, RuntimeError> {
        self.with(|s, i, h| i.minyi_casework_scoring().scoreboard().call_ranking_json(s, h))
    }

    /// `scoreboard.hotspots-json`.
    pub fn hotspots_json(&self) -> Result<String, RuntimeError> {
        self.with(|s, i, h| i.minyi_casework_scoring().scoreboard().call_hotspots_json(s, h))
    }
}
