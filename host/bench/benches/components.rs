//! Per-call cost of each component through the runtime, next to the same core function called natively,
//! and the instantiate cost alone. `cargo xtask bench` turns the estimates into ratios.

use criterion::{Criterion, criterion_group, criterion_main};
use minyi_runtime::bindings::types as wit;
use minyi_runtime::{Runtime, RuntimeConfig};
use std::hint::black_box;

mod common;
use common::wit_form;
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

fn model_form() -> minyi_model::CaseForm {
    serde_json::from_value(serde_json::json!({
        "district": "110105", "street": "110105026", "channel": "web", "kind": "complaint",
        "category": "urban.sanitation.garbage", "title": "小区垃圾三天没人清运",
        "description": "望京西园三区3号楼下的垃圾桶已经满了三天，一直没有人来清运，气味很大，请尽快处理。",
        "address": "朝阳区望京街道望京西园三区3号楼", "reporter": {"phone": "138 0013 8000"},
        "consent": true, "received_at": "2026-11-29T10:00:00+08:00"
    }))
    .expect("fixture is a case form")
}

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

/// The structural part of the case form as JSON Schema (types, required fields, enums, lengths, the
/// mobile pattern, attachment limits): what a generic validator can check of the same form.
fn json_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "required": ["district", "channel", "kind", "category", "title", "description", "address", "reporter", "consent", "received_at"],
        "properties": {
            "district": {"type": "string", "pattern": "^[0-9]{6}$"},
            "street": {"type": "string", "pattern": "^[0-9]{9}$"},
            "channel": {"enum": ["hotline", "web", "app", "wechat", "open311", "other"]},
            "kind": {"enum": ["consult", "help", "complaint", "report", "suggestion", "praise"]},
            "category": {"type": "string", "pattern": "^[a-z_]+\\.[a-z_]+\\.[a-z_]+$"},
            "title": {"type": "string", "minLength": 2, "maxLength": 100},
            "description": {"type": "string", "minLength": 5, "maxLength": 2000},
            "address": {"type": "string", "minLength": 2, "maxLength": 200},
            "location": {"type": "object", "required": ["lat", "lon"], "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "minimum": -180, "maximum": 180}}},
            "reporter": {"type": "object", "required": ["phone"], "properties": {
                "name": {"type": "string", "maxLength": 50},
                "phone": {"type": "string", "pattern": "^\\s*(\\+?86)?[\\s-]*1[3-9]([\\s-]*[0-9]){9}\\s*$"},
                "id_number": {"type": "string", "pattern": "^[0-9]{17}[0-9Xx]$"},
                "email": {"type": "string", "format": "email"},
                "anonymous": {"type": "boolean"}}},
            "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
            "attachments": {"type": "array", "maxItems": 9, "items": {"type": "object", "required": ["name", "mime", "bytes"], "properties": {
                "name": {"type": "string"},
                "mime": {"enum": ["image/jpeg", "image/png", "image/heic", "image/webp", "video/mp4", "audio/mpeg", "audio/amr", "application/pdf"]},
                "bytes": {"type": "integer", "maximum": 20971520}}}},
            "consent": {"const": true},
            "received_at": {"type": "string", "format": "date-time"}
        }
    })
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
    let mut long_form = form.clone();
    // A long complaint as people write it: prose, one phone number at the end.
    let prose =
        "望京西园三区楼下的垃圾桶已经满了好几天，一直没有人来清运，夏天气味很大，蚊蝇很多，老人孩子都不敢下楼。";
    long_form.description = prose.chars().cycle().take(1982).chain("请回电：139 1234 5678。".chars()).collect();
    assert_eq!(long_form.description.chars().count(), 2000);
    let long_json = serde_json::to_string(&long_form).expect("serialises");
    for (group, doc) in [("validate_json", &json), ("validate_json_2000", &long_json)] {
        assert!(schema.is_valid(&serde_json::from_str(doc).expect("json")), "the JSON Schema accepts the fixture");
        let mut g = c.benchmark_group(group);
        g.bench_function("native", |b| b.iter(|| minyi_validation::validate_json(black_box(doc), NOW)));
        g.bench_function("component", |b| b.iter(|| rt.validate_json(black_box(doc), NOW).expect("runs")));
        g.bench_function("jsonschema", |b| {
            b.iter(|| schema.is_valid(&serde_json::from_str::<serde_json::Value>(black_box(doc)).expect("json")))
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
