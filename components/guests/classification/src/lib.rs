//! The `classifier` component: exports `minyi:classifier/classification` over `minyi-classify` (no logic here).
// A component only for wasm32: a native `cargo build --workspace` builds it empty (its export names
// do not link into a native cdylib); clippy still lints it natively.
#![cfg(any(target_arch = "wasm32", clippy))]
#![allow(unsafe_code)]

wit_bindgen::generate!({
    world: "classifier",
    path: "../../../wit/classifier",
});

use exports::minyi::classifier::classification::{self as api, GuestModel};

struct Classifier;

/// The `model` resource: a loaded model and the SHA-256 of its file.
struct Model {
    model: minyi_classify::Model,
    sha256: String,
}

fn input_error(code: &str, message: String) -> api::InputError {
    api::InputError { code: code.to_owned(), message }
}

fn refused(e: minyi_classify::ClassifyError) -> api::InputError {
    input_error(e.code(), e.to_string())
}

impl api::Guest for Classifier {
    type Model = Model;
}

impl GuestModel for Model {
    fn load(bytes: Vec<u8>) -> Result<api::Model, api::InputError> {
        let model = minyi_classify::Model::from_bytes(&bytes).map_err(|e| input_error(e.code(), e.to_string()))?;
        Ok(api::Model::new(Model { model, sha256: minyi_classify::sha256_hex(&bytes) }))
    }

    fn info(&self) -> api::ModelInfo {
        let about = self.model.about();
        api::ModelInfo {
            sha256: self.sha256.clone(),
            categories: self.model.labels().to_vec(),
            features: u32::try_from(self.model.features()).unwrap_or(u32::MAX),
            rows: u32::try_from(about.rows).unwrap_or(u32::MAX),
            abstain_below: about.abstain_below,
        }
    }

    fn suggest(&self, text: String, threshold: Option<f32>) -> Result<api::Suggestion, api::InputError> {
        let s = self.model.suggest(&text, threshold).map_err(refused)?;
        Ok(api::Suggestion {
            top: s.top.into_iter().map(|t| api::Scored { category: t.category, confidence: t.confidence }).collect(),
            abstained: s.abstained,
            threshold: s.threshold,
            evidence: s.evidence.into_iter().map(|e| api::Evidence { gram: e.gram, weight: e.weight }).collect(),
        })
    }

    fn suggest_json(&self, text: String, threshold: Option<f32>) -> Result<String, api::InputError> {
        let s = self.model.suggest(&text, threshold).map_err(refused)?;
        serde_json::to_string(&s).map_err(|e| input_error("internal", e.to_string()))
    }
}

export!(Classifier);
