//! The plugin host itself: its engine and linker, and one active plugin per district, swapped
//! atomically (an `Arc` replaced under a write lock: calls in flight finish on their version).

use crate::breaker::Breaker;
use crate::capabilities::{Grants, PluginState};
use crate::compile::{CompiledPlugin, Hook};
use crate::config::{PluginHostConfig, PluginLimits};
use crate::faults::{FaultRecord, PluginFault, Unsaved};
use crate::metrics::PluginMetrics;
use crate::sync::{lock, read, write};
use minyi_runtime::CodeCache;
use minyi_runtime::bindings::district_plugin::DistrictPlugin;
use minyi_runtime::sandbox::{self, CallLimits, EngineSettings, Stopped};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Engine, Store};

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
    /// A precompiled artifact could not be loaded (a different wasmtime, target or engine settings).
    #[error("the precompiled plugin does not load on this host: {0}")]
    Precompiled(String),
    /// It was compiled by another plugin host (another engine): compile it on this one.
    #[error("compiled by another plugin host: compile it on this one")]
    OtherHost,
    /// It exports none of the hooks.
    #[error("exports no hook (validation-hook, routing-hook or scoring-hook)")]
    NoHook,
    /// It asks for more than the host allows.
    #[error("requests {what} {requested}, over the host's maximum of {max}")]
    Limits {
        /// Which limit.
        what: &'static str,
        /// What the manifest asks for.
        requested: u64,
        /// The host's maximum.
        max: u64,
    },
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

/// One district's active plugin.
pub(crate) struct Active {
    pub(crate) spec: PluginSpec,
    pub(crate) compiled: CompiledPlugin,
    pub(crate) grants: Arc<Grants>,
    pub(crate) breaker: Mutex<Breaker>,
    pub(crate) metrics: Arc<PluginMetrics>,
}

/// A district's plugin as the admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PluginStatus {
    /// The district code the plugin serves.
    pub district: String,
    /// Plugin name.
    pub name: String,
    /// The active version.
    pub version: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Hooks it exports.
    pub hooks: Vec<Hook>,
    /// The interfaces it imports.
    pub imports: Vec<String>,
    /// Its validation hook runs in the citizen's browser too (see `CompiledPlugin::runs_in_browser`);
    /// false for a server-only plugin, e.g. one in Python.
    pub in_browser: bool,
    /// Why it is disabled, if it is.
    pub disabled: Option<String>,
    /// Calls made.
    pub calls: u64,
}

/// The plugin host.
pub struct PluginHost {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<PluginState>,
    pub(crate) config: PluginHostConfig,
    pub(crate) active: RwLock<HashMap<String, Arc<Active>>>,
    pub(crate) faults: Mutex<VecDeque<FaultRecord>>,
    pub(crate) unsaved: Mutex<Unsaved>,
    /// Where compiled plugins are kept between processes (see [`minyi_runtime::cache`]).
    pub(crate) cache: Option<CodeCache>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost").field("config", &self.config).finish_non_exhaustive()
    }
}

impl PluginHost {
    /// A host with its own engine (fuel, pooling allocator sized for the largest plugin allowed) and a
    /// linker that defines exactly the granted capabilities.
    pub fn new(config: PluginHostConfig) -> Result<Self, PluginError> {
        let engine = sandbox::engine(EngineSettings {
            max_instances: config.max_instances,
            max_memory_bytes: config.max_limits.memory_bytes,
            decommit_batch: config.decommit_batch,
            deadlines: true,
            fuel: true,
        })
        .map_err(PluginError::Engine)?;
        sandbox::tick(&engine, "plugin");
        let mut linker = Linker::new(&engine);
        DistrictPlugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s).map_err(PluginError::Engine)?;
        // Defined for every plugin, reachable only through the interfaces `check` lets a plugin import.
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(PluginError::Engine)?;
        crate::wasi::bound_sleeps(&mut linker).map_err(PluginError::Engine)?;
        Ok(Self {
            engine,
            linker,
            config,
            active: RwLock::new(HashMap::new()),
            faults: Mutex::new(VecDeque::new()),
            unsaved: Mutex::new(Unsaved::default()),
            cache: CodeCache::from_env(),
        })
    }

    /// The host with `cache` for compiled plugins instead of the environment's (none: every plugin is
    /// compiled when loaded).
    pub fn with_cache(mut self, cache: Option<CodeCache>) -> Self {
        self.cache = cache;
        self
    }

    /// The host's configuration.
    pub fn config(&self) -> PluginHostConfig {
        self.config
    }

    /// Makes `compiled` the district's active plugin, atomically: calls already running finish on the
    /// version they started with, the next call uses this one. The breaker starts closed.
    pub fn activate(&self, compiled: CompiledPlugin, spec: PluginSpec) -> Result<(), PluginError> {
        if !Engine::same(compiled.pre.component().engine(), &self.engine) {
            return Err(PluginError::OtherHost);
        }
        self.config.max_limits.admit(&spec.limits).map_err(|(what, requested, max)| PluginError::Limits {
            what,
            requested,
            max,
        })?;
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
        write(&self.active).insert(district, active);
        Ok(())
    }

    /// Removes the district's plugin; its hooks are no longer called.
    pub fn deactivate(&self, district: &str) -> bool {
        write(&self.active).remove(district).is_some()
    }

    /// Disables the district's plugin by hand (it stays loaded, its hooks are not called).
    pub fn disable(&self, district: &str, reason: &str) -> bool {
        match self.get(district) {
            Some(a) => {
                lock(&a.breaker).disable(reason.to_owned());
                true
            }
            None => false,
        }
    }

    pub(crate) fn get(&self, district: &str) -> Option<Arc<Active>> {
        read(&self.active).get(district).cloned()
    }

    /// The district's plugin, as the admin sees it.
    pub fn status(&self, district: &str) -> Option<PluginStatus> {
        let a = self.get(district)?;
        let disabled = lock(&a.breaker).disabled().map(str::to_owned);
        Some(PluginStatus {
            district: district.to_owned(),
            name: a.spec.name.clone(),
            version: a.spec.version.clone(),
            sha256: a.compiled.sha256.clone(),
            hooks: a.compiled.hooks(),
            imports: a.compiled.imports.clone(),
            in_browser: a.compiled.runs_in_browser(),
            disabled,
            calls: a.metrics.calls.load(Ordering::Relaxed),
        })
    }

    /// What the district grants its active plugin.
    pub fn grants(&self, district: &str) -> Option<Arc<Grants>> {
        self.get(district).map(|a| Arc::clone(&a.grants))
    }

    /// Whether the district's active plugin exports `hook`.
    pub fn has_hook(&self, district: &str, hook: Hook) -> bool {
        self.get(district).is_some_and(|a| a.compiled.has(hook))
    }

    /// Instantiates the district's plugin in a fresh store and drops it, calling nothing: the per-call
    /// set-up cost, for benchmarks and health checks. `None` when the district has no plugin.
    pub fn instantiate(&self, district: &str) -> Option<Result<(), PluginFault>> {
        let active = self.get(district)?;
        let (store, instance) = self.fresh_instance(&active);
        Some(instance.map(drop).map_err(|e| classify(&e, &store, active.spec.limits, self.config.call_deadline)))
    }

    /// A fresh store under the plugin's memory cap and fuel, and the plugin instantiated in it.
    pub(crate) fn fresh_instance(
        &self,
        active: &Active,
    ) -> (Store<PluginState>, wasmtime::Result<wasmtime::component::Instance>) {
        let limits = active.spec.limits;
        let state = PluginState {
            limits: CallLimits::new(limits.memory_bytes),
            grants: Arc::clone(&active.grants),
            plugin: active.spec.name.clone(),
            log: Vec::new(),
            wasi: None,
            deadline: Instant::now() + self.config.call_deadline,
            log_dropped: 0,
            clock_reads: Vec::new(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        // The epoch ticks every `sandbox::TICK`: the call stops at the first check past its deadline.
        store.set_epoch_deadline(sandbox::deadline_ticks(self.config.call_deadline));
        store.epoch_deadline_trap();
        let instance = store.set_fuel(limits.fuel).and_then(|()| active.compiled.pre.instantiate(&mut store));
        (store, instance)
    }
}

/// The fault a failed call amounts to, by the shared classifier.
pub(crate) fn classify(
    e: &wasmtime::Error,
    store: &Store<PluginState>,
    limits: PluginLimits,
    deadline: std::time::Duration,
) -> PluginFault {
    if e.downcast_ref::<crate::wasi::PastDeadline>().is_some() {
        return PluginFault::Deadline { ms: deadline.as_millis() as u64 };
    }
    match sandbox::classify(e, &store.data().limits) {
        Stopped::Deadline => PluginFault::Deadline { ms: deadline.as_millis() as u64 },
        Stopped::OutOfFuel => PluginFault::OutOfFuel { fuel: limits.fuel },
        Stopped::MemoryCap { requested, cap } => PluginFault::MemoryCap { requested, cap },
        Stopped::Trap(trap) => PluginFault::Trap { trap },
    }
}
