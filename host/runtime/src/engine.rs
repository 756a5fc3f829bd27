//! The engine, the loaded components, and the per-call store discipline (fresh store, fuel, memory cap).

use crate::bindings::router::RouterPre;
use crate::bindings::scorer::ScorerPre;
use crate::bindings::types::{
    Callback, CaseForm, InputError, Issue, RoutingDecision, RuleError, ScoreConfig, UnitScore, ValidationResult,
};
use crate::bindings::validator::ValidatorPre;
use crate::limits::{CallLimits, MemoryCapExceeded};
use crate::{CallError, RuntimeError};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

/// Limits applied to every call.
#[derive(Debug, Clone, Copy)]
pub struct RuntimeConfig {
    /// Fuel per call (about one unit per wasm instruction).
    pub fuel: u64,
    /// Linear-memory cap per call, in bytes.
    pub memory_cap: usize,
    /// Component instances that may be alive at once (pooling allocator slots).
    pub max_instances: u32,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self { fuel: 2_000_000_000, memory_cap: 64 << 20, max_instances: 128 }
    }
}

/// A loaded component: its name, the exact bytes compiled, and their SHA-256.
#[derive(Debug, Clone)]
pub struct ComponentInfo {
    /// Component name (`validator`, `router`, `scorer`).
    pub name: &'static str,
    /// The bytes that were compiled; the server serves these same bytes to the browser.
    pub bytes: Arc<[u8]>,
    /// Lower-case hex SHA-256 of `bytes`.
    pub sha256: String,
}

/// The runtime: one engine, the three components pre-instantiated, limits for every call.
pub struct Runtime {
    engine: Engine,
    config: RuntimeConfig,
    validator: (ComponentInfo, ValidatorPre<CallLimits>),
    router: (ComponentInfo, RouterPre<CallLimits>),
    scorer: (ComponentInfo, ScorerPre<CallLimits>),
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.config)
            .field("components", &self.components().map(|c| (c.name, &c.sha256)))
            .finish_non_exhaustive()
    }
}

fn load<P>(
    engine: &Engine,
    name: &'static str,
    bytes: &[u8],
    pre: impl FnOnce(wasmtime::component::InstancePre<CallLimits>) -> wasmtime::Result<P>,
) -> Result<(ComponentInfo, P), RuntimeError> {
    let err = |source| RuntimeError::Load { component: name, source };
    let started = std::time::Instant::now();
    let component = Component::new(engine, bytes).map_err(err)?;
    // Deny by default: the linker defines nothing, so a component that imports anything fails here.
    let linker = Linker::<CallLimits>::new(engine);
    let instance_pre = linker.instantiate_pre(&component).map_err(err)?;
    let pre = pre(instance_pre).map_err(err)?;
    let sha256 = hex::encode(Sha256::digest(bytes));
    tracing::info!(component = name, bytes = bytes.len(), %sha256, ms = started.elapsed().as_millis() as u64, "component loaded");
    Ok((ComponentInfo { name, bytes: bytes.into(), sha256 }, pre))
}

impl Runtime {
    /// Builds the engine and loads the built-in components (the bytes from `minyi-artifacts`).
    pub fn new(config: RuntimeConfig) -> Result<Self, RuntimeError> {
        Self::with_components(
            config,
            minyi_artifacts::VALIDATOR_BYTES,
            minyi_artifacts::ROUTER_BYTES,
            minyi_artifacts::SCORER_BYTES,
        )
    }

    /// Builds the engine and loads the given component bytes.
    pub fn with_components(
        config: RuntimeConfig,
        validator: &[u8],
        router: &[u8],
        scorer: &[u8],
    ) -> Result<Self, RuntimeError> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(config.max_instances)
            .total_core_instances(config.max_instances)
            .total_memories(config.max_instances)
            .total_tables(config.max_instances)
            .max_memory_size(config.memory_cap);
        let mut wasm = Config::new();
        wasm.consume_fuel(true).allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&wasm).map_err(RuntimeError::Engine)?;
        Ok(Self {
            validator: load(&engine, "validator", validator, ValidatorPre::new)?,
            router: load(&engine, "router", router, RouterPre::new)?,
            scorer: load(&engine, "scorer", scorer, ScorerPre::new)?,
            engine,
            config,
        })
    }

    /// The limits in force.
    pub fn config(&self) -> RuntimeConfig {
        self.config
    }

    /// Every loaded component.
    pub fn components(&self) -> [&ComponentInfo; 3] {
        [&self.validator.0, &self.router.0, &self.scorer.0]
    }

    /// A loaded component by name.
    pub fn component(&self, name: &str) -> Option<&ComponentInfo> {
        self.components().into_iter().find(|c| c.name == name)
    }

    fn store(&self) -> Result<Store<CallLimits>, wasmtime::Error> {
        let mut store =
            Store::new(&self.engine, CallLimits { memory_cap: self.config.memory_cap, refused_memory: None });
        store.limiter(|limits| limits);
        store.set_fuel(self.config.fuel)?;
        Ok(store)
    }

    /// Runs `f` in a fresh store; a trap leaves nothing behind for the next call.
    fn run<R>(
        &self,
        component: &'static str,
        f: impl FnOnce(&mut Store<CallLimits>) -> wasmtime::Result<R>,
    ) -> Result<R, RuntimeError> {
        let mut store = self.store().map_err(|e| RuntimeError::Trap { component, trap: format!("{e:#}") })?;
        f(&mut store).map_err(|e| self.classify(component, &store, e))
    }

    fn classify(&self, component: &'static str, store: &Store<CallLimits>, e: wasmtime::Error) -> RuntimeError {
        let err = if matches!(e.downcast_ref::<Trap>(), Some(Trap::OutOfFuel)) {
            RuntimeError::OutOfFuel { component, fuel: self.config.fuel }
        } else if let Some(m) = e.downcast_ref::<MemoryCapExceeded>() {
            RuntimeError::MemoryCap { component, requested: m.requested, cap: m.cap }
        } else if let Some(requested) = store.data().refused_memory {
            RuntimeError::MemoryCap { component, requested, cap: self.config.memory_cap }
        } else {
            RuntimeError::Trap { component, trap: format!("{e:#}") }
        };
        tracing::warn!(component, error = %err, "component call failed");
        err
    }

    /// Instantiates a component and drops it: the per-call set-up cost, for benchmarks.
    pub fn instantiate(&self, name: &str) -> Result<(), RuntimeError> {
        match name {
            "validator" => self.run("validator", |s| self.validator.1.instantiate(s).map(drop)),
            "router" => self.run("router", |s| self.router.1.instantiate(s).map(drop)),
            _ => self.run("scorer", |s| self.scorer.1.instantiate(s).map(drop)),
        }
    }

    /// `validation.validate`.
    pub fn validate(&self, form: &CaseForm, now: &str) -> Result<ValidationResult, CallError> {
        let out = self.run("validator", |s| {
            self.validator.1.instantiate(&mut *s)?.minyi_casework_validation().call_validate(s, form, &now.to_owned())
        })?;
        out.map_err(input)
    }

    /// `validation.validate-field`.
    pub fn validate_field(&self, field: &str, value: &str) -> Result<Vec<Issue>, RuntimeError> {
        self.run("validator", |s| {
            self.validator.1.instantiate(&mut *s)?.minyi_casework_validation().call_validate_field(s, field, value)
        })
    }

    /// `validation.validate-json`: a case-form document in, a validation-result document out.
    pub fn validate_json(&self, form_json: &str, now: &str) -> Result<String, CallError> {
        let out = self.run("validator", |s| {
            self.validator.1.instantiate(&mut *s)?.minyi_casework_validation().call_validate_json(
                s,
                form_json,
                &now.to_owned(),
            )
        })?;
        out.map_err(input)
    }

    /// `routing.check-rules`.
    pub fn check_rules(&self, rules: &str) -> Result<Vec<RuleError>, RuntimeError> {
        self.run("router", |s| self.router.1.instantiate(&mut *s)?.minyi_casework_routing().call_check_rules(s, rules))
    }

    /// `routing.route`.
    pub fn route(&self, rules: &str, form: &CaseForm) -> Result<Result<RoutingDecision, Vec<RuleError>>, RuntimeError> {
        self.run("router", |s| self.router.1.instantiate(&mut *s)?.minyi_casework_routing().call_route(s, rules, form))
    }

    /// `routing.route-json`: a case-form document in, a routing-decision document out.
    pub fn route_json(&self, rules: &str, form_json: &str) -> Result<String, CallError> {
        let out = self.run("router", |s| {
            self.router.1.instantiate(&mut *s)?.minyi_casework_routing().call_route_json(s, rules, form_json)
        })?;
        out.map_err(input)
    }

    /// `scoring.default-config`.
    pub fn default_score_config(&self) -> Result<ScoreConfig, RuntimeError> {
        self.run("scorer", |s| self.scorer.1.instantiate(&mut *s)?.minyi_casework_scoring().call_default_config(s))
    }

    /// `scoring.score`.
    pub fn score(&self, callbacks: &[Callback], config: ScoreConfig) -> Result<Vec<UnitScore>, RuntimeError> {
        self.run("scorer", |s| {
            self.scorer.1.instantiate(&mut *s)?.minyi_casework_scoring().call_score(s, callbacks, config)
        })
    }

    /// `scoring.score-json`: a callbacks array and a config document in, a unit-score array out.
    pub fn score_json(&self, callbacks_json: &str, config_json: &str) -> Result<String, CallError> {
        let out = self.run("scorer", |s| {
            self.scorer.1.instantiate(&mut *s)?.minyi_casework_scoring().call_score_json(s, callbacks_json, config_json)
        })?;
        out.map_err(input)
    }
}

fn input(e: InputError) -> CallError {
    CallError::Input { code: e.code, message: e.message }
}
