//! Routing on the shipped Beijing rule set (983 rules, written with templates and expanded before the Rego translation), per call, p50 and p99: the router component
//! (rule set compiled once inside it), the same core called natively, and the `regorus` Rego interpreter
//! evaluating an equivalent policy translated from the same rule file — on the same cases, checked to
//! agree on the lead before anything is timed. Writes `target/bench/routing.json`.
//!
//! `cargo bench --bench routing` (or `cargo xtask bench`) measures; without `--bench` it is a quick smoke run.

use minyi_model::{CaseContext, CaseForm, categories, divisions};
use minyi_runtime::bindings::types as wit;
use minyi_runtime::{Runtime, RuntimeConfig};
use serde_json::Value;
use std::fmt::Write as _;
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

fn cases(n: usize) -> Vec<(CaseForm, u32)> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let leaves: Vec<&str> = categories::leaves().map(|c| c.code).collect();
    (0..n)
        .map(|_| {
            let d = &divisions::DISTRICTS[rng.below(divisions::DISTRICTS.len())];
            let s = &d.streets[rng.below(d.streets.len())];
            let with_street = rng.below(5) != 0;
            let title = TITLES[rng.below(TITLES.len())];
            let month = 1 + rng.below(12);
            let hour = rng.below(24);
            let form = CaseForm {
                district: d.code.to_owned(),
                street: with_street.then(|| s.code.to_owned()),
                channel: minyi_model::Channel::Hotline,
                kind: minyi_model::Kind::Complaint,
                category: Some(leaves[rng.below(leaves.len())].to_owned()),
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

/// The Rego input: the form's fields plus the derived facts the policy compares (month-day, minutes).
fn rego_input(f: &CaseForm, repeat: u32) -> String {
    let t = &f.received_at;
    let md: u32 = t[5..7].parse::<u32>().unwrap_or(0) * 100 + t[8..10].parse::<u32>().unwrap_or(0);
    let minutes: u32 = t[11..13].parse::<u32>().unwrap_or(0) * 60 + t[14..16].parse::<u32>().unwrap_or(0);
    let mut v = serde_json::json!({
        "district": f.district, "category": f.category, "kind": "complaint", "channel": "hotline",
        "text": format!("{}\n{}", f.title, f.description), "address": f.address,
        "md": md, "minutes": minutes, "repeat": repeat,
        "street_or_district": f.street.clone().unwrap_or_else(|| f.district.clone()),
    });
    if let Some(s) = &f.street {
        v["street"] = s.clone().into();
    }
    v.to_string()
}

/// Translates the rule file, its templates expanded, into Rego: one `candidates` entry `[priority, order,
/// lead]` per deciding rule; the decision is the smallest. Modifiers (no lead) do not change the lead
/// and are left out; a shared phrase list becomes its keywords and `unless` words.
fn rego_policy(source: &str) -> String {
    let doc = minyi_routing::expanded_json(source).expect("the rule set's templates expand");
    let mut out = String::from(
        "package route\nimport rego.v1\n\n\
         under(c, p) if c == p\nunder(c, p) if startswith(c, concat(\"\", [p, \".\"]))\n\
         within(v, f, t) if { f <= t; v >= f; v <= t }\nwithin(v, f, t) if { f > t; v >= f }\nwithin(v, f, t) if { f > t; v <= t }\n\
         before(v, f, t) if { f <= t; v >= f; v < t }\nbefore(v, f, t) if { f > t; v >= f }\nbefore(v, f, t) if { f > t; v < t }\n\n\
         decision := min(candidates)\n\n",
    );
    let rules = doc.get("rule").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut helpers = String::new();
    let mut n = 0usize;
    for (order, rule) in rules.iter().enumerate() {
        let then = &rule["then"];
        let lead = match (then.get("lead").and_then(Value::as_str), then.get("manual").and_then(Value::as_bool)) {
            (Some("$street"), _) => "input.street_or_district".to_owned(),
            (Some("$district"), _) | (None, Some(true)) => "input.district".to_owned(),
            (Some(unit), _) => format!("{unit:?}"),
            (None, _) => continue,
        };
        let priority = rule.get("priority").and_then(Value::as_i64).unwrap_or(100);
        let body = match rule.get("when") {
            Some(w) => conditions(w, &mut helpers, &mut n),
            None => vec!["true".to_owned()],
        };
        let _ =
            writeln!(out, "candidates contains [{priority}, {order}, {lead}] if {{\n    {}\n}}", body.join("\n    "));
    }
    out.push_str(&helpers);
    out
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(|s| format!("{s:?}")).collect()).unwrap_or_default()
}

fn quoted(words: &[&str]) -> String {
    words.iter().map(|w| format!("{w:?}")).collect::<Vec<_>>().join(", ")
}

fn conditions(w: &Value, helpers: &mut String, n: &mut usize) -> Vec<String> {
    let mut body = Vec::new();
    let Some(table) = w.as_object() else { return body };
    for (key, value) in table {
        // The expanded rules name every condition: those not given are empty.
        if value.is_null() || value.as_array().is_some_and(Vec::is_empty) || value == &Value::Bool(false) {
            continue;
        }
        *n += 1;
        let v = format!("v{n}");
        match key.as_str() {
            "district" | "street" | "kind" | "channel" => {
                body.push(format!("input.{key} in {{{}}}", strings(value).join(", ")))
            }
            "category" => {
                body.push(format!("{v} := [{}][_]\n    under(input.category, {v})", strings(value).join(", ")))
            }
            "keywords" => {
                body.push(format!("{v} := [{}][_]\n    contains(input.text, {v})", strings(value).join(", ")))
            }
            "address" => {
                body.push(format!("{v} := [{}][_]\n    contains(input.address, {v})", strings(value).join(", ")))
            }
            "missing" => {
                for field in strings(value) {
                    body.push(format!("not input.{}", field.trim_matches('"')));
                }
            }
            "unless" => {
                let name = format!("unless_{n}");
                let _ = writeln!(
                    helpers,
                    "{name} if {{\n    {v} := [{}][_]\n    contains(input.text, {v})\n}}",
                    strings(value).join(", ")
                );
                body.push(format!("not {name}"));
            }
            "phrases" => {
                let name = format!("phrases_{n}");
                for list in value.as_array().into_iter().flatten().filter_map(Value::as_str) {
                    let (_, l) = minyi_model::phrases::list(list).expect("a shared phrase list");
                    let veto = format!("{name}_{}_vetoed", l.name);
                    let _ = writeln!(
                        helpers,
                        "{veto} if {{\n    u := [{}][_]\n    contains(input.text, u)\n}}",
                        quoted(l.unless)
                    );
                    let _ = writeln!(
                        helpers,
                        "{name} if {{\n    k := [{}][_]\n    contains(input.text, k)\n    not {veto}\n}}",
                        quoted(l.keywords)
                    );
                }
                body.push(name);
            }
            "repeat_at_least" => body.push(format!("input.repeat >= {}", value.as_i64().unwrap_or(0))),
            "season" => {
                let s = value.as_str().unwrap_or_default();
                let md = |t: &str| t.replace('-', "").trim_start_matches('0').to_owned();
                if let Some((a, b)) = s.split_once("..") {
                    body.push(format!("within(input.md, {}, {})", md(a), md(b)));
                }
            }
            "hours" => {
                let s = value.as_str().unwrap_or_default();
                let min = |t: &str| {
                    let (h, m) = t.split_once(':').unwrap_or(("0", "0"));
                    (h.parse::<u32>().unwrap_or(0) * 60 + m.parse::<u32>().unwrap_or(0)) % 1440
                };
                if let Some((a, b)) = s.split_once('-') {
                    body.push(format!("before(input.minutes, {}, {})", min(a), min(b)));
                }
            }
            "any" => {
                let name = format!("any_{n}");
                for sub in value.as_array().cloned().unwrap_or_default() {
                    let inner = conditions(&sub, helpers, n);
                    let _ = writeln!(helpers, "{name} if {{\n    {}\n}}", inner.join("\n    "));
                }
                body.push(name);
            }
            "not" => {
                let name = format!("not_{n}");
                let inner = conditions(value, helpers, n);
                let _ = writeln!(helpers, "{name} if {{\n    {}\n}}", inner.join("\n    "));
                body.push(format!("not {name}"));
            }
            other => panic!("the Rego translation does not cover `{other}` yet"),
        }
    }
    if body.is_empty() {
        body.push("true".to_owned());
    }
    body
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

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let (n_cases, rounds, rego_rounds) = if measuring { (400, 50, 3) } else { (40, 1, 1) };
    let cases = cases(n_cases);
    let started = Instant::now();
    let native = minyi_routing::compile(BEIJING).expect("the Beijing set compiles");
    let native_load = started.elapsed().as_secs_f64() * 1e3;
    let rt = Runtime::new(RuntimeConfig::default()).expect("components load");
    let started = Instant::now();
    let component = rt.compile_rules(BEIJING).expect("runs").expect("compiles in the component");
    let component_load = started.elapsed().as_secs_f64() * 1e3;
    let wit_cases: Vec<(wit::CaseForm, wit::CaseContext)> =
        cases.iter().map(|(f, r)| (wit_form(f), wit::CaseContext { repeat_count: *r })).collect();
    let mut rego = regorus::Engine::new();
    rego.add_policy("route.rego".into(), rego_policy(BEIJING)).expect("the translated policy parses");
    let inputs: Vec<regorus::Value> =
        cases.iter().map(|(f, r)| regorus::Value::from_json_str(&rego_input(f, *r)).expect("input JSON")).collect();

    // The three must agree on the lead before any timing means anything.
    let mut agree = 0;
    for (i, (form, repeat)) in cases.iter().enumerate() {
        let n = minyi_routing::route(&native, form, CaseContext { repeat_count: *repeat }).expect("routes");
        let c = component.route(&wit_cases[i].0, wit_cases[i].1).expect("routes");
        assert_eq!(n.lead, c.lead, "case {i}: native vs component");
        rego.set_input(inputs[i].clone());
        let d = rego.eval_rule("data.route.decision".into()).expect("evaluates");
        let rego_lead = d[2].as_string().map(|s| s.to_string()).unwrap_or_else(|_| form.district.clone());
        assert_eq!(rego_lead, n.lead, "case {i}: Rego vs native ({:?})", n.explanation.fired);
        agree += 1;
    }

    let (n50, n99) = time(rounds, cases.len(), |i| {
        let (f, r) = &cases[i];
        black_box(minyi_routing::route(&native, black_box(f), CaseContext { repeat_count: *r }).ok());
    });
    let (c50, c99) = time(rounds, cases.len(), |i| {
        black_box(component.route(black_box(&wit_cases[i].0), wit_cases[i].1).ok());
    });
    let (r50, r99) = time(rego_rounds, cases.len(), |i| {
        rego.set_input(inputs[i].clone());
        black_box(rego.eval_rule("data.route.decision".into()).ok());
    });

    println!(
        "\nroute on the Beijing set ({} rules), {} cases, leads agree on {agree}/{}",
        native.rule_count(),
        cases.len(),
        cases.len()
    );
    println!("{:<12} {:>10} {:>10}", "", "p50 µs", "p99 µs");
    for (name, p50, p99) in [("native", n50, n99), ("component", c50, c99), ("regorus", r50, r99)] {
        println!("{name:<12} {p50:>10.2} {p99:>10.2}");
    }
    println!("component/native p50 {:.2}×, regorus/component p50 {:.1}×", c50 / n50, r50 / c50);
    println!(
        "loading the rule set (parse, check, index): native {native_load:.1} ms, component {component_load:.1} ms"
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
        ]);
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("bench");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("routing.json"), serde_json::to_vec_pretty(&rows).unwrap_or_default());
    }
}
