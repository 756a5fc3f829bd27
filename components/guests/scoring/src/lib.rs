//! The `scorer` component: exports `minyi:casework/scoring` over `minyi-scoring` (no logic here).
#![allow(unsafe_code)]

use minyi_guest_types::{input_error, wit};

wit_bindgen::generate!({
    world: "scorer",
    path: "../../../wit",
    with: { "minyi:casework/types@0.1.0": minyi_guest_types::wit },
});

struct Scorer;

impl exports::minyi::casework::scoring::Guest for Scorer {
    fn default_config() -> wit::ScoreConfig {
        minyi_model::ScoreConfig::default().into()
    }

    fn score(callbacks: Vec<wit::Callback>, config: wit::ScoreConfig) -> Vec<wit::UnitScore> {
        let callbacks: Vec<minyi_model::Callback> = callbacks.into_iter().map(Into::into).collect();
        minyi_scoring::score(&callbacks, &config.into()).into_iter().map(Into::into).collect()
    }

    fn score_json(callbacks_json: String, config_json: String) -> Result<String, wit::InputError> {
        minyi_scoring::score_json(&callbacks_json, &config_json).map_err(|e| input_error(e.code(), e.to_string()))
    }
}

export!(Scorer);
