//! Runs the examples written inside a rule set (case → expected decision) and reports every mismatch.

use crate::compile::RuleSet;
use crate::decide::route;
use minyi_model::{ExampleOutcome, RoutingDecision};

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// A value as the rule file writes it (JSON and TOML agree on strings, numbers, booleans and lists).
fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn compare(expect: &crate::format::Expect, d: &RoutingDecision) -> Vec<String> {
    let mut out = Vec::new();
    let mut diff = |field: &str, want: String, got: String| {
        if want != got {
            out.push(format!("{field}: expected {want}, got {got}"));
        }
    };
    if let Some(lead) = &expect.lead {
        diff("lead", json(lead), json(&d.lead));
    }
    if let Some(tier) = &expect.tier {
        diff("tier", json(tier), json(&d.tier));
    }
    if let Some(c) = &expect.co_handlers {
        diff("co_handlers", json(&sorted(c.clone())), json(&sorted(d.co_handlers.clone())));
    }
    if let Some(e) = &expect.escalate {
        diff("escalate", json(&sorted(e.clone())), json(&sorted(d.escalate.clone())));
    }
    if let Some(t) = &expect.tags {
        diff("tags", json(&sorted(t.clone())), json(&sorted(d.tags.clone())));
    }
    if let Some(p) = &expect.priority {
        diff("priority", json(p), json(&d.priority));
    }
    if let Some(m) = &expect.manual {
        diff("manual", json(m), json(&d.manual));
    }
    if let Some(deadline) = &expect.deadline {
        diff("deadline", json(deadline), json(&d.deadline));
    }
    if let Some(fired) = &expect.fired {
        let got: Vec<String> = d.explanation.fired.iter().map(|f| f.rule.clone()).collect();
        diff("fired", json(fired), json(&got));
    }
    out
}

/// Routes every example's case and compares the decision with its expectations.
pub fn run_examples(rules: &RuleSet) -> Vec<ExampleOutcome> {
    rules
        .examples
        .iter()
        .map(|ex| {
            let (mismatches, decision) = match route(rules, &ex.case, ex.context.clone()) {
                Ok(d) => (compare(&ex.expect, &d), Some(d)),
                Err(e) => (vec![e.to_string()], None),
            };
            ExampleOutcome {
                name: ex.name.clone(),
                line: ex.line,
                passed: mismatches.is_empty(),
                mismatches,
                decision: decision.unwrap_or_else(|| RoutingDecision {
                    lead: ex.case.district.clone(),
                    co_handlers: Vec::new(),
                    tier: minyi_model::SlaTier::General,
                    deadline: String::new(),
                    priority: 3,
                    tags: Vec::new(),
                    escalate: Vec::new(),
                    manual: true,
                    explanation: minyi_model::Explanation::default(),
                    warnings: Vec::new(),
                }),
            }
        })
        .collect()
}
