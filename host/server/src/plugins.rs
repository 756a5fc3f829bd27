//! District plugins in the service: the registry and the plugin host kept in step (a sync at start and
//! every half second, so every node on one database runs the same versions), and the hooks applied to
//! results — a validation result gets the plugin's extra issues, a routing decision its amendment, each
//! with a `plugin` note saying what the plugin did. A plugin fault leaves the base result and is stored
//! with the case. No HTTP here: the handlers, intake and the CLI all call this.

use minyi_model::{CaseForm, Issue, Noted, PluginNote, RoutingDecision, ValidationResult};
use minyi_plugins::{Hook, HookOutcome, PluginCall, PluginHost, PluginHostConfig};
use minyi_registry::Registry;
use minyi_runtime::convert;
use std::sync::Arc;
use std::time::Duration;

/// The registry and the plugin host it feeds.
#[derive(Debug)]
pub struct Plugins {
    /// Where versions and the active one per district live.
    pub registry: Registry,
    /// Where the active versions run.
    pub host: PluginHost,
    /// The districts' active rule sets and schemas, from the same registry.
    pub districts: crate::districts::Districts,
}

impl Plugins {
    /// Opens the registry at `db` (an SQLite file, or a `postgres://` URL), builds the host and loads
    /// the active versions.
    pub fn open(db: &str) -> anyhow::Result<Arc<Plugins>> {
        let registry = open_registry(db)?;
        let plugins = Arc::new(Plugins {
            registry,
            host: PluginHost::new(PluginHostConfig::default())?,
            districts: Default::default(),
        });
        // The service starts whatever the registry holds: `watch` retries a sync that failed.
        match plugins.registry.sync(&plugins.host) {
            Ok(loaded) => {
                tracing::info!(backend = plugins.registry.backend(), districts = ?loaded, "plugin registry loaded")
            }
            Err(e) => tracing::error!(error = %e, "the plugin registry could not be loaded; retrying every sync"),
        }
        if let Err(e) = plugins.districts.sync(&plugins.registry) {
            tracing::error!(error = %e, "the districts' rule sets and schemas could not be loaded; retrying every sync");
        }
        Ok(plugins)
    }

    /// Keeps the host and the districts' rule sets and schemas in step with the database: a sync every
    /// `every` (cheap when nothing changed), which also writes down the host's plugin faults and
    /// breaker trips.
    pub fn watch(self: &Arc<Self>, every: Duration) {
        let plugins = Arc::downgrade(self);
        std::thread::spawn(move || {
            while let Some(p) = plugins.upgrade() {
                if let Err(e) = p.registry.sync(&p.host) {
                    tracing::warn!(error = %e, "plugin registry sync failed; will retry");
                }
                if let Err(e) = p.districts.sync(&p.registry) {
                    tracing::warn!(error = %e, "district data sync failed; will retry");
                }
                drop(p);
                std::thread::sleep(every);
            }
        });
    }

    /// [`validate_with`] this registry's host.
    pub fn validate(&self, case_id: Option<&str>, result: ValidationResult) -> Noted<ValidationResult> {
        validate_with(&self.host, case_id, result)
    }

    /// [`route_with`] this registry's host.
    pub fn route(&self, case_id: Option<&str>, form: &CaseForm, base: RoutingDecision) -> Noted<RoutingDecision> {
        route_with(&self.host, case_id, form, base)
    }
}

/// The note on a hook's result: the version that ran (the active one, when the call never started).
fn note<T>(host: &PluginHost, district: &str, out: &HookOutcome<T>) -> PluginNote {
    let (name, version) = match &out.call {
        Some(call) => (Some(call.name.clone()), Some(call.version.clone())),
        None => host.status(district).map(|s| (Some(s.name), Some(s.version))).unwrap_or_default(),
    };
    PluginNote { name, version, applied: out.applied, fault: out.fault.clone() }
}

/// Adds the district plugin's extra issues to a validation result (a valid form only): an error issue
/// makes the form invalid. A fault leaves the base result, is noted under `plugin` and is stored with
/// `case_id`. The service and `minyi plugin test` both go through here.
pub fn validate_with(host: &PluginHost, case_id: Option<&str>, result: ValidationResult) -> Noted<ValidationResult> {
    validate_traced(host, case_id, result).0
}

/// [`validate_with`], and the record of the plugin call when there was one (which version ran, what
/// its clock read): what intake keeps for replay.
pub fn validate_traced(
    host: &PluginHost,
    case_id: Option<&str>,
    result: ValidationResult,
) -> (Noted<ValidationResult>, Option<PluginCall>) {
    let district = result.normalized.district.clone();
    if !result.wants_plugin() || !host.has_hook(&district, Hook::Validation) {
        return (Noted::plain(result), None);
    }
    let out = host.extra_issues(&district, case_id, &convert::case_form(&result.normalized));
    let plugin = Some(note(host, &district, &out));
    let extra: Vec<Issue> = out.value.iter().map(convert::issue_to_model).collect();
    (Noted { result: result.with_plugin_issues(extra), plugin }, out.call)
}

/// Lets the district plugin amend a routing decision. A fault leaves the base decision, is noted under
/// `plugin` and is stored with `case_id`.
pub fn route_with(
    host: &PluginHost,
    case_id: Option<&str>,
    form: &CaseForm,
    base: RoutingDecision,
) -> Noted<RoutingDecision> {
    route_traced(host, case_id, form, base).0
}

/// [`route_with`], and the record of the plugin call when there was one.
pub fn route_traced(
    host: &PluginHost,
    case_id: Option<&str>,
    form: &CaseForm,
    base: RoutingDecision,
) -> (Noted<RoutingDecision>, Option<PluginCall>) {
    if !host.has_hook(&form.district, Hook::Routing) {
        return (Noted::plain(base), None);
    }
    let out = host.amend_route(&form.district, case_id, &convert::case_form(form), convert::decision_to_wit(&base));
    let plugin = Some(note(host, &form.district, &out));
    let mut result = convert::decision_to_model(&out.value);
    // What the rule set's index ruled out is the rule set's account, which a plugin never sees (the WIT
    // explanation has no place for it): it stays as the router gave it.
    result.explanation.not_tried = base.explanation.not_tried;
    if result.deadline == base.deadline {
        result.warnings = base.warnings; // the calendar's word on the deadline holds while the deadline does
    }
    (Noted { result, plugin }, out.call)
}

/// [`Plugins::validate`] when the service has plugins, else the result as it is.
pub fn validate(plugins: Option<&Plugins>, case_id: Option<&str>, result: ValidationResult) -> Noted<ValidationResult> {
    match plugins {
        Some(p) => p.validate(case_id, result),
        None => Noted::plain(result),
    }
}

/// [`Plugins::route`] when the service has plugins, else the decision as it is.
pub fn route(
    plugins: Option<&Plugins>,
    case_id: Option<&str>,
    form: &CaseForm,
    decision: RoutingDecision,
) -> Noted<RoutingDecision> {
    match plugins {
        Some(p) => p.route(case_id, form, decision),
        None => Noted::plain(decision),
    }
}

/// The registry on `db`, sharing precompiled code with the other nodes when they share a key
/// (`MINYI_PRECOMPILED_KEY`, 16+ characters, the same on every node and never in the database);
/// without one each node compiles what it runs.
pub fn open_registry(db: &str) -> anyhow::Result<Registry> {
    let registry = Registry::open_url(db)?;
    Ok(match std::env::var("MINYI_PRECOMPILED_KEY") {
        Ok(key) if !key.trim().is_empty() => registry.with_precompiled_key(&key)?,
        _ => registry,
    })
}
