//! Tests of the scoring core: a month written out by hand, property tests, hotspots.

use super::*;
use minyi_model::{ExclusionReason, Satisfaction};
use proptest::prelude::*;

/// One event as a JSON line: `line(case, at, r#""type":"replied""#)`.
fn line(case: &str, at: &str, rest: &str) -> String {
    format!(r#"{{"case_id":"{case}","at":"{at}",{rest}}}"#)
}

fn received(case: &str, at: &str, street: &str) -> String {
    line(
        case,
        at,
        &format!(r#""type":"received","district":"110105","street":"{street}","category":"urban.sanitation.garbage""#),
    )
}

fn dispatched(case: &str, at: &str, unit: &str) -> String {
    line(case, at, &format!(r#""type":"dispatched","unit":"{unit}","tier":"general""#))
}

fn callback(case: &str, at: &str, responded: Option<bool>, resolved: bool, s: &str) -> String {
    let asked = responded.map(|r| format!(r#""responded":{r},"#)).unwrap_or_default();
    line(case, at, &format!(r#""type":"callback",{asked}"resolved":{resolved},"satisfaction":"{s}""#))
}

/// A handled case: received at `day` 09:00, dispatched 09:10, first contact after `contact_h` hours,
/// replied after `reply_days` days, then called back.
fn handled(
    case: &str,
    day: &str,
    unit: &str,
    contact_h: u32,
    reply_days: u32,
    answers: (Option<bool>, bool, &str),
) -> Vec<String> {
    let t0 = chrono::DateTime::parse_from_rfc3339(&format!("{day}T09:00:00+08:00")).expect("test time");
    let at = |d: chrono::Duration| (t0 + d).to_rfc3339();
    vec![
        received(case, &at(chrono::Duration::zero()), if unit.starts_with("1101") { unit } else { "110105026" }),
        dispatched(case, &at(chrono::Duration::minutes(10)), unit),
        line(
            case,
            &at(chrono::Duration::minutes(10) + chrono::Duration::hours(i64::from(contact_h))),
            r#""type":"first_contact""#,
        ),
        line(case, &at(chrono::Duration::days(i64::from(reply_days))), r#""type":"replied","resolved":true"#),
        callback(case, &at(chrono::Duration::days(i64::from(reply_days) + 1)), answers.0, answers.1, answers.2),
    ]
}

const S1: &str = "110105026";
const S2: &str = "110105027";
const D1: &str = "bj.heating";

/// The hand-written month: three units in November 2026 (and S1 in October, for the trend).
fn month() -> Vec<Vec<String>> {
    let mut cases = vec![
        // S1: c1 contact 1 h, reply day 3, not asked about contact (events: in time) → responded.
        handled("c1", "2026-11-02", S1, 1, 3, (None, true, "satisfied")),
        // c2: contact after 30 h (late), reply on day 8 (late): not asked → not responded.
        handled("c2", "2026-11-03", S1, 30, 8, (None, false, "dissatisfied")),
        // c3: asked, says contacted.
        handled("c3", "2026-11-04", S1, 2, 2, (Some(true), true, "basically_satisfied")),
        // c4: reviewed out as invalid.
        handled("c4", "2026-11-05", S1, 1, 1, (Some(true), true, "satisfied")),
        // S2: two fully satisfied, c7 dissatisfied and excluded on 3 December, c8 excluded then restored.
        handled("c5", "2026-11-10", S2, 1, 2, (Some(true), true, "satisfied")),
        handled("c6", "2026-11-11", S2, 1, 2, (Some(true), true, "satisfied")),
        handled("c7", "2026-11-12", S2, 1, 2, (Some(true), false, "dissatisfied")),
        handled("c8", "2026-11-13", S2, 1, 2, (Some(true), true, "satisfied")),
        // D1: one valid callback (under the minimum sample of 2), one case without callback yet.
        handled("c9", "2026-11-20", D1, 1, 1, (Some(true), true, "satisfied")),
        handled("c10", "2026-11-21", D1, 1, 1, (Some(true), true, "satisfied"))[..4].to_vec(),
        // Received but never dispatched.
        vec![received("c11", "2026-11-25T09:00:00+08:00", S1)],
        // October: S1 perfect twice.
        handled("o1", "2026-10-10", S1, 1, 1, (Some(true), true, "satisfied")),
        handled("o2", "2026-10-11", S1, 1, 1, (Some(true), true, "satisfied")),
        // December: outside the period.
        handled("d1", "2026-12-02", S1, 1, 1, (Some(true), false, "dissatisfied")),
    ];
    let review =
        |reason: &str| format!(r#""type":"excluded","reason":"{reason}","reviewer":"王审核","note":"重复诉求""#);
    cases[3].push(line("c4", "2026-11-20T10:00:00+08:00", &review("invalid")));
    cases[6].push(line("c7", "2026-12-03T10:00:00+08:00", &review("unreasonable")));
    cases[7].push(line("c8", "2026-11-20T10:00:00+08:00", &review("invalid")));
    cases[7].push(line(
        "c8",
        "2026-11-22T10:00:00+08:00",
        r#""type":"exclusion_revoked","reviewer":"李复核","note":"复核有效""#,
    ));
    cases
}

fn board(request: &str, cases: &[Vec<String>]) -> Board {
    let mut b = Board::open_json(request).expect("request is valid");
    for c in cases {
        b.add_case_json(&c.join("\n")).expect("events are valid");
    }
    b
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn a_month_by_hand() {
    let r = board(
        r#"{"month":"2026-11","as_of":"2026-12-01T00:00:00+08:00","config":{"min_valid_callbacks":2}}"#,
        &month(),
    )
    .ranking();
    assert_eq!((r.period.as_str(), r.previous_period.as_str(), r.cases, r.unassigned), ("2026-11", "2026-10", 11, 1));
    let [s2, s1] = &r.streets[..] else { panic!("two streets: {:?}", r.streets) };
    // S1: valid c1 c2 c3, c4 excluded. responded c1 (events) + c3 (asked) = 2; resolved c1 c3 = 2;
    // satisfied c1, basically c3, dissatisfied c2. Replies on time: c1 c3 c4 (c2 on day 8 > 7 days).
    assert_eq!((s1.unit.as_str(), s1.cases, s1.replied, s1.replied_on_time), (S1, 4, 4, 3));
    assert_eq!((s1.valid, s1.excluded, s1.responded, s1.resolved), (3, 1, 2, 2));
    assert_eq!((s1.satisfied, s1.basically_satisfied, s1.dissatisfied), (1, 1, 1));
    assert!(close(s1.response_rate, 2.0 / 3.0) && close(s1.resolution_rate, 2.0 / 3.0));
    assert!(close(s1.satisfaction_rate, 1.9 / 3.0));
    assert!(close(s1.composite, 0.1 * 2.0 / 3.0 + 0.45 * 2.0 / 3.0 + 0.45 * 1.9 / 3.0), "{}", s1.composite);
    assert!(close(s1.on_time_rate, 0.75));
    // S2 as of 1 December: c7 not yet excluded, c8 restored → 4 valid, 3 resolved, 3 satisfied.
    assert_eq!((s2.unit.as_str(), s2.valid, s2.excluded, s2.resolved, s2.dissatisfied), (S2, 4, 0, 3, 1));
    assert!(close(s2.composite, 0.1 + 0.45 * 0.75 + 0.45 * 0.75));
    assert_eq!((s2.rank, s1.rank), (Some(1), Some(2)));
    // Trend: S1 was perfect and first in October; S2 had no October cases.
    let t = s1.trend.expect("S1 had October cases");
    assert!(close(t.previous_composite, 1.0) && close(t.composite_change, s1.composite - 1.0));
    assert_eq!((t.previous_rank, t.rank_change), (Some(1), Some(-1)));
    assert_eq!(s2.trend, None);
    // D1: one valid callback, under the minimum of 2: listed, not ranked; c10 has no callback yet.
    let [d1] = &r.departments[..] else { panic!("one department") };
    assert_eq!((d1.unit.as_str(), d1.cases, d1.valid, d1.rank), (D1, 2, 1, None));
    // The month's own line: every dispatched case once (10 of the 11; one has no lead), the counts
    // the units' summed, the rates from those counts.
    let o = r.overall;
    assert_eq!((o.cases, o.valid), (s1.cases + s2.cases + d1.cases, s1.valid + s2.valid + d1.valid));
    assert_eq!(u64::from(o.cases), r.cases - r.unassigned);
    let responded = s1.responded + s2.responded + d1.responded;
    let resolved = s1.resolved + s2.resolved + d1.resolved;
    assert_eq!((o.responded, o.resolved), (responded, resolved));
    assert!(close(o.response_rate, f64::from(responded) / f64::from(o.valid)));
    assert!(close(o.resolution_rate, f64::from(resolved) / f64::from(o.valid)));
    let satisfied = f64::from(o.satisfied) + 0.9 * f64::from(o.basically_satisfied);
    assert!(close(o.satisfaction_rate, satisfied / f64::from(o.valid)), "{o:?}");
    assert!(close(o.composite, 0.1 * o.response_rate + 0.45 * o.resolution_rate + 0.45 * o.satisfaction_rate));

    // The same month as of 5 December: c7 reviewed out → S2 perfect on 3 valid callbacks.
    let later = board(
        r#"{"month":"2026-11","as_of":"2026-12-05T00:00:00+08:00","config":{"min_valid_callbacks":2}}"#,
        &month(),
    )
    .ranking();
    let s2 = later.streets.iter().find(|s| s.unit == S2).expect("S2");
    assert_eq!((s2.valid, s2.excluded, s2.rank), (3, 1, Some(1)));
    assert!(close(s2.composite, 1.0));
}

#[test]
fn ties_share_a_rank_and_small_units_are_unranked() {
    use Satisfaction::*;
    let cb = |unit: &str, resolved: bool| Callback {
        case_id: format!("BJ-{unit}"),
        unit: unit.into(),
        unit_type: UnitType::Street,
        responded: true,
        resolved,
        satisfaction: Satisfied,
        exclusion: None,
    };
    let mut cbs = Vec::new();
    for u in ["a", "b", "c"] {
        for _ in 0..5 {
            cbs.push(cb(u, u != "c"));
        }
    }
    cbs.push(cb("d", true));
    let mut excluded = cb("a", false);
    excluded.exclusion =
        Some(Exclusion { reason: ExclusionReason::Invalid, reviewer: "r".into(), note: String::new() });
    cbs.push(excluded);
    let s = score(&cbs, &ScoreConfig::default());
    let ranks: Vec<_> = s.iter().map(|s| (s.unit.as_str(), s.rank)).collect();
    assert_eq!(ranks, vec![("a", Some(1)), ("b", Some(1)), ("c", Some(3)), ("d", None)]);
    assert_eq!((s[0].valid, s[0].excluded), (5, 1));
}

#[test]
fn bad_input_names_the_field() {
    let e =
        Board::open_json(r#"{"month":"2026-11","config":{"response_weight":1.5}}"#).expect_err("weight out of range");
    assert!(e.to_string().contains("response_weight"), "{e}");
    let e = Board::open_json(r#"{"month":"2026-11","confg":{}}"#).expect_err("unknown field");
    assert!(e.to_string().contains("confg"), "{e}");
    let mut b = Board::open_json(r#"{"month":"2026-11"}"#).expect("valid");
    let e = b.add_case_json(&line("x", "yesterday", r#""type":"closed""#)).expect_err("bad time");
    assert!(e.to_string().contains("case x") && e.to_string().contains("at"), "{e}");
    let e = b
        .add_case_json(&format!(
            "{}\n{}",
            received("x", "2026-11-01T00:00:00+08:00", S1),
            line("x", "2026-11-01T00:00:00+08:00", r#""type":"callbak""#)
        ))
        .expect_err("unknown type");
    assert!(e.to_string().contains("line 2") && e.to_string().contains("callbak"), "{e}");
}

#[test]
fn a_case_without_received_is_skipped_and_listed() {
    let r = board(r#"{"month":"2026-11"}"#, &[vec![dispatched("lost", "2026-11-02T09:00:00+08:00", S1)]]).ranking();
    assert_eq!(
        r.skipped,
        vec![Skipped { case_id: "lost".into(), reason: "no received event (as of the date)".into() }]
    );
    assert_eq!(r.cases, 0);
}

#[test]
fn district_filter_and_city_from_the_same_partials() {
    let mut cases = month();
    let mut other = handled("x1", "2026-11-03", "110101001", 1, 1, (Some(true), true, "satisfied"));
    other[0] = other[0].replace("110105", "110101").replace("\"street\":\"110105026\"", "\"street\":\"110101001\"");
    cases.push(other);
    let chaoyang = board(r#"{"month":"2026-11","district":"110105"}"#, &cases);
    let dongcheng = board(r#"{"month":"2026-11","district":"110101"}"#, &cases);
    assert_eq!((chaoyang.ranking().cases, dongcheng.ranking().cases), (11, 1));
    let mut city = Board::open_json(r#"{"month":"2026-11"}"#).expect("valid");
    city.merge(&chaoyang.partial()).expect("same period");
    city.merge_json(&serde_json::to_string(&dongcheng.partial()).expect("json")).expect("same period");
    assert_eq!(city.ranking(), board(r#"{"month":"2026-11"}"#, &cases).ranking());
    let e = city.merge(&Board::open_json(r#"{"month":"2026-10"}"#).expect("valid").partial()).expect_err("other month");
    assert!(e.to_string().contains("2026-10"), "{e}");
}

#[test]
fn assessment_of_one_case() {
    let c2 = handled("c2", "2026-11-03", S1, 30, 8, (None, false, "dissatisfied")).join("\n");
    let a: serde_json::Value = serde_json::from_str(&assess_json(&c2, "{}", None).expect("assesses")).expect("json");
    assert_eq!(a["status"], "valid");
    assert_eq!(a["contacted_in_time"], false);
    assert_eq!(a["replied_on_time"], false);
    assert_eq!(a["reply_due"], "2026-11-10T09:00:00+08:00");
    assert_eq!(a["response_due"], "2026-11-04T09:10:00+08:00");
    assert_eq!(a["callback"]["responded"], false);
    let before = assess_json(&c2, "{}", Some("2026-11-05T00:00:00+08:00")).expect("assesses");
    assert!(before.contains(r#""status":"no_callback""#), "{before}");
}

#[test]
fn an_approved_extension_moves_the_deadline() {
    let mut c = handled("e", "2026-11-03", S1, 1, 8, (Some(true), true, "satisfied"));
    c.push(line(
        "e",
        "2026-11-06T09:00:00+08:00",
        r#""type":"extension_approved","deadline":"2026-11-13T09:00:00+08:00""#,
    ));
    let a = assess_json(&c.join("\n"), "{}", None).expect("assesses");
    assert!(a.contains(r#""replied_on_time":true"#), "{a}");
}

#[test]
fn poisson_tail() {
    assert!(close(hotspots::poisson_upper_tail(0, 3.0), 1.0));
    // P(X ≥ 1 | 2) = 1 − e^−2.
    assert!((hotspots::poisson_upper_tail(1, 2.0) - (1.0 - (-2.0f64).exp())).abs() < 1e-12);
    // P(X ≥ 3 | 1) = 1 − e^−1 (1 + 1 + 1/2).
    assert!((hotspots::poisson_upper_tail(3, 1.0) - (1.0 - (-1.0f64).exp() * 2.5)).abs() < 1e-12);
    assert!(hotspots::poisson_upper_tail(40, 10.0) < 1e-9);
}

#[test]
fn hotspots_repeats_and_topics() {
    let mut cases = Vec::new();
    // Baseline: 12 weeks of one garbage case a week in S1 and in S2.
    for w in 0..12 {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 8, 10).expect("date") + chrono::Duration::weeks(w);
        for (street, n) in [(S1, 0), (S2, 1)] {
            cases.push(vec![received(&format!("b{w}-{n}"), &format!("{day}T10:00:00+08:00"), street)]);
        }
    }
    // November: S1 gets 15 garbage cases (expected ≈ 4.3), S2 its usual 4; five of S1's from one fingerprint.
    for i in 0..15 {
        let at = format!("2026-11-{:02}T10:00:00+08:00", i + 1);
        let mut r = received(&format!("n{i}"), &at, S1);
        if i < 5 {
            r = r.replace(r#""type":"received","#, r#""type":"received","fingerprint":"fp-1","#);
        }
        cases.push(vec![r, dispatched(&format!("n{i}"), &at, S1)]);
    }
    for i in 0..4 {
        cases.push(vec![received(&format!("m{i}"), &format!("2026-11-{:02}T10:00:00+08:00", i * 7 + 1), S2)]);
    }
    let report = board(r#"{"month":"2026-11"}"#, &cases).hotspots();
    assert_eq!(report.hotspots_total, 1, "{report:#?}");
    let h = &report.hotspots[0];
    assert_eq!((h.area.as_str(), h.count, h.baseline_count), (S1, 15, 12));
    assert!(h.p_value < 1e-3 && close(h.expected, 12.0 * 30.0 / 84.0), "{h:?}");
    assert_eq!(h.units[0].id, S1);
    assert_eq!(report.repeats_total, 1);
    assert_eq!((report.repeats[0].count, report.repeats[0].cases[0].as_str()), (5, "n0"));
    let t = &report.topics[0];
    assert_eq!(
        (t.category.as_str(), t.count, t.areas, t.hotspot_cells, t.repeat_cases),
        ("urban.sanitation.garbage", 19, 2, 1, 5)
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

/// unit, day, contact hours, reply days, tier, callback (asked, resolved, satisfaction), exclusion reason.
type ArbCase = (u8, u8, u8, u8, u8, Option<(Option<bool>, bool, u8)>, Option<u8>);

fn arb_case() -> impl Strategy<Value = ArbCase> {
    (
        0u8..4,  // unit
        0u8..60, // day offset from 2026-10-01
        0u8..48, // contact hours
        0u8..12, // reply days
        0u8..5,  // tier
        proptest::option::of((proptest::option::of(any::<bool>()), any::<bool>(), 0u8..3)),
        proptest::option::of(0u8..2),
    )
}

fn case_lines(i: usize, c: &ArbCase) -> Vec<String> {
    let (unit, day, contact, reply, tier, cb, excluded) = *c;
    let unit = ["110105026", "110105027", "bj.heating", "110105.cgw"][unit as usize];
    let tier = ["emergency", "urgent", "general", "complex", "consult"][tier as usize];
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-10-01T09:00:00+08:00").expect("time")
        + chrono::Duration::days(i64::from(day));
    let at = |h: i64| (t0 + chrono::Duration::hours(h)).to_rfc3339();
    let id = format!("p{i}");
    let mut v = vec![
        received(&id, &at(0), "110105026"),
        line(&id, &at(0), &format!(r#""type":"dispatched","unit":"{unit}","tier":"{tier}""#)),
        line(&id, &at(i64::from(contact)), r#""type":"first_contact""#),
        line(&id, &at(24 * i64::from(reply)), r#""type":"replied""#),
    ];
    if let Some((responded, resolved, s)) = cb {
        let s = ["satisfied", "basically_satisfied", "dissatisfied"][s as usize];
        v.push(callback(&id, &at(24 * i64::from(reply) + 1), responded, resolved, s));
    }
    if let Some(r) = excluded {
        let r = ["invalid", "unreasonable"][r as usize];
        v.push(line(
            &id,
            &at(24 * i64::from(reply) + 2),
            &format!(r#""type":"excluded","reason":"{r}","reviewer":"r""#),
        ));
    }
    v
}

proptest! {
    #[test]
    fn rates_stay_in_the_unit_interval(
        cases in proptest::collection::vec(arb_case(), 0..60),
        w in (0.0f64..=1.0, 0.0f64..=1.0, 0.0f64..=1.0, 0.0f64..=1.0),
    ) {
        let sum = (w.0 + w.1 + w.2).max(1.0);
        let request = format!(
            r#"{{"month":"2026-11","config":{{"response_weight":{},"resolution_weight":{},"satisfaction_weight":{},"basically_satisfied_factor":{},"min_valid_callbacks":1}}}}"#,
            w.0 / sum, w.1 / sum, w.2 / sum, w.3
        );
        let lines: Vec<Vec<String>> = cases.iter().enumerate().map(|(i, c)| case_lines(i, c)).collect();
        for s in board(&request, &lines).scores() {
            for r in [s.response_rate, s.resolution_rate, s.satisfaction_rate, s.composite, s.on_time_rate] {
                prop_assert!((0.0..=1.0).contains(&r), "{r} out of [0, 1] in {s:?}");
            }
            prop_assert!(s.responded <= s.valid && s.resolved <= s.valid && s.replied_on_time <= s.replied);
        }
    }

    #[test]
    fn merging_partials_is_associative_and_commutative(
        cases in proptest::collection::vec(arb_case(), 0..60),
        split in proptest::collection::vec(0u8..3, 60),
    ) {
        let lines: Vec<Vec<String>> = cases.iter().enumerate().map(|(i, c)| case_lines(i, c)).collect();
        let part = |k: u8| {
            let mine: Vec<Vec<String>> = lines.iter().zip(&split).filter(|(_, s)| **s == k).map(|(l, _)| l.clone()).collect();
            board(r#"{"month":"2026-11"}"#, &mine).partial()
        };
        let (a, b, c) = (part(0), part(1), part(2));
        let merged = |order: [&Partial; 3], nest_left: bool| {
            let mut out = Board::open_json(r#"{"month":"2026-11"}"#).expect("valid");
            if nest_left {
                for p in order { out.merge(p).expect("same period"); }
            } else {
                let mut right = Board::open_json(r#"{"month":"2026-11"}"#).expect("valid");
                right.merge(order[1]).expect("same period");
                right.merge(order[2]).expect("same period");
                out.merge(order[0]).expect("same period");
                out.merge(&right.partial()).expect("same period");
            }
            out.partial()
        };
        let whole = board(r#"{"month":"2026-11"}"#, &lines).partial();
        prop_assert_eq!(&merged([&a, &b, &c], true), &whole);
        prop_assert_eq!(&merged([&a, &b, &c], false), &whole);
        prop_assert_eq!(&merged([&c, &a, &b], true), &whole);
        prop_assert_eq!(&merged([&b, &c, &a], false), &whole);
    }

    #[test]
    fn excluding_then_restoring_a_case_changes_nothing(
        cases in proptest::collection::vec(arb_case(), 1..60),
        pick in proptest::collection::vec(any::<bool>(), 60),
    ) {
        let lines: Vec<Vec<String>> = cases.iter().enumerate().map(|(i, c)| case_lines(i, c)).collect();
        // Exclude, then restore, cases that were not excluded.
        let reviewed: Vec<Vec<String>> = lines.iter().zip(&pick).zip(&cases).map(|((l, &p), c)| {
            let mut l = l.clone();
            if p && c.6.is_none() {
                let id = l[0].split('"').nth(3).unwrap_or_default().to_owned();
                l.push(line(&id, "2027-01-01T00:00:00+08:00", r#""type":"excluded","reason":"invalid","reviewer":"a""#));
                l.push(line(&id, "2027-01-02T00:00:00+08:00", r#""type":"exclusion_revoked","reviewer":"b""#));
            }
            l
        }).collect();
        // Events appended in any order are folded by time.
        let shuffled: Vec<Vec<String>> = reviewed.iter().map(|l| l.iter().rev().cloned().collect()).collect();
        let before = board(r#"{"month":"2026-11"}"#, &lines).ranking();
        prop_assert_eq!(&board(r#"{"month":"2026-11"}"#, &reviewed).ranking(), &before);
        prop_assert_eq!(&board(r#"{"month":"2026-11"}"#, &shuffled).ranking(), &before);
    }

    #[test]
    fn removing_a_tally_undoes_adding_it(a in any::<[u16; 10]>(), b in any::<[u16; 10]>()) {
        let t = |v: [u16; 10]| UnitTally {
            cases: v[0].into(), replied: v[1].into(), replied_on_time: v[2].into(), valid: v[3].into(), excluded: v[4].into(),
            responded: v[5].into(), resolved: v[6].into(), satisfied: v[7].into(), basically_satisfied: v[8].into(), dissatisfied: v[9].into(),
        };
        let mut x = t(a);
        x.add(t(b));
        x.sub(t(b));
        prop_assert_eq!(x, t(a));
    }
}
