//! A case's score, decided again each time casework changes the case and kept as evidence: the
//! district's scoring plugin reviews the case's stored events (an exclusion it returns is stored as an
//! `excluded` event reviewed by the plugin, once: a revoked one is not imposed again), then the scorer
//! assesses the case. Both are kept as decisions (`plugin.review`, `score`) with their exact inputs and
//! the SHA-256 of what decided, so `minyi replay` can run them again.

use crate::intake::{output_of, plugin_deciders};
use crate::plugins::Plugins;
use minyi_cases::{CaseError, CaseStore, Decider, Decision, Outcome};
use minyi_model::{CaseEvent, Event, ExclusionReason, PluginFault};
use minyi_plugins::{Hook, HookOutcome, PluginHost};
use minyi_runtime::bindings::types::{self, Exclusion};
use minyi_runtime::{CallError, Runtime};
use serde::Serialize;

/// The scorer's configuration for a case's assessment: its defaults (the same as `minyi assess`).
pub const SCORE_CONFIG: &str = "{}";

/// What a scoring plugin's review of a case gave: the exclusion it asked for, or the fault it ran into.
#[derive(Debug, Serialize)]
pub struct Review {
    /// The exclusion, when it asked for one.
    pub exclusion: Option<Excluded>,
    /// The fault, when it failed (the case stands as it is).
    pub fault: Option<PluginFault>,
}

/// An exclusion a plugin asked for.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Excluded {
    /// Invalid (无效) or unreasonable (不合理诉求).
    pub reason: ExclusionReason,
    /// Who reviewed it, as the plugin says.
    pub reviewer: String,
    /// The plugin's note.
    pub note: String,
}

impl Review {
    /// The review of one hook outcome.
    pub fn of(out: &HookOutcome<Option<Exclusion>>) -> Self {
        Review {
            exclusion: out.value.as_ref().map(|e| Excluded {
                reason: match e.reason {
                    types::ExclusionReason::Invalid => ExclusionReason::Invalid,
                    types::ExclusionReason::Unreasonable => ExclusionReason::Unreasonable,
                },
                reviewer: e.reviewer.clone(),
                note: e.note.clone(),
            }),
            fault: out.fault.clone(),
        }
    }

    /// As kept: JSON.
    pub fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".to_owned())
    }
}

/// A case's events as the scorer and the scoring hook take them: JSON lines.
fn lines(events: &[CaseEvent]) -> Result<String, CaseError> {
    let mut out = String::new();
    for e in events {
        out.push_str(&serde_json::to_string(e).map_err(|e| CaseError::Db(e.to_string()))?);
        out.push('\n');
    }
    Ok(out)
}

/// Reviews and assesses `case_id` as it stands at `now`, and keeps both decisions (and an exclusion the
/// review asked for) in one write. A plugin fault or a scorer refusal is kept as what was decided; only
/// the store's own failures are errors.
pub fn rescore(
    runtime: &Runtime,
    plugins: Option<&Plugins>,
    store: &CaseStore,
    case_id: &str,
    now: &str,
) -> Result<(), CaseError> {
    let case = store.get(case_id)?;
    let Some(district) = case.district.clone() else { return Ok(()) };
    let mut events = case.events;
    let mut decisions = Vec::new();
    let mut new = Vec::new();
    if let Some(host) = plugins.map(|p| &p.host).filter(|h| h.has_hook(&district, Hook::Scoring)) {
        let (decision, excluded) = review(host, &district, case_id, &events, now)?;
        decisions.extend(decision);
        new.extend(excluded);
        events.extend(new.iter().cloned());
    }
    let scorer = runtime.component("scorer").ok_or_else(|| CaseError::Db("no scorer component".to_owned()))?;
    store.keep(&[Decider { kind: "scorer", sha256: &scorer.sha256, bytes: &scorer.bytes }])?;
    let case_events = lines(&events)?;
    let output = match runtime.assess_json(&case_events, SCORE_CONFIG, None) {
        Err(CallError::Runtime(e)) => {
            tracing::error!(case = case_id, error = %e, "the scorer failed: the case is not assessed");
            return Ok(());
        }
        assessed => output_of(&assessed),
    };
    decisions.push(Decision {
        step: "score".to_owned(),
        input: serde_json::json!({ "case_events": case_events, "config": SCORE_CONFIG, "as_of": null }).to_string(),
        output,
        deciders: serde_json::json!({ "scorer": scorer.sha256 }).to_string(),
    });
    let outcome = Outcome {
        district: None,
        fingerprint: None,
        category: None,
        validation: None,
        decision: None,
        decisions: &decisions,
    };
    store.record(case_id, &outcome, &new)?;
    Ok(())
}

/// The district plugin's review of the case: its decision, and the `excluded` event to store when it
/// asks for an exclusion the case has never had from this reviewer.
fn review(
    host: &PluginHost,
    district: &str,
    case_id: &str,
    events: &[CaseEvent],
    now: &str,
) -> Result<(Option<Decision>, Option<CaseEvent>), CaseError> {
    let case_events = lines(events)?;
    let out = host.review_case(district, Some(case_id), &case_events);
    let Some(call) = &out.call else { return Ok((None, None)) };
    let review = Review::of(&out);
    let decision = Decision {
        step: "plugin.review".to_owned(),
        input: serde_json::json!({
            "case_events": case_events, "config": call.config, "clock": call.clock, "wasi_clock": call.wasi_clock,
        })
        .to_string(),
        output: review.json(),
        deciders: plugin_deciders(district, call),
    };
    let excluded = review.exclusion.and_then(|x| {
        let had = events.iter().any(|e| {
            matches!(&e.event, Event::Excluded { reason, reviewer, note }
                if *reason == x.reason && *reviewer == x.reviewer && *note == x.note)
        });
        (!had).then(|| CaseEvent {
            case_id: case_id.to_owned(),
            at: now.to_owned(),
            by: Some(format!("plugin:{}@{}", call.name, call.version)),
            event: Event::Excluded { reason: x.reason, reviewer: x.reviewer, note: x.note },
        })
    });
    Ok((Some(decision), excluded))
}
