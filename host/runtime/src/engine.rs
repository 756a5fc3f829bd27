//! The engine, the loaded components, and the per-call store discipline (warm store, deadline, memory cap).

use crate::bindings::classifier::{Classifier, ClassifierPre};
use crate::bindings::context_router::exports::minyi::router::context_routing;
use crate::bindings::router::{Router, RouterPre};
use crate::bindings::scorer::{Scorer, ScorerPre};
use crate::bindings::types::{
    Callback, CaseContext, CaseForm, ExampleOutcome, InputError, Issue, RoutingDecision, RuleError, SchemaError,
    ScoreConfig, UnitScore, ValidationResult,
};
use crate::bindings::validator::{Validator, ValidatorPre};
use crate::cache::{CodeCache, Source};
use crate::sandbox::{self, CallLimits, EngineSettings, Stopped};
use crate::{CallError, RuntimeError};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;
use wasmtime::component::{Component, Linker, ResourceAny};
use wasmtime::{Engine, Store};

/// Limits applied to every call.
#[derive(Debug, Clone, Copy)]
pub struct RuntimeConfig {
    /// Wall-clock time one call may run (to the epoch's granularity, `sandbox::TICK`). The built-in
    /// components are trusted code, so this deadline bounds them instead of fuel metering, which
    /// made every call slower (route on the Beijing set 9.4 → 7.8 µs, measured in the routing bench).
    pub deadline: Duration,
    /// Linear-memory cap per call, in bytes.
    pub memory_cap: usize,
    /// Component instances that may be alive at once (pooling allocator slots).
    pub max_instances: u32,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self { deadline: Duration::from_secs(2), memory_cap: 64 << 20, max_instances: 128 }
    }
}

/// A loaded component: its name, the exact bytes compiled, and their SHA-256.
#[derive(Debug, Clone)]
pub struct ComponentInfo {
    /// Component name (`validator`, `router`, `scorer`, `classifier`).
    pub name: &'static str,
    /// The bytes that were compiled; the server serves these same bytes to the browser.
    pub bytes: Arc<[u8]>,
    /// Lower-case hex SHA-256 of `bytes`.
    pub sha256: String,
}

/// The bytes of each component a runtime loads.
#[derive(Debug, Clone, Copy)]
pub struct Components<'a> {
    /// The case-form validator (`minyi:casework/validation`).
    pub validator: &'a [u8],
    /// The routing-rule engine (`minyi:casework/routing`).
    pub router: &'a [u8],
    /// The satisfaction scorer (`minyi:casework/scoring`).
    pub scorer: &'a [u8],
    /// The category classifier (`minyi:classifier/classification`).
    pub classifier: &'a [u8],
}

impl Components<'static> {
    /// The built-in components' bytes, as `minyi-artifacts` embeds them.
    pub fn built_in() -> Self {
        Self {
            validator: minyi_artifacts::VALIDATOR_BYTES,
            router: minyi_artifacts::ROUTER_BYTES,
            scorer: minyi_artifacts::SCORER_BYTES,
            classifier: minyi_artifacts::CLASSIFIER_BYTES,
        }
    }
}

/// Idle instances kept warm per component; more concurrent calls instantiate extra ones.
const IDLE_PER_COMPONENT: usize = 8;

pub(crate) type Instantiate<W> = Box<dyn Fn(&mut Store<CallLimits>) -> wasmtime::Result<W> + Send + Sync>;

/// How a component's bytes become something to instantiate: compiled (or read from the code cache)
/// against the engine, then linked.
type Compile<W> = Box<dyn Fn(&Engine, Option<&CodeCache>) -> Result<Instantiate<W>, RuntimeError> + Send + Sync>;

/// One component: its bytes, how to instantiate it, and warm instances ready for the next call.
///
/// It is compiled the first time a call needs it (or at [`Runtime::new`], which compiles every
/// component), so a command that validates never compiles the router.
///
/// The built-in components are pure functions of their arguments, so an instance is reused across
/// calls (warm memory, no page faults). The deadline and the memory cap are reset for every call, and an
/// instance that failed in any way is dropped, never reused.
pub(crate) struct Pool<W> {
    pub(crate) info: ComponentInfo,
    compile: Compile<W>,
    compiled: OnceLock<Instantiate<W>>,
    idle: Mutex<Vec<(Store<CallLimits>, W)>>,
}

/// The runtime: one engine, the four components (compiled on first use or up front), limits for
/// every call.
pub struct Runtime {
    engine: Engine,
    cache: Option<CodeCache>,
    pub(crate) config: RuntimeConfig,
    validator: Pool<Validator>,
    router: Pool<RouterInstance>,
    pub(crate) scorer: Pool<Scorer>,
    pub(crate) classifier: Pool<Classifier>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.config)
            .field("components", &self.components().map(|c| (c.name, &c.sha256)))
            .finish_non_exhaustive()
    }
}

fn pool<P, W>(
    name: &'static str,
    bytes: &[u8],
    pre: fn(wasmtime::component::InstancePre<CallLimits>) -> wasmtime::Result<P>,
    instantiate: fn(&P, &mut Store<CallLimits>) -> wasmtime::Result<W>,
) -> Pool<W>
where
    P: Send + Sync + 'static,
    W: 'static,
{
    let bytes: Arc<[u8]> = bytes.into();
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let code = Arc::clone(&bytes);
    let logged = sha256.clone();
    let compile: Compile<W> = Box::new(move |engine, cache| {
        let err = |source| RuntimeError::Load { component: name, source };
        let started = std::time::Instant::now();
        let (component, source) = match cache {
            Some(cache) => cache.component(engine, &code).map_err(err)?,
            None => (Component::new(engine, &code).map_err(err)?, Source::Compiled),
        };
        // Deny by default: the linker defines nothing, so a component that imports anything fails here.
        let linker = Linker::<CallLimits>::new(engine);
        let instance_pre = linker.instantiate_pre(&component).map_err(err)?;
        let pre = pre(instance_pre).map_err(err)?;
        let ms = started.elapsed().as_millis() as u64;
        let cached = source == Source::Hit;
        tracing::info!(component = name, sha256 = %logged, bytes = code.len(), ms, cached, "component loaded");
        Ok(Box::new(move |store: &mut Store<CallLimits>| instantiate(&pre, store)) as Instantiate<W>)
    });
    Pool {
        info: ComponentInfo { name, bytes, sha256 },
        compile,
        compiled: OnceLock::new(),
        idle: Mutex::new(Vec::new()),
    }
}

impl Runtime {
    /// Builds the engine and compiles the built-in components (the bytes from `minyi-artifacts`), their
    /// compiled code reused from the cache the environment names ([`CodeCache::from_env`]).
    pub fn new(config: RuntimeConfig) -> Result<Self, RuntimeError> {
        Self::with_cache(config, CodeCache::from_env().as_ref())
    }

    /// [`Runtime::new`] with the given cache, or none (every component compiled now).
    pub fn with_cache(config: RuntimeConfig, cache: Option<&CodeCache>) -> Result<Self, RuntimeError> {
        let rt = Self::lazy_with(config, Components::built_in(), cache.cloned())?;
        rt.warm()?;
        Ok(rt)
    }

    /// The built-in components, each compiled (or read from the environment's code cache) only when a
    /// call first needs it: what a one-shot command uses, so `minyi validate` never compiles the router
    /// or the scorer. A component that does not compile fails its first call with
    /// [`RuntimeError::Load`].
    pub fn lazy(config: RuntimeConfig) -> Result<Self, RuntimeError> {
        Self::lazy_with(config, Components::built_in(), CodeCache::from_env())
    }

    /// Builds the engine and compiles the given component bytes (through the environment's cache).
    pub fn with_components(config: RuntimeConfig, components: Components<'_>) -> Result<Self, RuntimeError> {
        let rt = Self::lazy_with(config, components, CodeCache::from_env())?;
        rt.warm()?;
        Ok(rt)
    }

    fn lazy_with(
        config: RuntimeConfig,
        Components { validator, router, scorer, classifier }: Components<'_>,
        cache: Option<CodeCache>,
    ) -> Result<Self, RuntimeError> {
        let settings = EngineSettings {
            max_instances: config.max_instances,
            max_memory_bytes: config.memory_cap,
            decommit_batch: 1,
            deadlines: true,
            fuel: false,
        };
        let engine = sandbox::engine(settings).map_err(RuntimeError::Engine)?;
        sandbox::tick(&engine, "runtime");
        Ok(Self {
            validator: pool("validator", validator, ValidatorPre::new, |p, s| p.instantiate(s)),
            router: pool("router", router, RouterInstance::pre, RouterInstance::instantiate),
            scorer: pool("scorer", scorer, ScorerPre::new, |p, s| p.instantiate(s)),
            classifier: pool("classifier", classifier, ClassifierPre::new, |p, s| p.instantiate(s)),
            engine,
            cache,
            config,
        })
    }

    /// Compiles every component not compiled yet: a service does it before it takes requests, so
    /// no request waits for Cranelift and a component that does not compile stops it at start.
    pub fn warm(&self) -> Result<(), RuntimeError> {
        self.compiled(&self.validator)?;
        self.compiled(&self.router)?;
        self.compiled(&self.scorer)?;
        self.compiled(&self.classifier)?;
        Ok(())
    }

    /// Which components are compiled now, by name.
    pub fn compiled_components(&self) -> Vec<&'static str> {
        let done = |ready: bool, name| ready.then_some(name);
        [
            done(self.validator.compiled.get().is_some(), self.validator.info.name),
            done(self.router.compiled.get().is_some(), self.router.info.name),
            done(self.scorer.compiled.get().is_some(), self.scorer.info.name),
            done(self.classifier.compiled.get().is_some(), self.classifier.info.name),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// How to instantiate `pool`'s component, compiling it first if no call has yet. Two threads that
    /// arrive together may both compile; one result is kept.
    pub(crate) fn compiled<'a, W>(&self, pool: &'a Pool<W>) -> Result<&'a Instantiate<W>, RuntimeError> {
        if let Some(ready) = pool.compiled.get() {
            return Ok(ready);
        }
        let fresh = (pool.compile)(&self.engine, self.cache.as_ref())?;
        Ok(pool.compiled.get_or_init(|| fresh))
    }

    /// A new instance of `pool`'s component in `store`.
    pub(crate) fn instance<W>(&self, pool: &Pool<W>, store: &mut Store<CallLimits>) -> Result<W, RuntimeError> {
        let instantiate = self.compiled(pool)?;
        instantiate(store).map_err(|e| self.classify(pool.info.name, store, e))
    }

    /// The limits in force.
    pub fn config(&self) -> RuntimeConfig {
        self.config
    }

    /// Every loaded component.
    pub fn components(&self) -> [&ComponentInfo; 4] {
        [&self.validator.info, &self.router.info, &self.scorer.info, &self.classifier.info]
    }

    /// A loaded component by name.
    pub fn component(&self, name: &str) -> Option<&ComponentInfo> {
        self.components().into_iter().find(|c| c.name == name)
    }

    /// A new store under the memory cap, whose calls trap at their deadline.
    pub(crate) fn store(&self) -> Store<CallLimits> {
        let mut store = Store::new(&self.engine, CallLimits::new(self.config.memory_cap));
        store.limiter(|limits| limits);
        store.epoch_deadline_trap();
        self.arm(&mut store);
        store
    }

    /// Clears what the last call left in `store` and starts the next call's deadline from now.
    pub(crate) fn arm(&self, store: &mut Store<CallLimits>) {
        store.data_mut().refused_memory = None;
        store.set_epoch_deadline(sandbox::deadline_ticks(self.config.deadline));
    }

    /// Runs `f` on a warm instance (or a new one) under a fresh deadline; a failed instance is dropped.
    fn call<W, R>(
        &self,
        pool: &Pool<W>,
        f: impl FnOnce(&mut Store<CallLimits>, &W) -> wasmtime::Result<R>,
    ) -> Result<R, RuntimeError> {
        let component = pool.info.name;
        let warm = pool.idle.lock().map(|mut idle| idle.pop()).unwrap_or(None);
        let (mut store, instance) = match warm {
            Some(warm) => warm,
            None => {
                let mut store = self.store();
                let instance = self.instance(pool, &mut store)?;
                (store, instance)
            }
        };
        self.arm(&mut store);
        match f(&mut store, &instance) {
            Ok(out) => {
                if let Ok(mut idle) = pool.idle.lock()
                    && idle.len() < IDLE_PER_COMPONENT
                {
                    idle.push((store, instance));
                }
                Ok(out)
            }
            Err(e) => Err(self.classify(component, &store, e)),
        }
    }

    pub(crate) fn classify(
        &self,
        component: &'static str,
        store: &Store<CallLimits>,
        e: wasmtime::Error,
    ) -> RuntimeError {
        let err = match sandbox::classify(&e, store.data()) {
            Stopped::Deadline => RuntimeError::Deadline { component, ms: self.config.deadline.as_millis() as u64 },
            Stopped::MemoryCap { requested, cap } => RuntimeError::MemoryCap { component, requested, cap },
            Stopped::Trap(trap) => RuntimeError::Trap { component, trap },
            // The engine meters no fuel, so this cannot happen; it is a trap like any other if it does.
            Stopped::OutOfFuel => RuntimeError::Trap { component, trap: "out of fuel".into() },
        };
        tracing::warn!(component, error = %err, "component call failed");
        err
    }

    /// Instantiates a component in a new store and drops both: the cold-start cost, for benchmarks.
    pub fn instantiate(&self, name: &str) -> Result<(), RuntimeError> {
        fn cold<W>(rt: &Runtime, pool: &Pool<W>) -> Result<(), RuntimeError> {
            let mut store = rt.store();
            rt.instance(pool, &mut store).map(drop)
        }
        match name {
            "validator" => cold(self, &self.validator),
            "router" => cold(self, &self.router),
            "classifier" => cold(self, &self.classifier),
            _ => cold(self, &self.scorer),
        }
    }

    /// `validation.validate`.
    pub fn validate(&self, form: &CaseForm, now: &str) -> Result<ValidationResult, CallError> {
        let out =
            self.call(&self.validator, |s, i| i.minyi_casework_validation().call_validate(s, form, &now.to_owned()))?;
        out.map_err(input)
    }

    /// `validation.validate-field`.
    pub fn validate_field(&self, field: &str, value: &str) -> Result<Vec<Issue>, RuntimeError> {
        self.call(&self.validator, |s, i| i.minyi_casework_validation().call_validate_field(s, field, value))
    }

    /// `validation.validate-json`: a case-form document in, a validation-result document out.
    pub fn validate_json(&self, form_json: &str, now: &str) -> Result<String, CallError> {
        let out = self.call(&self.validator, |s, i| {
            i.minyi_casework_validation().call_validate_json(s, form_json, &now.to_owned())
        })?;
        out.map_err(input)
    }

    /// `validation.check-schema`.
    pub fn check_schema(&self, schema: &str) -> Result<Vec<SchemaError>, RuntimeError> {
        self.call(&self.validator, |s, i| i.minyi_casework_validation().call_check_schema(s, schema))
    }

    /// `validation.validate-with-schema`.
    pub fn validate_with_schema(
        &self,
        schema: &str,
        form: &CaseForm,
        now: &str,
    ) -> Result<ValidationResult, CallError> {
        let now = now.to_owned();
        let out = self.call(&self.validator, |s, i| {
            i.minyi_casework_validation().call_validate_with_schema(s, schema, form, &now)
        })?;
        out.map_err(input)
    }

    /// `validation.validate-json-with-schema`.
    pub fn validate_json_with_schema(&self, schema: &str, form_json: &str, now: &str) -> Result<String, CallError> {
        let now = now.to_owned();
        let out = self.call(&self.validator, |s, i| {
            i.minyi_casework_validation().call_validate_json_with_schema(s, schema, form_json, &now)
        })?;
        out.map_err(input)
    }

    /// `routing.check-rules`.
    pub fn check_rules(&self, rules: &str) -> Result<Vec<RuleError>, RuntimeError> {
        self.call(&self.router, |s, i| i.router.minyi_casework_routing().call_check_rules(s, rules))
    }

    /// `routing.route-once-json`: compiles the rule set and routes one case-form document.
    pub fn route_once_json(&self, rules: &str, form_json: &str, context: CaseContext) -> Result<String, CallError> {
        let out = self.call(&self.router, |s, i| {
            i.router.minyi_casework_routing().call_route_once_json(s, rules, form_json, context)
        })?;
        out.map_err(input)
    }

    /// `routing.rule-set.compile`: the rule set compiled inside a router instance kept for it alone.
    /// `Ok(Err(diagnostics))` when the rule set has errors.
    pub fn compile_rules(&self, source: &str) -> Result<Result<CompiledRules<'_>, Vec<RuleError>>, RuntimeError> {
        compile_rules_with(RuntimeRef::Borrowed(self), source)
    }

    /// [`Runtime::compile_rules`] for a shared runtime: the compiled rule set keeps the runtime alive, so
    /// it can live in a server's state.
    pub fn compile_rules_shared(
        self: &Arc<Self>,
        source: &str,
    ) -> Result<Result<CompiledRules<'static>, Vec<RuleError>>, RuntimeError> {
        compile_rules_with(RuntimeRef::Shared(Arc::clone(self)), source)
    }

    fn compile_rules_in(&self, source: &str) -> Result<Result<RulesSlot, Vec<RuleError>>, RuntimeError> {
        let component = self.router.info.name;
        let mut store = self.store();
        let instance = self.instance(&self.router, &mut store)?;
        let compiled = instance
            .router
            .minyi_casework_routing()
            .rule_set()
            .call_compile(&mut store, source)
            .map_err(|e| self.classify(component, &store, e))?;
        Ok(compiled.map(|handle| (store, instance, handle)))
    }

    /// `scoring.default-config`.
    pub fn default_score_config(&self) -> Result<ScoreConfig, RuntimeError> {
        self.call(&self.scorer, |s, i| i.minyi_casework_scoring().call_default_config(s))
    }

    /// `scoring.score`.
    pub fn score(&self, callbacks: &[Callback], config: ScoreConfig) -> Result<Vec<UnitScore>, RuntimeError> {
        self.call(&self.scorer, |s, i| i.minyi_casework_scoring().call_score(s, callbacks, config))
    }

    /// `scoring.assess-json`: one case's events in, its assessment document out.
    pub fn assess_json(&self, case_events: &str, config_json: &str, as_of: Option<&str>) -> Result<String, CallError> {
        let out = self.call(&self.scorer, |s, i| {
            i.minyi_casework_scoring().call_assess_json(s, case_events, config_json, as_of)
        })?;
        out.map_err(input)
    }

    /// `scoring.score-json`: a callbacks array and a config document in, a unit-score array out.
    pub fn score_json(&self, callbacks_json: &str, config_json: &str) -> Result<String, CallError> {
        let out =
            self.call(&self.scorer, |s, i| i.minyi_casework_scoring().call_score_json(s, callbacks_json, config_json))?;
        out.map_err(input)
    }
}

type RulesSlot = Kept<RouterInstance>;

/// A router instance: `minyi:casework`'s router world, and `minyi:router/context-routing` when the
/// component exports it (a router built before it existed, kept for replay, does not).
pub(crate) struct RouterInstance {
    router: Router,
    context: Option<context_routing::Guest>,
}

/// What instantiating a router needs, looked up once per component.
pub(crate) struct RouterInstancePre {
    router: RouterPre<CallLimits>,
    context: Option<context_routing::GuestIndices>,
}

impl RouterInstance {
    fn pre(instance_pre: wasmtime::component::InstancePre<CallLimits>) -> wasmtime::Result<RouterInstancePre> {
        let context = context_routing::GuestIndices::new(&instance_pre).ok();
        Ok(RouterInstancePre { router: RouterPre::new(instance_pre)?, context })
    }

    fn instantiate(pre: &RouterInstancePre, store: &mut Store<CallLimits>) -> wasmtime::Result<RouterInstance> {
        let instance = pre.router.instance_pre().instantiate(&mut *store)?;
        let router = Router::new(&mut *store, &instance)?;
        let context = pre.context.as_ref().map(|c| c.load(&mut *store, &instance)).transpose()?;
        Ok(RouterInstance { router, context })
    }
}

/// A component instance kept across calls for one resource: its store, its bindings, the resource.
pub(crate) type Kept<W> = (Store<CallLimits>, W, ResourceAny);

impl Runtime {
    /// Runs `f` on a kept instance under a fresh deadline, the memory flag cleared; puts the instance back
    /// into `slot` when the call succeeds and drops it when it fails (a failed instance is never reused).
    pub(crate) fn run_kept<W, R>(
        &self,
        component: &'static str,
        slot: &mut Option<Kept<W>>,
        (mut store, instance, handle): Kept<W>,
        f: impl FnOnce(&mut Store<CallLimits>, &W, ResourceAny) -> wasmtime::Result<R>,
    ) -> Result<R, RuntimeError> {
        self.arm(&mut store);
        match f(&mut store, &instance, handle) {
            Ok(out) => {
                *slot = Some((store, instance, handle));
                Ok(out)
            }
            Err(e) => Err(self.classify(component, &store, e)),
        }
    }
}

/// The runtime a compiled rule set or a loaded model belongs to: borrowed, or shared when it must
/// outlive a scope.
pub(crate) enum RuntimeRef<'rt> {
    Borrowed(&'rt Runtime),
    Shared(Arc<Runtime>),
}

impl std::ops::Deref for RuntimeRef<'_> {
    type Target = Runtime;

    fn deref(&self) -> &Runtime {
        match self {
            RuntimeRef::Borrowed(rt) => rt,
            RuntimeRef::Shared(rt) => rt,
        }
    }
}

fn compile_rules_with<'rt>(
    runtime: RuntimeRef<'rt>,
    source: &str,
) -> Result<Result<CompiledRules<'rt>, Vec<RuleError>>, RuntimeError> {
    let rt: &Runtime = &runtime;
    match rt.compile_rules_in(source)? {
        Ok((mut store, instance, handle)) => {
            let component = rt.router.info.name;
            let api = instance.router.minyi_casework_routing().rule_set();
            let meta = (|| -> wasmtime::Result<_> {
                Ok((
                    api.call_name(&mut store, handle)?,
                    api.call_rule_count(&mut store, handle)?,
                    api.call_warnings(&mut store, handle)?,
                ))
            })();
            let (name, rule_count, warnings) = meta.map_err(|e| rt.classify(component, &store, e))?;
            Ok(Ok(CompiledRules {
                runtime,
                source: source.to_owned(),
                sha256: hex::encode(Sha256::digest(source.as_bytes())),
                name,
                rule_count,
                warnings,
                slot: Mutex::new(Some((store, instance, handle))),
            }))
        }
        Err(errors) => Ok(Err(errors)),
    }
}

/// A rule set compiled inside its own router instance: compile once, route many (the component's
/// `rule-set` resource). Calls are serialised; each gets a fresh deadline. If a call fails, the instance is
/// dropped and the next call compiles the rule set again in a new one.
pub struct CompiledRules<'rt> {
    runtime: RuntimeRef<'rt>,
    source: String,
    sha256: String,
    name: String,
    rule_count: u32,
    warnings: Vec<RuleError>,
    slot: Mutex<Option<RulesSlot>>,
}

impl std::fmt::Debug for CompiledRules<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledRules").field("name", &self.name).field("rule_count", &self.rule_count).finish()
    }
}

impl CompiledRules<'_> {
    /// The rule set's source, as compiled.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Lower-case hex SHA-256 of the source: what a recorded routing decision names.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The router component the rule set runs in.
    pub fn router(&self) -> &ComponentInfo {
        &self.runtime.router.info
    }

    /// The rule set's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of rules.
    pub fn rule_count(&self) -> u32 {
        self.rule_count
    }

    /// Warnings found at load.
    pub fn warnings(&self) -> &[RuleError] {
        &self.warnings
    }

    fn with<R>(
        &self,
        f: impl FnOnce(&mut Store<CallLimits>, &RouterInstance, ResourceAny) -> wasmtime::Result<R>,
    ) -> Result<R, RuntimeError> {
        let rt: &Runtime = &self.runtime;
        let component = rt.router.info.name;
        let mut guard = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        let (store, instance, handle) = match guard.take() {
            Some(slot) => slot,
            None => match rt.compile_rules_in(&self.source)? {
                Ok(slot) => slot,
                Err(errors) => {
                    let first = errors.first().map(|e| e.message.clone()).unwrap_or_default();
                    return Err(RuntimeError::Lost {
                        component,
                        what: "the compiled rule set",
                        reason: format!("it no longer compiles: {first}"),
                    });
                }
            },
        };
        rt.run_kept(component, &mut guard, (store, instance, handle), f)
    }

    /// `rule-set.route`.
    pub fn route(&self, form: &CaseForm, context: CaseContext) -> Result<RoutingDecision, CallError> {
        let out = self.with(|s, i, h| i.router.minyi_casework_routing().rule_set().call_route(s, h, form, context))?;
        out.map_err(input)
    }

    /// `rule-set.route-json`: a case-form document in, a routing-decision document out.
    pub fn route_json(&self, form_json: &str, context: CaseContext) -> Result<String, CallError> {
        let out = self
            .with(|s, i, h| i.router.minyi_casework_routing().rule_set().call_route_json(s, h, form_json, context))?;
        out.map_err(input)
    }

    /// `context-routing.route-with-context-json`: `route_json` with the whole context as a document,
    /// the classifier's suggestion included. A router component without that export (one built before
    /// it existed) answers with code `context.unsupported`.
    pub fn route_with_context_json(&self, form_json: &str, context_json: &str) -> Result<String, CallError> {
        let out = self.with(|s, i, h| match &i.context {
            Some(c) => c.call_route_with_context_json(s, h, form_json, context_json),
            None => Ok(Err(InputError {
                code: "context.unsupported".to_owned(),
                message: "this router component predates context routing (minyi:router/context-routing)".to_owned(),
            })),
        })?;
        out.map_err(input)
    }

    /// `rule-set.run-examples`.
    pub fn run_examples(&self) -> Result<Vec<ExampleOutcome>, RuntimeError> {
        self.with(|s, i, h| i.router.minyi_casework_routing().rule_set().call_run_examples(s, h))
    }
}

pub(crate) fn input(e: InputError) -> CallError {
    CallError::Input { code: e.code, message: e.message }
}
