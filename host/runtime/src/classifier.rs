//! The classifier's `model` resource held in its own instance: a model file loaded once, then
//! suggestions for many texts. No logic here: every confidence comes from the component.

use crate::bindings::classifier::Classifier;
use crate::bindings::classifier::exports::minyi::classifier::classification::{InputError, ModelInfo, Suggestion};
use crate::engine::{Kept, RuntimeRef};
use crate::sandbox::CallLimits;
use crate::{CallError, Runtime};
use std::sync::{Arc, Mutex, PoisonError};
use wasmtime::Store;
use wasmtime::component::ResourceAny;

type ModelSlot = Kept<Classifier>;

fn refused(e: InputError) -> CallError {
    CallError::Input { code: e.code, message: e.message }
}

/// A model loaded inside a classifier instance of its own. Calls are serialised and each gets a fresh
/// deadline. If a call fails (deadline, memory, trap), the instance is dropped and the next call loads the
/// model again from the bytes kept here, in a new instance.
pub struct LoadedModel<'rt> {
    runtime: RuntimeRef<'rt>,
    bytes: Arc<[u8]>,
    info: ModelInfo,
    slot: Mutex<Option<ModelSlot>>,
}

impl std::fmt::Debug for LoadedModel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModel")
            .field("sha256", &self.info.sha256)
            .field("categories", &self.info.categories)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// `classification.model.load`: the model file loaded into a classifier instance kept for it.
    /// A file that is not a model (foreign, truncated, altered) is `CallError::Input` with code `model`.
    pub fn load_model(&self, bytes: &[u8]) -> Result<LoadedModel<'_>, CallError> {
        load(RuntimeRef::Borrowed(self), bytes.into())
    }

    /// [`Runtime::load_model`] for a shared runtime: the model keeps the runtime alive, so it can live
    /// in a server's state.
    pub fn load_model_shared(self: &Arc<Self>, bytes: &[u8]) -> Result<LoadedModel<'static>, CallError> {
        load(RuntimeRef::Shared(Arc::clone(self)), bytes.into())
    }

    fn load_in(&self, bytes: &[u8]) -> Result<ModelSlot, CallError> {
        let component = self.classifier.info.name;
        let mut store = self.store();
        let instance = self.instance(&self.classifier, &mut store)?;
        let loaded = instance
            .minyi_classifier_classification()
            .model()
            .call_load(&mut store, bytes)
            .map_err(|e| self.classify(component, &store, e))?;
        Ok((store, instance, loaded.map_err(refused)?))
    }
}

fn load<'rt>(runtime: RuntimeRef<'rt>, bytes: Arc<[u8]>) -> Result<LoadedModel<'rt>, CallError> {
    let rt: &Runtime = &runtime;
    let component = rt.classifier.info.name;
    let (mut store, instance, handle) = rt.load_in(&bytes)?;
    let info = instance
        .minyi_classifier_classification()
        .model()
        .call_info(&mut store, handle)
        .map_err(|e| rt.classify(component, &store, e))?;
    Ok(LoadedModel { runtime, bytes, info, slot: Mutex::new(Some((store, instance, handle))) })
}

impl LoadedModel<'_> {
    /// What the model says of itself (its file's SHA-256, its categories, its threshold).
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The model file, as loaded.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn with<R>(
        &self,
        f: impl FnOnce(&mut Store<CallLimits>, &Classifier, ResourceAny) -> wasmtime::Result<R>,
    ) -> Result<R, CallError> {
        let rt: &Runtime = &self.runtime;
        let component = rt.classifier.info.name;
        let mut guard = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = match guard.take() {
            Some(kept) => kept,
            None => rt.load_in(&self.bytes)?,
        };
        Ok(rt.run_kept(component, &mut guard, kept, f)?)
    }

    /// `model.suggest`: the top three categories, the abstention and the evidence for `text`.
    pub fn suggest(&self, text: &str, threshold: Option<f32>) -> Result<Suggestion, CallError> {
        self.with(|s, i, h| i.minyi_classifier_classification().model().call_suggest(s, h, text, threshold))?
            .map_err(refused)
    }

    /// `model.suggest-json`: the suggestion as its JSON document.
    pub fn suggest_json(&self, text: &str, threshold: Option<f32>) -> Result<String, CallError> {
        self.with(|s, i, h| i.minyi_classifier_classification().model().call_suggest_json(s, h, text, threshold))?
            .map_err(refused)
    }
}
