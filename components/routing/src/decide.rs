//! Evaluates a compiled rule set against one case: candidates from the index, hit policy, fallback (兜底),
//! deadline and explanation.

use crate::RouteError;
use crate::calendar::{Calendar, deadline};
use crate::compile::{Rule, RuleSet};
use crate::cond::{Facts, Trace};
use crate::format::HitPolicy;
use chrono::DateTime;
use minyi_model::{CaseContext, CaseForm, Explanation, FiredRule, NearMiss, NotTried, RoutingDecision, SlaTier};

/// How many near-misses an explanation lists.
const NEAR_MISSES: usize = 3;
/// The lead of a case no unit can be resolved for (it has no district): the 12345 hotline centre, whose
/// operators dispatch it by hand (`manual` is set).
pub const HOTLINE_CENTRE: &str = "12345";
pub use minyi_model::DEFAULT_RULE;

fn resolve(unit: &str, form: &CaseForm) -> String {
    match unit {
        "$street" => form.street.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| form.district.clone()),
        "$district" => form.district.clone(),
        other => other.to_owned(),
    }
}

fn urgency(tier: SlaTier) -> u8 {
    match tier {
        SlaTier::Emergency => 0,
        SlaTier::Urgent => 1,
        SlaTier::Consult => 2,
        SlaTier::General => 3,
        SlaTier::Complex => 4,
    }
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Routes one case. Unmatched cases go to the default unit or an operator; only a `received_at` that is
/// not a timestamp is an error (no deadline can be set without it).
pub fn route(rules: &RuleSet, form: &CaseForm, context: CaseContext) -> Result<RoutingDecision, RouteError> {
    let received = DateTime::parse_from_rfc3339(form.received_at.trim())
        .map_err(|_| RouteError::ReceivedAt(form.received_at.clone()))?;
    let facts = Facts::new(form, context, received, &rules.vocabulary);
    let mut candidates = Vec::new();
    rules.index.candidates(form.category.as_deref().unwrap_or(""), &form.district, &mut candidates);

    let mut fired: Vec<&Rule> = Vec::new();
    // Failed candidates with the number of conditions that held before the first failure.
    let mut missed: Vec<(&Rule, usize)> = Vec::new();
    let mut decided = false;
    let has_street = form.street.as_deref().is_some_and(|s| !s.is_empty());
    let (mut tried, mut street_given) = (0usize, 0usize);
    for &n in &candidates {
        let Some(rule) = rules.rules.get(n as usize) else { continue };
        // Rules for cases without a street (address → township) are not even near misses for a case with one.
        if has_street && rule.when.missing.contains(&crate::format::FormField::Street) {
            street_given += 1;
            continue;
        }
        tried += 1;
        let mut trace = Trace::short();
        if rule.when.eval(&facts, &mut trace) {
            fired.push(rule);
            if rules.hit_policy == HitPolicy::First && rule.then.decides() {
                decided = true;
                break;
            }
        } else {
            missed.push((rule, trace.n_held));
        }
    }

    let mut d = RoutingDecision {
        lead: String::new(),
        co_handlers: Vec::new(),
        tier: SlaTier::General,
        deadline: String::new(),
        priority: 3,
        tags: Vec::new(),
        escalate: Vec::new(),
        manual: false,
        explanation: Explanation {
            fired: Vec::with_capacity(fired.len()),
            near_misses: Vec::new(),
            not_tried: not_tried(rules, form, candidates.len(), street_given, tried),
        },
        warnings: Vec::new(),
    };
    let mut tier: Option<SlaTier> = None;
    let mut priority: Option<u8> = None;
    let mut leads = Vec::new();
    for rule in &fired {
        let then = &rule.then;
        if let Some(lead) = &then.lead {
            leads.push(resolve(lead, form));
        }
        if let Some(t) = then.tier
            && tier.is_none_or(|cur| urgency(t) < urgency(cur))
        {
            tier = Some(t);
        }
        if let Some(p) = then.priority {
            priority = Some(priority.map_or(p, |cur| cur.min(p)));
        }
        d.manual |= then.manual;
        for u in &then.co_handlers {
            push_unique(&mut d.co_handlers, resolve(u, form));
        }
        for tag in &then.tags {
            push_unique(&mut d.tags, tag.clone());
        }
        for u in &then.escalate {
            push_unique(&mut d.escalate, resolve(u, form));
        }
        let mut trace = Trace::held_words();
        rule.when.eval(&facts, &mut trace);
        let mut why =
            if trace.held.is_empty() { "no conditions (matches every case)".to_owned() } else { trace.held.join("; ") };
        if let Some(note) = &rule.note {
            why = format!("{why} — {note}");
        }
        d.explanation.fired.push(FiredRule { rule: rule.id.clone(), why });
    }
    let mut leads = leads.into_iter();
    match leads.next() {
        Some(lead) => d.lead = lead,
        None if decided => d.lead = form.district.clone(), // manual without a lead: the district's operators
        None => {
            let why = match rules.default_unit.as_deref() {
                Some("manual") => {
                    d.manual = true;
                    d.lead = form.district.clone();
                    "no rule decided; the rule set sends such cases to an operator (manual dispatch)".to_owned()
                }
                Some(unit) => {
                    d.lead = resolve(unit, form);
                    format!("no rule decided; default unit {unit} (兜底)")
                }
                None => {
                    d.lead = form.district.clone();
                    "no rule decided; the case's district (兜底)".to_owned()
                }
            };
            d.explanation.fired.push(FiredRule { rule: DEFAULT_RULE.to_owned(), why });
        }
    }
    for other in leads {
        push_unique(&mut d.co_handlers, other);
    }
    if d.lead.is_empty() {
        // Nothing to resolve a unit from (no district on the case): the hotline centre dispatches by hand.
        d.lead = HOTLINE_CENTRE.to_owned();
        d.manual = true;
    }
    let lead = d.lead.clone();
    d.co_handlers.retain(|u| *u != lead);
    d.tier = tier.unwrap_or(SlaTier::General);
    d.priority = priority.unwrap_or(3);
    let due = deadline(Calendar::china(), d.tier, received);
    d.deadline = due.to_rfc3339();
    d.warnings.extend(crate::calendar::deadline_warning(Calendar::china(), d.tier, received, due));
    d.explanation.near_misses = near_misses(&facts, &missed);
    Ok(d)
}

/// The rules never evaluated for this case, by reason: every rule is fired, a failed candidate, or here.
fn not_tried(rules: &RuleSet, form: &CaseForm, candidates: usize, street_given: usize, tried: usize) -> Vec<NotTried> {
    let category = form.category.as_deref().filter(|c| !c.is_empty()).unwrap_or("(none)");
    let district = if form.district.is_empty() { "(none)" } else { form.district.as_str() };
    let by_index = rules.rules.len().saturating_sub(candidates);
    let after = candidates.saturating_sub(street_given + tried);
    let entry = |count: usize, reason: &str, detail: String| {
        (count > 0).then(|| NotTried { count: count as u32, reason: reason.to_owned(), detail })
    };
    [
        entry(
            by_index,
            "index",
            format!(
                "{by_index} of {} rules are indexed under other categories or districts than category {category} \
                 in district {district}; {candidates} were candidates",
                rules.rules.len()
            ),
        ),
        entry(
            street_given,
            "street_given",
            format!("{street_given} rules are for cases without a street; this case has one"),
        ),
        entry(after, "decided", format!("{after} candidates come after the rule that decided (hit policy first)")),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The failed candidates that came closest: most conditions met before the first failure, then rule
/// order. For each, the condition that stopped it is described.
fn near_misses(facts: &Facts<'_>, missed: &[(&Rule, usize)]) -> Vec<NearMiss> {
    let mut closest: Vec<(usize, usize, &Rule)> = missed
        .iter()
        .enumerate()
        .filter(|(_, (_, held))| *held > 0)
        .map(|(order, (rule, held))| (usize::MAX - held, order, *rule))
        .collect();
    closest.sort_unstable_by_key(|(held, order, _)| (*held, *order));
    closest
        .into_iter()
        .take(NEAR_MISSES)
        .map(|(_, _, rule)| {
            let mut t = Trace::first_failure();
            rule.when.eval(facts, &mut t);
            NearMiss { rule: rule.id.clone(), failed: t.failed.join("; ") }
        })
        .collect()
}
