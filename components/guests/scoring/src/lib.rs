//! The `scorer` component: exports `minyi:casework/scoring` over `minyi-scoring` (no logic here).
#![allow(unsafe_code)]

wit_bindgen::generate!({
    world: "scorer",
    path: "../../../wit",
});

use convert::input_error;
use exports::minyi::casework::types as wit;
minyi_guest_types::conversions!();

struct Scorer;

impl exports::minyi::casework::scoring::Guest for Scorer {
    fn default_config() -> wit::ScoreConfig {
        minyi_guest_types::model::ScoreConfig::default().into()
    }

    fn score(callbacks: Vec<wit::Callback>, config: wit::ScoreConfig) -> Vec<wit::UnitScore> {
        let callbacks: Vec<minyi_guest_types::model::Callback> = callbacks.into_iter().map(Into::into).collect();
        minyi_scoring::score(&callbacks, &config.into()).into_iter().map(Into::into).collect()
    }

    fn score_json(callbacks_json: String, config_json: String) -> Result<String, wit::InputError> {
        minyi_scoring::score_json(&callbacks_json, &config_json).map_err(|e| input_error(e.code(), e.to_string()))
    }
}

export!(Scorer);
