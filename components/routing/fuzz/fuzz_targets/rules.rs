//! Fuzz target: any bytes as a rule set (parsed, checked, compiled, its examples run, cases routed), as
//! values inside a valid rule set (windows, keywords, codes), or as a case form routed by the Beijing
//! set — the routing core must answer (a decision, diagnostics or an input error), never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const BEIJING: &str = include_str!("../../rulesets/beijing.toml");

fn beijing() -> &'static minyi_routing::RuleSet {
    static SET: OnceLock<minyi_routing::RuleSet> = OnceLock::new();
    SET.get_or_init(|| minyi_routing::compile(BEIJING).expect("the shipped set compiles"))
}

const FORMS: &[&str] = &[
    r#"{"district":"110105","street":"110105026","channel":"hotline","kind":"complaint","category":"utilities.heating.outage","title":"暖气不热","description":"","address":"望京","consent":true,"received_at":"2026-11-29T23:10:00+08:00","location":{"lat":39.99,"lon":116.47}}"#,
    r#"{"district":"","channel":"web","kind":"consult","title":"","description":"","address":"","consent":false,"received_at":"2026-02-15T00:00:00Z"}"#,
];

fn escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c if (c as u32) < 0x20 => vec![' '],
            c => vec![c],
        })
        .collect()
}

fn exercise(source: &str) {
    let _ = minyi_routing::check_rules(source);
    if let Ok(rules) = minyi_routing::compile(source) {
        let _ = minyi_routing::run_examples(&rules);
        for form in FORMS {
            for repeat in [0, 9] {
                let _ = minyi_routing::route_json(&rules, form, minyi_model_context(repeat));
            }
        }
    }
}

fn minyi_model_context(repeat: u32) -> minyi_routing::CaseContext {
    minyi_routing::CaseContext { repeat_count: repeat, suggestion: None }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    match selector % 4 {
        0 => exercise(&text),
        1 => {
            let e = escape(&text);
            exercise(&format!(
                "[ruleset]\nname = \"f\"\nregion = \"beijing\"\ngrid = {{ origin = [39.4, 115.4], size = 0.01 }}\n\
                 [areas]\na = [[39.9, 116.4], [39.9, 116.5], [40.0, 116.5]]\n\
                 [[rule]]\nid = \"r\"\nwhen = {{ category = [\"{e}\"], keywords = [\"{e}\"], address = [\"{e}\"], hours = \"{e}\", \
                 season = \"{e}\", weekdays = [\"{e}\"], cells = [\"{e}\"], district = [\"{e}\"], not = {{ street = [\"{e}\"] }} }}\n\
                 then = {{ lead = \"{e}\", tier = \"urgent\" }}\n\
                 [[rule]]\nid = \"s\"\nwhen = {{ any = [{{ keywords = [\"{e}\"] }}, {{ area = [\"a\"] }}], hours = \"22:00-06:00\", season = \"11-15..03-15\", weekdays = [\"sat-sun\"], cells = [\"r59c107\"] }}\n\
                 then = {{ lead = \"$street\" }}\n"
            ));
        }
        2 => {
            let _ = minyi_routing::route_json(beijing(), &text, minyi_model_context(0));
        }
        _ => {
            // A valid form whose text fields carry the input, routed by the 980-rule Beijing set.
            let e = escape(&text);
            let form = format!(
                r#"{{"district":"110105","channel":"hotline","kind":"complaint","category":"{e}","title":"{e}","description":"{e}","address":"{e}","consent":true,"received_at":"2026-11-29T10:00:00+08:00"}}"#
            );
            let _ = minyi_routing::route_json(beijing(), &form, minyi_model_context(3));
        }
    }
});
