//! Intake (受理): a demand is stored exactly as received, given a suggested category when it has none
//! and the service has a classifier model, then validated (the district plugin's extra
//! checks included), then routed (the plugin's amendment included) and dispatched — each step written
//! to the case's history as it ends. A failure after the case is stored moves it to `pending_manual`;
//! nothing that arrived is ever lost.

use crate::AppState;
use chrono::{DateTime, FixedOffset};
use minyi_cases::{CaseError, CaseStore, Decider, Decision, Outcome, Receipt};
use minyi_model::{CaseEvent, CaseState, Event, IntakeReport, Noted, RoutingDecision, Severity, ValidationResult};
use minyi_runtime::CallError;
use minyi_runtime::bindings::types::CaseContext;
use sha2::{Digest, Sha256};

/// How far back earlier demands of the same reporter, street and category count as repeats (重复诉求).
pub const REPEAT_WINDOW_DAYS: u32 = 30;

/// Who writes the events intake writes.
const BY: &str = "minyi-intake";

/// Stores `body` (a case-form document — or any bytes at all) and takes it as far as it goes. Fails
/// only when the case could not be stored; every later failure is written down and leaves the case
/// `pending_manual`. Two commits per case: the receipt, durable before anything reads the body, and
/// everything intake then learned (its events and decisions) in one transaction.
pub fn intake(
    state: &AppState,
    store: &CaseStore,
    body: &[u8],
    at: DateTime<FixedOffset>,
) -> Result<IntakeReport, CaseError> {
    let receipt = store.receive(body, at)?;
    let id = receipt.case_id.as_str();
    let mut report = IntakeReport {
        case_id: receipt.case_id.clone(),
        tracking_token: receipt.tracking_token.clone(),
        received_at: receipt.received_at.clone(),
        state: CaseState::Received,
        validation: None,
        routing: None,
        repeat_count: None,
        reason: None,
        code: None,
    };
    let mut learned = Learned::default();
    let stopped = process(state, store, &receipt, body, at, &mut report, &mut learned).err();
    let stopped = match stopped {
        None => match store.record(id, &learned.outcome(), &learned.events) {
            Ok(written) => {
                report.state = written;
                return Ok(report);
            }
            Err(e) => Stop::Store(e),
        },
        Some(stop) => stop,
    };
    let reason = stopped.to_string();
    tracing::warn!(case = %id, %reason, "intake stopped; the case waits for an operator");
    learned.events.push(event(id, &receipt.received_at, Event::PendingManual { reason: reason.clone() }));
    // What was learned before the stop is kept with it, if it still can be; else the stop alone.
    report.state = match store.record(id, &learned.outcome(), &learned.events) {
        Ok(written) => written,
        Err(_) => store.record(id, &Outcome::default(), &learned.events[learned.events.len() - 1..])?,
    };
    report.reason = Some(reason);
    Ok(report)
}

/// What intake learned about a case, written in one transaction when it ends.
#[derive(Default)]
struct Learned {
    events: Vec<CaseEvent>,
    decisions: Vec<Decision>,
    district: Option<String>,
    fingerprint: Option<String>,
    category: Option<String>,
    validation: Option<String>,
    decision: Option<String>,
}

impl Learned {
    fn outcome(&self) -> Outcome<'_> {
        Outcome {
            district: self.district.as_deref(),
            fingerprint: self.fingerprint.as_deref(),
            category: self.category.as_deref(),
            validation: self.validation.as_deref(),
            decision: self.decision.as_deref(),
            decisions: &self.decisions,
        }
    }
}

/// Why intake could not finish on its own.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error("a component failed: {0}")]
    Component(#[from] minyi_runtime::RuntimeError),
    #[error("the case store failed: {0}")]
    Store(#[from] CaseError),
    #[error("the {what} the component returned is unreadable: {message}")]
    Unreadable { what: &'static str, message: String },
    #[error("routing refused the form: {code}: {message}")]
    Unroutable { code: String, message: String },
    #[error("this server has no rule set (`minyi serve --rules FILE`)")]
    NoRules,
    #[error("this server has no {0} component")]
    NoComponent(&'static str),
}

fn event(case_id: &str, at: &str, event: Event) -> CaseEvent {
    CaseEvent { case_id: case_id.to_owned(), at: at.to_owned(), by: Some(BY.to_owned()), event }
}

/// The base validation of a body: the validator component's result (JSON) — under the district's own
/// schema when it has one active, else the built-in ones —, or why it could not read it. Intake and
/// replay both decide through here.
pub fn validate_body(
    runtime: &minyi_runtime::Runtime,
    body: &[u8],
    now: &str,
    schema: Option<&str>,
) -> Result<String, CallError> {
    let text = std::str::from_utf8(body).map_err(|e| CallError::Input {
        code: "body.not_utf8".to_owned(),
        message: format!("the body is not UTF-8 text (the bytes at {} are not); 请以 UTF-8 编码提交", e.valid_up_to()),
    })?;
    match schema {
        Some(schema) => runtime.validate_json_with_schema(schema, text, now),
        None => runtime.validate_json(text, now),
    }
}

/// The schema the district a body names deployed and activated, with that district — what its form is
/// validated against, on intake and by `POST /api/validate` alike.
pub(crate) fn deployed_schema(
    plugins: Option<&crate::plugins::Plugins>,
    body: &[u8],
) -> Option<(String, crate::districts::Loaded)> {
    let districts = plugins.map(|p| &p.districts).filter(|d| d.any_schema())?;
    let district = named_district(body)?;
    let schema = districts.get(&district, minyi_registry::DataKind::Schema)?;
    Some((district, schema))
}

/// The district a body names (`district`), read only to pick the district's schema: the validator
/// reads the whole form.
pub(crate) fn named_district(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Named {
        district: Option<String>,
    }
    serde_json::from_slice::<Named>(body).ok()?.district.map(|d| d.trim().to_owned())
}

/// A decision's output as kept: the result's JSON, or `{"error": {code, message}}` (a component that
/// failed is `runtime`: intake never keeps one, a replay reports it).
pub fn output_of(result: &Result<String, CallError>) -> String {
    let error = |code: &str, message: String| serde_json::json!({ "error": { "code": code, "message": message } });
    match result {
        Ok(json) => json.clone(),
        Err(CallError::Input { code, message }) => error(code, message.clone()).to_string(),
        Err(CallError::Runtime(e)) => error("runtime", e.to_string()).to_string(),
    }
}

/// What decided a plugin step, as kept with the decision.
pub fn plugin_deciders(district: &str, call: &minyi_plugins::PluginCall) -> String {
    serde_json::json!({ "district": district, "name": call.name, "version": call.version, "sha256": call.sha256 })
        .to_string()
}

fn decision(step: &str, input: serde_json::Value, output: String, deciders: String) -> Decision {
    Decision { step: step.to_owned(), input: input.to_string(), output, deciders }
}

fn process(
    state: &AppState,
    store: &CaseStore,
    receipt: &Receipt,
    body: &[u8],
    at: DateTime<FixedOffset>,
    report: &mut IntakeReport,
    learned: &mut Learned,
) -> Result<(), Stop> {
    let id = receipt.case_id.as_str();
    let now = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let validator = state.runtime.component("validator").ok_or(Stop::NoComponent("validator"))?;
    let mut kept = vec![Decider { kind: "validator", sha256: &validator.sha256, bytes: &validator.bytes }];
    if let Some(rules) = &state.rules {
        let router = rules.router();
        kept.push(Decider { kind: "router", sha256: &router.sha256, bytes: &router.bytes });
        kept.push(Decider { kind: "rules", sha256: rules.sha256(), bytes: rules.source().as_bytes() });
    }
    // The district's own schema, when it has one active.
    let districts = state.plugins.as_deref().map(|p| &p.districts);
    let schema = deployed_schema(state.plugins.as_deref(), body);
    if let Some((_, s)) = &schema {
        kept.push(Decider { kind: "schema", sha256: &s.sha256, bytes: &s.data });
    }
    store.keep(&kept)?;
    let body_sha256 = hex::encode(Sha256::digest(body));
    let suggested = suggest(state, store, id, body, &body_sha256, learned)?;
    // The likeliest category and its confidence, for rules on the suggestion (智能分拨).
    let suggestion = suggested.as_ref().and_then(|(event, _)| match event {
        Event::CategorySuggested { top, .. } => top.first().map(|t| minyi_model::ContextSuggestion {
            category: t.category.clone(),
            confidence: f64::from(t.confidence),
        }),
        _ => None,
    });
    let (amended, suggested) = match suggested {
        Some((event, Some(category))) => {
            (crate::suggest::with_category(body, &category).map(|b| (b, category)), Some(event))
        }
        Some((event, None)) => (None, Some(event)),
        None => (None, None),
    };
    let validated = {
        let body = amended.as_ref().map_or(body, |(b, _)| b.as_slice());
        validate_body(&state.runtime, body, &now, schema.as_ref().map(|(_, s)| s.text()))
    };
    let (mut input, mut deciders) = (
        serde_json::json!({ "body_sha256": body_sha256, "now": now }),
        serde_json::json!({ "validator": validator.sha256 }),
    );
    if let Some((_, category)) = &amended {
        // Replay fills in the same category before it validates the body kept.
        input["category_suggested"] = category.as_str().into();
    }
    if let Some((district, s)) = &schema {
        input["district"] = district.as_str().into();
        deciders["schema"] = s.sha256.as_str().into();
        deciders["schema_version"] = s.version.as_str().into();
    }
    let validate_decision = decision("validate", input, output_of(&validated), deciders.to_string());
    let json = match validated {
        Ok(json) => json,
        Err(CallError::Input { code, message }) => {
            let rejected = event(id, &receipt.received_at, Event::Rejected { reason: format!("{code}: {message}") });
            learned.decisions.push(validate_decision);
            learned.events.push(rejected);
            report.reason = Some(message);
            report.code = Some(code);
            return Ok(());
        }
        Err(CallError::Runtime(e)) => return Err(e.into()),
    };
    learned.decisions.push(validate_decision);
    let result: ValidationResult = serde_json::from_str(&json)
        .map_err(|e| Stop::Unreadable { what: "validation result", message: e.to_string() })?;
    let district_code = result.normalized.district.clone();
    let (validation, call) = match state.plugins.as_deref() {
        Some(p) => crate::plugins::validate_traced(&p.host, Some(id), result),
        None => (Noted::plain(result), None),
    };
    let validation_json = serde_json::to_string(&validation)
        .map_err(|e| Stop::Unreadable { what: "validation result", message: e.to_string() })?;
    if let Some(call) = &call {
        // The result the plugin amended is the `validate` decision's output, kept just before: named,
        // not copied (replay reads it from there).
        let input = serde_json::json!({
            "result_from": "validate", "config": call.config, "clock": call.clock, "wasi_clock": call.wasi_clock,
        });
        let deciders = plugin_deciders(&district_code, call);
        learned.decisions.push(decision("plugin.validate", input, validation_json.clone(), deciders));
    }
    let form = &validation.result.normalized;
    let district = Some(form.district.clone());
    let category = form.category.clone();
    let fingerprint = Some(validation.result.fingerprint.clone());
    // The receipt that counts — for deadlines and months — is this service's; the citizen's own time
    // of filing is kept as reported, and never moves a clock.
    let received = event(
        id,
        &receipt.received_at,
        Event::Received {
            district: district.clone(),
            street: form.street.clone(),
            category: form.category.clone(),
            address: Some(form.address.clone()),
            fingerprint: fingerprint.clone(),
            reported_at: Some(form.received_at.clone()),
        },
    );
    learned.district = district;
    learned.fingerprint = fingerprint.clone();
    learned.category = category;
    learned.validation = Some(validation_json);
    let valid = validation.result.valid;
    let reason = rejection_reason(&validation.result);
    let mut form = validation.result.normalized.clone();
    report.validation = Some(validation);
    // Routing's deadline runs from the service's receipt, not from a time the form claims.
    form.received_at = now.clone();
    learned.events.push(received);
    learned.events.extend(suggested.map(|e| event(id, &receipt.received_at, e)));
    if !valid {
        learned.events.push(event(id, &receipt.received_at, Event::Rejected { reason: reason.clone() }));
        report.reason = Some(reason);
        return Ok(());
    }
    learned.events.push(event(id, &receipt.received_at, Event::Accepted {}));

    let rules = state.rules.as_ref().ok_or(Stop::NoRules)?;
    let repeats = match &fingerprint {
        Some(f) => store.repeats(f, at, REPEAT_WINDOW_DAYS, id)?,
        None => 0,
    };
    report.repeat_count = Some(repeats);
    let form_json = serde_json::to_string(&form)
        .map_err(|e| Stop::Unreadable { what: "normalised form", message: e.to_string() })?;
    let form_value = serde_json::to_value(&form)
        .map_err(|e| Stop::Unreadable { what: "normalised form", message: e.to_string() })?;
    let context = CaseContext { repeat_count: repeats };
    // A suggestion goes to the router in the context document (the released `case-context` record has
    // no room for it); without one the case is routed as before.
    let with_suggestion = |mut value: serde_json::Value| {
        if let Some(s) = &suggestion {
            value["suggestion"] = serde_json::json!(s);
        }
        value
    };
    let context_json = suggestion.is_some().then(|| with_suggestion(serde_json::json!({ "repeat_count": repeats })));
    let route = |set: &minyi_runtime::CompiledRules<'_>| match &context_json {
        Some(c) => set.route_with_context_json(&form_json, &c.to_string()),
        None => set.route_json(&form_json, context),
    };
    let route_input = || with_suggestion(serde_json::json!({ "form": form_value, "repeat_count": repeats }));
    // The district's own rule set first; what no rule of it decides, the city's set decides (兜底).
    let mut routed = None;
    match districts.and_then(|d| d.rules(&form.district, &state.runtime)) {
        Some(Ok((loaded, set))) => {
            store.keep(&[Decider { kind: "rules", sha256: &loaded.sha256, bytes: &loaded.data }])?;
            let own = route(&set);
            learned.decisions.push(decision(
                "route",
                route_input(),
                output_of(&own),
                serde_json::json!({
                    "router": set.router().sha256, "rules": loaded.sha256,
                    "district": form.district, "rules_version": loaded.version,
                })
                .to_string(),
            ));
            // Decided: a rule of the district's set decided (its default unit does not: that is the city's).
            let decided = own
                .as_ref()
                .ok()
                .and_then(|json| serde_json::from_str::<RoutingDecision>(json).ok())
                .is_some_and(|d| !d.explanation.fired.iter().any(|f| f.rule == minyi_model::DEFAULT_RULE));
            if decided {
                routed = Some(own);
            }
        }
        Some(Err(reason)) => {
            tracing::warn!(district = form.district, %reason, "the district's rule set cannot route here; the city's does");
        }
        None => {}
    }
    let routed = match routed {
        Some(own) => own,
        None => {
            let city = route(rules);
            learned.decisions.push(decision(
                "route",
                route_input(),
                output_of(&city),
                serde_json::json!({ "router": rules.router().sha256, "rules": rules.sha256() }).to_string(),
            ));
            city
        }
    };
    let decision_json = match routed {
        Ok(d) => d,
        Err(CallError::Input { code, message }) => return Err(Stop::Unroutable { code, message }),
        Err(CallError::Runtime(e)) => return Err(e.into()),
    };
    let base: RoutingDecision = serde_json::from_str(&decision_json)
        .map_err(|e| Stop::Unreadable { what: "routing decision", message: e.to_string() })?;
    let (routing, call) = match state.plugins.as_deref() {
        Some(p) => crate::plugins::route_traced(&p.host, Some(id), &form, base),
        None => (Noted::plain(base), None),
    };
    let routing_json = serde_json::to_string(&routing)
        .map_err(|e| Stop::Unreadable { what: "routing decision", message: e.to_string() })?;
    if let Some(call) = &call {
        // The decision the plugin amended and the form it was given are the last `route` decision's
        // output and input `form`: named, not copied (a kilobyte and more per case, written at every
        // intake; replay reads them from there).
        let input = serde_json::json!({
            "base_from": "route", "config": call.config, "clock": call.clock, "wasi_clock": call.wasi_clock,
        });
        let deciders = plugin_deciders(&form.district, call);
        learned.decisions.push(decision("plugin.route", input, routing_json.clone(), deciders));
    }
    let typed = &routing.result;
    let next = if typed.manual {
        let why = typed.explanation.fired.iter().map(|f| format!("{}: {}", f.rule, f.why)).collect::<Vec<_>>();
        Event::PendingManual { reason: format!("routing asks for an operator ({})", why.join("; ")) }
    } else {
        Event::Dispatched {
            unit: typed.lead.clone(),
            unit_type: None,
            tier: Some(typed.tier),
            deadline: Some(typed.deadline.clone()),
            co_handlers: typed.co_handlers.clone(),
        }
    };
    if let Event::PendingManual { reason } = &next {
        report.reason = Some(reason.clone());
    }
    learned.decision = Some(routing_json);
    learned.events.push(event(id, &receipt.received_at, next));
    report.routing = Some(routing);
    Ok(())
}

/// Suggests a category when the service has a classifier model and the body names none: the decision
/// is kept (the classifier component's and the model's bytes with it), and the event to write, with the
/// category to fill in unless the classifier abstained. A classifier that fails leaves the form as it
/// came (the validator then says what is missing); it never stops intake.
fn suggest(
    state: &AppState,
    store: &CaseStore,
    id: &str,
    body: &[u8],
    body_sha256: &str,
    learned: &mut Learned,
) -> Result<Option<(Event, Option<String>)>, Stop> {
    let Some(text) = crate::suggest::uncategorised(body) else { return Ok(None) };
    // The district's own model when it deployed one, else the service's.
    let district = named_district(body);
    let Some(crate::districts::ModelFor { model, own }) = crate::districts::model_for(state, district.as_deref())
    else {
        return Ok(None);
    };
    let classifier = state.runtime.component("classifier").ok_or(Stop::NoComponent("classifier"))?;
    let info = model.info();
    store.keep(&[
        Decider { kind: "classifier", sha256: &classifier.sha256, bytes: &classifier.bytes },
        Decider { kind: "model", sha256: &info.sha256, bytes: model.bytes() },
    ])?;
    let out = model.suggest_json(&text, None);
    let mut deciders = serde_json::json!({ "classifier": classifier.sha256, "model": info.sha256 });
    if let Some((district, loaded)) = &own {
        deciders["district"] = district.as_str().into();
        deciders["model_version"] = loaded.version.as_str().into();
    }
    learned.decisions.push(decision(
        "suggest",
        serde_json::json!({ "body_sha256": body_sha256 }),
        output_of(&out),
        deciders.to_string(),
    ));
    let suggested = match out {
        Ok(json) => serde_json::from_str::<minyi_model::CategorySuggestion>(&json)
            .map_err(|e| Stop::Unreadable { what: "category suggestion", message: e.to_string() })?,
        Err(e) => {
            tracing::warn!(case = %id, error = %e, "no category suggestion");
            return Ok(None);
        }
    };
    let category = suggested.chosen().map(|c| c.category.clone());
    let confidence = suggested.top.first().map_or(0.0, |c| c.confidence);
    let event = Event::CategorySuggested {
        category: category.clone(),
        confidence,
        top: suggested.top,
        model: info.sha256.clone(),
    };
    Ok(Some((event, category)))
}

/// The error issues of a validation result, as `field: code` pairs; or where it was redirected.
fn rejection_reason(validation: &ValidationResult) -> String {
    let errors: Vec<String> = validation
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| format!("{}: {}", i.field, i.code))
        .collect();
    match (errors.is_empty(), &validation.redirect) {
        (true, Some(r)) => format!("redirected to {}", r.to),
        (true, None) => "invalid".into(),
        (false, _) => errors.join(", "),
    }
}
