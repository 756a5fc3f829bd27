//! District plugins through the real plugin host: the example plugins do what their READMEs say on
//! real base results (the router component with the Beijing rule set), a plugin importing anything
//! beyond the granted capabilities is refused, hot swaps fail no call, and the hostile suite — a real
//! component that loops, eats memory, traps, recurses, floods output or runs slow — is stopped within
//! its budget as a typed fault while other districts' calls keep succeeding.

use minyi_plugins::{
    BreakerPolicy, Grants, Hook, PluginError, PluginFault, PluginHost, PluginHostConfig, PluginLimits, PluginSpec,
};
use minyi_runtime::bindings::types as wit;
use minyi_runtime::{Runtime, RuntimeConfig};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

macro_rules! assert_test_exists {
    ($name:ident) => {
        #[allow(unused_imports)]
        use self::$name as _;
    };
}
minyi_test_artifacts::foreach_plugin!(assert_test_exists);

fn plugin(name: &str) -> &'static [u8] {
    minyi_test_artifacts::PLUGINS.iter().find(|(n, _, _)| *n == name).map(|(_, _, b)| *b).expect("plugin built")
}

fn spec(name: &str, district: &str, config: &[(&str, &str)]) -> PluginSpec {
    PluginSpec {
        name: name.to_owned(),
        version: "1.0.0".to_owned(),
        grants: Grants {
            district: district.to_owned(),
            config: config.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>(),
            now: Some("2026-11-29T10:00:00+08:00".to_owned()),
            units: BTreeMap::new(),
            clock_tape: Vec::new(),
            wasi_clock_tape: Vec::new(),
        },
        limits: PluginLimits::default(),
    }
}

fn host() -> PluginHost {
    PluginHost::new(PluginHostConfig::default()).expect("plugin host")
}

fn form(district: &str, street: &str, category: &str, received_at: &str) -> wit::CaseForm {
    wit::CaseForm {
        district: district.into(),
        street: Some(street.into()),
        channel: wit::Channel::Hotline,
        kind: wit::Kind::Complaint,
        category: Some(category.into()),
        title: "暖气不热".into(),
        description: "家里暖气从昨天开始不热，室温只有十二度。".into(),
        address: "望京西园三区".into(),
        location: None,
        reporter: None,
        attributes: vec![],
        attachments: vec![],
        consent: true,
        received_at: received_at.into(),
    }
}

/// The base decision from the router component with the shipped Beijing rule set.
fn base_route(f: &wit::CaseForm) -> wit::RoutingDecision {
    static RULES: OnceLock<minyi_runtime::CompiledRules<'static>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        let rt = Box::leak(Box::new(Runtime::new(RuntimeConfig::default()).expect("components load")));
        rt.compile_rules(include_str!("../components/routing/rulesets/beijing.toml")).expect("runs").expect("compiles")
    });
    rules.route(f, wit::CaseContext { repeat_count: 0 }).expect("routes")
}

#[test]
fn hooks_are_found_and_foreign_imports_refused() {
    let h = host();
    for (name, hooks) in [
        ("chaoyang_heating", vec![Hook::Routing]),
        ("haidian_building", vec![Hook::Validation]),
        ("review_rulings", vec![Hook::Scoring]),
        ("hostile", vec![Hook::Validation, Hook::Routing, Hook::Scoring]),
    ] {
        assert_eq!(h.compile(plugin(name)).expect("compiles").hooks(), hooks, "{name}");
    }
    // A built-in component exports no hook.
    assert!(matches!(h.compile(minyi_artifacts::VALIDATOR_BYTES), Err(PluginError::NoHook)));
    // A component importing anything not granted — HTTP, a key-value store, WASI 0.3 — is refused
    // with the imports named (the empty WASI 0.2 surface itself is allowed).
    let foreign = wat::parse_str(
        r#"(component
             (import "wasi:http/outgoing-handler@0.2.0" (instance))
             (import "wasi:keyvalue/store@0.2.0-draft" (instance))
             (import "wasi:cli/environment@0.3.0" (instance))
             (import "wasi:io/streams@0.2.0" (instance))
             (import "minyi:casework/clock@0.1.0" (instance)))"#,
    )
    .expect("component text");
    match h.compile(&foreign) {
        Err(PluginError::Imports { imports }) => assert_eq!(
            imports,
            "wasi:http/outgoing-handler@0.2.0, wasi:keyvalue/store@0.2.0-draft, wasi:cli/environment@0.3.0"
        ),
        other => panic!("expected the imports to be refused, got {other:?}"),
    }
    assert!(matches!(h.compile(b"not wasm"), Err(PluginError::Invalid(_))));
    // A plugin compiled by another host (another engine) is refused, not run.
    let elsewhere = host().compile(plugin("haidian_building")).expect("compiles");
    assert!(matches!(h.activate(elsewhere, spec("haidian-building", "110108", &[])), Err(PluginError::OtherHost)));
}

mod chaoyang_heating {
    use super::*;

    #[test]
    fn heating_demands_in_season_get_their_street_and_priority_one() {
        let h = host();
        h.activate(h.compile(plugin("chaoyang_heating")).expect("compiles"), spec("chaoyang-heating", "110105", &[]))
            .expect("activates");
        let f = form("110105", "110105026", "utilities.heating.outage", "2026-11-29T10:00:00+08:00");
        let base = base_route(&f);
        assert_eq!(base.lead, "bj.heating");
        let out = h.amend_route("110105", Some("BJ-1"), &f, base.clone());
        assert!(out.applied && out.fault.is_none(), "{out:?}");
        assert!(out.value.co_handlers.contains(&"110105026".to_owned()));
        assert_eq!((out.value.priority, out.value.lead.as_str()), (1, "bj.heating"));
        assert!(out.value.tags.contains(&"heating-season".to_owned()));
        let last = out.value.explanation.fired.last().expect("explains itself");
        assert_eq!(last.rule, "plugin:chaoyang-heating");
        assert!(last.why.contains("11-15..03-15"), "{}", last.why);
        assert!(out.log.iter().any(|l| l.starts_with("info: heating demand in season")), "{:?}", out.log);

        // Out of season, another category, another district: the base decision stands.
        let summer = form("110105", "110105026", "utilities.heating.outage", "2026-07-01T10:00:00+08:00");
        let out = h.amend_route("110105", None, &summer, base_route(&summer));
        assert!(!out.applied && out.fault.is_none());
        let garbage = form("110105", "110105026", "urban.sanitation.garbage", "2026-11-29T10:00:00+08:00");
        let b = base_route(&garbage);
        assert_eq!(h.amend_route("110105", None, &garbage, b.clone()).value.lead, b.lead);
        let haidian = form("110108", "110108001", "utilities.heating.outage", "2026-11-29T10:00:00+08:00");
        assert!(!h.amend_route("110108", None, &haidian, base_route(&haidian)).applied);

        // The district configures its own season.
        h.activate(
            h.compile(plugin("chaoyang_heating")).expect("compiles"),
            spec("chaoyang-heating", "110105", &[("heating_season", "11-01..03-31")]),
        )
        .expect("activates");
        let early = form("110105", "110105026", "utilities.heating.outage", "2026-11-05T10:00:00+08:00");
        assert!(h.amend_route("110105", None, &early, base_route(&early)).applied);
    }
}

mod haidian_building {
    use super::*;

    #[test]
    fn property_complaints_need_a_building_number() {
        let h = host();
        h.activate(h.compile(plugin("haidian_building")).expect("compiles"), spec("haidian-building", "110108", &[]))
            .expect("activates");
        let mut f = form("110108", "110108001", "housing.property.service", "2026-11-29T10:00:00+08:00");
        let out = h.extra_issues("110108", None, &f);
        assert_eq!(out.value.len(), 1, "{out:?}");
        let issue = &out.value[0];
        assert_eq!((issue.field.as_str(), issue.code.as_str()), ("attributes.building_no", "building_no.required"));
        assert!(matches!(issue.severity, wit::Severity::Error));
        assert!(issue.message.zh_cn.contains("楼号") && issue.message.en.contains("building number"));
        // The directory names the street office; the log line is stamped by the granted clock.
        let office = minyi_model::divisions::street("110108001").expect("a Haidian street").1.name;
        assert!(issue.message.zh_cn.contains(office), "{issue:?}");
        assert!(
            out.log.iter().any(|l| l.starts_with("info: ") && l.contains("110108: building_no.required")),
            "{:?}",
            out.log
        );
        f.attributes = vec![wit::Attribute { key: "building_no".into(), value: "3号楼".into() }];
        assert_eq!(h.extra_issues("110108", None, &f).value[0].code, "building_no.invalid");
        f.attributes = vec![wit::Attribute { key: "building_no".into(), value: "12-B".into() }];
        assert!(h.extra_issues("110108", None, &f).value.is_empty());
        let heating = form("110108", "110108001", "utilities.heating.outage", "2026-11-29T10:00:00+08:00");
        assert!(h.extra_issues("110108", None, &heating).value.is_empty());
        // The district's configuration widens the rule to heating complaints.
        h.activate(
            h.compile(plugin("haidian_building")).expect("compiles"),
            spec("haidian-building", "110108", &[("building_no_categories", "housing.property, utilities.heating")]),
        )
        .expect("activates");
        assert_eq!(h.extra_issues("110108", None, &heating).value[0].code, "building_no.required");
        // Another district has no plugin: nothing is added.
        assert!(
            h.extra_issues(
                "110105",
                None,
                &form("110105", "110105026", "housing.property.service", "2026-11-29T10:00:00+08:00")
            )
            .value
            .is_empty()
        );
    }
}

/// The Python plugin (componentize-py), compiled once for the tests of this file.
fn python_plugin(h: &PluginHost) -> minyi_plugins::CompiledPlugin {
    let t = Instant::now();
    let compiled = h.compile(plugin("dongcheng_food_py")).expect("the Python plugin compiles");
    eprintln!(
        "dongcheng_food_py: {:.1} MB, compiled in {:.1} s",
        plugin("dongcheng_food_py").len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    compiled
}

mod dongcheng_food_py {
    use super::*;

    fn issue_codes(out: &minyi_plugins::HookOutcome<Vec<wit::Issue>>) -> Vec<&str> {
        out.value.iter().map(|i| i.code.as_str()).collect()
    }

    #[test]
    fn food_safety_complaints_must_name_the_shop_in_python() {
        let h = host();
        let compiled = python_plugin(&h);
        assert_eq!(compiled.hooks(), vec![Hook::Validation]);
        // Its WASI imports keep it on the server: the citizen's page is not given it.
        assert!(compiled.imports().iter().any(|i| i.starts_with("wasi:")), "{:?}", compiled.imports());
        assert!(!compiled.runs_in_browser());
        assert!(h.compile(plugin("haidian_building")).expect("compiles").runs_in_browser());
        assert!(!h.compile(plugin("chaoyang_heating")).expect("compiles").runs_in_browser(), "no validation hook");
        // The default limits (100 M fuel, 32 MiB) are enough for the interpreter and the hook.
        let s = spec("dongcheng-food", "110101", &[]);
        h.activate(compiled.clone(), s.clone()).expect("activates");

        let mut f = form("110101", "110101001", "market.food.restaurants", "2026-11-29T10:00:00+08:00");
        let t = Instant::now();
        let out = h.extra_issues("110101", Some("BJ-D1"), &f);
        eprintln!("first call: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
        assert!(out.fault.is_none(), "{out:?}");
        assert_eq!(issue_codes(&out), ["shop_name.required"]);
        let issue = &out.value[0];
        assert_eq!(issue.field, "attributes.shop_name");
        assert!(matches!(issue.severity, wit::Severity::Error));
        assert!(issue.message.zh_cn.contains("商户名称") && issue.message.en.contains("shop's name"), "{issue:?}");
        assert!(out.log.iter().any(|l| l == "info: market.food.restaurants: no shop name"), "{:?}", out.log);

        f.attributes = vec![wit::Attribute { key: "shop_name".into(), value: "张".into() }];
        assert_eq!(issue_codes(&h.extra_issues("110101", None, &f)), ["shop_name.too_short"]);
        f.attributes = vec![wit::Attribute { key: "shop_name".into(), value: "老北京炸酱面馆".into() }];
        let t = Instant::now();
        let named = h.extra_issues("110101", None, &f);
        eprintln!("warm call: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
        assert!(named.value.is_empty() && named.fault.is_none(), "{named:?}");
        let other = form("110101", "110101001", "urban.sanitation.garbage", "2026-11-29T10:00:00+08:00");
        assert!(h.extra_issues("110101", None, &other).value.is_empty());

        // The district's configuration widens the scope.
        let consumer = form("110101", "110101001", "market.consumer.refund", "2026-11-29T10:00:00+08:00");
        assert!(h.extra_issues("110101", None, &consumer).value.is_empty());
        let mut wide = spec("dongcheng-food", "110101", &[("shop_categories", "market.food, market.consumer")]);
        wide.limits = s.limits;
        h.activate(compiled, wide).expect("activates");
        assert_eq!(issue_codes(&h.extra_issues("110101", None, &consumer)), ["shop_name.required"]);
        assert!(h.faults("110101").is_empty());
    }

    #[test]
    fn a_python_plugin_over_its_budget_is_a_typed_fault() {
        let h = host();
        let compiled = python_plugin(&h);
        let f = form("110101", "110101001", "market.food.restaurants", "2026-11-29T10:00:00+08:00");
        // A cap below what the interpreter's memory starts at: refused as memory_cap, not a crash.
        let mut small = spec("dongcheng-food", "110101", &[]);
        small.limits.memory_bytes = 4 << 20;
        h.activate(compiled.clone(), small).expect("activates");
        let out = h.extra_issues("110101", Some("BJ-D2"), &f);
        assert!(out.value.is_empty(), "the base (no extra issue) stands");
        assert_eq!(out.fault.as_ref().map(PluginFault::kind), Some("memory_cap"), "{out:?}");
        // Too little fuel for the interpreter to answer.
        let mut starved = spec("dongcheng-food", "110101", &[]);
        starved.limits.fuel = 10_000;
        h.activate(compiled, starved).expect("activates");
        let out = h.extra_issues("110101", Some("BJ-D3"), &f);
        assert_eq!(out.fault.as_ref().map(PluginFault::kind), Some("out_of_fuel"), "{out:?}");
        let faults = h.faults("110101");
        assert_eq!(faults.iter().map(|r| r.case_id.as_deref()).collect::<Vec<_>>(), [Some("BJ-D2"), Some("BJ-D3")]);
    }
}

mod xicheng_hutong_js {
    use super::*;

    fn hutong(category: &str, address: &str) -> wit::CaseForm {
        let mut f = form("110102", "110102003", category, "2026-11-29T10:00:00+08:00");
        f.title = "夜间施工扰民".into();
        f.description = "院里有人夜里十一点还在翻建房屋，电锯声很大。".into();
        f.address = address.into();
        f
    }

    #[test]
    fn construction_in_a_hutong_gets_the_street_as_co_handler_in_javascript() {
        let h = host();
        let t = Instant::now();
        let compiled = h.compile(plugin("xicheng_hutong_js")).expect("the JS plugin compiles");
        eprintln!(
            "xicheng_hutong_js: {:.1} MB, compiled in {:.1} s",
            plugin("xicheng_hutong_js").len() as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
        assert_eq!(compiled.hooks(), vec![Hook::Routing]);
        // componentize-js with every WASI feature off: only the Minyi capabilities are imported.
        assert!(compiled.imports().iter().all(|i| i.starts_with("minyi:casework/")), "{:?}", compiled.imports());
        h.activate(compiled.clone(), spec("xicheng-hutong", "110102", &[])).expect("activates");

        let f = hutong("urban.construction.night_work", "新街口东街八道湾胡同11号");
        let base = base_route(&f);
        let t = Instant::now();
        let out = h.amend_route("110102", Some("BJ-X1"), &f, base.clone());
        eprintln!("first call: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
        assert!(out.applied && out.fault.is_none(), "{out:?}");
        assert_eq!(out.value.lead, base.lead, "the lead stays the city's");
        assert!(out.value.co_handlers.contains(&"110102003".to_owned()), "{:?}", out.value);
        assert!(out.value.tags.contains(&"hutong-heritage".to_owned()));
        let last = out.value.explanation.fired.last().expect("explains itself");
        assert_eq!(last.rule, "plugin:xicheng-hutong");
        // The street's name comes from the host's unit directory.
        assert!(last.why.contains("胡同") && last.why.contains("新街口街道"), "{}", last.why);
        assert!(out.log.iter().any(|l| l == "info: hutong construction (胡同): 110102003 co-handles"), "{:?}", out.log);

        // Not a hutong, or not construction: the base decision stands.
        let tower = hutong("urban.construction.night_work", "新街口外大街28号");
        assert!(!h.amend_route("110102", None, &tower, base_route(&tower)).applied);
        let garbage = hutong("urban.sanitation.garbage", "新街口东街八道湾胡同11号");
        assert!(!h.amend_route("110102", None, &garbage, base_route(&garbage)).applied);

        // The district configures its own words; too little fuel is a typed fault, the base stands.
        h.activate(compiled.clone(), spec("xicheng-hutong", "110102", &[("keywords", "外大街")])).expect("activates");
        assert!(h.amend_route("110102", None, &tower, base_route(&tower)).applied);
        let mut starved = spec("xicheng-hutong", "110102", &[]);
        starved.limits.fuel = 10_000;
        h.activate(compiled, starved).expect("activates");
        let out = h.amend_route("110102", Some("BJ-X2"), &f, base.clone());
        assert_eq!(out.fault.as_ref().map(PluginFault::kind), Some("out_of_fuel"), "{out:?}");
        assert_eq!((&out.value.co_handlers, &out.value.tags), (&base.co_handlers, &base.tags), "the base stands");
    }
}

mod py_probe {
    use super::*;

    #[test]
    fn a_python_plugin_finds_no_environment_no_files_no_network() {
        let h = host();
        let t = Instant::now();
        let compiled = h.compile(plugin("py_probe")).expect("compiles");
        eprintln!("py_probe compiled in {:.1} s", t.elapsed().as_secs_f64());
        h.activate(compiled, spec("py-probe", "110102", &[])).expect("activates");
        let f = form("110102", "110102001", "urban.sanitation.garbage", "2026-11-29T10:00:00+08:00");
        let out = h.extra_issues("110102", None, &f);
        assert!(out.fault.is_none(), "{out:?}");
        let seen: BTreeMap<&str, (&str, &str)> =
            out.value.iter().map(|i| (i.field.as_str(), (i.code.as_str(), i.message.en.as_str()))).collect();
        for (probe, (code, what)) in &seen {
            eprintln!("{probe:<18} {code:<14} {what}");
        }
        assert_eq!(seen.len(), 9, "{seen:?}");
        assert_eq!(seen["environment"], ("probe.denied", "[]"), "no environment variables");
        assert_eq!(seen["arguments"].0, "probe.denied", "no arguments");
        for probe in [
            "filesystem.list",
            "filesystem.read",
            "filesystem.write",
            "network.connect",
            "network.listen",
            "network.lookup",
        ] {
            assert_eq!(seen[probe].0, "probe.denied", "{probe}: {}", seen[probe].1);
        }
        // The wall clock is the district's grant (a fixed instant here), not the host's.
        let granted = chrono::DateTime::parse_from_rfc3339("2026-11-29T10:00:00+08:00").expect("instant").timestamp();
        assert_eq!(seen["clock"], ("probe.allowed", granted.to_string().as_str()));
        // Each reading is kept with the call, and a replay hands the readings back in order: here a
        // tape a day earlier, which the plugin reads instead of the grant.
        let recorded = out.call.as_ref().map(|c| c.wasi_clock.clone()).unwrap_or_default();
        assert!(recorded.contains(&(granted as u64 * 1_000_000_000)), "{recorded:?}");
        let day = 86_400 * 1_000_000_000;
        let replay = host();
        let mut tape = spec("py-probe", "110102", &[]);
        tape.grants.wasi_clock_tape = recorded.iter().map(|n| n - day).collect();
        replay.activate(replay.compile(plugin("py_probe")).expect("compiles"), tape).expect("activates");
        let again = replay.extra_issues("110102", None, &f);
        let clock = again.value.iter().find(|i| i.field == "clock").map(|i| i.message.en.clone());
        assert_eq!(clock, Some((granted - 86_400).to_string()), "the tape, not the grant");
        assert_eq!(again.call.map(|c| c.wasi_clock.len()), Some(recorded.len()), "read as often as recorded");
        // What it printed went to the call's log, nowhere else.
        assert!(out.log.contains(&"stdout: probe: stdout line".to_owned()), "{:?}", out.log);
        assert!(out.log.contains(&"stderr: probe: stderr line".to_owned()), "{:?}", out.log);

        // A Python exception is a trap, the base result stands, and the traceback is in the log.
        let mut raising = f.clone();
        raising.title = "raise".into();
        let out = h.extra_issues("110102", Some("BJ-P"), &raising);
        assert!(out.value.is_empty());
        assert_eq!(out.fault.as_ref().map(PluginFault::kind), Some("trap"), "{out:?}");
        assert!(out.log.iter().any(|l| l.contains("the probe was told to raise")), "{:?}", out.log);
        // The next call runs in a fresh instance and works.
        assert!(h.extra_issues("110102", None, &f).fault.is_none());

        // `time.sleep(3600)` would block in `wasi:io/poll` past the call deadline: the call stops at
        // once, the plugin's fault.
        let mut sleeping = f.clone();
        sleeping.title = "sleep".into();
        let t = Instant::now();
        let out = h.extra_issues("110102", Some("BJ-S"), &sleeping);
        eprintln!("a Python plugin sleeping for an hour was stopped after {:.2} s", t.elapsed().as_secs_f64());
        assert_eq!(out.fault, Some(PluginFault::Deadline { ms: 2_000 }), "{out:?}");
        assert!(h.extra_issues("110102", None, &f).fault.is_none(), "and the next call works");
    }
}

mod review_rulings {
    use super::*;

    const CASE: &str = r#"{"case_id":"BJ-9","at":"2026-11-02T09:00:00+08:00","type":"received","district":"110105"}
{"case_id":"BJ-9","at":"2026-11-02T09:05:00+08:00","type":"dispatched","unit":"110105026"}
{"case_id":"BJ-9","at":"2026-11-03T09:00:00+08:00","type":"returned","reason":"非本单位职责"}
{"case_id":"BJ-9","at":"2026-11-04T09:00:00+08:00","type":"ruling","decision":"经区级审定，属不合理诉求，由110105026答复"}
"#;

    #[test]
    fn cases_ruled_unreasonable_are_excluded() {
        let h = host();
        h.activate(
            h.compile(plugin("review_rulings")).expect("compiles"),
            spec("review-rulings", "110105", &[("unreasonable_markers", "无理要求")]),
        )
        .expect("activates");
        let out = h.review_case("110105", Some("BJ-9"), CASE);
        let e = out.value.expect("excluded");
        assert!(matches!(e.reason, wit::ExclusionReason::Unreasonable));
        assert_eq!(e.reviewer, "plugin:review-rulings");
        assert!(e.note.contains("不合理"), "{}", e.note);
        let other = CASE.replace("属不合理诉求", "属本单位职责");
        assert!(h.review_case("110105", None, &other).value.is_none());
        let marker = CASE.replace("属不合理诉求", "属无理要求");
        assert!(h.review_case("110105", None, &marker).value.is_some(), "the district's own marker");
    }
}

/// Calls the chaoyang plugin on 110105 in a loop until told to stop; returns (successes, failures).
/// Calls 朝阳区's routing hook until `stop`, counting each finished call in `calls` as it goes; at the
/// end, the calls that applied, those that failed, and the slowest.
fn steady_load(
    h: Arc<PluginHost>,
    stop: Arc<AtomicBool>,
    calls: Arc<AtomicU64>,
) -> std::thread::JoinHandle<(u64, u64, Duration)> {
    std::thread::spawn(move || {
        let f = form("110105", "110105026", "utilities.heating.outage", "2026-11-29T10:00:00+08:00");
        let base = base_route(&f);
        let (mut ok, mut failed, mut worst) = (0, 0, Duration::ZERO);
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            let out = h.amend_route("110105", None, &f, base.clone());
            worst = worst.max(t.elapsed());
            if out.applied && out.fault.is_none() {
                ok += 1
            } else {
                failed += 1
            }
            calls.fetch_add(1, Ordering::Relaxed);
        }
        (ok, failed, worst)
    })
}

mod hostile {
    use super::*;

    #[test]
    fn a_call_past_its_wall_clock_deadline_stops_before_its_fuel_does() {
        let h = PluginHost::new(PluginHostConfig {
            call_deadline: Duration::from_millis(50),
            ..PluginHostConfig::default()
        })
        .expect("plugin host");
        let mut endless = spec("hostile", "110101", &[("mode", "loop")]);
        endless.limits.fuel = PluginHostConfig::default().max_limits.fuel;
        h.activate(h.compile(plugin("hostile")).expect("compiles"), endless).expect("activates");
        let f = form("110101", "110101001", "urban.sanitation.garbage", "2026-11-29T10:00:00+08:00");
        let t = Instant::now();
        let out = h.extra_issues("110101", Some("BJ-D"), &f);
        eprintln!("an endless loop with 2 G fuel stopped by a 50 ms deadline after {:?}", t.elapsed());
        assert_eq!(out.fault, Some(PluginFault::Deadline { ms: 50 }), "{out:?}");
        assert!(out.value.is_empty(), "the base result stands");
        assert_eq!(h.faults("110101").len(), 1, "the plugin's own fault, recorded");
    }

    #[test]
    fn every_hostile_plugin_is_stopped_and_the_others_keep_working() {
        let h = Arc::new(
            PluginHost::new(PluginHostConfig {
                breaker: BreakerPolicy { max_faults: 1000, window: Duration::from_secs(60) },
                ..PluginHostConfig::default()
            })
            .expect("plugin host"),
        );
        h.activate(h.compile(plugin("chaoyang_heating")).expect("compiles"), spec("chaoyang-heating", "110105", &[]))
            .expect("activates");
        let hostile = h.compile(plugin("hostile")).expect("compiles");
        let f = form("110108", "110108001", "housing.property.service", "2026-11-29T10:00:00+08:00");
        let base = base_route(&f);
        let stop = Arc::new(AtomicBool::new(false));
        let load = steady_load(Arc::clone(&h), Arc::clone(&stop), Arc::default());
        let mut report = Vec::new();
        for (mode, expected) in [
            ("loop", "out_of_fuel"),
            ("memory", "memory_cap"),
            ("trap", "trap"),
            ("recursion", "trap"),
            ("huge-output", "output_too_large"),
            ("aliased-output", "output_too_large"),
            ("slow", "none"),
            ("behave", "none"),
        ] {
            h.activate(hostile.clone(), spec("hostile", "110108", &[("mode", mode)])).expect("activates");
            for (hook, fault, took) in [
                {
                    let t = Instant::now();
                    let out = h.extra_issues("110108", Some("BJ-H"), &f);
                    assert!(out.value.is_empty(), "{mode}: the base (no extra issue) stands");
                    ("validation", out.fault, t.elapsed())
                },
                {
                    let t = Instant::now();
                    let out = h.amend_route("110108", Some("BJ-H"), &f, base.clone());
                    assert_eq!(out.value.lead, base.lead, "{mode}: the base decision stands");
                    ("routing", out.fault, t.elapsed())
                },
                {
                    let t = Instant::now();
                    let out = h.review_case("110108", Some("BJ-H"), "{}");
                    assert!(out.value.is_none(), "{mode}: no exclusion");
                    ("scoring", out.fault, t.elapsed())
                },
            ] {
                let kind = fault.as_ref().map_or("none", PluginFault::kind);
                assert_eq!(kind, expected, "{mode} in the {hook} hook: {fault:?}");
                // ~8 GiB claimed through aliased strings: the host stopped copying at the cap, charging
                // at most the one string that passed it (1 MiB) beyond.
                if let (Some(PluginFault::OutputTooLarge { bytes, cap }), "aliased-output") = (&fault, mode) {
                    assert!(*bytes <= cap + (1 << 20), "{mode} in the {hook} hook: {bytes} bytes lifted past {cap}");
                }
                assert!(took < Duration::from_secs(10), "{mode} in the {hook} hook took {took:?}");
                report.push(format!("{mode:<12} {hook:<10} {kind:<17} {:>9.1} ms", took.as_secs_f64() * 1e3));
            }
        }
        stop.store(true, Ordering::Relaxed);
        let (ok, failed, worst) = load.join().expect("the steady load thread survives");
        for line in &report {
            eprintln!("{line}");
        }
        eprintln!(
            "meanwhile 110105's plugin: {ok} calls succeeded, {failed} failed, slowest {:.2} ms",
            worst.as_secs_f64() * 1e3
        );
        assert_eq!(failed, 0, "no call of another district failed");
        assert!(ok > 50, "another district's calls kept being served ({ok})");
        let faults = h.faults("110108");
        assert_eq!(faults.len(), 18, "every fault recorded");
        assert!(faults.iter().all(|r| r.case_id.as_deref() == Some("BJ-H") && r.plugin == "hostile"));
        assert!(h.faults("110105").is_empty());
    }

    #[test]
    fn repeated_faults_open_the_breaker() {
        let h = PluginHost::new(PluginHostConfig {
            breaker: BreakerPolicy { max_faults: 3, window: Duration::from_secs(60) },
            ..PluginHostConfig::default()
        })
        .expect("plugin host");
        h.activate(h.compile(plugin("hostile")).expect("compiles"), spec("hostile", "110108", &[("mode", "trap")]))
            .expect("activates");
        let f = form("110108", "110108001", "housing.property.service", "2026-11-29T10:00:00+08:00");
        for _ in 0..3 {
            assert_eq!(h.extra_issues("110108", None, &f).fault.map(|f| f.kind()), Some("trap"));
        }
        let status = h.status("110108").expect("loaded");
        let reason = status.disabled.expect("disabled");
        assert!(reason.contains("3 faults") && reason.contains("circuit breaker"), "{reason}");
        match h.extra_issues("110108", None, &f).fault {
            Some(PluginFault::Disabled { reason: r }) => assert_eq!(r, reason),
            other => panic!("expected the disabled plugin not to be called, got {other:?}"),
        }
        assert_eq!(status.calls, 3, "a disabled plugin is not called");
        // Activating again (a fixed version) closes the breaker.
        h.activate(h.compile(plugin("hostile")).expect("compiles"), spec("hostile", "110108", &[("mode", "behave")]))
            .expect("activates");
        assert_eq!(h.extra_issues("110108", None, &f).fault, None);
    }

    /// A host whose pool fits one call of the hostile plugin at a time: the smallest instance count
    /// with which a call runs (a component may hold several core instances).
    fn one_call_at_a_time(f: &wit::CaseForm) -> PluginHost {
        for slots in 1..=16 {
            // Each slot given back at once (no decommit batch), so the pool is exactly `slots` wide.
            let config = PluginHostConfig { max_instances: slots, decommit_batch: 1, ..PluginHostConfig::default() };
            let h = PluginHost::new(config).expect("plugin host");
            h.activate(h.compile(plugin("hostile")).expect("compiles"), spec("hostile", "110108", &[("mode", "slow")]))
                .expect("activates");
            if h.extra_issues("110108", None, f).fault.is_none() {
                return h;
            }
        }
        panic!("the hostile plugin runs in no pool of up to 16 instances");
    }

    #[test]
    fn a_busy_host_is_not_the_plugin_s_fault() {
        let f = form("110108", "110108001", "urban.sanitation.garbage", "2026-11-29T10:00:00+08:00");
        let h = Arc::new(one_call_at_a_time(&f));
        // Two callers on a pool that fits one call: one finds every slot taken, again and again.
        let callers: Vec<_> = (0..2)
            .map(|_| {
                let (h, f) = (Arc::clone(&h), f.clone());
                std::thread::spawn(move || {
                    let outcomes: Vec<_> =
                        (0..150).map(|_| h.extra_issues("110108", Some("BJ-BUSY"), &f).fault).collect();
                    let busy = outcomes.iter().filter(|o| matches!(o, Some(PluginFault::NotRun { .. }))).count();
                    let ran = outcomes.iter().filter(|o| o.is_none()).count();
                    assert_eq!(busy + ran, outcomes.len(), "nothing else happens: {outcomes:?}");
                    (busy, ran)
                })
            })
            .collect();
        let (busy, ran) =
            callers.into_iter().map(|c| c.join().expect("joins")).fold((0, 0), |(b, r), (b2, r2)| (b + b2, r + r2));
        eprintln!("one slot, two callers, 300 calls: {ran} ran, {busy} found the host busy");
        assert!(busy > 0 && ran > 0, "{busy} busy, {ran} ran");
        // Not the plugin's doing: nothing recorded against it, its breaker (5 faults a minute) never opened.
        assert!(h.faults("110108").is_empty(), "{:?}", h.faults("110108"));
        assert_eq!(h.status("110108").expect("active").disabled, None);
        assert!(!PluginFault::NotRun { reason: String::new() }.is_the_plugin_s());
    }

    #[test]
    fn limits_over_the_hosts_maximum_are_refused() {
        let h = host();
        let mut s = spec("hostile", "110108", &[]);
        s.limits.memory_bytes = 1 << 30;
        match h.activate(h.compile(plugin("hostile")).expect("compiles"), s) {
            Err(PluginError::Limits { what, .. }) => assert_eq!(what, "memory_bytes"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn hot_swap_under_load_fails_no_call() {
    let h = Arc::new(host());
    let compiled = h.compile(plugin("chaoyang_heating")).expect("compiles");
    h.activate(compiled.clone(), spec("chaoyang-heating", "110105", &[])).expect("activates");
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let load = steady_load(Arc::clone(&h), Arc::clone(&stop), Arc::clone(&calls));
    let swaps = AtomicU64::new(0);
    for i in 0..50 {
        let mut s = spec("chaoyang-heating", "110105", &[]);
        s.version = format!("1.0.{i}");
        h.activate(compiled.clone(), s).expect("activates");
        swaps.fetch_add(1, Ordering::Relaxed);
        // Each swap lands between calls: the next waits for a call to end after this one (on a
        // loaded machine the load thread may not have run at all for a while).
        let seen = calls.load(Ordering::Relaxed);
        let waited = Instant::now();
        while calls.load(Ordering::Relaxed) == seen && waited.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let (ok, failed, _) = load.join().expect("load thread");
    assert_eq!(failed, 0, "{ok} calls succeeded across {} swaps", swaps.load(Ordering::Relaxed));
    assert!(ok >= 50, "{ok} calls across 50 swaps");
    assert_eq!(h.status("110105").expect("active").version, "1.0.49");
}
