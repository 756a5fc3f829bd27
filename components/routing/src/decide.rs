//! Evaluates a rule set against one form: hit policy, fallback (兜底), deadline and explanation.

use crate::RouteError;
use crate::ruleset::{HitPolicy, Rule, RuleSet};
use chrono::{DateTime, Duration};
use minyi_model::{CaseForm, Explanation, FiredRule, NearMiss, RoutingDecision, SlaTier};

/// How many near-misses an explanation lists.
const NEAR_MISSES: usize = 3;

/// The outcome of testing one rule: the conditions that held and the ones that failed.
struct Test {
    held: Vec<String>,
    failed: Vec<String>,
}

fn test(rule: &Rule, form: &CaseForm) -> Test {
    let mut t = Test { held: Vec::new(), failed: Vec::new() };
    let w = &rule.when;
    let category = form.category.as_deref().unwrap_or("");
    if !w.category.is_empty() {
        match w.category.iter().find(|p| category_matches(category, p)) {
            Some(p) => t.held.push(format!("category {category} is under {p}")),
            None => t.failed.push(format!("category {category:?} is not under any of {:?}", w.category)),
        }
    }
    if !w.kind.is_empty() {
        if w.kind.contains(&form.kind) {
            t.held.push(format!("kind is {:?}", form.kind).to_lowercase());
        } else {
            t.failed.push(format!("kind {:?} is not one of {:?}", form.kind, w.kind).to_lowercase());
        }
    }
    if !w.district.is_empty() {
        if w.district.iter().any(|d| d == &form.district) {
            t.held.push(format!("district is {}", form.district));
        } else {
            t.failed.push(format!("district {} is not one of {:?}", form.district, w.district));
        }
    }
    if !w.keywords.is_empty() {
        match w.keywords.iter().find(|k| form.title.contains(k.as_str()) || form.description.contains(k.as_str())) {
            Some(k) => t.held.push(format!("text mentions {k:?}")),
            None => t.failed.push(format!("text mentions none of {:?}", w.keywords)),
        }
    }
    t
}

/// A category matches a prefix at a level boundary: `urban.sanitation` covers `urban.sanitation.garbage`.
fn category_matches(category: &str, prefix: &str) -> bool {
    category == prefix || category.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.'))
}

fn resolve_unit(unit: &str, form: &CaseForm) -> String {
    match unit {
        "$street" => form.street.clone().unwrap_or_else(|| form.district.clone()),
        "$district" => form.district.clone(),
        other => other.to_owned(),
    }
}

/// Reply time limit of each tier (calendar time; working-day calendars come with the routing issue).
fn limit(tier: SlaTier) -> Duration {
    match tier {
        SlaTier::Emergency | SlaTier::Urgent | SlaTier::Consult => Duration::hours(24),
        SlaTier::General => Duration::days(7),
        SlaTier::Complex => Duration::days(21),
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

/// Routes one form with a parsed rule set. Unmatched forms go to the default unit or an operator.
pub fn route(rules: &RuleSet, form: &CaseForm) -> Result<RoutingDecision, RouteError> {
    let received = DateTime::parse_from_rfc3339(form.received_at.trim())
        .map_err(|_| RouteError::ReceivedAt(form.received_at.clone()))?;
    let mut fired: Vec<(&Rule, Test)> = Vec::new();
    let mut misses: Vec<(&Rule, Test)> = Vec::new();
    for rule in &rules.rules {
        let t = test(rule, form);
        if t.failed.is_empty() {
            fired.push((rule, t));
            if rules.header.hit_policy == HitPolicy::First {
                break;
            }
        } else {
            misses.push((rule, t));
        }
    }
    misses.sort_by_key(|(_, t)| (t.failed.len(), std::cmp::Reverse(t.held.len())));
    let near_misses = misses
        .iter()
        .filter(|(_, t)| !t.held.is_empty())
        .take(NEAR_MISSES)
        .map(|(r, t)| NearMiss { rule: r.id.get_ref().clone(), failed: t.failed.join("; ") })
        .collect();

    let mut d = RoutingDecision {
        lead: String::new(),
        co_handlers: Vec::new(),
        tier: SlaTier::General,
        deadline: String::new(),
        priority: 3,
        tags: Vec::new(),
        escalate: Vec::new(),
        manual: false,
        explanation: Explanation { fired: Vec::new(), near_misses },
    };
    for (i, (rule, t)) in fired.iter().enumerate() {
        let then = rule.then.get_ref();
        let lead = then.lead.as_deref().map(|u| resolve_unit(u, form));
        if i == 0 {
            d.lead = lead.unwrap_or_default();
            d.tier = then.tier;
            d.priority = then.priority;
        } else {
            if let Some(l) = lead.filter(|l| *l != d.lead) {
                push_unique(&mut d.co_handlers, l);
            }
            if urgency(then.tier) < urgency(d.tier) {
                d.tier = then.tier;
            }
            d.priority = d.priority.min(then.priority);
        }
        d.manual |= then.manual;
        for u in &then.co_handlers {
            push_unique(&mut d.co_handlers, resolve_unit(u, form));
        }
        for tag in &then.tags {
            push_unique(&mut d.tags, tag.clone());
        }
        for u in &then.escalate {
            push_unique(&mut d.escalate, resolve_unit(u, form));
        }
        let why = if t.held.is_empty() { "no conditions".to_owned() } else { t.held.join("; ") };
        d.explanation.fired.push(FiredRule { rule: rule.id.get_ref().clone(), why });
    }
    if fired.is_empty() {
        match rules.header.default_unit.as_deref() {
            Some("manual") => {
                d.lead = form.district.clone();
                d.manual = true;
            }
            Some(unit) => d.lead = resolve_unit(unit, form),
            None => d.lead = form.district.clone(),
        }
    }
    if d.lead.is_empty() {
        d.lead = form.district.clone();
        d.manual = true;
    }
    d.co_handlers.retain(|u| *u != d.lead);
    d.deadline = (received + limit(d.tier)).to_rfc3339();
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;
    use minyi_model::{Channel, Kind};

    const RULES: &str = r#"
[ruleset]
name = "test"
hit_policy = "first"

[[rule]]
id = "heating"
priority = 1
when = { category = ["utilities.heating"] }
then = { lead = "bj.heating", tier = "urgent", priority = 1, co_handlers = ["$street"] }

[[rule]]
id = "garbage"
priority = 5
when = { category = ["urban.sanitation"], keywords = ["垃圾"] }
then = { lead = "$street", tier = "general", tags = ["sanitation"] }
"#;

    fn form(category: &str, title: &str) -> CaseForm {
        CaseForm {
            district: "110105".into(),
            street: Some("110105026".into()),
            channel: Channel::Hotline,
            kind: Kind::Complaint,
            category: Some(category.into()),
            title: title.into(),
            description: String::new(),
            address: "望京".into(),
            location: None,
            reporter: None,
            attributes: Default::default(),
            attachments: vec![],
            consent: true,
            received_at: "2026-11-29T10:00:00+08:00".into(),
        }
    }

    #[test]
    fn first_hit_with_explanation_and_deadline() {
        let rules = parse(RULES).expect("valid");
        let d = route(&rules, &form("urban.sanitation.garbage", "垃圾没人清运")).expect("routes");
        assert_eq!(d.lead, "110105026");
        assert_eq!(d.deadline, "2026-12-06T10:00:00+08:00");
        assert_eq!(d.explanation.fired[0].rule, "garbage");
        assert!(d.explanation.fired[0].why.contains("urban.sanitation"), "{:?}", d.explanation);
    }

    #[test]
    fn near_miss_names_the_failed_condition() {
        let rules = parse(RULES).expect("valid");
        let d = route(&rules, &form("urban.sanitation.garbage", "路灯坏了")).expect("routes");
        assert_eq!(d.lead, "110105", "falls back to the district (兜底)");
        assert_eq!(d.explanation.near_misses[0].rule, "garbage");
        assert!(d.explanation.near_misses[0].failed.contains("垃圾"));
    }

    #[test]
    fn prefix_matches_only_whole_levels() {
        assert!(category_matches("utilities.heating.outage", "utilities.heating"));
        assert!(!category_matches("utilities.heatingx", "utilities.heating"));
    }

    #[test]
    fn collect_merges_in_order() {
        let src = RULES
            .replace("hit_policy = \"first\"", "hit_policy = \"collect\"")
            .replace("keywords = [\"垃圾\"]", "keywords = [\"暖气\"]")
            .replace("[\"urban.sanitation\"]", "[\"utilities\"]");
        let rules = parse(&src).expect("valid");
        let d = route(&rules, &form("utilities.heating.outage", "暖气不热")).expect("routes");
        assert_eq!(d.lead, "bj.heating");
        assert_eq!(d.co_handlers, vec!["110105026"]);
        assert_eq!(d.tier, SlaTier::Urgent);
        assert_eq!(d.explanation.fired.len(), 2);
        assert_eq!(d.tags, vec!["sanitation"]);
    }

    #[test]
    fn manual_default() {
        let src = RULES.replace("hit_policy = \"first\"", "hit_policy = \"first\"\ndefault_unit = \"manual\"");
        let rules = parse(&src).expect("valid");
        let d = route(&rules, &form("other", "x")).expect("routes");
        assert!(d.manual);
    }
}
