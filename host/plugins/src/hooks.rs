//! The hooks: one call path (`run`) every hook takes — find the district's active plugin, skip it when
//! it lacks the hook or its breaker is open, instantiate it in a fresh store, call and lift the result
//! under the output cap, classify a failure, count, record — and the three hooks on top of it.

use crate::capabilities::PluginState;
use crate::compile::{CompiledPlugin, Hook};
use crate::faults::PluginFault;
use crate::host::{PluginHost, classify};
use crate::output::{self, List, OverCap};
use crate::sync::lock;
use minyi_runtime::bindings::types::{CaseForm, Exclusion, FiredRule, Issue, RoutingDecision};
use std::time::Instant;
use wasmtime::Store;
use wasmtime::component::Instance;

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
    /// Which version ran and what it read, when the district's plugin was called (or refused by its
    /// breaker): what a replay needs besides the arguments.
    pub call: Option<PluginCall>,
}

/// The plugin a hook call went to, and the inputs it took from the host rather than its arguments.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PluginCall {
    /// Plugin name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// SHA-256 of its component bytes.
    pub sha256: String,
    /// The district configuration it was granted.
    pub config: std::collections::BTreeMap<String, String>,
    /// What `clock.now` answered, in order.
    pub clock: Vec<String>,
    /// What the WASI wall clock answered (nanoseconds since the Unix epoch), in order: a language
    /// runtime's `time.time()`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wasi_clock: Vec<u64>,
}

/// What `run` gives back when the district's plugin has the hook: its result or fault, its log, and
/// the call's record.
type Ran<R> = Option<(Result<R, PluginFault>, Vec<String>, PluginCall)>;

impl<T> HookOutcome<T> {
    /// The outcome of `ran`: the base value when nothing ran or the plugin faulted; else `apply` makes
    /// the value from the plugin's result (and says whether it changed anything).
    fn of<R>(ran: Ran<R>, base: T, apply: impl FnOnce(R, T) -> (T, bool)) -> Self {
        match ran {
            None => Self { value: base, applied: false, fault: None, log: Vec::new(), call: None },
            Some((Ok(r), log, call)) => {
                let (value, applied) = apply(r, base);
                Self { value, applied, fault: None, log, call: Some(call) }
            }
            Some((Err(fault), log, call)) => {
                Self { value: base, applied: false, fault: Some(fault), log, call: Some(call) }
            }
        }
    }
}

impl PluginHost {
    /// Runs `hook` of the district's plugin in a fresh store; `None` when the district has no plugin
    /// with that hook (a disabled one is reported as a fault without calling it).
    fn run<R>(
        &self,
        district: &str,
        hook: Hook,
        case_id: Option<&str>,
        call: impl FnOnce(&mut Store<PluginState>, &CompiledPlugin, &Instance) -> wasmtime::Result<R>,
    ) -> Ran<R> {
        let active = self.get(district)?;
        if !active.compiled.has(hook) {
            return None;
        }
        let mut record = PluginCall {
            name: active.spec.name.clone(),
            version: active.spec.version.clone(),
            sha256: active.compiled.sha256.clone(),
            config: active.grants.config.clone(),
            clock: Vec::new(),
            wasi_clock: Vec::new(),
        };
        if let Some(reason) = lock(&active.breaker).disabled() {
            return Some((Err(PluginFault::Disabled { reason: reason.to_owned() }), Vec::new(), record));
        }
        let limits = active.spec.limits;
        let started = Instant::now();
        let (mut store, instance) = self.fresh_instance(&active);
        // Every slot of the pool taken is the host's load, not the plugin's doing.
        let instance = match instance {
            Err(e) if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() => {
                tracing::warn!(district, plugin = active.spec.name, %hook, error = %e, "plugin not run: host busy");
                let reason = format!("every plugin instance slot of this host is busy ({e})");
                return Some((Err(PluginFault::NotRun { reason }), Vec::new(), record));
            }
            other => other,
        };
        // The result is lifted (copied out of the plugin's memory) inside the call, charged as it goes.
        let called = output::capped(limits.output_bytes, || {
            instance.and_then(|instance| call(&mut store, &active.compiled, &instance))
        });
        let outcome = called.map_err(|e| match e.downcast_ref::<OverCap>() {
            Some(over) => PluginFault::OutputTooLarge { bytes: over.bytes, cap: over.cap },
            None => classify(&e, &store, limits, self.config.call_deadline),
        });
        active.metrics.observe(started.elapsed());
        let log = store.data_mut().take_log();
        record.clock = std::mem::take(&mut store.data_mut().clock_reads);
        record.wasi_clock = store.data().wasi.as_ref().map(crate::wasi::EmptyWasi::wall_reads).unwrap_or_default();
        if let Err(fault) = &outcome {
            self.record(&active, hook, case_id, fault.clone());
        }
        Some((outcome, log, record))
    }

    /// The validation hook: extra issues for a form that passed the base validation.
    pub fn extra_issues(&self, district: &str, case_id: Option<&str>, form: &CaseForm) -> HookOutcome<Vec<Issue>> {
        let ran = self.run(district, Hook::Validation, case_id, |store, c, instance| {
            let f = c.export(Hook::Validation).ok_or_else(|| missing(Hook::Validation))?;
            let f = instance.get_typed_func::<(&CaseForm,), (List<output::Issue>,)>(&mut *store, f)?;
            Ok(f.call(&mut *store, (form,))?.0)
        });
        HookOutcome::of(ran, Vec::new(), |issues, _| {
            let issues: Vec<Issue> = issues.0.into_iter().map(Issue::from).collect();
            let applied = !issues.is_empty();
            (issues, applied)
        })
    }

    /// The routing hook: the base decision, amended or replaced when the plugin says so. A returned
    /// decision must explain itself: it must name at least one fired rule the base did not, with a reason.
    pub fn amend_route(
        &self,
        district: &str,
        case_id: Option<&str>,
        form: &CaseForm,
        base: RoutingDecision,
    ) -> HookOutcome<RoutingDecision> {
        let ran = self.run(district, Hook::Routing, case_id, |store, c, instance| {
            let f = c.export(Hook::Routing).ok_or_else(|| missing(Hook::Routing))?;
            let f = instance
                .get_typed_func::<(&CaseForm, &RoutingDecision), (Option<output::RoutingDecision>,)>(&mut *store, f)?;
            Ok(f.call(&mut *store, (form, &base))?.0)
        });
        // An amendment that does not explain itself is the plugin's fault: the base stands.
        let ran = ran.map(|(result, log, call)| {
            let result = result.and_then(|amended| match amended.map(RoutingDecision::from) {
                Some(d) if !explains_itself(&d, &base) => Err(PluginFault::BadOutput {
                    reason: "the amended decision names no new fired rule with a reason (a plugin must explain itself)"
                        .into(),
                }),
                other => Ok(other),
            });
            if let (Err(fault @ PluginFault::BadOutput { .. }), Some(active)) = (&result, self.get(district)) {
                self.record(&active, Hook::Routing, case_id, fault.clone());
            }
            (result, log, call)
        });
        HookOutcome::of(ran, base, |amended, base| match amended {
            Some(d) => (d, true),
            None => (base, false),
        })
    }

    /// The scoring hook: an exclusion the district's plugin wants for the case, given its events.
    pub fn review_case(
        &self,
        district: &str,
        case_id: Option<&str>,
        case_events: &str,
    ) -> HookOutcome<Option<Exclusion>> {
        let ran = self.run(district, Hook::Scoring, case_id, |store, c, instance| {
            let f = c.export(Hook::Scoring).ok_or_else(|| missing(Hook::Scoring))?;
            let f = instance.get_typed_func::<(&str,), (Option<output::Exclusion>,)>(&mut *store, f)?;
            Ok(f.call(&mut *store, (case_events,))?.0)
        });
        HookOutcome::of(ran, None, |exclusion, _| {
            let exclusion = exclusion.map(Exclusion::from);
            let applied = exclusion.is_some();
            (exclusion, applied)
        })
    }
}

fn missing(hook: Hook) -> wasmtime::Error {
    wasmtime::Error::msg(format!("the plugin exports no {hook} hook"))
}

/// Whether `amended` names a fired rule, with a reason, that `base` did not.
fn explains_itself(amended: &RoutingDecision, base: &RoutingDecision) -> bool {
    let is_new = |f: &FiredRule| !base.explanation.fired.iter().any(|b| b.rule == f.rule && b.why == f.why);
    amended.explanation.fired.iter().any(|f| is_new(f) && !f.why.trim().is_empty())
}
