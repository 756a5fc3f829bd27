//! Per-call cost of each component through the runtime, next to the same core function called natively,
//! and the instantiate cost alone. `cargo xtask bench` turns the estimates into ratios.

use criterion::{Criterion, criterion_group, criterion_main};
use minyi_runtime::bindings::types as wit;
use minyi_runtime::{Runtime, RuntimeConfig};
use std::hint::black_box;

mod common;
#[path = "common/forms.rs"]
mod forms;
use common::wit_form;
use forms::{json_schema, long_form, model_form};
use std::time::Duration;

const NOW: &str = "2026-11-29T10:05:00+08:00";

const RULES: &str = r#"
[ruleset]
name = "bench"
region = "beijing"
hit_policy = "first"

[units]
"bj.heating" = "北京市热力集团"
"bj.water" = "北京市自来水集团"

[[rule]]
id = "heating"
priority = 1
when = { category = ["utilities.heating"], keywords = ["暖气"] }
then = { lead = "bj.heating", tier = "urgent", co_handlers = ["$street"] }

[[rule]]
id = "water"
priority = 2
when = { category = ["utilities.water"] }
then = { lead = "bj.water", tier = "urgent" }

[[rule]]
id = "garbage"
priority = 5
when = { category = ["urban.sanitation"], keywords = ["垃圾"] }
then = { lead = "$street", tier = "general" }
"#;

fn callbacks(n: usize) -> (Vec<minyi_model::Callback>, Vec<wit::Callback>) {
    let satisfaction = [
        (minyi_model::Satisfaction::Satisfied, wit::Satisfaction::Satisfied),
        (minyi_model::Satisfaction::BasicallySatisfied, wit::Satisfaction::BasicallySatisfied),
        (minyi_model::Satisfaction::Dissatisfied, wit::Satisfaction::Dissatisfied),
    ];
    (0..n)
        .map(|i| {
            let unit = format!("1101050{:02}", i % 40);
            let (ms, ws) = satisfaction[i % 3];
            let m = minyi_model::Callback {
                case_id: format!("BJ-{i}"),
                unit: unit.clone(),
                unit_type: minyi_model::UnitType::Street,
                responded: i % 7 != 0,
                resolved: i % 5 != 0,
                satisfaction: ms,
                exclusion: None,
            };
            let w = wit::Callback {
                case_id: m.case_id.clone(),
                unit,
                unit_type: wit::UnitType::Street,
                responded: m.responded,
                resolved: m.resolved,
                satisfaction: ws,
                exclusion: None,
            };
            (m, w)
        })
        .unzip()
}

fn benches(c: &mut Criterion) {
    let rt = Runtime::new(RuntimeConfig::default()).expect("components load");
    let form = model_form();
    let form_w = wit_form(&form);
    let json = serde_json::to_string(&form).expect("serialises");
    let (cb_m, cb_w) = callbacks(100);
    let config_m = minyi_model::ScoreConfig::default();
    let config_w = rt.default_score_config().expect("runs");

    let mut g = c.benchmark_group("validate");
    g.bench_function("native", |b| b.iter(|| minyi_validation::validate(black_box(&form), NOW)));
    g.bench_function("component", |b| b.iter(|| rt.validate(black_box(&form_w), NOW).expect("runs")));
    g.finish();

    let schema = jsonschema::options().should_validate_formats(true).build(&json_schema()).expect("schema compiles");
    let long_json = serde_json::to_string(&long_form()).expect("serialises");
    for (group, doc) in [("validate_json", &json), ("validate_json_2000", &long_json)] {
        assert!(schema.is_valid(&serde_json::from_str(doc).expect("json")), "the JSON Schema accepts the fixture");
        let mut g = c.benchmark_group(group);
        g.bench_function("native", |b| b.iter(|| minyi_validation::validate_json(black_box(doc), NOW)));
        g.bench_function("component", |b| b.iter(|| rt.validate_json(black_box(doc), NOW).expect("runs")));
        // jsonschema's `iter_errors`, every error walked, as the component reports every issue (not
        // `is_valid`, which may stop at the first).
        g.bench_function("jsonschema", |b| {
            b.iter(|| {
                let doc = serde_json::from_str::<serde_json::Value>(black_box(doc)).expect("json");
                schema.iter_errors(&doc).count()
            })
        });
        g.finish();
    }

    let mut g = c.benchmark_group("validate_field");
    g.bench_function("native", |b| {
        b.iter(|| minyi_validation::validate_field("reporter.phone", black_box("1380013800")))
    });
    g.bench_function("component", |b| {
        b.iter(|| rt.validate_field("reporter.phone", black_box("1380013800")).expect("runs"))
    });
    g.finish();

    let mut g = c.benchmark_group("route");
    let native = minyi_routing::compile(RULES).expect("valid rules");
    let compiled = rt.compile_rules(RULES).expect("runs").expect("valid rules");
    let ctx = wit::CaseContext { repeat_count: 0 };
    g.bench_function("native", |b| b.iter(|| minyi_routing::route(&native, black_box(&form), Default::default())));
    g.bench_function("component", |b| b.iter(|| compiled.route(black_box(&form_w), ctx).expect("runs")));
    g.finish();

    let mut g = c.benchmark_group("score_100");
    g.bench_function("native", |b| b.iter(|| minyi_scoring::score(black_box(&cb_m), &config_m)));
    g.bench_function("component", |b| b.iter(|| rt.score(black_box(&cb_w), config_w).expect("runs")));
    g.finish();

    let mut g = c.benchmark_group("instantiate");
    for name in ["validator", "router", "scorer"] {
        g.bench_function(name, |b| b.iter(|| rt.instantiate(name).expect("instantiates")));
    }
    g.finish();
}

criterion_group! {
    name = components;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(components);
