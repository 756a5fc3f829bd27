//! Routing on the shipped Beijing rule set (983 rules once its templates are expanded), per call, p50 and
//! p99: the router component (rule set compiled once inside it), the same core called natively, and the
//! `regorus` Rego interpreter running a policy written the way a Rego engineer would — the rules as
//! data, found through an index by category and district, checked by one generic set of conditions.
//! All three get the same varied cases (every kind of condition in the rule set fires on some) and the
//! same rounds, derive the facts they compare (text, month-day, minute, street or district) inside the
//! timed call, and must agree on the whole decision — lead, co-handlers, tier, priority, tags,
//! escalations, manual dispatch and deadline — before anything is timed. Writes
//! `target/bench/routing.json`.
//!
//! `cargo bench --bench routing` (or `cargo xtask bench`) measures; without `--bench` it routes the
//! same cases once and checks the agreement.

use chrono::Datelike as _;
use minyi_model::{CaseContext, CaseForm, categories, divisions};
use minyi_runtime::bindings::types as wit;
use minyi_runtime::{Runtime, RuntimeConfig};
use serde_json::Value;
use std::hint::black_box;
use std::time::Instant;

mod common;
use common::wit_form;

const BEIJING: &str = include_str!("../../../components/routing/rulesets/beijing.toml");

/// A tiny deterministic generator (xorshift), so every run routes the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const TITLES: &[&str] = &[
    "小区垃圾三天没人清运",
    "家里暖气不热，室温只有14度",
    "楼道里有很重的燃气味",
    "工地半夜还在施工，吵得睡不着",
    "楼顶私搭乱建",
    "路口占道经营",
    "电动车飞线充电",
    "红绿灯坏了",
    "拖欠工资三个月",
    "咨询社保缴费",
];

/// Demands with the category they are filed under, so that every kind of condition in the rule set
/// fires on some case: phrases (gas, fire, crime, illness, accident), keywords with a category, a
/// heating season, night hours, and `any` / `not`.
const SCENARIOS: &[(&str, &str)] = &[
    ("楼道里电动车飞线充电", "safety.fire.ebike_charging"),
    ("家里暖气不热，室温只有14度", "utilities.heating.outage"),
    ("暖气管道漏水", "utilities.heating.pipe_leak"),
    ("工地半夜还在施工，吵得睡不着", "urban.construction.night_work"),
    ("晚上有人在施工打桩", "environment.noise.neighbours"),
    ("楼顶私搭乱建", "urban.construction.illegal_building"),
    ("小区里有人私搭乱建", "housing.property.common_areas"),
    ("楼道里有很重的燃气味", "urban.sanitation.garbage"),
    ("对面楼着火了，火势很大", "urban.sanitation.garbage"),
    ("小区里着火了", "safety.fire.hazards"),
    ("楼下有人持刀抢劫", "urban.sanitation.garbage"),
    ("有人晕倒在地", "transport.traffic.signals"),
    ("路口发生车祸", "transport.traffic.signals"),
];

fn cases(n: usize) -> Vec<(CaseForm, u32)> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let leaves: Vec<&str> = categories::leaves().map(|c| c.code).collect();
    (0..n)
        .map(|_| {
            let d = &divisions::DISTRICTS[rng.below(divisions::DISTRICTS.len())];
            let s = &d.streets[rng.below(d.streets.len())];
            let with_street = rng.below(5) != 0;
            let (title, category) = if rng.below(2) == 0 {
                SCENARIOS[rng.below(SCENARIOS.len())]
            } else {
                (TITLES[rng.below(TITLES.len())], leaves[rng.below(leaves.len())])
            };
            let month = 1 + rng.below(12);
            let hour = rng.below(24);
            let form = CaseForm {
                district: d.code.to_owned(),
                street: with_street.then(|| s.code.to_owned()),
                channel: minyi_model::Channel::Hotline,
                kind: minyi_model::Kind::Complaint,
                category: Some(category.to_owned()),
                title: title.to_owned(),
                description: format!("{title}，已经持续好几天了，希望有关部门尽快处理。"),
                address: format!("北京市{}{}某小区{}号楼", d.name, s.name, 1 + rng.below(30)),
                location: None,
                reporter: None,
                attributes: Default::default(),
                attachments: Vec::new(),
                consent: true,
                received_at: format!(
                    "2026-{month:02}-{:02}T{hour:02}:{:02}:00+08:00",
                    1 + rng.below(28),
                    rng.below(60)
                ),
            };
            (form, [0, 0, 0, 1, 3, 6][rng.below(6)])
        })
        .collect()
}

/// The Rego input: the form exactly as the native router and the component get it, and the repeat
/// count. Every fact the policy compares (the text, the month-day, the minute of the day, the street or
/// its district) is derived by the policy itself, inside the timed evaluation, as the routers do.
fn rego_input(f: &CaseForm, repeat: u32) -> regorus::Value {
    let mut v = serde_json::to_value(f).expect("a form serialises");
    v["repeat_count"] = repeat.into();
    regorus::Value::from_json_str(&v.to_string()).expect("input JSON")
}

/// The policy a Rego engineer would write for this rule file: the rules are data (`data.rules`, the
/// expanded rule file with each rule's conditions as an object), looked up through an index by category
/// prefix and district (`data.index`) instead of scanned, and evaluated by one generic set of
/// condition checks — no rule per rule, no `else` chains. It computes the whole decision: the lead, the
/// co-handlers, the tier, the case priority, the tags, the escalations, manual dispatch and the deadline
/// (24 h, 7 days, or 15 working days on the holiday calendar, `data.calendar`).
const POLICY: &str = r#"package route
import rego.v1

# Facts, from the form.
text := concat("\n", [input.title, input.description])
has_field(f) if { x := input[f]; x != null; x != "" }
street_or_district := input.street if has_field("street")
street_or_district := input.district if not has_field("street")
# Two digits of the receipt time (regorus reads no leading zero: "07" is read as 107 - 100).
two(from) := to_number(concat("", ["1", substring(input.received_at, from, 2)])) - 100
day0 := civil(to_number(substring(input.received_at, 0, 4)), two(5), two(8))
md := (two(5) * 100) + two(8)
minutes := (two(11) * 60) + two(14)

# Days since 1970-01-01 (H. Hinnant's days_from_civil).
civil(y, m, d) := days(y - 1, m + 9, d) if m <= 2
civil(y, m, d) := days(y, m - 3, d) if m > 2
days(y, mp, d) := ((era * 146097) + doe) - 719468 if {
    era := floor(y / 400)
    yoe := y - (era * 400)
    doy := (floor(((153 * mp) + 2) / 5) + d) - 1
    doe := (((yoe * 365) + floor(yoe / 4)) - floor(yoe / 100)) + doy
}

# Candidates: the rules indexed under one of the case's category prefixes (or none) and its district (or any).
parts := split(input.category, ".")
keys contains concat(".", array.slice(parts, 0, i + 1)) if some i in numbers.range(0, count(parts) - 1)
keys contains "*"
# Rules are named by their place in `data.rules` (sets of numbers, not of rule objects).
candidates contains o if {
    some k in keys
    some d in {input.district, "*"}
    some o in data.index[k][d]
}
holding contains o if { some o in candidates; every k, v in data.rules[o].when { check(k, v) } }

# Hit policy `first`: the first deciding rule (by priority, then file order) and the modifiers before it.
rank(o) := [data.rules[o].priority, o]
deciding := {rank(o) | some o in holding; data.rules[o].decides}
cutoff := min(deciding) if count(deciding) > 0
cutoff := [1000000, 1000000] if count(deciding) == 0
fired contains o if { some o in holding; rank(o) <= cutoff }
decider := data.rules[cutoff[1]] if count(deciding) > 0

resolve(u) := street_or_district if u == "$street"
resolve(u) := input.district if u == "$district"
resolve(u) := u if not startswith(u, "$")

lead := resolve(decider.then.lead) if decider.then.lead
lead := input.district if { decider.then.manual; not decider.then.lead }
lead := resolve(data.default_unit) if count(deciding) == 0
default manual := false
manual if { some o in fired; data.rules[o].then.manual }
co_handlers := {resolve(u) | some o in fired; some u in data.rules[o].then.co_handlers} - {lead}
tags := {t | some o in fired; some t in data.rules[o].then.tags}
escalate := {resolve(u) | some o in fired; some u in data.rules[o].then.escalate}
urgencies := {data.urgency[t] | some o in fired; t := data.rules[o].then.tier}
tier := data.tiers[min(urgencies)] if count(urgencies) > 0
tier := "general" if count(urgencies) == 0
priorities := {p | some o in fired; p := data.rules[o].then.priority}
priority := min(priorities) if count(priorities) > 0
priority := 3 if count(priorities) == 0

# The deadline's day (the time of day is the receipt's).
deadline_day := day0 + 1 if tier in {"emergency", "urgent", "consult"}
deadline_day := day0 + 7 if tier == "general"
deadline_day := d if { tier == "complex"; d := working[14] }
working := [d | some i in numbers.range(1, 60); d := day0 + i; is_working(d)]
is_working(d) if { (d + 3) % 7 < 5; not d in data.calendar.off }
is_working(d) if d in data.calendar.on

decision := {
    "lead": lead, "co_handlers": co_handlers, "tier": tier, "priority": priority, "tags": tags,
    "escalate": escalate, "manual": manual, "deadline_day": deadline_day,
}

# One check per kind of condition; the conditions inside an `any` or a `not` name no `any` or `not`.
check("any", alts) if { some alt in alts; every k, v in alt { flat(k, v) } }
check("not", c) if not all_flat(c)
check(k, v) if { not k in {"any", "not"}; flat(k, v) }
all_flat(c) if { every k, v in c { flat(k, v) } }

flat("district", v) if input.district in v
flat("street", v) if input.street in v
flat("kind", v) if input.kind in v
flat("channel", v) if input.channel in v
flat("category", v) if { some p in v; p in keys }
flat("keywords", v) if { some w in v; contains(text, w) }
flat("address", v) if { some w in v; contains(input.address, w) }
flat("missing", v) if { every f in v { not has_field(f) } }
flat("unless", v) if { every w in v { not contains(text, w) } }
flat("phrases", v) if { some name in v; phrase(data.phrases[name]) }
flat("repeat_at_least", v) if input.repeat_count >= v
flat("season", v) if within(md, v[0], v[1])
flat("hours", v) if before(minutes, v[0], v[1])

phrase(l) if { some k in l.keywords; contains(text, k); not vetoed(l) }
vetoed(l) if { some u in l.unless; contains(text, u) }
within(v, f, t) if { f <= t; v >= f; v <= t }
within(v, f, t) if { f > t; v >= f }
within(v, f, t) if { f > t; v <= t }
before(v, f, t) if { f <= t; v >= f; v < t }
before(v, f, t) if { f > t; v >= f }
before(v, f, t) if { f > t; v < t }
"#;

/// The rule file as the policy's data: its rules (templates expanded) with their conditions as
/// objects, the index by category prefix and district, the phrase lists the rules name, the tiers'
/// urgency and the holiday calendar (as days since 1970-01-01: weekdays off and weekend days worked).
fn rego_data(source: &str) -> String {
    let doc = minyi_routing::expanded_json(source).expect("the rule set's templates expand");
    let rules_in = doc.get("rule").and_then(Value::as_array).cloned().unwrap_or_default();
    let (mut rules, mut phrases) = (Vec::new(), serde_json::Map::new());
    let mut index: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<usize>>> =
        Default::default();
    for (order, rule) in rules_in.iter().enumerate() {
        let when = rule.get("when").map(|w| conditions(w, &mut phrases, false)).unwrap_or_default();
        let then = &rule["then"];
        let decides = then.get("lead").is_some_and(|l| !l.is_null()) || then["manual"] == Value::Bool(true);
        let mut then_out = serde_json::Map::new();
        for key in ["lead", "manual", "co_handlers", "tags", "escalate", "tier", "priority"] {
            if let Some(v) = then.get(key).filter(|v| !v.is_null() && *v != &Value::Bool(false)) {
                then_out.insert(key.to_owned(), v.clone());
            }
        }
        // Indexed under the categories it names (or, for an `any`, those all its alternatives name),
        // and its districts; `*` where it names none. The index may over-include: every condition is
        // checked.
        let named = |c: &serde_json::Map<String, Value>| c.get("category").and_then(Value::as_array).cloned();
        let categories = named(&when).or_else(|| {
            let alts = when.get("any")?.as_array()?;
            let lists: Option<Vec<Vec<Value>>> = alts.iter().map(|a| a.as_object().and_then(named)).collect();
            lists.map(|l| l.concat())
        });
        let keys: Vec<String> = match categories {
            Some(c) => c.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            None => vec!["*".to_owned()],
        };
        let districts: Vec<String> = match when.get("district").and_then(Value::as_array) {
            Some(d) => d.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            None => vec!["*".to_owned()],
        };
        for k in &keys {
            for d in &districts {
                index.entry(k.clone()).or_default().entry(d.clone()).or_default().push(order);
            }
        }
        // What the lookup already established is not checked again: a rule found under one of its own
        // categories (or districts) holds on that condition.
        let mut when = when;
        if when.get("category").is_some() {
            when.remove("category");
        }
        if when.get("district").is_some() {
            when.remove("district");
        }
        rules.push(serde_json::json!({
            "order": order,
            "priority": rule.get("priority").and_then(Value::as_i64).unwrap_or(100),
            "decides": decides,
            "when": when,
            "then": then_out,
        }));
    }
    // The calendar the routers use, over the years the cases and their deadlines span.
    let calendar = minyi_routing::calendar::Calendar::china();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    let (mut off, mut on) = (Vec::new(), Vec::new());
    let mut day = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("a date");
    while day.year() <= 2027 {
        let weekday = day.weekday().num_days_from_monday() < 5;
        let n = (day - epoch).num_days();
        match (weekday, calendar.is_working_day(day)) {
            (true, false) => off.push(n),
            (false, true) => on.push(n),
            _ => {}
        }
        day = day.succ_opt().expect("a next day");
    }
    serde_json::json!({
        "rules": rules,
        "index": index,
        "phrases": phrases,
        "default_unit": doc["ruleset"]["default_unit"].as_str().unwrap_or("$district"),
        "urgency": {"emergency": 0, "urgent": 1, "consult": 2, "general": 3, "complex": 4},
        "tiers": ["emergency", "urgent", "consult", "general", "complex"],
        "calendar": {"off": off, "on": on},
    })
    .to_string()
}

/// A rule's `when` as the policy reads it: only the conditions given; seasons as month-day numbers,
/// hours as minutes of the day; the phrase lists it names copied into `phrases`.
fn conditions(w: &Value, phrases: &mut serde_json::Map<String, Value>, nested: bool) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let Some(table) = w.as_object() else { return out };
    for (key, value) in table {
        // The expanded rules name every condition: those not given are empty.
        if value.is_null() || value.as_array().is_some_and(Vec::is_empty) || value == &Value::Bool(false) {
            continue;
        }
        // What the policy's `flat` checks inside an `any` or a `not`.
        assert!(
            !nested || !["any", "not"].contains(&key.as_str()),
            "the Rego policy does not cover `{key}` inside `any` or `not` yet"
        );
        let v = match key.as_str() {
            "district" | "street" | "kind" | "channel" | "category" | "keywords" | "address" | "missing" | "unless"
            | "repeat_at_least" => value.clone(),
            "phrases" => {
                for name in value.as_array().into_iter().flatten().filter_map(Value::as_str) {
                    let (_, l) = minyi_model::phrases::list(name).expect("a shared phrase list");
                    phrases.insert(name.to_owned(), serde_json::json!({"keywords": l.keywords, "unless": l.unless}));
                }
                value.clone()
            }
            "season" => {
                let s = value.as_str().unwrap_or_default();
                let md = |t: &str| t.replace('-', "").parse::<u32>().unwrap_or(0);
                let (a, b) = s.split_once("..").expect("a season is FROM..TO");
                serde_json::json!([md(a), md(b)])
            }
            "hours" => {
                let s = value.as_str().unwrap_or_default();
                let min = |t: &str| {
                    let (h, m) = t.split_once(':').unwrap_or(("0", "0"));
                    (h.parse::<u32>().unwrap_or(0) * 60 + m.parse::<u32>().unwrap_or(0)) % 1440
                };
                let (a, b) = s.split_once('-').expect("hours are FROM-TO");
                serde_json::json!([min(a), min(b)])
            }
            "any" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|alt| Value::Object(conditions(alt, phrases, true)))
                    .collect(),
            ),
            "not" => Value::Object(conditions(value, phrases, true)),
            other => panic!("the Rego policy does not cover `{other}` yet"),
        };
        out.insert(key.clone(), v);
    }
    out
}

/// The decision the policy returned, in the shape the native one is compared in: sets sorted, the
/// deadline as its day since 1970-01-01.
fn rego_decision(v: &regorus::Value) -> Value {
    let mut d: Value = serde_json::from_str(&v.to_json_str().expect("JSON")).expect("the decision as JSON");
    for key in ["co_handlers", "tags", "escalate"] {
        if let Some(list) = d[key].as_array_mut() {
            list.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        }
    }
    d
}

/// The native decision in the same shape.
fn native_decision(d: &minyi_model::RoutingDecision) -> Value {
    let sorted = |l: &[String]| {
        let mut l = l.to_vec();
        l.sort();
        l
    };
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    let due = chrono::DateTime::parse_from_rfc3339(&d.deadline).expect("an RFC 3339 deadline");
    serde_json::json!({
        "lead": d.lead, "co_handlers": sorted(&d.co_handlers), "tier": d.tier, "priority": d.priority,
        "tags": sorted(&d.tags), "escalate": sorted(&d.escalate), "manual": d.manual,
        "deadline_day": (due.date_naive() - epoch).num_days(),
    })
}

fn percentiles(mut ns: Vec<u64>) -> (f64, f64) {
    ns.sort_unstable();
    let at = |q: f64| ns[((ns.len() as f64 - 1.0) * q).round() as usize] as f64 / 1e3;
    (at(0.50), at(0.99))
}

fn time(rounds: usize, cases: usize, mut call: impl FnMut(usize)) -> (f64, f64) {
    for i in 0..cases {
        call(i); // warm-up
    }
    let mut ns = Vec::with_capacity(rounds * cases);
    for _ in 0..rounds {
        for i in 0..cases {
            let t = Instant::now();
            call(i);
            ns.push(t.elapsed().as_nanos() as u64);
        }
    }
    percentiles(ns)
}

/// The kinds of condition a rule names (its `when` keys, those inside `any` and `not` included).
fn condition_kinds(rule: &Value, into: &mut std::collections::BTreeSet<String>) {
    for (key, value) in rule.as_object().into_iter().flatten() {
        if value.is_null() || value.as_array().is_some_and(Vec::is_empty) || value == &Value::Bool(false) {
            continue;
        }
        into.insert(key.clone());
        match key.as_str() {
            "any" => value.as_array().into_iter().flatten().for_each(|alt| condition_kinds(alt, into)),
            "not" => condition_kinds(value, into),
            _ => {}
        }
    }
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    // The smoke run routes the same 400 cases once: they are what makes every kind of condition fire.
    let (n_cases, rounds) = if measuring { (400, 20) } else { (400, 1) };
    let cases = cases(n_cases);
    let started = Instant::now();
    let native = minyi_routing::compile(BEIJING).expect("the Beijing set compiles");
    let native_load = started.elapsed().as_secs_f64() * 1e3;
    let rt = Runtime::new(RuntimeConfig::default()).expect("components load");
    let started = Instant::now();
    let component = rt.compile_rules(BEIJING).expect("runs").expect("compiles in the component");
    let component_load = started.elapsed().as_secs_f64() * 1e3;
    // Each engine gets the case in its own input type, made before timing: WIT records for the
    // component, a Rego value for regorus. The facts the rules compare are derived inside each.
    let wit_cases: Vec<(wit::CaseForm, wit::CaseContext)> =
        cases.iter().map(|(f, r)| (wit_form(f), wit::CaseContext { repeat_count: *r })).collect();
    let started = Instant::now();
    let mut rego = regorus::Engine::new();
    rego.add_policy("route.rego".into(), POLICY.into()).expect("the policy parses");
    rego.add_data(regorus::Value::from_json_str(&rego_data(BEIJING)).expect("data JSON")).expect("the data loads");
    let rego_load = started.elapsed().as_secs_f64() * 1e3;
    let inputs: Vec<regorus::Value> = cases.iter().map(|(f, r)| rego_input(f, *r)).collect();

    // The three must agree on the whole decision before any timing means anything: the component
    // with the native core field for field (explanation included), regorus on everything it decides.
    let rules_by_id: std::collections::HashMap<String, Value> = minyi_routing::expanded_json(BEIJING).expect("expands")
        ["rule"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r["id"].as_str()?.to_owned(), r["when"].clone())))
        .collect();
    let (mut fired_kinds, mut all_kinds) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    rules_by_id.values().for_each(|w| condition_kinds(w, &mut all_kinds));
    for (i, (form, repeat)) in cases.iter().enumerate() {
        let n = minyi_routing::route(&native, form, CaseContext { repeat_count: *repeat, suggestion: None })
            .expect("routes");
        let c = component.route(&wit_cases[i].0, wit_cases[i].1).expect("routes");
        // The WIT record has no `not_tried` and no warnings (the JSON export carries them): everything
        // else, field for field.
        let mut without = n.clone();
        without.explanation.not_tried.clear();
        without.warnings.clear();
        assert_eq!(minyi_runtime::convert::decision_to_model(&c), without, "case {i}: component vs native");
        rego.set_input(inputs[i].clone());
        let r = rego_decision(&rego.eval_rule("data.route.decision".into()).expect("evaluates"));
        assert_eq!(r, native_decision(&n), "case {i}: Rego vs native ({:?})", n.explanation.fired);
        for f in &n.explanation.fired {
            if let Some(when) = rules_by_id.get(&f.rule) {
                condition_kinds(when, &mut fired_kinds);
            }
        }
    }
    let unfired: Vec<&String> = all_kinds.difference(&fired_kinds).collect();
    assert!(unfired.is_empty(), "no case fires a rule with these conditions: {unfired:?}");

    // The same cases, the same rounds, for all three.
    let (n50, n99) = time(rounds, cases.len(), |i| {
        let (f, r) = &cases[i];
        black_box(minyi_routing::route(&native, black_box(f), CaseContext { repeat_count: *r, suggestion: None }).ok());
    });
    let (c50, c99) = time(rounds, cases.len(), |i| {
        black_box(component.route(black_box(&wit_cases[i].0), wit_cases[i].1).ok());
    });
    let (r50, r99) = time(rounds, cases.len(), |i| {
        rego.set_input(inputs[i].clone());
        black_box(rego.eval_rule("data.route.decision".into()).ok());
    });

    println!(
        "\nroute on the Beijing set ({} rules), {} cases × {rounds} rounds; whole decisions agree on all {}; \
         conditions fired: {}",
        native.rule_count(),
        cases.len(),
        cases.len(),
        fired_kinds.iter().cloned().collect::<Vec<_>>().join(" ")
    );
    println!("{:<12} {:>10} {:>10}", "", "p50 µs", "p99 µs");
    for (name, p50, p99) in [("native", n50, n99), ("component", c50, c99), ("regorus", r50, r99)] {
        println!("{name:<12} {p50:>10.2} {p99:>10.2}");
    }
    println!("component/native p50 {:.2}×, regorus/component p50 {:.1}×", c50 / n50, r50 / c50);
    println!(
        "loading the rule set (parse, check, index): native {native_load:.1} ms, component {component_load:.1} ms, \
         regorus {rego_load:.1} ms"
    );
    if measuring {
        let rows = serde_json::json!([
            {"name": "route_beijing/native_p50", "value": n50, "unit": "us"},
            {"name": "route_beijing/native_p99", "value": n99, "unit": "us"},
            {"name": "route_beijing/component_p50", "value": c50, "unit": "us"},
            {"name": "route_beijing/component_p99", "value": c99, "unit": "us"},
            {"name": "route_beijing/regorus_p50", "value": r50, "unit": "us"},
            {"name": "route_beijing/regorus_p99", "value": r99, "unit": "us"},
            {"name": "route_beijing/component_over_native_p50", "value": c50 / n50, "unit": "ratio"},
            {"name": "route_beijing/regorus_over_component_p50", "value": r50 / c50, "unit": "ratio"},
            {"name": "route_beijing/load_native", "value": native_load * 1e3, "unit": "us"},
            {"name": "route_beijing/load_component", "value": component_load * 1e3, "unit": "us"},
            {"name": "route_beijing/load_regorus", "value": rego_load * 1e3, "unit": "us"},
        ]);
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("bench");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("routing.json"), serde_json::to_vec_pretty(&rows).unwrap_or_default());
    }
}
