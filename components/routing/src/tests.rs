//! Behaviour of the routing core through its public API: format, checks, policies, explanations.

use crate::{DEFAULT_RULE, HitPolicy, check_rules, compile, route, run_examples};
use minyi_model::{CaseContext, CaseForm, Channel, Kind, Location, Severity, SlaTier};

const RULES: &str = r#"
[ruleset]
name = "test"
region = "beijing"
hit_policy = "first"
default_unit = "$district"
grid = { origin = [39.40, 115.40], size = 0.01 }

[units]
"bj.heating" = "北京市热力集团"
"110105.cgj" = "朝阳区城市管理综合行政执法局"
"110105.gov" = "朝阳区人民政府"

[areas]
wangjing-soho = [[39.990, 116.470], [39.990, 116.485], [40.000, 116.485], [40.000, 116.470]]

[[rule]]
id = "repeat"
priority = 1
when = { repeat_at_least = 3 }
then = { tags = ["repeat"], escalate = ["110105.gov"], priority = 1 }

[[rule]]
id = "heating"
priority = 5
when = { category = ["utilities.heating"], season = "11-15..03-15" }
then = { lead = "bj.heating", tier = "urgent", priority = 1, co_handlers = ["$street"] }

[[rule]]
id = "night-work"
priority = 6
when = { category = ["urban.construction"], hours = "22:00-06:00", any = [{ keywords = ["施工", "打桩"] }, { area = ["wangjing-soho"] }] }
then = { lead = "110105.cgj", tier = "general", priority = 2, tags = ["夜间施工"] }

[[rule]]
id = "garbage"
priority = 10
when = { category = ["urban.sanitation"], keywords = ["垃圾"], not = { channel = ["open311"] } }
then = { lead = "$street", tier = "general", tags = ["sanitation"] }

[[rule]]
id = "grid-cell"
priority = 20
when = { cells = ["r59c107"], kind = ["suggestion"] }
then = { lead = "110105026", tier = "complex" }

[[example]]
name = "heating outage in season"
case = { district = "110105", street = "110105026", category = "utilities.heating.outage", title = "暖气不热" }
expect = { lead = "bj.heating", tier = "urgent", co_handlers = ["110105026"], fired = ["heating"] }

[[example]]
name = "a repeated garbage complaint is escalated"
case = { district = "110105", street = "110105026", category = "urban.sanitation.garbage", title = "垃圾又没清运" }
context = { repeat_count = 4 }
expect = { lead = "110105026", escalate = ["110105.gov"], tags = ["repeat", "sanitation"], priority = 1, fired = ["repeat", "garbage"] }
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

fn none() -> CaseContext {
    CaseContext::default()
}

#[test]
fn the_test_set_is_sound_and_its_examples_pass() {
    let rules = compile(RULES).expect("valid");
    assert!(rules.warnings.is_empty(), "{:?}", rules.warnings);
    assert_eq!(rules.rule_count(), 5);
    let outcomes = run_examples(&rules);
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|o| o.passed), "{outcomes:#?}");
}

#[test]
fn first_hit_with_explanation_and_deadline() {
    let rules = compile(RULES).expect("valid");
    let d = route(&rules, &form("urban.sanitation.garbage", "垃圾没人清运"), none()).expect("routes");
    assert_eq!(d.lead, "110105026");
    assert_eq!(d.deadline, "2026-12-06T10:00:00+08:00");
    assert_eq!(d.explanation.fired.len(), 1);
    let why = &d.explanation.fired[0].why;
    assert!(why.contains("under urban.sanitation") && why.contains("垃圾") && why.contains("not(channel"), "{why}");
}

#[test]
fn near_miss_names_the_failed_condition_and_the_default_takes_the_case() {
    let rules = compile(RULES).expect("valid");
    let d = route(&rules, &form("urban.sanitation.garbage", "路灯坏了"), none()).expect("routes");
    assert_eq!(d.lead, "110105", "falls back to the district (兜底)");
    assert_eq!(d.explanation.fired[0].rule, DEFAULT_RULE);
    let miss = &d.explanation.near_misses[0];
    assert_eq!(miss.rule, "garbage");
    assert!(miss.failed.contains("垃圾"), "{miss:?}");
}

#[test]
fn seasons_hours_and_areas() {
    let rules = compile(RULES).expect("valid");
    let mut summer = form("utilities.heating.outage", "暖气不热");
    summer.received_at = "2026-07-01T10:00:00+08:00".into();
    let d = route(&rules, &summer, none()).expect("routes");
    assert_eq!(d.lead, "110105", "no heating rule outside the season");
    assert!(d.explanation.near_misses[0].failed.contains("outside season 11-15..03-15"), "{:?}", d.explanation);

    let mut night = form("urban.construction.night_work", "楼下噪音");
    night.received_at = "2026-11-29T23:30:00+08:00".into();
    assert_eq!(route(&rules, &night, none()).expect("routes").lead, "110105", "neither keyword nor area");
    night.location = Some(Location { lat: 39.995, lon: 116.475 });
    let d = route(&rules, &night, none()).expect("routes");
    assert_eq!(d.lead, "110105.cgj");
    assert!(d.explanation.fired[0].why.contains("inside area wangjing-soho"), "{:?}", d.explanation);
    night.received_at = "2026-11-29T12:00:00+08:00".into();
    assert_eq!(route(&rules, &night, none()).expect("routes").lead, "110105");
}

#[test]
fn grid_cells_and_kinds() {
    let rules = compile(RULES).expect("valid");
    let mut f = form("other.general.other", "建议");
    f.kind = Kind::Suggestion;
    f.location = Some(Location { lat: 39.995, lon: 116.475 });
    let d = route(&rules, &f, none()).expect("routes");
    assert_eq!((d.lead.as_str(), d.tier), ("110105026", SlaTier::Complex));
    // 15 working days from Sunday 2026-11-29.
    assert_eq!(d.deadline, "2026-12-18T10:00:00+08:00");
}

#[test]
fn collect_merges_in_order() {
    let src = RULES
        .replace("hit_policy = \"first\"", "hit_policy = \"collect\"")
        .replace("keywords = [\"垃圾\"], not = { channel = [\"open311\"] }", "keywords = [\"暖气\"]");
    let src = src.replace("category = [\"urban.sanitation\"]", "category = [\"utilities\"]");
    let rules = compile(&src).expect("valid");
    assert_eq!(rules.hit_policy, HitPolicy::Collect);
    let d = route(&rules, &form("utilities.heating.outage", "暖气不热"), none()).expect("routes");
    assert_eq!(d.lead, "bj.heating");
    assert_eq!(d.co_handlers, vec!["110105026"]);
    assert_eq!(d.tier, SlaTier::Urgent);
    assert_eq!(d.explanation.fired.len(), 2);
    assert_eq!(d.tags, vec!["sanitation"]);
}

#[test]
fn manual_default() {
    let src = RULES.replace("default_unit = \"$district\"", "default_unit = \"manual\"");
    let rules = compile(&src).expect("valid");
    let d = route(&rules, &form("other.general.other", "x"), none()).expect("routes");
    assert!(d.manual);
    assert_eq!(d.lead, "110105");
}

#[test]
fn syntax_errors_have_line_and_column() {
    let errs = compile("[ruleset]\nname = \"x\"\n[[rule]]\nid = \n").expect_err("broken");
    assert_eq!((errs[0].line, errs[0].column), (4, 6), "{errs:?}");
}

#[test]
fn unknown_units_categories_and_codes_are_errors_at_their_place() {
    let src = "[ruleset]\nname = \"x\"\nregion = \"beijing\"\n\n[[rule]]\nid = \"a\"\nwhen = { category = [\"urban.nope\"], district = [\"999999\"] }\nthen = { lead = \"bj.nobody\", priority = 9 }\n";
    let errs = compile(src).expect_err("four problems");
    let got: Vec<_> = errs.iter().map(|e| (e.line, e.column, e.message.as_str())).collect();
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got[0].2.contains("unknown category \"urban.nope\"") && got[0].1 == 22, "{got:?}");
    assert!(got[1].2.contains("unknown district \"999999\""), "{got:?}");
    assert!(got[2].2.contains("unknown unit \"bj.nobody\"") && got[2].0 == 8, "{got:?}");
    assert!(got[3].2.contains("priority must be 1..=5"), "{got:?}");
}

#[test]
fn duplicate_ids_windows_and_empty_actions() {
    let src = "[ruleset]\nname = \"x\"\n\n[[rule]]\nid = \"a\"\nwhen = { hours = \"25:00-01:00\", season = \"13-01..01-01\", weekdays = [\"someday\"] }\nthen = { }\n\n[[rule]]\nid = \"a\"\nthen = { manual = true }\n";
    let errs = compile(src).expect_err("problems");
    let text: Vec<_> = errs.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(text.len(), 5, "{text:?}");
    assert!(text.iter().any(|m| m.contains("duplicate rule id \"a\" (first at line 5)")), "{text:?}");
    assert!(text.iter().any(|m| m.contains("does nothing")), "{text:?}");
    assert!(text.iter().any(|m| m.contains("hours")) && text.iter().any(|m| m.contains("season")));
    assert!(text.iter().any(|m| m.contains("someday")));
}

#[test]
fn unknown_fields_are_rejected() {
    let errs = compile(
        "[ruleset]\nname = \"x\"\n[[rule]]\nid = \"a\"\nwhen = { colour = \"red\" }\nthen = { manual = true }\n",
    )
    .expect_err("unknown field");
    assert_eq!(errs[0].line, 5);
    assert!(errs[0].message.contains("colour"), "{errs:?}");
}

#[test]
fn shadowed_and_overlapping_rules_are_warned_about() {
    let src = r#"[ruleset]
name = "x"
region = "beijing"

[[rule]]
id = "all-sanitation"
priority = 1
when = { category = ["urban.sanitation"] }
then = { lead = "$street" }

[[rule]]
id = "garbage"
priority = 2
when = { category = ["urban.sanitation.garbage"], keywords = ["垃圾"] }
then = { lead = "110105" }

[[rule]]
id = "roads-a"
priority = 3
when = { category = ["urban.roads"], district = ["110105"] }
then = { lead = "$street" }

[[rule]]
id = "roads-b"
priority = 3
when = { category = ["urban.roads.potholes"] }
then = { lead = "110105", tier = "urgent" }
"#;
    let rules = compile(src).expect("warnings do not stop loading");
    let w: Vec<_> = rules.warnings.iter().map(|w| (w.line, w.severity, w.message.as_str())).collect();
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!(w[0].0, 12);
    assert_eq!(w[0].1, Severity::Warning);
    assert!(w[0].2.contains("\"garbage\" can never fire: rule \"all-sanitation\""), "{w:?}");
    assert!(w[1].2.contains("same priority 3"), "{w:?}");
    assert_eq!(check_rules(src).len(), 2);
}

#[test]
fn unreachable_units_are_warned_about() {
    let src = "[ruleset]\nname = \"x\"\n[units]\nlonely = \"nobody routes here\"\nused = \"u\"\n[[rule]]\nid = \"a\"\nthen = { lead = \"used\" }\n";
    let rules = compile(src).expect("valid");
    assert_eq!(rules.warnings.len(), 1);
    assert!(rules.warnings[0].message.contains("\"lonely\""), "{:?}", rules.warnings);
    assert_eq!(rules.warnings[0].line, 4);
}

#[test]
fn failing_examples_say_what_differed() {
    let src = RULES.replace(
        "expect = { lead = \"bj.heating\", tier = \"urgent\"",
        "expect = { lead = \"110105\", tier = \"urgent\"",
    );
    let rules = compile(&src).expect("valid");
    let outcomes = run_examples(&rules);
    assert!(!outcomes[0].passed);
    assert_eq!(outcomes[0].mismatches, vec!["lead: expected \"110105\", got \"bj.heating\""]);
    assert!(outcomes[1].passed);
}

#[test]
fn bad_received_at_is_the_only_error() {
    let rules = compile(RULES).expect("valid");
    let mut f = form("urban.sanitation.garbage", "垃圾");
    f.received_at = "yesterday".into();
    assert!(route(&rules, &f, none()).is_err());
    // Odd categories and empty districts never fail.
    let mut odd = form("垃圾.类", "垃圾");
    odd.district = String::new();
    odd.street = None;
    let d = route(&rules, &odd, none()).expect("routes");
    assert_eq!((d.lead.as_str(), d.manual), (crate::HOTLINE_CENTRE, true), "never an empty lead");
}

#[test]
fn the_index_narrows_980_rules_to_a_few_candidates() {
    let rules = compile(include_str!("../rulesets/beijing.toml")).expect("the shipped set compiles");
    assert!(rules.rule_count() >= 500, "{}", rules.rule_count());
    let mut out = Vec::new();
    rules.index.candidates("urban.sanitation.garbage", "110105", &mut out);
    // Globals, Chaoyang's own specials and township-by-address rules, and the sanitation rules; nothing else.
    assert!(out.len() < 80, "{} candidates", out.len());
    assert!(out.windows(2).all(|w| w[0] < w[1]), "in evaluation order, without duplicates");
    let ids: Vec<&str> = out.iter().map(|&n| rules.rules[n as usize].id.as_str()).collect();
    assert!(ids.contains(&"street-direct") && !ids.contains(&"enforcement-110105"), "{ids:?}");
    assert!(ids.iter().all(|id| !id.ends_with("-110108")), "no rule of another district: {ids:?}");
    // The explanation accounts for the rules the index ruled out.
    let mut garbage = form("urban.sanitation.garbage", "垃圾没人清运");
    garbage.street = None;
    let d = route(&rules, &garbage, none()).expect("routes");
    let index = d.explanation.not_tried.iter().find(|n| n.reason == "index").expect("an index entry");
    assert_eq!(index.count as usize, rules.rule_count() - out.len(), "{:?}", d.explanation.not_tried);
    assert!(index.detail.contains("category urban.sanitation.garbage in district 110105"), "{}", index.detail);
    let decided = d.explanation.not_tried.iter().find(|n| n.reason == "decided").map_or(0, |n| n.count);
    assert!(decided > 0, "the address rule decides before street-direct: {:?}", d.explanation);
    // Every district and every township of Beijing is covered.
    for d in minyi_model::divisions::DISTRICTS {
        assert!(rules.rules.iter().any(|r| r.when.district.iter().any(|x| x == d.code)), "{}", d.code);
        for s in d.streets {
            assert!(rules.rules.iter().any(|r| r.then.lead.as_deref() == Some(s.code)), "{}", s.code);
        }
    }
}

#[test]
fn streets_weekdays_calendar_days_and_all_groups() {
    let src = r#"[ruleset]
name = "x"
region = "beijing"

[[rule]]
id = "holiday-weekend-market"
priority = 1
when = { street = ["110105026"], day = "rest", all = [{ weekdays = ["sat-sun"] }, { kind = ["complaint"] }] }
then = { lead = "110105", tags = ["weekend"] }

[[rule]]
id = "holiday-weekday"
priority = 2
when = { street = ["110105026"], day = "rest" }
then = { lead = "110105", tags = ["holiday"] }

[[rule]]
id = "working"
priority = 3
when = { street = ["110105026"], day = "working", weekdays = ["mon-fri", "sat"] }
then = { lead = "$street" }
"#;
    let rules = compile(src).expect("valid");
    let at = |t: &str| {
        let mut f = form("urban.sanitation.garbage", "垃圾");
        f.received_at = t.into();
        route(&rules, &f, none()).expect("routes")
    };
    // Sunday 2026-11-29: a rest day on a weekend.
    assert_eq!(at("2026-11-29T10:00:00+08:00").tags, vec!["weekend"]);
    // Thursday 2026-10-01, National Day: a rest day on a weekday — the weekend rule's `all` group fails.
    let d = at("2026-10-01T10:00:00+08:00");
    assert_eq!(d.tags, vec!["holiday"]);
    assert!(d.explanation.near_misses[0].failed.contains("received on a thu, not sat|sun"), "{:?}", d.explanation);
    // Saturday 2026-10-10 is a 调休 working day.
    let d = at("2026-10-10T10:00:00+08:00");
    assert_eq!((d.lead.as_str(), d.explanation.fired[0].rule.as_str()), ("110105026", "working"));
    // Another street: no rule, the district (兜底).
    let mut other = form("urban.sanitation.garbage", "垃圾");
    other.street = Some("110105001".into());
    let d = route(&rules, &other, none()).expect("routes");
    assert_eq!(d.explanation.fired[0].rule, DEFAULT_RULE);
}

const TEMPLATES: &str = r#"
[ruleset]
name = "t"
region = "beijing"

[district_units]
"{district}.zf" = "{district.name}城市管理综合行政执法局"
"{district}.heating" = { name = "{district.name}供热服务中心", districts = ["110112"] }

[[rule]]
id = "vendors-{district}"
for_each = "district"
except = ["110112"]
note = "{district.short}的执法局"
when = { category = ["urban.sanitation.street_vendors"] }
then = { lead = "{district}.zf", tags = ["{district.name}"] }

[[rule]]
id = "heating-{district}"
for_each = "district"
districts = ["110112"]
when = { category = ["utilities.heating"] }
then = { lead = "{district}.heating" }

[[rule]]
id = "address-{street}"
for_each = "street"
districts = ["110105"]
when = { missing = ["street"], address = ["{street.name}", "{street.stem}"] }
then = { lead = "{street}" }
"#;

#[test]
fn templates_expand_per_district_and_street_and_route_as_written_out() {
    let rules = compile(TEMPLATES).expect("valid");
    let chaoyang = minyi_model::divisions::district("110105").expect("朝阳").streets.len();
    assert_eq!(rules.rule_count(), 15 + 1 + chaoyang);
    assert_eq!(rules.unit_name("110105.zf"), Some("朝阳区城市管理综合行政执法局"));
    assert_eq!(rules.unit_name("110112.heating"), Some("通州区供热服务中心"));
    assert_eq!(rules.unit_name("110105.heating"), None, "only the districts named");
    // Each expanded rule is limited to its district, with its own id, note and tags.
    let mut f = form("urban.sanitation.street_vendors", "占道经营");
    let d = route(&rules, &f, none()).expect("routes");
    assert_eq!(d.lead, "110105.zf");
    assert_eq!(d.explanation.fired[0].rule, "vendors-110105");
    assert!(d.explanation.fired[0].why.contains("朝阳的执法局"), "{:?}", d.explanation.fired);
    assert_eq!(d.tags, ["朝阳区"]);
    f.district = "110112".into();
    f.street = Some("110112001".into());
    let d = route(&rules, &f, none()).expect("routes");
    assert_eq!(d.explanation.fired[0].rule, DEFAULT_RULE, "通州 is excepted");
    // A street template: the township's name or its distinctive stem.
    let mut f = form("urban.sanitation.garbage", "垃圾");
    f.street = None;
    f.address = "望京西园三区".into();
    let d = route(&rules, &f, none()).expect("routes");
    assert_eq!((d.lead.as_str(), d.explanation.fired[0].rule.as_str()), ("110105026", "address-110105026"));
}

#[test]
fn template_mistakes_are_errors_at_the_template() {
    let errors = |src: &str| -> Vec<String> {
        compile(src).expect_err("refused").iter().map(|e| format!("{}: {}", e.line, e.message)).collect()
    };
    let head = "[ruleset]\nname = \"t\"\nregion = \"beijing\"\n";
    let rule = |body: &str| format!("{head}\n[[rule]]\n{body}\nthen = {{ lead = \"$street\" }}\n");
    let e =
        errors(&rule("id = \"a-{district}\"\nfor_each = \"district\"\nwhen = { keywords = [\"{district.nick}\"] }"));
    assert!(e.iter().any(|m| m.starts_with("8: ") && m.contains("unknown variable {district.nick}")), "{e:?}");
    let e = errors(&rule("id = \"a\"\nfor_each = \"district\""));
    assert!(e.iter().any(|m| m.contains("its id needs {district}")), "{e:?}");
    let e = errors(&rule("id = \"a-{district}\""));
    assert!(e.iter().any(|m| m.contains("add `for_each = \"district\"`")), "{e:?}");
    let e = errors(&rule("id = \"a-{district}\"\nfor_each = \"district\"\nexcept = [\"999999\"]"));
    assert!(e.iter().any(|m| m.contains("unknown district \"999999\"")), "{e:?}");
    let e = errors(&rule("id = \"a-{district}\"\nfor_each = \"district\"\nwhen = { district = [\"110105\"] }"));
    assert!(e.iter().any(|m| m.contains("leave `district` out")), "{e:?}");
    let e = errors(&rule("id = \"a-{street}\"\nfor_each = \"street\"\nwhen = { keywords = [\"{street.stem\"] }"));
    assert!(e.iter().any(|m| m.contains("without a closing")), "{e:?}");
    let e = errors("[ruleset]\nname = \"t\"\n[district_units]\n\"{district}.x\" = \"X\"\n");
    assert!(e.iter().any(|m| m.contains("need `region = \"beijing\"`")), "{e:?}");
    let e = errors(&format!(
        "{head}[units]\n\"110105.x\" = \"X\"\n[district_units]\n\"{{district}}.x\" = \"{{district.name}}\"\n"
    ));
    assert!(e.iter().any(|m| m.contains("\"110105.x\" is declared twice")), "{e:?}");
    // An expanded rule is checked like a written one: an unknown unit is reported at the template.
    let e = errors(&format!(
        "{head}\n[[rule]]\nid = \"a-{{district}}\"\nfor_each = \"district\"\nthen = {{ lead = \"{{district}}.nobody\" }}\n"
    ));
    assert!(e.iter().any(|m| m.starts_with("8: ") && m.contains("unknown unit \"110101.nobody\"")), "{e:?}");
}

#[test]
fn the_shipped_sets_examples_pass_natively_and_the_set_is_clean() {
    for source in [include_str!("../rulesets/beijing.toml"), include_str!("../rulesets/nyc311.toml")] {
        let rules = compile(source).expect("compiles");
        assert!(rules.warnings.is_empty(), "{:?}", rules.warnings);
        let failed: Vec<_> = run_examples(&rules).into_iter().filter(|o| !o.passed).collect();
        assert!(failed.is_empty(), "{failed:#?}");
    }
}

#[test]
fn a_deadline_past_the_calendar_carries_a_warning() {
    let rules = compile(include_str!("../rulesets/beijing.toml")).expect("compiles");
    let mut f = form("urban.construction.illegal_building", "违建");
    f.received_at = "2026-12-20T10:00:00+08:00".into();
    let d = route(&rules, &f, none()).expect("routes");
    assert_eq!(d.tier, SlaTier::Complex);
    assert!(d.warnings.iter().any(|w| w.contains("working days in 2027")), "{:?}", d.warnings);
    f.received_at = "2026-11-02T10:00:00+08:00".into();
    assert!(route(&rules, &f, none()).expect("routes").warnings.is_empty());
    let json = crate::route_json(&rules, &serde_json::to_string(&f).expect("json"), none()).expect("routes");
    assert!(!json.contains("\"warnings\""), "absent when empty: {json}");
}

const SUGGESTING: &str = r#"
[ruleset]
name = "suggesting"
region = "beijing"
default_unit = "$district"

[units]
"110105.cgj" = "朝阳区城市管理综合行政执法局"

[[rule]]
id = "unsure"
priority = 1
when = { confidence_below = 0.6 }
then = { manual = true, tags = ["category-unsure"] }

[[rule]]
id = "sure-sanitation"
priority = 2
when = { suggested = ["urban.sanitation"], confidence_at_least = 0.9 }
then = { lead = "$street", tags = ["auto-categorised"] }

[[rule]]
id = "middling"
priority = 3
when = { confidence_at_least = 0.6, confidence_below = 0.9 }
then = { tags = ["category-check"] }

[[rule]]
id = "roads"
priority = 4
when = { kind = ["complaint"], suggested = ["urban.roads"] }
then = { lead = "110105.cgj" }

[[example]]
name = "a sure suggestion goes to the street"
case = { district = "110105", street = "110105026", category = "urban.sanitation.garbage", title = "垃圾" }
context = { suggestion = { category = "urban.sanitation.garbage", confidence = 0.95 } }
expect = { lead = "110105026", tags = ["auto-categorised"], fired = ["sure-sanitation"] }
"#;

fn suggested(category: &str, confidence: f64) -> CaseContext {
    CaseContext {
        repeat_count: 0,
        suggestion: Some(minyi_model::ContextSuggestion { category: category.into(), confidence }),
    }
}

#[test]
fn rules_condition_on_the_suggested_category_and_its_confidence() {
    let rules = compile(SUGGESTING).expect("compiles");
    assert!(run_examples(&rules).iter().all(|o| o.passed), "{:?}", run_examples(&rules));
    let case = form("urban.sanitation.garbage", "垃圾没人清");

    let sure = route(&rules, &case, suggested("urban.sanitation.garbage", 0.95)).expect("routes");
    assert_eq!((sure.lead.as_str(), sure.manual), ("110105026", false));
    let why = &sure.explanation.fired[0].why;
    assert!(why.contains("suggested category urban.sanitation.garbage is under urban.sanitation"), "{why}");
    assert!(why.contains("suggestion confidence 0.95 is at least 0.90"), "{why}");

    let unsure = route(&rules, &case, suggested("urban.sanitation.garbage", 0.41)).expect("routes");
    assert!(unsure.manual && unsure.tags == ["category-unsure"], "{unsure:?}");
    assert!(unsure.explanation.fired[0].why.contains("suggestion confidence 0.41 is below 0.60"));

    // The boundaries: `below` is exclusive, `at_least` inclusive.
    let middling = route(&rules, &case, suggested("urban.sanitation.garbage", 0.6)).expect("routes");
    assert_eq!(middling.tags, ["category-check"], "{middling:?}");
    let elsewhere = route(&rules, &case, suggested("utilities.heating.outage", 0.9)).expect("routes");
    assert_eq!(elsewhere.lead, "110105", "the suggestion is not sanitation: the default unit takes it");
    let near = &elsewhere.explanation.near_misses;
    assert!(
        near.iter()
            .any(|m| m.failed.contains("suggested category \"utilities.heating.outage\" is not under urban.roads")),
        "{near:?}"
    );

    // No suggestion at all (the citizen chose the category): no suggestion condition holds.
    let chosen = route(&rules, &case, none()).expect("routes");
    assert!(chosen.explanation.fired.iter().all(|f| f.rule == DEFAULT_RULE), "{chosen:?}");
    assert!(
        chosen.explanation.near_misses.iter().any(|m| m.failed.contains("no category was suggested")),
        "{:?}",
        chosen.explanation.near_misses
    );
}

#[test]
fn suggestion_conditions_are_checked_at_load() {
    let bad = |when: &str| {
        let source = format!(
            "[ruleset]\nname = \"t\"\nregion = \"beijing\"\n[[rule]]\nid = \"r\"\nwhen = {when}\nthen = {{ tags = [\"x\"] }}\n"
        );
        check_rules(&source)
            .into_iter()
            .filter(|e| e.severity == Severity::Error)
            .map(|e| e.message)
            .collect::<Vec<_>>()
    };
    assert_eq!(bad("{ confidence_below = 0.5 }"), Vec::<String>::new());
    assert!(bad("{ suggested = [\"no.such\"] }")[0].contains("unknown category \"no.such\""));
    assert!(bad("{ confidence_below = 1.5 }")[0].contains("confidence_below = 1.5 must be above 0 and at most 1"));
    assert!(bad("{ confidence_below = 0.0 }")[0].contains("must be above 0"));
    assert!(bad("{ confidence_at_least = -0.1 }")[0].contains("confidence_at_least = -0.1 must be at least 0"));
    assert!(
        bad("{ confidence_at_least = 0.8, confidence_below = 0.8 }")[0].contains("must be above confidence_at_least")
    );
    let example = "[ruleset]\nname = \"t\"\nregion = \"beijing\"\n[[rule]]\nid = \"r\"\nwhen = { confidence_below = 0.5 }\nthen = { tags = [\"x\"] }\n[[example]]\nname = \"e\"\ncase = { district = \"110105\" }\ncontext = { suggestion = { category = \"urban\", confidence = 7.0 } }\nexpect = { tags = [\"x\"] }\n";
    let errors = check_rules(example);
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("example \"e\": context: suggestion.confidence: 7 is not between 0 and 1")),
        "{errors:?}"
    );
}

#[test]
fn overlapping_confidence_windows_are_warned_about_and_disjoint_ones_are_not() {
    let set = |a: &str, b: &str| {
        format!(
            "[ruleset]\nname = \"t\"\nregion = \"beijing\"\n[[rule]]\nid = \"a\"\nwhen = {a}\nthen = {{ lead = \"110105\" }}\n[[rule]]\nid = \"b\"\nwhen = {b}\nthen = {{ lead = \"110101\" }}\n"
        )
    };
    let warnings = |a: &str, b: &str| check_rules(&set(a, b)).into_iter().map(|e| e.message).collect::<Vec<_>>();
    let shadowed = warnings("{ confidence_below = 0.8 }", "{ confidence_below = 0.5 }");
    assert!(shadowed.iter().any(|w| w.contains("can never fire")), "{shadowed:?}");
    let apart = warnings("{ confidence_below = 0.5 }", "{ confidence_at_least = 0.5 }");
    assert!(apart.is_empty(), "disjoint windows: {apart:?}");
    let across = warnings("{ suggested = [\"urban\"] }", "{ suggested = [\"utilities\"] }");
    assert!(across.is_empty(), "different suggested trees: {across:?}");
}

#[test]
fn a_context_document_is_read_and_checked() {
    let rules = compile(SUGGESTING).expect("compiles");
    let form = serde_json::to_string(&form("urban.sanitation.garbage", "垃圾")).expect("form");
    let ok = crate::route_with_context_json(
        &rules,
        &form,
        r#"{"repeat_count": 0, "suggestion": {"category": "urban.sanitation.garbage", "confidence": 0.2}}"#,
    )
    .expect("routes");
    assert!(ok.contains("category-unsure"), "{ok}");
    assert_eq!(crate::route_with_context_json(&rules, &form, "{}").map(|_| ()), Ok(()));
    for (context, says) in [
        (
            r#"{"suggestion": {"category": "x", "confidence": 1.5}}"#,
            "suggestion.confidence: 1.5 is not between 0 and 1",
        ),
        (r#"{"suggestion": {"category": "", "confidence": 0.5}}"#, "suggestion.category"),
        (r#"{"repeat_count": -1}"#, "repeat_count"),
        (r#"{"suggestions": []}"#, "unknown field `suggestions`"),
        ("[", "EOF"),
    ] {
        let e = crate::route_with_context_json(&rules, &form, context).expect_err(context);
        assert_eq!(e.code(), "context.invalid");
        assert!(e.to_string().contains(says), "{context}: {e}");
    }
}
