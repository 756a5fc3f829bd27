//! Every exported function of every component, called through the wasmtime runtime with real inputs,
//! and compared with the same core function called natively.

use minyi_runtime::bindings::types as wit;
use minyi_runtime::{CallError, Components, Runtime, RuntimeConfig, RuntimeError};
use std::sync::OnceLock;

macro_rules! assert_test_exists {
    ($name:ident) => {
        #[allow(unused_imports)]
        use self::$name as _;
    };
}
minyi_artifacts::foreach_component!(assert_test_exists);

const NOW: &str = "2026-11-29T10:05:00+08:00";

fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| Runtime::new(RuntimeConfig::default()).expect("components load"))
}

fn form_json(phone: &str) -> String {
    serde_json::json!({
        "district": "110105", "street": "110105026", "channel": "web", "kind": "complaint",
        "category": "urban.sanitation.garbage", "title": "小区垃圾三天没人清运",
        "description": "望京西园三区3号楼下垃圾桶满了三天，电话13912345678。",
        "address": "朝阳区望京街道望京西园三区", "reporter": {"phone": phone, "id_number": "11010519491231002X"},
        "consent": true, "received_at": "2026-11-29T10:00:00+08:00"
    })
    .to_string()
}

fn wit_form(phone: &str) -> wit::CaseForm {
    wit::CaseForm {
        district: "110105".into(),
        street: Some("110105026".into()),
        channel: wit::Channel::Hotline,
        kind: wit::Kind::Complaint,
        category: Some("utilities.heating.outage".into()),
        title: "暖气不热".into(),
        description: "家里暖气从昨天开始不热，室温只有十二度。".into(),
        address: "望京西园三区".into(),
        location: Some(wit::Location { lat: 39.99, lon: 116.47 }),
        reporter: Some(wit::Reporter {
            name: None,
            phone: Some(phone.into()),
            id_number: None,
            email: None,
            anonymous: false,
        }),
        attributes: vec![wit::Attribute { key: "building_no".into(), value: "3".into() }],
        attachments: vec![],
        consent: true,
        received_at: "2026-11-29T10:00:00+08:00".into(),
    }
}

mod validator {
    use super::*;

    #[test]
    fn validate_json_matches_native_byte_for_byte() {
        for phone in ["138 0013 8000", "1380013", "", "+86 (010) 6512-3456"] {
            let json = form_json(phone);
            let component = runtime().validate_json(&json, NOW).expect("validates");
            let native = minyi_validation::validate_json(&json, NOW).expect("validates natively");
            assert_eq!(component, native, "phone {phone:?}");
        }
    }

    #[test]
    fn validate_typed_record() {
        let ok = runtime().validate(&wit_form("+86 138-0013-8000"), NOW).expect("validates");
        assert!(ok.valid, "{:?}", ok.issues);
        assert_eq!(ok.normalized.reporter.and_then(|r| r.phone).as_deref(), Some("13800138000"));
        let bad = runtime().validate(&wit_form("12345"), NOW).expect("validates");
        assert!(!bad.valid);
        assert_eq!(bad.issues[0].field, "reporter.phone");
        assert_eq!(bad.issues[0].code, "phone.invalid");
        assert!(bad.issues[0].message.zh_cn.contains("电话号码格式不正确"));
        assert!(bad.issues[0].message.en.contains("not valid"));
    }

    #[test]
    fn masked_copy_and_warnings() {
        let v: serde_json::Value =
            serde_json::from_str(&runtime().validate_json(&form_json("13800138000"), NOW).expect("validates"))
                .expect("json");
        assert_eq!(v["valid"], true);
        assert!(v["masked"]["description"].as_str().is_some_and(|d| d.contains("139****5678")), "{v}");
        assert_eq!(v["issues"][0]["code"], "pii.phone");
        assert_eq!(v["normalized"]["reporter"]["id_number"], "11010519491231002X");
    }

    #[test]
    fn schemas_check_and_apply() {
        let bad = "[schema]\nname = \"x\"\ndistrict = \"999999\"\n";
        let errors = runtime().check_schema(bad).expect("runs");
        assert_eq!((errors[0].line, errors[0].column, errors[0].field.as_str()), (3, 12, "schema.district"));
        let strict = "[schema]\nname = \"严格\"\ndistrict = \"*\"\nextends = \"beijing\"\n[required]\nfields = [\"reporter.name\"]\n";
        assert!(runtime().check_schema(strict).expect("runs").is_empty());
        let r = runtime().validate_with_schema(strict, &wit_form("13800138000"), NOW).expect("validates");
        assert_eq!(r.issues[0].code, "name.required");
        let json = form_json("13800138000");
        assert_eq!(
            runtime().validate_json_with_schema(strict, &json, NOW).expect("validates"),
            minyi_validation::validate_json_with_schema(strict, &json, NOW).expect("validates natively")
        );
        match runtime().validate_json_with_schema(bad, &json, NOW) {
            Err(CallError::Input { code, message }) => {
                assert_eq!(code, "schema.invalid");
                assert!(message.contains("3:12: schema.district"), "{message}");
            }
            other => panic!("expected schema.invalid, got {other:?}"),
        }
    }

    #[test]
    fn validate_field() {
        assert!(runtime().validate_field("reporter.phone", "13800138000").expect("runs").is_empty());
        let issues = runtime().validate_field("reporter.phone", "12345").expect("runs");
        assert_eq!(issues[0].code, "phone.invalid");
        assert_eq!(
            runtime().validate_field("reporter.id_number", "110105194912310021").expect("runs")[0].code,
            "id_number.checksum"
        );
    }

    #[test]
    fn input_errors_are_typed() {
        match runtime().validate_json("{not json", NOW) {
            Err(CallError::Input { code, message }) => {
                assert_eq!(code, "json.invalid");
                assert!(message.contains("line 1"), "{message}");
            }
            other => panic!("expected an input error, got {other:?}"),
        }
        match runtime().validate(&wit_form("13800138000"), "soon") {
            Err(CallError::Input { code, .. }) => assert_eq!(code, "now.invalid"),
            other => panic!("expected an input error, got {other:?}"),
        }
    }

    #[test]
    fn memory_cap_stops_a_call_with_a_typed_error() {
        let cap = 4 << 20;
        let small = Runtime::new(RuntimeConfig { memory_cap: cap, ..RuntimeConfig::default() }).expect("loads");
        let huge = form_json("13800138000").replace("望京西园三区3号楼下", &"很长的描述".repeat(400_000));
        match small.validate_json(&huge, NOW) {
            Err(CallError::Runtime(RuntimeError::MemoryCap { component, cap: c, requested })) => {
                assert_eq!((component, c), ("validator", cap));
                assert!(requested > cap);
            }
            other => panic!("expected MemoryCap, got {other:?}"),
        }
    }
}

mod router {
    use super::*;

    const RULES: &str = r#"
[ruleset]
name = "朝阳区"
region = "beijing"
hit_policy = "first"

[units]
"bj.heating" = "北京市热力集团"

[[rule]]
id = "heating-outage"
priority = 1
when = { category = ["utilities.heating"], keywords = ["暖气", "供暖"] }
then = { lead = "bj.heating", co_handlers = ["$street"], tier = "urgent", priority = 1, tags = ["heating-season"] }

[[rule]]
id = "garbage"
priority = 10
when = { category = ["urban.sanitation"] }
then = { lead = "$street", tier = "general" }
"#;

    fn none() -> wit::CaseContext {
        wit::CaseContext { repeat_count: 0 }
    }

    #[test]
    fn compiled_rule_set_routes_typed_records_with_explanation() {
        let rt = runtime();
        let rules = rt.compile_rules(RULES).expect("runs").expect("rules are valid");
        assert_eq!((rules.name(), rules.rule_count()), ("朝阳区", 2));
        assert!(rules.warnings().is_empty(), "{:?}", rules.warnings());
        for _ in 0..3 {
            let d = rules.route(&wit_form("13800138000"), none()).expect("routes");
            assert_eq!(d.lead, "bj.heating");
            assert_eq!(d.co_handlers, vec!["110105026"]);
            assert_eq!(d.tier, wit::SlaTier::Urgent);
            assert_eq!(d.deadline, "2026-11-30T10:00:00+08:00");
            assert_eq!(d.explanation.fired[0].rule, "heating-outage");
            assert!(d.explanation.fired[0].why.contains("暖气"));
        }
    }

    #[test]
    fn route_json_matches_native_byte_for_byte() {
        let json = form_json("13800138000");
        let native = minyi_routing::compile(RULES).expect("valid");
        let component = runtime().compile_rules(RULES).expect("runs").expect("valid");
        for repeat in [0, 5] {
            let ctx = minyi_model::CaseContext { repeat_count: repeat, suggestion: None };
            assert_eq!(
                component.route_json(&json, wit::CaseContext { repeat_count: repeat }).expect("routes"),
                minyi_routing::route_json(&native, &json, ctx).expect("routes natively")
            );
        }
        assert_eq!(
            runtime().route_once_json(RULES, &json, none()).expect("routes"),
            minyi_routing::route_json(&native, &json, Default::default()).expect("routes natively")
        );
    }

    /// `minyi:router/context-routing`: the context as a document, the classifier's suggestion in it,
    /// answered as natively; a malformed context is an input error naming the field, never a trap.
    #[test]
    fn context_routing_matches_native_and_refuses_a_bad_context() {
        let rules = format!(
            "{RULES}\n[[rule]]\nid = \"unsure\"\npriority = 1\nwhen = {{ confidence_below = 0.7 }}\nthen = {{ manual = true }}\n"
        );
        let native = minyi_routing::compile(&rules).expect("valid");
        let component = runtime().compile_rules(&rules).expect("runs").expect("valid");
        let json = form_json("13800138000");
        for context in [
            r#"{}"#,
            r#"{"repeat_count": 3}"#,
            r#"{"suggestion": {"category": "utilities.heating.outage", "confidence": 0.93}}"#,
            r#"{"repeat_count": 1, "suggestion": {"category": "utilities.heating.outage", "confidence": 0.41}}"#,
        ] {
            let ours = component.route_with_context_json(&json, context).expect("routes");
            assert_eq!(ours, minyi_routing::route_with_context_json(&native, &json, context).expect("natively"));
            let manual = serde_json::from_str::<minyi_model::RoutingDecision>(&ours).expect("JSON").manual;
            assert_eq!(manual, context.contains("0.41"), "{context}: {ours}");
        }
        for bad in [r#"{"suggestion": {"category": "x", "confidence": -1}}"#, "{", r#"{"repeat": 1}"#] {
            match component.route_with_context_json(&json, bad) {
                Err(CallError::Input { code, message }) => {
                    assert_eq!(code, "context.invalid", "{bad}: {message}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        // The instance is still good after the refusals.
        assert!(component.route_with_context_json(&json, "{}").is_ok());
    }

    #[test]
    fn rule_errors_and_warnings_have_line_column_and_severity() {
        assert!(runtime().check_rules(RULES).expect("runs").is_empty());
        let broken = "[ruleset]\nname = \"x\"\n[[rule]]\nid = \"a\"\nthen = { lead = \"u\", tier = \"soon\" }\n";
        let errors = runtime().check_rules(broken).expect("runs");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].line, errors[0].severity), (5, wit::Severity::Error));
        assert!(errors[0].message.contains("soon"), "{errors:?}");
        assert!(runtime().compile_rules(broken).expect("runs").is_err());
        let shadowed = RULES.replace("priority = 10", "priority = 0").replace("keywords = [\"暖气\", \"供暖\"]", "");
        let shadowed = shadowed.replace("[\"utilities.heating\"], ", "[\"urban.sanitation.garbage\"]");
        let rules = runtime().compile_rules(&shadowed).expect("runs").expect("warnings do not stop loading");
        assert_eq!(rules.warnings().len(), 1, "{:?}", rules.warnings());
        assert_eq!(rules.warnings()[0].severity, wit::Severity::Warning);
        assert!(rules.warnings()[0].message.contains("can never fire"), "{:?}", rules.warnings());
    }

    /// The shipped Beijing set over generated forms (valid, malformed, hostile): the component answers
    /// exactly as the native core, and every form that parses gets a lead — none is dropped.
    #[test]
    fn beijing_rule_set_agrees_with_native_and_never_drops_a_case() {
        let source = include_str!("../components/routing/rulesets/beijing.toml");
        let native = minyi_routing::compile(source).expect("the shipped set compiles");
        assert!(native.rule_count() >= 500 && native.warnings.is_empty(), "{:?}", native.warnings);
        let component = runtime().compile_rules(source).expect("runs").expect("compiles in the component");
        assert_eq!(component.rule_count() as usize, native.rule_count());
        let outcomes = component.run_examples().expect("runs");
        assert!(outcomes.len() >= 20 && outcomes.iter().all(|o| o.passed), "{outcomes:?}");
        let mut routed = 0;
        for (i, json) in minyi_tests::forms::generate(1500, 4).iter().enumerate() {
            let repeat = (i % 7) as u32;
            let ours = component.route_json(json, wit::CaseContext { repeat_count: repeat });
            let theirs = minyi_routing::route_json(
                &native,
                json,
                minyi_model::CaseContext { repeat_count: repeat, suggestion: None },
            );
            match (ours, theirs) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "form {i}");
                    let d: minyi_model::RoutingDecision = serde_json::from_str(&a).expect("decision JSON");
                    assert!(!d.lead.is_empty() && !d.explanation.fired.is_empty(), "form {i}: {a}");
                    routed += 1;
                }
                (Err(CallError::Input { code, .. }), Err(e)) => assert_eq!(code, e.code(), "form {i}"),
                (a, b) => panic!("form {i}: component {a:?} vs native {b:?}"),
            }
        }
        assert!(routed > 1000, "{routed}");
    }

    #[test]
    fn bad_received_at_is_an_input_error_not_a_dropped_case() {
        let rules = runtime().compile_rules(RULES).expect("runs").expect("valid");
        let mut form = wit_form("13800138000");
        form.received_at = "yesterday".into();
        match rules.route(&form, none()) {
            Err(CallError::Input { code, .. }) => assert_eq!(code, "received_at.invalid"),
            other => panic!("expected an input error, got {other:?}"),
        }
        form.received_at = "2026-11-29T10:00:00+08:00".into();
        assert!(rules.route(&form, none()).is_ok(), "the instance is still usable");
    }
}

mod scorer {
    use super::*;

    fn callbacks() -> Vec<wit::Callback> {
        let mut out = Vec::new();
        for (unit, satisfied) in [("110105026", 5), ("110105001", 3)] {
            for i in 0..6 {
                out.push(wit::Callback {
                    case_id: format!("BJ-20261129-{unit}-{i}"),
                    unit: unit.into(),
                    unit_type: wit::UnitType::Street,
                    responded: true,
                    resolved: i < satisfied,
                    satisfaction: if i < satisfied {
                        wit::Satisfaction::Satisfied
                    } else {
                        wit::Satisfaction::Dissatisfied
                    },
                    exclusion: None,
                });
            }
        }
        out
    }

    #[test]
    fn default_config_is_beijings() {
        let c = runtime().default_score_config().expect("runs");
        assert_eq!((c.response_weight, c.resolution_weight, c.satisfaction_weight), (0.1, 0.45, 0.45));
        assert_eq!((c.basically_satisfied_factor, c.min_valid_callbacks), (0.9, 5));
    }

    #[test]
    fn score_typed_records() {
        let config = runtime().default_score_config().expect("runs");
        let scores = runtime().score(&callbacks(), config).expect("runs");
        assert_eq!(scores.len(), 2);
        assert_eq!((scores[0].unit.as_str(), scores[0].rank), ("110105026", Some(1)));
        assert!((scores[0].resolution_rate - 5.0 / 6.0).abs() < 1e-12);
        assert_eq!(scores[1].rank, Some(2));
    }

    #[test]
    fn score_json_matches_native_byte_for_byte() {
        let cbs = serde_json::json!([
            {"case_id": "a", "unit": "110105026", "unit_type": "street", "responded": true, "resolved": true, "satisfaction": "basically_satisfied"},
            {"case_id": "b", "unit": "bj.heating", "unit_type": "department", "responded": false, "resolved": true, "satisfaction": "satisfied",
             "exclusion": {"reason": "invalid", "reviewer": "审核员", "note": "重复诉求"}}
        ])
        .to_string();
        let config = serde_json::to_string(&minyi_model::ScoreConfig::default()).expect("serialises");
        assert_eq!(
            runtime().score_json(&cbs, &config).expect("scores"),
            minyi_scoring::score_json(&cbs, &config).expect("scores natively")
        );
        assert!(matches!(runtime().score_json("[{}]", &config), Err(CallError::Input { .. })));
    }

    /// Generated cases (a fixed LCG, so runs repeat): events of October and November 2026 across
    /// streets and departments, with callbacks, exclusions, revocations and late replies.
    fn generated_cases(n: usize) -> Vec<String> {
        let mut seed: u64 = 0x5eed;
        let mut next = |m: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % m
        };
        let units = ["110105026", "110105001", "110105027", "110101001", "bj.heating", "110105.cgw"];
        let categories = ["urban.sanitation.garbage", "utilities.heating.outage", "traffic.parking.illegal"];
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-10-01T08:00:00+08:00").expect("time");
        (0..n)
            .map(|i| {
                let id = format!("BJ-{i:06}");
                let unit = units[next(units.len() as u64) as usize];
                let street = if unit.len() == 9 { unit } else { "110105026" };
                let district = &street[..6];
                let at = |h: u64| (t0 + chrono::Duration::hours(h as i64)).to_rfc3339();
                let start = next(61 * 24);
                let mut lines = vec![
                    format!(r#"{{"case_id":"{id}","at":"{}","type":"received","district":"{district}","street":"{street}","category":"{}","address":"小区{}号楼"}}"#,
                        at(start), categories[next(3) as usize], next(8)),
                    format!(r#"{{"case_id":"{id}","at":"{}","type":"dispatched","unit":"{unit}","tier":"{}"}}"#,
                        at(start), ["general", "urgent", "complex"][next(3) as usize]),
                    format!(r#"{{"case_id":"{id}","at":"{}","type":"first_contact"}}"#, at(start + next(40))),
                ];
                if next(10) > 0 {
                    let reply = start + next(240);
                    lines.push(format!(r#"{{"case_id":"{id}","at":"{}","type":"replied"}}"#, at(reply)));
                    if next(4) > 0 {
                        lines.push(format!(
                            r#"{{"case_id":"{id}","at":"{}","type":"callback","resolved":{},"satisfaction":"{}"}}"#,
                            at(reply + 20),
                            next(5) > 0,
                            ["satisfied", "basically_satisfied", "dissatisfied"][next(3) as usize]
                        ));
                        if next(12) == 0 {
                            lines.push(format!(r#"{{"case_id":"{id}","at":"{}","type":"excluded","reason":"invalid","reviewer":"审核员"}}"#, at(reply + 30)));
                            if next(2) == 0 {
                                lines.push(format!(r#"{{"case_id":"{id}","at":"{}","type":"exclusion_revoked","reviewer":"复核员"}}"#, at(reply + 50)));
                            }
                        }
                    }
                }
                lines.join("\n")
            })
            .collect()
    }

    const NOVEMBER: &str = r#"{"month":"2026-11","config":{"min_valid_callbacks":3}}"#;

    #[test]
    fn scoreboard_matches_native_byte_for_byte() {
        let cases = generated_cases(1500);
        let board = runtime().open_scoreboard(NOVEMBER).expect("opens");
        let mut native = minyi_scoring::Board::open_json(NOVEMBER).expect("opens natively");
        let mut placed = 0;
        for batch in cases.chunks(400) {
            placed += board.add_cases_json(batch).expect("adds");
        }
        for c in &cases {
            native.add_case_json(c).expect("adds natively");
        }
        let ranking = native.ranking();
        assert_eq!(u64::from(placed), ranking.cases);
        assert!(ranking.cases > 500 && ranking.streets.iter().filter(|s| s.rank.is_some()).count() >= 3, "{ranking:?}");
        assert_eq!(board.ranking_json().expect("ranks"), json(&ranking));
        assert_eq!(board.partial_json().expect("partial"), json(&native.partial()));
        assert_eq!(board.hotspots_json().expect("hotspots"), json(&native.hotspots()));
        let typed = board.ranking().expect("ranks");
        assert_eq!(typed.len(), native.scores().len());
        for (t, n) in typed.iter().zip(native.scores()) {
            assert_eq!((t.unit.as_str(), t.rank, t.valid, t.cases), (n.unit.as_str(), n.rank, n.valid, n.cases));
            assert_eq!(t.composite.to_bits(), n.composite.to_bits());
            assert_eq!(t.trend.map(|x| x.rank_change), n.trend.map(|x| x.rank_change));
        }
    }

    #[test]
    fn district_boards_merge_into_the_city_board() {
        let cases = generated_cases(800);
        let city = runtime().open_scoreboard(NOVEMBER).expect("opens");
        for district in ["110105", "110101"] {
            let request = NOVEMBER.replace(r#""month""#, &format!(r#""district":"{district}","month""#));
            let board = runtime().open_scoreboard(&request).expect("opens");
            board.add_cases_json(&cases).expect("adds");
            city.merge_json(&board.partial_json().expect("partial")).expect("merges");
        }
        let whole = runtime().open_scoreboard(NOVEMBER).expect("opens");
        whole.add_cases_json(&cases).expect("adds");
        assert_eq!(city.ranking_json().expect("ranks"), whole.ranking_json().expect("ranks"));
    }

    #[test]
    fn outcomes_score_as_natively() {
        let units = vec![
            wit::UnitRef { unit: "110105026".into(), unit_type: wit::UnitType::Street },
            wit::UnitRef { unit: "bj.heating".into(), unit_type: wit::UnitType::Department },
        ];
        let nov = chrono::DateTime::parse_from_rfc3339("2026-11-03T09:00:00+08:00").expect("time").timestamp();
        let outcomes: Vec<wit::CaseOutcome> = (0..40)
            .map(|i: i64| wit::CaseOutcome {
                unit: (i % 2) as u32,
                tier: wit::SlaTier::General,
                received_at: nov + i * 3600,
                dispatched_at: nov + i * 3600,
                first_contact_at: Some(nov + i * 3600 + (i % 5) * 10 * 3600),
                replied_at: Some(nov + i * 3600 + (i % 9) * 86_400),
                deadline: None,
                callback: (i % 3 > 0).then_some(wit::CallbackAnswers {
                    responded: None,
                    resolved: i % 4 > 0,
                    satisfaction: [
                        wit::Satisfaction::Satisfied,
                        wit::Satisfaction::BasicallySatisfied,
                        wit::Satisfaction::Dissatisfied,
                    ][(i % 3) as usize],
                }),
                excluded: (i % 11 == 0).then_some(wit::ExclusionReason::Unreasonable),
            })
            .collect();
        let board = runtime().open_scoreboard(NOVEMBER).expect("opens");
        assert_eq!(board.add_outcomes(&units, &outcomes).expect("adds"), 40);
        let mut native = minyi_scoring::Board::open_json(NOVEMBER).expect("opens");
        let n_units: Vec<_> = units
            .iter()
            .map(|u| minyi_scoring::UnitRef { unit: u.unit.clone(), unit_type: minyi_model::UnitType::infer(&u.unit) })
            .collect();
        let n_outcomes: Vec<_> = outcomes
            .iter()
            .map(|o| minyi_scoring::Outcome {
                unit: o.unit,
                timeline: minyi_scoring::Timeline {
                    tier: minyi_model::SlaTier::General,
                    received_at: o.received_at,
                    dispatched_at: o.dispatched_at,
                    first_contact_at: o.first_contact_at,
                    replied_at: o.replied_at,
                    deadline: o.deadline,
                    callback: o.callback.map(|a| minyi_scoring::Answers {
                        responded: a.responded,
                        resolved: a.resolved,
                        satisfaction: match a.satisfaction {
                            wit::Satisfaction::Satisfied => minyi_model::Satisfaction::Satisfied,
                            wit::Satisfaction::BasicallySatisfied => minyi_model::Satisfaction::BasicallySatisfied,
                            wit::Satisfaction::Dissatisfied => minyi_model::Satisfaction::Dissatisfied,
                        },
                    }),
                    excluded: o.excluded.map(|_| minyi_model::ExclusionReason::Unreasonable),
                },
            })
            .collect();
        native.add_outcomes(&n_units, &n_outcomes).expect("adds natively");
        assert_eq!(board.ranking_json().expect("ranks"), serde_json::to_string(&native.ranking()).expect("json"));

        let bad = vec![wit::CaseOutcome { unit: 7, ..outcomes[0] }];
        match board.add_outcomes(&units, &bad) {
            Err(CallError::Input { code, message }) => {
                assert!(code == "request.invalid" && message.contains("outcomes[0].unit"), "{message}")
            }
            other => panic!("expected an input error, got {other:?}"),
        }
        let district = runtime().open_scoreboard(r#"{"month":"2026-11","district":"110105"}"#).expect("opens");
        assert!(matches!(district.add_outcomes(&units, &outcomes), Err(CallError::Input { .. })));
    }

    #[test]
    fn bad_requests_and_events_are_input_errors() {
        match runtime().open_scoreboard(r#"{"month":"2026-11","config":{"satisfaction_weight":2}}"#) {
            Err(CallError::Input { code, message }) => {
                assert!(code == "config.invalid" && message.contains("satisfaction_weight"), "{message}")
            }
            other => panic!("expected an input error, got {other:?}"),
        }
        let board = runtime().open_scoreboard(NOVEMBER).expect("opens");
        match board.add_cases_json(&["{\"case_id\":\"x\",\"at\":\"soon\",\"type\":\"closed\"}".to_owned()]) {
            Err(CallError::Input { code, message }) => {
                assert!(code == "events.invalid" && message.contains("cases[0]"), "{message}")
            }
            other => panic!("expected an input error, got {other:?}"),
        }
        assert!(board.ranking_json().is_ok(), "the board survives a rejected batch");
    }

    #[test]
    fn assess_json_matches_native() {
        for case in generated_cases(50) {
            assert_eq!(
                runtime().assess_json(&case, "{}", Some("2026-11-20T00:00:00+08:00")).expect("assesses"),
                minyi_scoring::assess_json(&case, "{}", Some("2026-11-20T00:00:00+08:00")).expect("assesses natively")
            );
        }
    }

    /// A native result serialised the way the guest serialises it.
    fn json<T: serde::Serialize>(value: &T) -> String {
        serde_json::to_string(value).expect("serialises")
    }
}

/// The classifier component answers exactly as the core does natively, loads a model as data, and
/// refuses bad models and bad text with a code and a message, never a trap.
mod classifier {
    use super::*;
    use minyi_classify::{Model, TrainOptions};

    /// A small labelled set written here: three categories a city might train.
    fn model_bytes() -> Vec<u8> {
        let rows = [
            ("家里暖气不热，室温只有十二度", "供暖"),
            ("暖气片冰凉，供热公司不来修", "供暖"),
            ("小区集中供热温度太低", "供暖"),
            ("楼下垃圾三天没人清运", "环卫"),
            ("垃圾桶满了没人管，臭气熏天", "环卫"),
            ("路边垃圾堆成山", "环卫"),
            ("公司拖欠工资三个月", "劳动"),
            ("老板不发工资还不签劳动合同", "劳动"),
            ("单位不给缴社保", "劳动"),
        ];
        let rows: Vec<(String, String)> = rows.iter().map(|(t, l)| ((*t).to_owned(), (*l).to_owned())).collect();
        let options = TrainOptions { min_df: 1, ..TrainOptions::default() };
        minyi_classify::train(&rows, &options).expect("trains").to_bytes()
    }

    #[test]
    fn suggestions_from_the_component_equal_the_core_s() {
        let bytes = model_bytes();
        let native = Model::from_bytes(&bytes).expect("a model");
        let model = runtime().load_model(&bytes).expect("the component loads the model");
        let info = model.info();
        assert_eq!(info.categories, native.labels());
        assert_eq!(info.sha256, minyi_classify::sha256_hex(&bytes));
        assert_eq!((info.rows, info.features as usize), (9, native.features()));
        let long = "暖气不热".repeat(75);
        for text in
            ["我家暖气一点都不热", "垃圾没人清运", "工资被拖欠了", "今天天气很好", "Ｘ１２３ abc", long.as_str()]
        {
            for threshold in [None, Some(0.9)] {
                let want = native.suggest(text, threshold).expect("native");
                let got = model.suggest(text, threshold).expect("component");
                let top: Vec<(String, f32)> = got.top.iter().map(|t| (t.category.clone(), t.confidence)).collect();
                let want_top: Vec<(String, f32)> =
                    want.top.iter().map(|t| (t.category.clone(), t.confidence)).collect();
                assert_eq!(top, want_top, "{text}");
                assert_eq!((got.abstained, got.threshold), (want.abstained, want.threshold), "{text}");
                let evidence: Vec<(String, f32)> = got.evidence.iter().map(|e| (e.gram.clone(), e.weight)).collect();
                let want_evidence: Vec<(String, f32)> =
                    want.evidence.iter().map(|e| (e.gram.clone(), e.weight)).collect();
                assert_eq!(evidence, want_evidence, "{text}");
                let json = model.suggest_json(text, threshold).expect("component JSON");
                assert_eq!(json, serde_json::to_string(&want).expect("JSON"), "{text}");
            }
        }
        assert_eq!(model.suggest("我家暖气一点都不热", None).expect("suggests").top[0].category, "供暖");
    }

    #[test]
    fn a_file_that_is_not_a_model_is_refused_with_the_reason() {
        let bytes = model_bytes();
        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x40;
        let cases: [(&str, &[u8], &str); 4] = [
            ("truncated", &bytes[..bytes.len() - 100], "truncated or corrupt"),
            ("flipped", &flipped, "truncated or corrupt"),
            ("foreign", minyi_artifacts::VALIDATOR_BYTES, "not a Minyi classifier model"),
            ("empty", b"", "not a Minyi classifier model"),
        ];
        for (what, bad, says) in cases {
            match runtime().load_model(bad) {
                Err(CallError::Input { code, message }) => {
                    assert_eq!(code, "model", "{what}");
                    assert!(message.starts_with("model: ") && message.contains(says), "{what}: {message}");
                }
                other => panic!("{what}: expected an input error, got {other:?}"),
            }
        }
    }

    #[test]
    fn bad_text_is_an_input_error_and_the_model_keeps_answering() {
        let model = runtime().load_model(&model_bytes()).expect("loads");
        let megabyte = "暖".repeat(350_000);
        let cases = [("", "empty-text"), (" \n\t　", "empty-text"), (megabyte.as_str(), "text-too-long")];
        for (text, want) in cases {
            match model.suggest(text, None) {
                Err(CallError::Input { code, message }) => {
                    assert_eq!(code, want);
                    assert!(message.starts_with("text: "), "the message names the field: {message}");
                }
                other => panic!("expected {want}, got {other:?}"),
            }
            assert_eq!(model.suggest("暖气不热", None).expect("still answers").top[0].category, "供暖");
        }
    }

    #[test]
    fn a_model_shared_with_a_server_outlives_the_scope_that_loaded_it() {
        let rt = std::sync::Arc::new(Runtime::lazy(RuntimeConfig::default()).expect("an engine"));
        let model = rt.load_model_shared(&model_bytes()).expect("loads");
        drop(rt);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let model = &model;
                move || model.suggest("垃圾没人清运", None).map(|s| s.top[0].category.clone())
            })
            .collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = threads.into_iter().map(|t| scope.spawn(t)).collect();
            for h in handles {
                assert_eq!(h.join().expect("joins").expect("suggests"), "环卫");
            }
        });
    }
}

/// The runtime maps a trap to `RuntimeError::Trap`, drops the failed instance and keeps serving:
/// proved with a real component that traps on purpose (components/guests/test-trap).
mod test_trap_validator {
    use super::*;

    #[test]
    fn a_trap_is_a_typed_error_and_the_next_call_works() {
        let components =
            Components { validator: minyi_test_artifacts::TEST_TRAP_VALIDATOR_BYTES, ..Components::built_in() };
        let rt = Runtime::with_components(RuntimeConfig::default(), components).expect("loads");
        assert!(rt.validate_field("title", "fine").expect("a normal call works").is_empty());
        for _ in 0..3 {
            match rt.validate_field("title", "trap") {
                Err(RuntimeError::Trap { component, trap }) => {
                    assert_eq!(component, "validator");
                    assert!(trap.contains("unreachable"), "the guest's panic is an unreachable trap: {trap}");
                    assert!(!trap.contains("cannot enter"), "a trapped instance is never reused: {trap}");
                }
                other => panic!("expected a typed trap, got {other:?}"),
            }
            assert!(rt.validate_field("title", "fine").expect("the runtime recovers").is_empty());
        }
        assert!(matches!(rt.validate_json("{}", NOW), Err(CallError::Runtime(RuntimeError::Trap { .. }))));
    }

    #[test]
    fn an_endless_loop_stops_at_the_deadline_and_the_next_call_works() {
        let components =
            Components { validator: minyi_test_artifacts::TEST_TRAP_VALIDATOR_BYTES, ..Components::built_in() };
        let config = RuntimeConfig { deadline: std::time::Duration::from_millis(50), ..RuntimeConfig::default() };
        let rt = Runtime::with_components(config, components).expect("loads");
        for _ in 0..2 {
            let started = std::time::Instant::now();
            match rt.validate_field("title", "loop") {
                Err(RuntimeError::Deadline { component, ms }) => assert_eq!((component, ms), ("validator", 50)),
                other => panic!("expected the deadline, got {other:?}"),
            }
            let took = started.elapsed();
            eprintln!("an endless loop in a built-in component stopped after {took:?} (deadline 50 ms)");
            assert!(took >= std::time::Duration::from_millis(50), "stopped before its deadline: {took:?}");
            assert!(rt.validate_field("title", "fine").expect("the runtime recovers").is_empty());
        }
    }
}

/// A one-shot command compiles only what it calls; a service compiles everything before it serves.
mod loading {
    use super::*;

    #[test]
    fn a_lazy_runtime_compiles_a_component_when_a_call_first_needs_it() {
        let rt = Runtime::lazy(RuntimeConfig::default()).expect("an engine");
        assert!(rt.compiled_components().is_empty(), "nothing is compiled before a call");
        // What a component is (its bytes, their hash) is known without compiling it.
        let router = rt.component("router").expect("the router");
        assert_eq!(router.bytes.as_ref(), minyi_artifacts::ROUTER_BYTES);
        assert!(rt.compiled_components().is_empty());
        let eager = runtime();
        assert_eq!(
            rt.validate_json(&form_json("13912345678"), NOW).ok(),
            eager.validate_json(&form_json("13912345678"), NOW).ok()
        );
        assert_eq!(rt.compiled_components(), ["validator"]);
        rt.default_score_config().expect("the scorer answers");
        assert_eq!(rt.compiled_components(), ["validator", "scorer"]);
        rt.warm().expect("the rest compiles");
        let all = ["validator", "router", "scorer", "classifier"];
        assert_eq!(rt.compiled_components(), all);
        assert_eq!(eager.compiled_components(), all, "Runtime::new compiles all four");
    }

    #[test]
    fn bytes_that_are_not_a_component_fail_to_load_by_name() {
        let made = Runtime::with_components(
            RuntimeConfig::default(),
            Components { router: b"\0asm not a component", ..Components::built_in() },
        );
        match made {
            Err(RuntimeError::Load { component, .. }) => assert_eq!(component, "router"),
            other => panic!("expected a load error for the router, got {other:?}"),
        }
    }
}
