//! The district plugin host: compiles a plugin component (refusing one that imports anything beyond the
//! granted capabilities or exports no hook), keeps one active plugin per district (swapped atomically:
//! in-flight calls finish on the version they started with), and runs every hook call in a fresh store
//! under the plugin's fuel, memory and output caps. A fault never fails the caller: the base result
//! stands, the fault is recorded, and repeated faults open the circuit breaker. A plugin whose language
//! runtime needs WASI (Python through componentize-py) gets an empty WASI 0.2 surface (`wasi.rs`).

mod breaker;
mod fault;
mod host;
mod wasi;

pub use breaker::BreakerPolicy;
pub use fault::{BreakerTrip, FaultRecord, PluginFault};
pub use host::Grants;

use crate::bindings::district_plugin::DistrictPlugin;
use crate::bindings::routing_plugin::RoutingPluginIndices;
use crate::bindings::scoring_plugin::ScoringPluginIndices;
use crate::bindings::types::{CaseForm, Exclusion, Issue, RoutingDecision};
use crate::bindings::validation_plugin::ValidationPluginIndices;
use crate::limits::{CallLimits, MemoryCapExceeded};
use breaker::Breaker;
use host::PluginState;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

/// Per-call limits of a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginLimits {
    /// Fuel per call (about one unit per wasm instruction).
    pub fuel: u64,
    /// Linear-memory cap, bytes.
    pub memory_bytes: usize,
    /// Output cap, bytes of returned text.
    pub output_bytes: usize,
}

impl Default for PluginLimits {
    /// 100 M fuel (≈ 0.1–0.3 s of work), 32 MiB of memory, 256 KiB of output.
    fn default() -> Self {
        Self { fuel: 100_000_000, memory_bytes: 32 << 20, output_bytes: 256 << 10 }
    }
}

/// The plugin host's own configuration.
#[derive(Debug, Clone, Copy)]
pub struct PluginHostConfig {
    /// The most a plugin may request.
    pub max_limits: PluginLimits,
    /// Plugin instances that may run at once (pooling allocator slots).
    pub max_instances: u32,
    /// The circuit breaker.
    pub breaker: BreakerPolicy,
    /// Instance slots whose memory is given back to the kernel in one batch (1: each at once). A
    /// fresh instance per call frees a slot per call; batching takes the `madvise` off most calls
    /// (measured in `benches/plugins.rs`: instantiate p50 7.7 → 3.7 µs, p99 13.7 → 8.6 µs at 16).
    pub decommit_batch: usize,
}

impl Default for PluginHostConfig {
    fn default() -> Self {
        Self {
            max_limits: PluginLimits { fuel: 2_000_000_000, memory_bytes: 256 << 20, output_bytes: 4 << 20 },
            max_instances: 64,
            breaker: BreakerPolicy::default(),
            decommit_batch: 16,
        }
    }
}

/// Why a plugin cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The engine could not be configured.
    #[error("cannot configure the plugin engine: {0:#}")]
    Engine(wasmtime::Error),
    /// Not a component, or it does not compile.
    #[error("not a loadable component: {0}")]
    Invalid(String),
    /// It imports something the host does not grant.
    #[error(
        "imports what the host does not grant ({imports}); a plugin may import only clock, log, district-config and directory (and, for a language runtime, WASI 0.2 cli, clocks, filesystem, io, random and sockets, which the host grants empty: no files, no environment, no network)"
    )]
    Imports {
        /// The refused imports.
        imports: String,
    },
    /// It exports none of the hooks.
    #[error("exports no hook (validation-hook, routing-hook or scoring-hook)")]
    NoHook,
    /// It asks for more than the host allows.
    #[error("requests {what} {requested}, over the host's maximum of {max}")]
    Limits {
        /// Which limit.
        what: &'static str,
        /// Requested.
        requested: u64,
        /// Allowed.
        max: u64,
    },
}

/// A plugin compiled and checked, ready to activate.
#[derive(Clone)]
pub struct CompiledPlugin {
    sha256: String,
    pre: InstancePre<PluginState>,
    validation: Option<ValidationPluginIndices>,
    routing: Option<RoutingPluginIndices>,
    scoring: Option<ScoringPluginIndices>,
}

impl std::fmt::Debug for CompiledPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledPlugin").field("sha256", &self.sha256).field("hooks", &self.hooks()).finish()
    }
}

impl CompiledPlugin {
    /// SHA-256 of the component bytes, hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The hooks it exports.
    pub fn hooks(&self) -> Vec<&'static str> {
        let mut hooks = Vec::new();
        if self.validation.is_some() {
            hooks.push("validation");
        }
        if self.routing.is_some() {
            hooks.push("routing");
        }
        if self.scoring.is_some() {
            hooks.push("scoring");
        }
        hooks
    }
}

/// What a district runs: a compiled plugin with its name, version, grants and limits.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// What the district grants it.
    pub grants: Grants,
    /// Its per-call limits.
    pub limits: PluginLimits,
}

/// Latency histogram bucket bounds, microseconds.
pub const LATENCY_BUCKETS_US: [u64; 10] = [10, 50, 100, 500, 1_000, 5_000, 10_000, 50_000, 100_000, 1_000_000];

/// Counters of one active plugin.
#[derive(Debug, Default)]
pub struct PluginMetrics {
    /// Calls made.
    pub calls: AtomicU64,
    /// Faults by kind, in `PluginFault::kind` order of first appearance.
    pub faults: Mutex<Vec<(&'static str, u64)>>,
    /// Latency histogram: counts per bucket of `LATENCY_BUCKETS_US`, plus the overflow bucket.
    pub latency: [AtomicU64; 11],
    /// Sum of latencies, microseconds.
    pub latency_sum_us: AtomicU64,
}

/// One district's active plugin.
struct Active {
    spec: PluginSpec,
    compiled: CompiledPlugin,
    grants: Arc<Grants>,
    breaker: Mutex<Breaker>,
    metrics: Arc<PluginMetrics>,
}

/// A hook's result: the value to use (the plugin's, or the base when it faulted or declined), whether
/// the plugin changed anything, the fault if one occurred, and the plugin's log lines.
#[derive(Debug, Clone, PartialEq)]
pub struct HookOutcome<T> {
    /// The value to use.
    pub value: T,
    /// The plugin's result was applied.
    pub applied: bool,
    /// The fault, when the plugin failed (the base value stands).
    pub fault: Option<PluginFault>,
    /// What the plugin logged during the call.
    pub log: Vec<String>,
}

impl<T> HookOutcome<T> {
    fn base(value: T) -> Self {
        Self { value, applied: false, fault: None, log: Vec::new() }
    }
}

/// A district's plugin as the admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginStatus {
    /// District.
    pub district: String,
    /// Plugin name.
    pub name: String,
    /// Version.
    pub version: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Hooks it exports.
    pub hooks: Vec<&'static str>,
    /// Why it is disabled, if it is.
    pub disabled: Option<String>,
    /// Calls made.
    pub calls: u64,
}

/// The plugin host.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<PluginState>,
    config: PluginHostConfig,
    active: RwLock<HashMap<String, Arc<Active>>>,
    faults: Mutex<VecDeque<FaultRecord>>,
    unsaved: Mutex<Unsaved>,
}

/// Faults and breaker trips not yet written to the registry's database.
#[derive(Debug, Default)]
struct Unsaved {
    faults: Vec<FaultRecord>,
    trips: Vec<BreakerTrip>,
    dropped: u64,
}

/// Most unsaved faults kept when nothing writes them down (a host without a registry); the oldest go.
const UNSAVED_KEPT: usize = 10_000;

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Fault records kept in memory for the admin (the newest).
const FAULTS_KEPT: usize = 1_000;

/// Interfaces a plugin may import.
const GRANTED: &[&str] = &[
    "minyi:casework/types@0.1.0",
    "minyi:casework/clock@0.1.0",
    "minyi:casework/log@0.1.0",
    "minyi:casework/district-config@0.1.0",
    "minyi:casework/directory@0.1.0",
];

/// Whether a plugin may import `name`: a granted Minyi capability, or an interface of the empty WASI
/// surface.
fn granted(name: &str) -> bool {
    GRANTED.contains(&name) || wasi::granted(name)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl PluginHost {
    /// A host with its own engine (fuel, pooling allocator sized for the largest plugin allowed) and a
    /// linker that defines exactly the granted capabilities.
    pub fn new(config: PluginHostConfig) -> Result<Self, PluginError> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(config.max_instances)
            .total_core_instances(config.max_instances)
            .total_memories(config.max_instances)
            .total_tables(config.max_instances)
            .max_memory_size(config.max_limits.memory_bytes)
            .decommit_batch_size(config.decommit_batch.max(1));
        let mut wasm = Config::new();
        wasm.consume_fuel(true).allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&wasm).map_err(PluginError::Engine)?;
        let mut linker = Linker::new(&engine);
        DistrictPlugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s).map_err(PluginError::Engine)?;
        // Defined for every plugin, reachable only through the interfaces `check` lets a plugin import.
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(PluginError::Engine)?;
        Ok(Self {
            engine,
            linker,
            config,
            active: RwLock::new(HashMap::new()),
            faults: Mutex::new(VecDeque::new()),
            unsaved: Mutex::new(Unsaved::default()),
        })
    }

    /// The host's configuration.
    pub fn config(&self) -> PluginHostConfig {
        self.config
    }

    /// Compiles and checks a plugin: a component, importing only the granted capabilities, exporting at
    /// least one hook.
    pub fn compile(&self, bytes: &[u8]) -> Result<CompiledPlugin, PluginError> {
        let component = Component::new(&self.engine, bytes).map_err(|e| PluginError::Invalid(format!("{e:#}")))?;
        self.check(component, hex::encode(Sha256::digest(bytes)))
    }

    /// The key of this host's engine configuration (wasmtime version, target, settings) under which a
    /// precompiled plugin may be reused.
    pub fn engine_key(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        format!("wasmtime-{:016x}", h.finish())
    }

    /// Compiles a plugin ahead of time for this engine configuration (a `.cwasm` artifact).
    pub fn precompile(&self, bytes: &[u8]) -> Result<Vec<u8>, PluginError> {
        self.engine.precompile_component(bytes).map_err(|e| PluginError::Invalid(format!("{e:#}")))
    }

    /// [`PluginHost::compile`] from an artifact of [`PluginHost::precompile`]: milliseconds instead of a
    /// compile.
    ///
    /// # Safety
    /// `cwasm` must be exactly what `precompile` returned on a host with the same [`PluginHost::engine_key`]
    /// (wasmtime trusts precompiled code); never bytes from anyone else.
    #[allow(unsafe_code)]
    pub unsafe fn compile_precompiled(&self, sha256: &str, cwasm: &[u8]) -> Result<CompiledPlugin, PluginError> {
        // SAFETY: the caller guarantees the artifact came from `precompile` under this engine key.
        let component = unsafe { Component::deserialize(&self.engine, cwasm) }
            .map_err(|e| PluginError::Invalid(format!("{e:#}")))?;
        self.check(component, sha256.to_owned())
    }

    fn check(&self, component: Component, sha256: String) -> Result<CompiledPlugin, PluginError> {
        let refused: Vec<String> = component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .filter(|name| !granted(name))
            .collect();
        if !refused.is_empty() {
            return Err(PluginError::Imports { imports: refused.join(", ") });
        }
        let pre =
            self.linker.instantiate_pre(&component).map_err(|e| PluginError::Imports { imports: format!("{e:#}") })?;
        let compiled = CompiledPlugin {
            sha256,
            validation: ValidationPluginIndices::new(&pre).ok(),
            routing: RoutingPluginIndices::new(&pre).ok(),
            scoring: ScoringPluginIndices::new(&pre).ok(),
            pre,
        };
        if compiled.hooks().is_empty() {
            return Err(PluginError::NoHook);
        }
        Ok(compiled)
    }

    /// Makes `compiled` the district's active plugin, atomically: calls already running finish on the
    /// version they started with, the next call uses this one. The breaker starts closed.
    pub fn activate(&self, compiled: CompiledPlugin, spec: PluginSpec) -> Result<(), PluginError> {
        if !Engine::same(compiled.pre.component().engine(), &self.engine) {
            return Err(PluginError::Invalid("compiled by another plugin host: compile it on this one".into()));
        }
        let max = self.config.max_limits;
        for (what, requested, allowed) in [
            ("fuel", spec.limits.fuel, max.fuel),
            ("memory_bytes", spec.limits.memory_bytes as u64, max.memory_bytes as u64),
            ("output_bytes", spec.limits.output_bytes as u64, max.output_bytes as u64),
        ] {
            if requested > allowed {
                return Err(PluginError::Limits { what, requested, max: allowed });
            }
        }
        let district = spec.grants.district.clone();
        let active = Arc::new(Active {
            grants: Arc::new(spec.grants.clone()),
            spec,
            compiled,
            breaker: Mutex::new(Breaker::default()),
            metrics: Arc::new(PluginMetrics::default()),
        });
        tracing::info!(
            district,
            plugin = active.spec.name,
            version = active.spec.version,
            sha256 = active.compiled.sha256,
            "plugin activated"
        );
        self.active.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(district, active);
        Ok(())
    }

    /// Removes the district's plugin; its hooks are no longer called.
    pub fn deactivate(&self, district: &str) -> bool {
        self.active.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(district).is_some()
    }

    /// Disables the district's plugin by hand (it stays loaded, its hooks are not called).
    pub fn disable(&self, district: &str, reason: &str) -> bool {
        match self.get(district) {
            Some(a) => {
                a.breaker.lock().unwrap_or_else(std::sync::PoisonError::into_inner).disable(reason.to_owned());
                true
            }
            None => false,
        }
    }

    fn get(&self, district: &str) -> Option<Arc<Active>> {
        self.active.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(district).cloned()
    }

    /// The district's plugin, as the admin sees it.
    pub fn status(&self, district: &str) -> Option<PluginStatus> {
        let a = self.get(district)?;
        let disabled =
            a.breaker.lock().unwrap_or_else(std::sync::PoisonError::into_inner).disabled().map(str::to_owned);
        Some(PluginStatus {
            district: district.to_owned(),
            name: a.spec.name.clone(),
            version: a.spec.version.clone(),
            sha256: a.compiled.sha256.clone(),
            hooks: a.compiled.hooks(),
            disabled,
            calls: a.metrics.calls.load(Ordering::Relaxed),
        })
    }

    /// Every active plugin with its metrics: (district, name, version, metrics).
    pub fn metrics(&self) -> Vec<(String, String, String, Arc<PluginMetrics>)> {
        let active = self.active.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out: Vec<_> = active
            .iter()
            .map(|(d, a)| (d.clone(), a.spec.name.clone(), a.spec.version.clone(), Arc::clone(&a.metrics)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The recorded faults of a district, newest last.
    pub fn faults(&self, district: &str) -> Vec<FaultRecord> {
        let faults = self.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        faults.iter().filter(|f| f.district == district).cloned().collect()
    }

    /// Runs one hook of the district's plugin in a fresh store; `None` when the district has no plugin
    /// with that hook (or it is disabled, which is reported as a fault without calling it).
    fn run<R>(
        &self,
        district: &str,
        hook: &'static str,
        case_id: Option<&str>,
        has_hook: impl Fn(&CompiledPlugin) -> bool,
        call: impl FnOnce(&mut Store<PluginState>, &CompiledPlugin, &wasmtime::component::Instance) -> wasmtime::Result<R>,
        size: impl FnOnce(&R) -> usize,
    ) -> Option<(Result<R, PluginFault>, Vec<String>)> {
        let active = self.get(district)?;
        if !has_hook(&active.compiled) {
            return None;
        }
        if let Some(reason) = active.breaker.lock().unwrap_or_else(std::sync::PoisonError::into_inner).disabled() {
            return Some((Err(PluginFault::Disabled { reason: reason.to_owned() }), Vec::new()));
        }
        let limits = active.spec.limits;
        let started = Instant::now();
        let (mut store, instance) = self.fresh_instance(&active);
        let result = instance.and_then(|instance| call(&mut store, &active.compiled, &instance));
        let outcome = match result {
            Ok(r) => {
                let bytes = size(&r);
                if bytes > limits.output_bytes {
                    Err(PluginFault::OutputTooLarge { bytes, cap: limits.output_bytes })
                } else {
                    Ok(r)
                }
            }
            Err(e) => Err(classify(&e, &store, limits)),
        };
        let elapsed = started.elapsed();
        self.observe(&active, elapsed);
        let log = store.data_mut().take_log();
        if let Err(fault) = &outcome {
            self.record(&active, hook, case_id, fault.clone());
        }
        Some((outcome, log))
    }

    fn observe(&self, active: &Active, elapsed: Duration) {
        let m = &active.metrics;
        m.calls.fetch_add(1, Ordering::Relaxed);
        let us = elapsed.as_micros() as u64;
        m.latency_sum_us.fetch_add(us, Ordering::Relaxed);
        let bucket = LATENCY_BUCKETS_US.iter().position(|&b| us <= b).unwrap_or(LATENCY_BUCKETS_US.len());
        m.latency[bucket].fetch_add(1, Ordering::Relaxed);
    }

    /// Records a fault (with the case), counts it, and lets the breaker decide.
    fn record(&self, active: &Active, hook: &'static str, case_id: Option<&str>, fault: PluginFault) {
        let district = active.spec.grants.district.clone();
        tracing::warn!(district, plugin = active.spec.name, version = active.spec.version, hook, case_id, %fault, "plugin fault; the base result stands");
        {
            let mut faults = active.metrics.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match faults.iter_mut().find(|(k, _)| *k == fault.kind()) {
                Some((_, n)) => *n += 1,
                None => faults.push((fault.kind(), 1)),
            }
        }
        let opened = active.breaker.lock().unwrap_or_else(std::sync::PoisonError::into_inner).fault(
            Instant::now(),
            &fault.to_string(),
            self.config.breaker,
        );
        let record = FaultRecord {
            district,
            plugin: active.spec.name.clone(),
            version: active.spec.version.clone(),
            hook,
            case_id: case_id.map(str::to_owned),
            at_ms: now_ms(),
            fault,
        };
        {
            let mut unsaved = self.unsaved.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if unsaved.faults.len() >= UNSAVED_KEPT {
                unsaved.faults.remove(0);
                unsaved.dropped += 1;
            }
            unsaved.faults.push(record.clone());
            if let Some(reason) = opened {
                tracing::error!(district = record.district, plugin = active.spec.name, "{reason}");
                unsaved.trips.push(BreakerTrip {
                    district: record.district.clone(),
                    name: active.spec.name.clone(),
                    version: active.spec.version.clone(),
                    sha256: active.compiled.sha256.clone(),
                    reason,
                });
            }
        }
        let mut faults = self.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if faults.len() >= FAULTS_KEPT {
            faults.pop_front();
        }
        faults.push_back(record);
    }

    /// The faults and breaker trips recorded since the last call, for the registry to write down with
    /// their cases (and to disable a tripped version for every host).
    pub fn take_unsaved(&self) -> (Vec<FaultRecord>, Vec<BreakerTrip>) {
        let mut unsaved = self.unsaved.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if unsaved.dropped > 0 {
            tracing::warn!(dropped = unsaved.dropped, "plugin faults dropped: nothing wrote them down in time");
            unsaved.dropped = 0;
        }
        (std::mem::take(&mut unsaved.faults), std::mem::take(&mut unsaved.trips))
    }

    /// Puts back what [`PluginHost::take_unsaved`] gave when writing it down failed, ahead of newer ones.
    pub fn return_unsaved(&self, mut faults: Vec<FaultRecord>, mut trips: Vec<BreakerTrip>) {
        let mut unsaved = self.unsaved.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        faults.append(&mut unsaved.faults);
        trips.append(&mut unsaved.trips);
        let over = faults.len().saturating_sub(UNSAVED_KEPT);
        faults.drain(..over);
        unsaved.dropped += over as u64;
        unsaved.faults = faults;
        unsaved.trips = trips;
    }

    /// Instantiates the district's plugin in a fresh store and drops it, calling nothing: the per-call
    /// set-up cost, for benchmarks and health checks. `None` when the district has no plugin.
    pub fn instantiate(&self, district: &str) -> Option<Result<(), PluginFault>> {
        let active = self.get(district)?;
        let (store, instance) = self.fresh_instance(&active);
        Some(instance.map(drop).map_err(|e| classify(&e, &store, active.spec.limits)))
    }

    /// A fresh store under the plugin's memory cap and fuel, and the plugin instantiated in it.
    fn fresh_instance(&self, active: &Active) -> (Store<PluginState>, wasmtime::Result<wasmtime::component::Instance>) {
        let limits = active.spec.limits;
        let state = PluginState {
            limits: CallLimits { memory_cap: limits.memory_bytes, refused_memory: None },
            grants: Arc::clone(&active.grants),
            plugin: active.spec.name.clone(),
            log: Vec::new(),
            wasi: None,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        let instance = store.set_fuel(limits.fuel).and_then(|()| active.compiled.pre.instantiate(&mut store));
        (store, instance)
    }

    /// The validation hook: extra issues for a form that passed the base validation.
    pub fn extra_issues(&self, district: &str, case_id: Option<&str>, form: &CaseForm) -> HookOutcome<Vec<Issue>> {
        let ran = self.run(
            district,
            "validation",
            case_id,
            |c| c.validation.is_some(),
            |store, c, instance| {
                let hooks = c
                    .validation
                    .as_ref()
                    .ok_or_else(|| wasmtime::Error::msg("no validation hook"))?
                    .load(&mut *store, instance)?;
                hooks.minyi_casework_validation_hook().call_extra_issues(store, form)
            },
            |issues| {
                issues
                    .iter()
                    .map(|i| i.field.len() + i.code.len() + i.message.zh_cn.len() + i.message.en.len() + 8)
                    .sum()
            },
        );
        match ran {
            None => HookOutcome::base(Vec::new()),
            Some((Ok(issues), log)) => HookOutcome { applied: !issues.is_empty(), value: issues, fault: None, log },
            Some((Err(fault), log)) => HookOutcome { value: Vec::new(), applied: false, fault: Some(fault), log },
        }
    }

    /// The routing hook: the base decision, amended or replaced when the plugin says so. A returned
    /// decision must explain itself: it must name at least one fired rule the base did not.
    pub fn amend_route(
        &self,
        district: &str,
        case_id: Option<&str>,
        form: &CaseForm,
        base: RoutingDecision,
    ) -> HookOutcome<RoutingDecision> {
        let ran = self.run(
            district,
            "routing",
            case_id,
            |c| c.routing.is_some(),
            |store, c, instance| {
                let hooks = c
                    .routing
                    .as_ref()
                    .ok_or_else(|| wasmtime::Error::msg("no routing hook"))?
                    .load(&mut *store, instance)?;
                hooks.minyi_casework_routing_hook().call_amend_route(store, form, &base)
            },
            |d| d.as_ref().map_or(0, decision_bytes),
        );
        match ran {
            None => HookOutcome::base(base),
            Some((Ok(None), log)) => HookOutcome { value: base, applied: false, fault: None, log },
            Some((Ok(Some(d)), log)) => {
                let is_new = |f: &crate::bindings::types::FiredRule| {
                    !base.explanation.fired.iter().any(|b| b.rule == f.rule && b.why == f.why)
                };
                let explains = d.explanation.fired.iter().any(|f| is_new(f) && !f.why.trim().is_empty());
                if explains {
                    HookOutcome { value: d, applied: true, fault: None, log }
                } else {
                    let fault = PluginFault::BadOutput {
                        reason:
                            "the amended decision names no new fired rule with a reason (a plugin must explain itself)"
                                .into(),
                    };
                    if let Some(active) = self.get(district) {
                        self.record(&active, "routing", case_id, fault.clone());
                    }
                    HookOutcome { value: base, applied: false, fault: Some(fault), log }
                }
            }
            Some((Err(fault), log)) => HookOutcome { value: base, applied: false, fault: Some(fault), log },
        }
    }

    /// The scoring hook: an exclusion the district's plugin wants for the case, given its events.
    pub fn review_case(
        &self,
        district: &str,
        case_id: Option<&str>,
        case_events: &str,
    ) -> HookOutcome<Option<Exclusion>> {
        let ran = self.run(
            district,
            "scoring",
            case_id,
            |c| c.scoring.is_some(),
            |store, c, instance| {
                let hooks = c
                    .scoring
                    .as_ref()
                    .ok_or_else(|| wasmtime::Error::msg("no scoring hook"))?
                    .load(&mut *store, instance)?;
                hooks.minyi_casework_scoring_hook().call_review_case(store, case_events)
            },
            |e| e.as_ref().map_or(0, |e| e.reviewer.len() + e.note.len()),
        );
        match ran {
            None => HookOutcome::base(None),
            Some((Ok(e), log)) => HookOutcome { applied: e.is_some(), value: e, fault: None, log },
            Some((Err(fault), log)) => HookOutcome { value: None, applied: false, fault: Some(fault), log },
        }
    }
}

fn decision_bytes(d: &RoutingDecision) -> usize {
    let strings = |v: &[String]| v.iter().map(|s| s.len() + 4).sum::<usize>();
    d.lead.len()
        + d.deadline.len()
        + strings(&d.co_handlers)
        + strings(&d.tags)
        + strings(&d.escalate)
        + d.explanation.fired.iter().map(|f| f.rule.len() + f.why.len()).sum::<usize>()
        + d.explanation.near_misses.iter().map(|n| n.rule.len() + n.failed.len()).sum::<usize>()
}

fn classify(e: &wasmtime::Error, store: &Store<PluginState>, limits: PluginLimits) -> PluginFault {
    if matches!(e.downcast_ref::<Trap>(), Some(Trap::OutOfFuel)) {
        PluginFault::OutOfFuel { fuel: limits.fuel }
    } else if let Some(m) = e.downcast_ref::<MemoryCapExceeded>() {
        PluginFault::MemoryCap { requested: m.requested, cap: m.cap }
    } else if let Some(requested) = store.data().limits.refused_memory {
        PluginFault::MemoryCap { requested, cap: limits.memory_bytes }
    } else {
        PluginFault::Trap { trap: format!("{e:#}") }
    }
}
