//! The `scorer` component: exports `minyi:casework/scoring` over `minyi-scoring` (no logic here).
// A component only for wasm32: a native `cargo build --workspace` builds it empty (its export names
// do not link into a native cdylib); clippy still lints it natively.
#![cfg(any(target_arch = "wasm32", clippy))]
#![allow(unsafe_code)]

wit_bindgen::generate!({
    world: "scorer",
    path: "../../../wit",
});

use convert::input_error;
use exports::minyi::casework::scoring::{self as api, GuestScoreboard};
use exports::minyi::casework::types as wit;
use minyi_guest_types::model as m;
use std::cell::RefCell;
minyi_guest_types::conversions!();

fn err(e: minyi_scoring::ScoreError) -> wit::InputError {
    input_error(e.code(), e.to_string())
}

struct Scorer;

/// The `scoreboard` resource: a core board behind a cell (resource methods take `&self`).
struct Scoreboard(RefCell<minyi_scoring::Board>);

impl api::Guest for Scorer {
    type Scoreboard = Scoreboard;

    fn default_config() -> wit::ScoreConfig {
        m::ScoreConfig::default().into()
    }

    fn score(callbacks: Vec<wit::Callback>, config: wit::ScoreConfig) -> Vec<wit::UnitScore> {
        let callbacks: Vec<m::Callback> = callbacks.into_iter().map(Into::into).collect();
        minyi_scoring::score(&callbacks, &config.into()).into_iter().map(Into::into).collect()
    }

    fn score_json(callbacks_json: String, config_json: String) -> Result<String, wit::InputError> {
        minyi_scoring::score_json(&callbacks_json, &config_json).map_err(err)
    }

    fn assess_json(case_events: String, config_json: String, as_of: Option<String>) -> Result<String, wit::InputError> {
        minyi_scoring::assess_json(&case_events, &config_json, as_of.as_deref()).map_err(err)
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()))
}

impl GuestScoreboard for Scoreboard {
    fn open(request_json: String) -> Result<api::Scoreboard, wit::InputError> {
        let board = minyi_scoring::Board::open_json(&request_json).map_err(err)?;
        Ok(api::Scoreboard::new(Scoreboard(RefCell::new(board))))
    }

    fn add_cases_json(&self, cases: Vec<String>) -> Result<u32, wit::InputError> {
        let mut board = self.0.borrow_mut();
        let mut placed = 0u32;
        for (i, case) in cases.iter().enumerate() {
            let added = board.add_case_json(case).map_err(|e| input_error(e.code(), format!("cases[{i}]: {e}")))?;
            placed += u32::from(added);
        }
        Ok(placed)
    }

    fn add_outcomes(&self, units: Vec<wit::UnitRef>, outcomes: Vec<wit::CaseOutcome>) -> Result<u32, wit::InputError> {
        let units: Vec<minyi_scoring::UnitRef> =
            units.into_iter().map(|u| minyi_scoring::UnitRef { unit: u.unit, unit_type: u.unit_type.into() }).collect();
        let outcomes: Vec<minyi_scoring::Outcome> = outcomes
            .into_iter()
            .map(|o| minyi_scoring::Outcome {
                unit: o.unit,
                timeline: minyi_scoring::Timeline {
                    tier: o.tier.into(),
                    received_at: o.received_at,
                    dispatched_at: o.dispatched_at,
                    first_contact_at: o.first_contact_at,
                    replied_at: o.replied_at,
                    deadline: o.deadline,
                    callback: o.callback.map(|a| minyi_scoring::Answers {
                        responded: a.responded,
                        resolved: a.resolved,
                        satisfaction: a.satisfaction.into(),
                    }),
                    excluded: o.excluded.map(Into::into),
                },
            })
            .collect();
        self.0.borrow_mut().add_outcomes(&units, &outcomes).map_err(err)
    }

    fn partial_json(&self) -> String {
        to_json(&self.0.borrow().partial())
    }

    fn merge_json(&self, partial_json: String) -> Result<(), wit::InputError> {
        self.0.borrow_mut().merge_json(&partial_json).map_err(err)
    }

    fn ranking(&self) -> Vec<wit::UnitScore> {
        self.0.borrow().scores().into_iter().map(Into::into).collect()
    }

    fn ranking_json(&self) -> String {
        to_json(&self.0.borrow().ranking())
    }

    fn hotspots_json(&self) -> String {
        to_json(&self.0.borrow().hotspots())
    }
}

export!(Scorer);
