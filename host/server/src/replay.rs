//! Replay (`minyi replay`): every decision kept with a case is run again, once with the recorded
//! deciders (the component bytes and rule set kept by SHA-256, the plugin version from the registry,
//! its granted configuration and clock readings) and once with today's (this binary's components, the
//! rule set given, the district's active plugin), and each result is compared with the one kept. The
//! first field that differs is named, with the inputs and deciders that changed. No HTTP here.

use crate::intake::{output_of, validate_body};
use minyi_cases::{CaseError, CaseStore, Decision};
use minyi_model::{CaseForm, RoutingDecision, ValidationResult};
use minyi_plugins::{Grants, PluginHost, PluginHostConfig, PluginSpec};
use minyi_registry::Registry;
use minyi_runtime::bindings::types::CaseContext;
use minyi_runtime::{CompiledRules, Components, LoadedModel, Runtime, RuntimeConfig};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// Why a replay could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The case store failed or the case does not exist.
    #[error(transparent)]
    Cases(#[from] CaseError),
    /// A component, a rule set or the plugin host could not be loaded.
    #[error("{0}")]
    Load(String),
}

/// What one run of a decision gave, against the output kept.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// The same output, field for field.
    Identical,
    /// Another output.
    Differs {
        /// The first field that differs (`lead`, `explanation.fired[1].why`; empty: the whole value).
        field: String,
        /// Its value as kept.
        recorded: Value,
        /// Its value now.
        replayed: Value,
        /// What changed between the recorded run and this one (inputs and deciders), if anything.
        changed: Vec<String>,
    },
    /// The decision could not be run again (a decider or an input is missing or does not hash to
    /// what was recorded).
    Unavailable {
        /// Why.
        reason: String,
    },
}

impl Verdict {
    /// Whether the run gave what was kept.
    pub fn identical(&self) -> bool {
        matches!(self, Verdict::Identical)
    }
}

/// One decision, run again.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StepReplay {
    /// `suggest`, `validate`, `plugin.validate`, `route`, `plugin.route`, `plugin.review` or `score`.
    pub step: String,
    /// What decided, as recorded (JSON).
    pub deciders: Value,
    /// With the recorded deciders and inputs.
    pub recorded: Verdict,
    /// With today's deciders, on the recorded inputs.
    pub today: Verdict,
}

/// A case's decisions, run again.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CaseReplay {
    /// The case number.
    pub case_id: String,
    /// Its decisions in the order they were made.
    pub steps: Vec<StepReplay>,
}

impl CaseReplay {
    /// Every decision came out as kept when run on the recorded deciders.
    pub fn identical(&self) -> bool {
        self.steps.iter().all(|s| s.recorded.identical())
    }
}

/// Today's deciders: the components and rule set given, and the registry's active plugins.
#[derive(Debug)]
pub struct Today {
    /// This binary's components.
    pub runtime: Arc<Runtime>,
    /// The rule set routing uses today.
    pub rules: Arc<CompiledRules<'static>>,
    /// The districts' active plugins, when there is a registry.
    pub plugins: Option<PluginHost>,
    /// The districts' active rule sets, schemas and models (none without a registry).
    pub districts: crate::districts::Districts,
    /// The category classifier's model in use today, if any.
    pub classifier: Option<Arc<LoadedModel<'static>>>,
}

/// Runs decisions again; keeps what it loaded (components, rule sets, plugins) for the next case.
pub struct Replayer<'a> {
    store: &'a CaseStore,
    registry: Option<&'a Registry>,
    today: Today,
    runtimes: HashMap<[String; 4], Arc<Runtime>>,
    models: HashMap<(String, String), Arc<LoadedModel<'static>>>,
    rules: HashMap<(String, String), Arc<CompiledRules<'static>>>,
    host: Option<PluginHost>,
    compiled: HashMap<String, minyi_plugins::CompiledPlugin>,
}

impl std::fmt::Debug for Replayer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replayer").field("today", &self.today).finish_non_exhaustive()
    }
}

impl<'a> Replayer<'a> {
    /// A replayer over the case store, with the plugin registry on the same database when there is one.
    pub fn new(store: &'a CaseStore, registry: Option<&'a Registry>, today: Today) -> Self {
        Self {
            store,
            registry,
            today,
            runtimes: HashMap::new(),
            models: HashMap::new(),
            rules: HashMap::new(),
            host: None,
            compiled: HashMap::new(),
        }
    }

    /// Runs every decision of the case again.
    pub fn case(&mut self, case_id: &str) -> Result<CaseReplay, ReplayError> {
        // A case that does not exist is an error; one with no decisions replays to nothing.
        self.store.get(case_id)?;
        let decisions = self.store.decisions(case_id)?;
        let mut steps = Vec::with_capacity(decisions.len());
        // The newest decision of each step so far: what a later one's input may name.
        let mut earlier: HashMap<&str, &Decision> = HashMap::new();
        for d in &decisions {
            steps.push(self.step(case_id, &d.decision, &earlier));
            earlier.insert(d.decision.step.as_str(), &d.decision);
        }
        Ok(CaseReplay { case_id: case_id.to_owned(), steps })
    }

    fn step(&mut self, case_id: &str, d: &Decision, earlier: &HashMap<&str, &Decision>) -> StepReplay {
        let deciders: Value = serde_json::from_str(&d.deciders).unwrap_or(Value::Null);
        let input: Value = serde_json::from_str(&d.input).unwrap_or(Value::Null);
        let input = match resolve(input, earlier) {
            Ok(input) => input,
            Err(reason) => {
                let reason = format!("recorded input unreadable: {reason}");
                let verdict = || Verdict::Unavailable { reason: reason.clone() };
                return StepReplay { step: d.step.clone(), deciders, recorded: verdict(), today: verdict() };
            }
        };
        let (recorded, today) = match d.step.as_str() {
            "suggest" => self.suggest(case_id, &input, &deciders),
            "validate" => self.validate(case_id, &input, &deciders),
            "route" => self.route(&input, &deciders),
            "plugin.validate" | "plugin.route" | "plugin.review" => self.plugin(&d.step, &input, &deciders),
            "score" => self.score(&input, &deciders),
            other => {
                let reason = format!("unknown step {other:?}");
                (Err(reason.clone()), Err(reason))
            }
        };
        let verdict = |run: Result<(String, Vec<String>), String>| match run {
            Ok((output, changed)) => compare(&d.output, &output, changed),
            Err(reason) => Verdict::Unavailable { reason },
        };
        StepReplay { step: d.step.clone(), deciders, recorded: verdict(recorded), today: verdict(today) }
    }

    /// A runtime with the given validator, router, scorer and classifier bytes (this binary's where the
    /// SHA-256 is its own, else the bytes kept under it).
    fn runtime(&mut self, shas: [&str; 4]) -> Result<Arc<Runtime>, String> {
        let own = self.today.runtime.components();
        if own.iter().zip(shas).all(|(c, sha)| c.sha256 == sha) {
            return Ok(Arc::clone(&self.today.runtime));
        }
        let key = shas.map(str::to_owned);
        if let Some(rt) = self.runtimes.get(&key) {
            return Ok(Arc::clone(rt));
        }
        let mut bytes = Vec::with_capacity(4);
        for (c, sha) in own.iter().zip(shas) {
            bytes.push(if sha == c.sha256 {
                c.bytes.to_vec()
            } else {
                self.store.decider(sha).map(|(_, b)| b).map_err(|e| format!("{} {sha}: {e}", c.name))?
            });
        }
        let components =
            Components { validator: &bytes[0], router: &bytes[1], scorer: &bytes[2], classifier: &bytes[3] };
        let rt = Runtime::with_components(RuntimeConfig::default(), components)
            .map_err(|e| format!("the recorded components do not load: {e}"))?;
        let rt = Arc::new(rt);
        self.runtimes.insert(key, Arc::clone(&rt));
        Ok(rt)
    }

    fn validate(&mut self, case_id: &str, input: &Value, deciders: &Value) -> (Run, Run) {
        let body = match self.store.body(case_id) {
            Ok((body, _)) => body,
            Err(e) => return both_unavailable(format!("the body: {e}")),
        };
        let (want, now) = (text(input, "body_sha256"), text(input, "now"));
        let have = hex::encode(Sha256::digest(&body));
        if have != want {
            return both_unavailable(format!(
                "the body kept hashes to {have}, the decision recorded {want}: the evidence was changed"
            ));
        }
        let validator = text(deciders, "validator");
        // The district's schema as recorded (kept under its SHA-256), and the one active today.
        let recorded_schema = match deciders.get("schema").and_then(Value::as_str) {
            Some(sha) => match self.store.decider(sha).map(|(_, b)| String::from_utf8(b)) {
                Ok(Ok(text)) => Some((sha.to_owned(), text)),
                Ok(Err(_)) => return both_unavailable(format!("schema {sha}: not UTF-8")),
                Err(e) => return both_unavailable(format!("schema {sha}: {e}")),
            },
            None => None,
        };
        let today_schema = crate::intake::named_district(&body)
            .and_then(|d| self.today.districts.get(&d, minyi_registry::DataKind::Schema))
            .map(|l| (l.text().to_owned(), l.sha256))
            .map(|(text, sha)| (sha, text));
        // A category intake suggested is filled in again before the body is validated.
        let body = match input.get("category_suggested").and_then(Value::as_str) {
            None => body,
            Some(category) => match crate::suggest::with_category(&body, category) {
                Some(amended) => amended,
                None => return both_unavailable("the suggested category cannot be filled into the body".into()),
            },
        };
        let [own, router, scorer, classifier] = self.today.runtime.components().map(|c| c.sha256.clone());
        let recorded = self.runtime([&validator, &router, &scorer, &classifier]).map(|rt| {
            (output_of(&validate_body(&rt, &body, &now, recorded_schema.as_ref().map(|(_, t)| t.as_str()))), Vec::new())
        });
        let mut changed = Vec::new();
        if own != validator {
            changed.push(format!("validator: {} → {}", short(&validator), short(&own)));
        }
        let sha =
            |s: &Option<(String, String)>| s.as_ref().map_or("built-in".to_owned(), |(sha, _)| short(sha).to_owned());
        if recorded_schema.as_ref().map(|s| &s.0) != today_schema.as_ref().map(|s| &s.0) {
            changed.push(format!("district schema: {} → {}", sha(&recorded_schema), sha(&today_schema)));
        }
        let schema = today_schema.as_ref().map(|(_, t)| t.as_str());
        let today = Ok((output_of(&validate_body(&self.today.runtime, &body, &now, schema)), changed));
        (recorded, today)
    }

    fn route(&mut self, input: &Value, deciders: &Value) -> (Run, Run) {
        let form = input.get("form").map(Value::to_string).unwrap_or_default();
        let context =
            CaseContext { repeat_count: input.get("repeat_count").and_then(Value::as_u64).unwrap_or(0) as u32 };
        // A suggestion recorded with the input went to the router in the context document, as intake sent it.
        let context_json = input
            .get("suggestion")
            .map(|s| serde_json::json!({ "repeat_count": context.repeat_count, "suggestion": s }).to_string());
        let route = |rules: &CompiledRules<'static>| match &context_json {
            Some(c) => rules.route_with_context_json(&form, c),
            None => rules.route_json(&form, context),
        };
        let (router, rules_sha) = (text(deciders, "router"), text(deciders, "rules"));
        let recorded = self.rules(&router, &rules_sha).map(|rules| (output_of(&route(&rules)), Vec::new()));
        // A district's own set is compared with the set the district has active today (none: the city's).
        let district = deciders.get("district").and_then(Value::as_str);
        let own_today = district.and_then(|d| self.today.districts.rules(d, &self.today.runtime)).and_then(Result::ok);
        let today: &CompiledRules<'static> = own_today.as_ref().map_or(&*self.today.rules, |(_, set)| &**set);
        let mut changed = Vec::new();
        if today.sha256() != rules_sha {
            changed.push(format!("rule set: {} → {}", short(&rules_sha), short(today.sha256())));
        }
        if today.router().sha256 != router {
            changed.push(format!("router: {} → {}", short(&router), short(&today.router().sha256)));
        }
        let today = Ok((output_of(&route(today)), changed));
        (recorded, today)
    }

    /// The recorded rule set, compiled in the recorded router.
    fn rules(&mut self, router: &str, sha: &str) -> Result<Arc<CompiledRules<'static>>, String> {
        let key = (router.to_owned(), sha.to_owned());
        if let Some(r) = self.rules.get(&key) {
            return Ok(Arc::clone(r));
        }
        let [validator, _, scorer, classifier] = self.today.runtime.components().map(|c| c.sha256.clone());
        let runtime = self.runtime([&validator, router, &scorer, &classifier])?;
        let (_, source) = self.store.decider(sha).map_err(|e| format!("rule set {sha}: {e}"))?;
        let source = String::from_utf8(source).map_err(|_| format!("rule set {sha}: not UTF-8"))?;
        let compiled = runtime
            .compile_rules_shared(&source)
            .map_err(|e| format!("rule set {sha}: {e}"))?
            .map_err(|errors| format!("rule set {sha}: {} errors", errors.len()))?;
        let compiled = Arc::new(compiled);
        self.rules.insert(key, Arc::clone(&compiled));
        Ok(compiled)
    }

    /// The category suggestion, by the recorded classifier and model and by today's, on the body kept.
    fn suggest(&mut self, case_id: &str, input: &Value, deciders: &Value) -> (Run, Run) {
        let body = match self.store.body(case_id) {
            Ok((body, _)) => body,
            Err(e) => return both_unavailable(format!("the body: {e}")),
        };
        let (have, want) = (hex::encode(Sha256::digest(&body)), text(input, "body_sha256"));
        if have != want {
            return both_unavailable(format!(
                "the body kept hashes to {have}, the decision recorded {want}: the evidence was changed"
            ));
        }
        let Some(demand) = crate::suggest::uncategorised(&body) else {
            return both_unavailable("the body kept has a category or no text to suggest one from".into());
        };
        let (classifier, model) = (text(deciders, "classifier"), text(deciders, "model"));
        let recorded = self.model(&classifier, &model).map(|m| (output_of(&m.suggest_json(&demand, None)), Vec::new()));
        // Today's: the district's own model when it has one active, else the service's — as intake picks.
        let district = crate::intake::named_district(&body);
        let own_today = district
            .as_deref()
            .and_then(|d| self.today.districts.model(d, &self.today.runtime))
            .and_then(Result::ok)
            .map(|(_, m)| m);
        let today = match own_today.as_ref().or(self.today.classifier.as_ref()) {
            None => Err("no classifier model today (`--classifier MODEL`, or one the district deployed)".to_owned()),
            Some(m) => {
                let mut changed = Vec::new();
                let own = &self.today.runtime.components()[3].sha256;
                if *own != classifier {
                    changed.push(format!("classifier: {} → {}", short(&classifier), short(own)));
                }
                if m.info().sha256 != model {
                    changed.push(format!("model: {} → {}", short(&model), short(&m.info().sha256)));
                }
                Ok((output_of(&m.suggest_json(&demand, None)), changed))
            }
        };
        (recorded, today)
    }

    /// The recorded model, loaded into the recorded classifier.
    fn model(&mut self, classifier: &str, sha: &str) -> Result<Arc<LoadedModel<'static>>, String> {
        let key = (classifier.to_owned(), sha.to_owned());
        if let Some(m) = self.models.get(&key) {
            return Ok(Arc::clone(m));
        }
        let [validator, router, scorer, _] = self.today.runtime.components().map(|c| c.sha256.clone());
        let runtime = self.runtime([&validator, &router, &scorer, classifier])?;
        let (_, bytes) = self.store.decider(sha).map_err(|e| format!("model {sha}: {e}"))?;
        let model = Arc::new(runtime.load_model_shared(&bytes).map_err(|e| format!("model {sha}: {e}"))?);
        self.models.insert(key, Arc::clone(&model));
        Ok(model)
    }

    /// A case's assessment, by the recorded scorer and by today's, on the recorded events.
    fn score(&mut self, input: &Value, deciders: &Value) -> (Run, Run) {
        let (events, config) = (text(input, "case_events"), text(input, "config"));
        let as_of = input.get("as_of").and_then(Value::as_str);
        let assess = |rt: &Runtime| output_of(&rt.assess_json(&events, &config, as_of));
        let scorer = text(deciders, "scorer");
        let [validator, router, own, classifier] = self.today.runtime.components().map(|c| c.sha256.clone());
        let recorded = self.runtime([&validator, &router, &scorer, &classifier]).map(|rt| (assess(&rt), Vec::new()));
        let changed =
            if own == scorer { Vec::new() } else { vec![format!("scorer: {} → {}", short(&scorer), short(&own))] };
        (recorded, Ok((assess(&self.today.runtime), changed)))
    }

    fn plugin(&mut self, step: &str, input: &Value, deciders: &Value) -> (Run, Run) {
        let district = text(deciders, "district");
        let recorded = self.recorded_plugin(input, deciders).and_then(|host| call(step, host, &district, input));
        let today = match &self.today.plugins {
            None => Err("no plugin registry".to_owned()),
            Some(host) => call(step, host, &district, input).map(|(output, _)| {
                let mut changed = Vec::new();
                let was = format!("{} {}", text(deciders, "name"), text(deciders, "version"));
                match host.status(&district) {
                    Some(s) if s.sha256 == text(deciders, "sha256") && format!("{} {}", s.name, s.version) == was => {}
                    Some(s) => changed.push(format!("plugin {district}: {was} → {} {}", s.name, s.version)),
                    None => changed.push(format!("plugin {district}: {was} → none")),
                }
                if let Some(g) = host.grants(&district) {
                    let config = serde_json::to_value(&g.config).unwrap_or(Value::Null);
                    if input.get("config") != Some(&config) {
                        changed.push(format!("plugin {district} config: {} → {config}", input["config"]));
                    }
                }
                (output, changed)
            }),
        };
        (recorded, today)
    }

    /// A host running the recorded version of the district's plugin, granted the recorded
    /// configuration and clock readings.
    fn recorded_plugin(&mut self, input: &Value, deciders: &Value) -> Result<&PluginHost, String> {
        let registry = self.registry.ok_or("no plugin registry")?;
        let (district, name, version, sha) =
            (text(deciders, "district"), text(deciders, "name"), text(deciders, "version"), text(deciders, "sha256"));
        if self.host.is_none() {
            self.host = Some(PluginHost::new(PluginHostConfig::default()).map_err(|e| e.to_string())?);
        }
        let host = self.host.as_ref().ok_or("no plugin host")?;
        let (manifest, bytes) = registry.version(&district, &name, &version).map_err(|e| e.to_string())?;
        if manifest.sha256 != sha {
            return Err(format!(
                "plugin {name} {version}: recorded sha256 {sha}, the registry holds {}",
                manifest.sha256
            ));
        }
        let compiled = match self.compiled.get(&sha) {
            Some(c) => c.clone(),
            None => {
                let c = host.compile(&bytes).map_err(|e| e.to_string())?;
                self.compiled.insert(sha.clone(), c.clone());
                c
            }
        };
        let clock: Vec<String> = input
            .get("clock")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let wasi_clock: Vec<u64> =
            input.get("wasi_clock").and_then(|c| serde_json::from_value(c.clone()).ok()).unwrap_or_default();
        let config = input.get("config").and_then(|c| serde_json::from_value(c.clone()).ok()).unwrap_or_default();
        let grants = Grants {
            district,
            config,
            now: clock.first().cloned(),
            units: Default::default(),
            clock_tape: clock,
            wasi_clock_tape: wasi_clock,
        };
        host.activate(compiled, PluginSpec { name, version, grants, limits: manifest.limits.to_plugin_limits() })
            .map_err(|e| e.to_string())?;
        Ok(host)
    }
}

type Run = Result<(String, Vec<String>), String>;

fn both_unavailable(reason: String) -> (Run, Run) {
    (Err(reason.clone()), Err(reason))
}

/// Calls the plugin step on `host` with the recorded arguments.
fn call(step: &str, host: &PluginHost, district: &str, input: &Value) -> Run {
    if step == "plugin.review" {
        let out = host.review_case(district, None, &text(input, "case_events"));
        return Ok((crate::rescore::Review::of(&out).json(), Vec::new()));
    }
    let output = if step == "plugin.validate" {
        let base: ValidationResult =
            serde_json::from_value(input["result"].clone()).map_err(|e| format!("recorded result unreadable: {e}"))?;
        serde_json::to_string(&crate::plugins::validate_with(host, None, base))
    } else {
        let form: CaseForm =
            serde_json::from_value(input["form"].clone()).map_err(|e| format!("recorded form unreadable: {e}"))?;
        let base: RoutingDecision =
            serde_json::from_value(input["base"].clone()).map_err(|e| format!("recorded decision unreadable: {e}"))?;
        serde_json::to_string(&crate::plugins::route_with(host, None, &form, base))
    };
    output.map(|o| (o, Vec::new())).map_err(|e| e.to_string())
}

/// A plugin step's input as the plugin was given it. Intake names, rather than copies, what repeats a
/// decision written just before in the same case: `"result_from": "validate"` — the validation result
/// amended is that decision's output —, `"base_from": "route"` — the routing decision amended is that
/// decision's output and the form its input's `form`. Inputs recorded whole (older cases) stay as
/// they are. Fails when the decision named is not there or is unreadable.
fn resolve(mut input: Value, earlier: &HashMap<&str, &Decision>) -> Result<Value, String> {
    let named = |key: &str| -> Result<Option<&Decision>, String> {
        let Some(from) = input.get(key) else { return Ok(None) };
        let step = from.as_str().ok_or_else(|| format!("`{key}` is {from}, not a step"))?;
        earlier
            .get(step)
            .copied()
            .map(Some)
            .ok_or_else(|| format!("`{key}` names {step:?}, which no earlier decision is"))
    };
    let parse = |what: &str, json: &str| -> Result<Value, String> {
        serde_json::from_str(json).map_err(|e| format!("the {what} it names: {e}"))
    };
    let result = named("result_from")?.map(|d| parse("output", &d.output)).transpose()?;
    let base = named("base_from")?
        .map(|d| Ok::<_, String>((parse("output", &d.output)?, parse("input", &d.input)?)))
        .transpose()?;
    if let Some(result) = result {
        input["result"] = result;
    }
    if let Some((decision, mut from)) = base {
        input["base"] = decision;
        input["form"] = from.get_mut("form").map(Value::take).unwrap_or_default();
    }
    Ok(input)
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// The verdict on `replayed` against `recorded` (both JSON).
fn compare(recorded: &str, replayed: &str, changed: Vec<String>) -> Verdict {
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or_else(|_| Value::String(s.to_owned()));
    match first_difference(&parse(recorded), &parse(replayed), String::new()) {
        None => Verdict::Identical,
        Some((field, recorded, replayed)) => Verdict::Differs { field, recorded, replayed, changed },
    }
}

/// The path of the first field where `a` and `b` differ, with both values.
pub fn first_difference(a: &Value, b: &Value, path: String) -> Option<(String, Value, Value)> {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let (l, r) = (x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null));
                first_difference(l, r, join(k))
            })
        }
        (Value::Array(x), Value::Array(y)) => {
            let at = (0..x.len().max(y.len())).find(|&i| x.get(i) != y.get(i))?;
            match (x.get(at), y.get(at)) {
                (Some(l), Some(r)) => first_difference(l, r, format!("{path}[{at}]")),
                (l, r) => Some((
                    format!("{path}[{at}]"),
                    l.cloned().unwrap_or(Value::Null),
                    r.cloned().unwrap_or(Value::Null),
                )),
            }
        }
        _ if a == b => None,
        _ => Some((path, a.clone(), b.clone())),
    }
}

/// The bounds of a month of Beijing time (`YYYY-MM`), in Unix milliseconds: `[from, until)`.
pub fn month_bounds(month: &str) -> Option<(i64, i64)> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    let beijing = chrono::FixedOffset::east_opt(8 * 3600)?;
    let start = |y: i32, m: u32| {
        chrono::NaiveDate::from_ymd_opt(y, m, 1)?.and_hms_opt(0, 0, 0)?.and_local_timezone(beijing).single()
    };
    let from = start(y, m)?;
    let until = if m == 12 { start(y + 1, 1)? } else { start(y, m + 1)? };
    Some((from.timestamp_millis(), until.timestamp_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_first_differing_field_is_named_by_path() {
        let a = json!({"lead": "x", "explanation": {"fired": [{"rule": "a", "why": "1"}, {"rule": "b", "why": "2"}]}});
        let b = json!({"lead": "x", "explanation": {"fired": [{"rule": "a", "why": "1"}, {"rule": "b", "why": "3"}]}});
        let (field, l, r) = first_difference(&a, &b, String::new()).expect("differs");
        assert_eq!((field.as_str(), l, r), ("explanation.fired[1].why", json!("2"), json!("3")));
        assert_eq!(first_difference(&a, &a, String::new()), None);
        let (field, _, r) = first_difference(&json!({"t": [1]}), &json!({"t": [1, 2]}), String::new()).expect("longer");
        assert_eq!((field.as_str(), r), ("t[1]", json!(2)));
    }

    fn decided(step: &str, input: Value, output: Value) -> Decision {
        Decision { step: step.into(), input: input.to_string(), output: output.to_string(), deciders: "{}".into() }
    }

    #[test]
    fn a_plugin_input_named_by_reference_is_read_from_the_decision_it_names() {
        let validate = decided("validate", json!({"now": "t"}), json!({"valid": true}));
        let route = decided("route", json!({"form": {"district": "110105"}, "repeat_count": 1}), json!({"lead": "u"}));
        let earlier: HashMap<&str, &Decision> = [("validate", &validate), ("route", &route)].into_iter().collect();
        let input = resolve(json!({"base_from": "route", "config": {"k": 1}}), &earlier).expect("resolves");
        assert_eq!(input["base"], json!({"lead": "u"}));
        assert_eq!(input["form"], json!({"district": "110105"}));
        assert_eq!(input["config"], json!({"k": 1}), "the rest is kept");
        let input = resolve(json!({"result_from": "validate"}), &earlier).expect("resolves");
        assert_eq!(input["result"], json!({"valid": true}));
        // An input recorded whole (cases written before references) is left as it was.
        let whole = json!({"base": {"lead": "v"}, "form": {"district": "110108"}});
        assert_eq!(resolve(whole.clone(), &earlier).expect("whole"), whole);
    }

    #[test]
    fn a_reference_to_nothing_or_to_garbage_is_an_error_not_a_panic() {
        let broken = decided("route", json!(["not", "an", "object"]), json!({"lead": "u"}));
        let unreadable = Decision { output: "{not json".into(), ..decided("validate", json!({}), json!({})) };
        let earlier: HashMap<&str, &Decision> = [("route", &broken), ("validate", &unreadable)].into_iter().collect();
        let e = resolve(json!({"base_from": "route.v2"}), &earlier).expect_err("nothing named so");
        assert!(e.contains("route.v2"), "{e}");
        let e = resolve(json!({"result_from": 7}), &earlier).expect_err("not a step");
        assert!(e.contains("result_from"), "{e}");
        let e = resolve(json!({"result_from": "validate"}), &earlier).expect_err("unreadable output");
        assert!(e.contains("output"), "{e}");
        // A route input that is no object gives no form (the plugin call then says so), never a panic.
        let input = resolve(json!({"base_from": "route"}), &earlier).expect("resolves");
        assert_eq!(input["form"], Value::Null);
        assert!(resolve(json!({"result_from": "validate"}), &HashMap::new()).is_err(), "no earlier decisions");
    }

    #[test]
    fn months_are_beijing_months() {
        let (from, until) = month_bounds("2026-12").expect("a month");
        assert_eq!(
            from,
            chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00+08:00").expect("t").timestamp_millis()
        );
        assert_eq!(
            until,
            chrono::DateTime::parse_from_rfc3339("2027-01-01T00:00:00+08:00").expect("t").timestamp_millis()
        );
        assert_eq!(month_bounds("2026-13"), None);
        assert_eq!(month_bounds("december"), None);
    }
}
