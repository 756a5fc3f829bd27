//! The case store on a real SQLite file and on a real PostgreSQL server (a fresh database per test):
//! a body stored exactly as received whatever it holds, case numbers per day with no gap or repeat
//! when two stores on one database take them at once, tracking tokens, events and the state they
//! derive, listings, the export `minyi score` reads, and the repeat count.

use chrono::{DateTime, FixedOffset};
use minyi_cases::{Actor, BEIJING, CaseError, CaseStore, Decider, Decision, Filter, Outcome};
use minyi_model::{CaseEvent, CaseState, Event, SlaTier};
use minyi_tests::postgres::Backend;
use std::collections::BTreeSet;

minyi_tests::on_both!(
    stores_every_body_and_numbers_cases_per_day,
    two_stores_on_one_database_never_share_a_number,
    events_move_the_state_and_are_exported_in_order,
    repeats_count_earlier_cases_of_the_same_fingerprint,
    two_stores_sweeping_at_once_write_each_alarm_once,
    a_queue_follows_the_units_that_hold_a_case,
    the_history_and_the_audit_log_refuse_updates_and_deletes,
    decisions_are_kept_with_their_deciders_and_never_changed,
);

/// A fresh database on `backend`: its URL or path, and the folder that holds it.
fn database(backend: Backend) -> Option<(tempfile::TempDir, String)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = backend.database(dir.path(), "minyi_cases")?;
    Some((dir, db))
}

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("a valid time")
}

fn event(case_id: &str, when: &str, event: Event) -> CaseEvent {
    CaseEvent { case_id: case_id.to_owned(), at: when.to_owned(), by: None, event }
}

fn received(case_id: &str, district: &str, fingerprint: &str) -> CaseEvent {
    event(
        case_id,
        "2026-12-02T09:00:00+08:00",
        Event::Received {
            district: Some(district.into()),
            street: None,
            category: Some("urban.sanitation.garbage".into()),
            address: None,
            fingerprint: Some(fingerprint.into()),
            reported_at: None,
        },
    )
}

fn stores_every_body_and_numbers_cases_per_day(backend: Backend) {
    let Some((_dir, db)) = database(backend) else { return };
    let store = CaseStore::open_url(&db, BEIJING).expect("opens");
    let first = store.receive(br#"{"district":"110105"}"#, at("2026-12-02T09:00:00+08:00")).expect("stored");
    let garbage = store.receive(b"{not json at all", at("2026-12-02T23:59:59+08:00")).expect("stored too");
    let next_day = store.receive(b"", at("2026-12-03T00:00:00+08:00")).expect("even an empty body");
    assert_eq!(first.case_id, "BJ-20261202-000001");
    assert_eq!(garbage.case_id, "BJ-20261202-000002");
    assert_eq!(next_day.case_id, "BJ-20261203-000001", "numbers restart each day (Beijing time)");
    assert_eq!(first.received_at, "2026-12-02T09:00:00.000+08:00");
    assert_eq!(first.tracking_token.len(), 32);
    assert_ne!(first.tracking_token, garbage.tracking_token);

    let stored = store.get(&garbage.case_id).expect("found");
    assert_eq!(stored.form, serde_json::Value::String("{not json at all".into()), "kept byte for byte");
    assert_eq!((stored.state, stored.events.len()), (CaseState::Received, 0));
    assert_eq!(store.get(&first.case_id).expect("found").form, serde_json::json!({"district": "110105"}));
    // Bytes that are not UTF-8 are kept exactly, with their digest; the text view marks them U+FFFD.
    let raw: &[u8] = b"{\"title\":\"\xe4\xbd\xa0\xff\xfe\"}";
    let odd = store.receive(raw, at("2026-12-02T23:59:59+08:00")).expect("stored whatever the bytes");
    let (bytes, sha) = store.body(&odd.case_id).expect("kept");
    assert_eq!((bytes.as_slice(), sha.len()), (raw, 64));
    assert_eq!(store.get(&odd.case_id).expect("found").form, serde_json::json!({"title": "你\u{FFFD}\u{FFFD}"}));

    assert!(store.check_token(&first.case_id, &first.tracking_token).expect("reads"));
    assert!(!store.check_token(&first.case_id, &garbage.tracking_token).expect("reads"), "another case's token");
    assert_eq!(store.by_token(&first.tracking_token).expect("reads"), Some(first.case_id.clone()));
    assert_eq!(store.by_token(&"0".repeat(32)).expect("reads"), None);
    assert!(!store.check_token("BJ-19990101-000001", &first.tracking_token).expect("reads"));
    assert!(matches!(store.get("BJ-19990101-000001"), Err(CaseError::NotFound(_))));

    // Reopened: the numbers go on where they stopped.
    drop(store);
    let store = CaseStore::open_url(&db, BEIJING).expect("reopens");
    let third = store.receive(b"{}", at("2026-12-02T12:00:00+08:00")).expect("stored");
    assert_eq!(third.case_id, "BJ-20261202-000004");
}

fn two_stores_on_one_database_never_share_a_number(backend: Backend) {
    let Some((_dir, db)) = database(backend) else { return };
    let a = CaseStore::open_url(&db, BEIJING).expect("opens");
    let b = CaseStore::open_url(&db, BEIJING).expect("opens a second connection");
    fn take(store: &str, st: &CaseStore) -> Result<Vec<minyi_cases::Receipt>, CaseError> {
        (0..40)
            .map(|i| st.receive(format!("{{\"n\":\"{store}{i}\"}}").as_bytes(), at("2026-12-02T10:00:00+08:00")))
            .collect()
    }
    let ids = std::thread::scope(|s| {
        let ha = s.spawn(|| take("a", &a));
        let hb = s.spawn(|| take("b", &b));
        let mut ids = ha.join().expect("thread").expect("every case stored");
        ids.extend(hb.join().expect("thread").expect("every case stored"));
        ids
    });
    let numbers: BTreeSet<String> = ids.iter().map(|r| r.case_id.clone()).collect();
    let expected: BTreeSet<String> = (1..=80).map(|n| format!("BJ-20261202-{n:06}")).collect();
    assert_eq!(numbers, expected, "80 cases, numbers 1..=80, none twice, none skipped");
}

fn events_move_the_state_and_are_exported_in_order(backend: Backend) {
    let Some((_dir, db)) = database(backend) else { return };
    let store = CaseStore::open_url(&db, BEIJING).expect("opens");
    let a = store.receive(b"{}", at("2026-12-02T09:00:00+08:00")).expect("stored").case_id;
    let b = store.receive(b"{}", at("2026-12-02T09:05:00+08:00")).expect("stored").case_id;
    let validation = r#"{"valid":true}"#;
    let state = store
        .record(
            &a,
            &Outcome {
                district: Some("110105"),
                fingerprint: Some("f1"),
                category: Some("urban.sanitation.garbage"),
                validation: Some(validation),
                decision: None,
                decisions: &[],
            },
            &[received(&a, "110105", "f1"), event(&a, "2026-12-02T09:00:00+08:00", Event::Accepted {})],
        )
        .expect("recorded");
    assert_eq!(state, CaseState::Accepted);
    let dispatched = Event::Dispatched {
        co_handlers: Vec::new(),
        unit: "110105026".into(),
        unit_type: None,
        tier: Some(SlaTier::General),
        deadline: Some("2026-12-09T09:00:00+08:00".into()),
    };
    let decision = r#"{"lead":"110105026"}"#;
    let state = store
        .record(
            &a,
            &Outcome { decision: Some(decision), ..Outcome::default() },
            &[
                event(&a, "2026-12-02T09:00:01+08:00", dispatched),
                event(&a, "2026-12-02T10:00:00+08:00", Event::FirstContact {}),
            ],
        )
        .expect("recorded");
    assert_eq!(state, CaseState::Dispatched, "first contact is a fact, not a lifecycle step");
    let state = store
        .record(
            &b,
            &Outcome { district: Some("110108"), ..Outcome::default() },
            &[
                received(&b, "110108", "f2"),
                event(&b, "2026-12-02T09:05:00+08:00", Event::Rejected { reason: "title.required".into() }),
            ],
        )
        .expect("recorded");
    assert_eq!(state, CaseState::Rejected);
    // The lifecycle is enforced: a rejected case is never dispatched, and a refused batch writes nothing.
    let refused = store.record(
        &b,
        &Outcome::default(),
        &[
            event(&b, "2026-12-02T09:06:00+08:00", Event::Accepted {}),
            event(&b, "2026-12-02T09:06:00+08:00", Event::Closed {}),
        ],
    );
    match refused {
        Err(CaseError::Illegal { case, transition }) => {
            assert_eq!(
                (case.as_str(), transition.state, transition.event),
                (b.as_str(), CaseState::Rejected, "accepted")
            );
        }
        other => panic!("an accepted event on a rejected case must be refused, got {other:?}"),
    }
    assert_eq!(store.get(&b).expect("found").events.len(), 2, "nothing of the refused batch is stored");
    assert!(matches!(store.record("BJ-19990101-000001", &Outcome::default(), &[]), Err(CaseError::NotFound(_))));

    let got = store.get(&a).expect("found");
    assert_eq!(got.district.as_deref(), Some("110105"));
    assert_eq!(got.validation, Some(serde_json::json!({"valid": true})), "an earlier outcome is kept");
    assert_eq!(got.decision, Some(serde_json::json!({"lead": "110105026"})));
    let types: Vec<String> = got
        .events
        .iter()
        .map(|e| serde_json::to_value(e).expect("json")["type"].to_string().replace('"', ""))
        .collect();
    assert_eq!(types, ["received", "accepted", "dispatched", "first_contact"]);

    let all = store.list(&Filter::default()).expect("lists");
    assert_eq!(all.iter().map(|c| c.case_id.as_str()).collect::<Vec<_>>(), [b.as_str(), a.as_str()], "newest first");
    let rejected = store.list(&Filter { state: Some(CaseState::Rejected), ..Filter::default() }).expect("lists");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].district.as_deref(), Some("110108"));
    assert_eq!(store.list(&Filter { limit: 1, ..Filter::default() }).expect("lists").len(), 1);
    // Page by page: the next page starts after the case the last one ended with.
    let after_b = store.list(&Filter { limit: 1, after: Some(&b), ..Filter::default() }).expect("lists");
    assert_eq!(after_b.iter().map(|c| c.case_id.as_str()).collect::<Vec<_>>(), [a.as_str()]);
    assert!(store.list(&Filter { after: Some(&a), ..Filter::default() }).expect("lists").is_empty());
    // The Open311 listing's filters: category, receipt window, state set, one case.
    let ids = |f: Filter<'_>| store.list(&f).expect("lists").into_iter().map(|c| c.case_id).collect::<Vec<_>>();
    assert_eq!(ids(Filter { category: Some("urban.sanitation.garbage"), ..Filter::default() }), [a.as_str()]);
    assert_eq!(all[1].category.as_deref(), Some("urban.sanitation.garbage"));
    assert!(all[1].updated_at.starts_with("20") && all[1].updated_at.ends_with("+08:00"), "{}", all[1].updated_at);
    let ms = |t: &str| at(t).timestamp_millis();
    let window =
        |since: &str, until: &str| Filter { since_ms: Some(ms(since)), until_ms: Some(ms(until)), ..Filter::default() };
    assert_eq!(ids(window("2026-12-02T09:04:00+08:00", "2026-12-02T09:06:00+08:00")), [b.as_str()]);
    assert_eq!(ids(window("2026-12-02T08:00:00+08:00", "2026-12-02T09:00:00+08:00")), [a.as_str()]);
    let shut = [CaseState::Rejected, CaseState::Closed];
    assert_eq!(ids(Filter { states_in: Some((true, &shut)), ..Filter::default() }), [b.as_str()]);
    assert_eq!(ids(Filter { states_in: Some((false, &shut)), ..Filter::default() }), [a.as_str()]);
    assert_eq!(ids(Filter { case_id: Some(&a), ..Filter::default() }), [a.as_str()]);
    assert!(ids(Filter { case_id: Some("BJ-' OR 1=1 --"), ..Filter::default() }).is_empty());

    let chaoyang = store.events(&Filter { district: Some("110105"), ..Filter::default() }).expect("exports");
    assert_eq!(chaoyang.len(), 4);
    assert!(chaoyang.iter().all(|e| e.case_id == a));
    let every = store.events(&Filter::default()).expect("exports");
    assert_eq!(every.iter().map(|e| e.case_id.as_str()).collect::<Vec<_>>(), [&a, &a, &a, &a, &b, &b]);
}

fn repeats_count_earlier_cases_of_the_same_fingerprint(backend: Backend) {
    let Some((_dir, db)) = database(backend) else { return };
    let store = CaseStore::open_url(&db, BEIJING).expect("opens");
    let mut ids = Vec::new();
    for (when, fingerprint, rejected) in [
        ("2026-10-01T09:00:00+08:00", "same", false), // more than 30 days before
        ("2026-11-20T09:00:00+08:00", "same", false),
        ("2026-11-25T09:00:00+08:00", "same", true), // rejected: not a demand
        ("2026-11-28T09:00:00+08:00", "other", false),
        ("2026-12-01T09:00:00+08:00", "same", false),
    ] {
        let id = store.receive(b"{}", at(when)).expect("stored").case_id;
        let events = if rejected {
            vec![event(&id, when, Event::Rejected { reason: "prank".into() })]
        } else {
            vec![event(&id, when, Event::Accepted {})]
        };
        store.record(&id, &Outcome { fingerprint: Some(fingerprint), ..Outcome::default() }, &events).expect("ok");
        ids.push(id);
    }
    let now = at("2026-12-02T09:00:00+08:00");
    let new = store.receive(b"{}", now).expect("stored").case_id;
    store.record(&new, &Outcome { fingerprint: Some("same"), ..Outcome::default() }, &[]).expect("ok");
    assert_eq!(store.repeats("same", now, 30, &new).expect("counts"), 2, "11-20 and 12-01; not itself");
    assert_eq!(store.repeats("same", now, 90, &new).expect("counts"), 3);
    assert_eq!(store.repeats("other", now, 30, &new).expect("counts"), 1);
    assert_eq!(store.repeats("none", now, 30, &new).expect("counts"), 0);
}

fn dispatched(case_id: &str, when: &str, unit: &str, deadline: &str, co: &[&str]) -> CaseEvent {
    event(
        case_id,
        when,
        Event::Dispatched {
            unit: unit.into(),
            unit_type: None,
            tier: Some(SlaTier::General),
            deadline: Some(deadline.into()),
            co_handlers: co.iter().map(|c| (*c).to_owned()).collect(),
        },
    )
}

/// A case received, accepted and dispatched to `unit` on 2 December with a 5-day deadline.
fn dispatched_case(store: &CaseStore, unit: &str, co: &[&str]) -> String {
    let id = store.receive(b"{}", at("2026-12-02T09:00:00+08:00")).expect("stored").case_id;
    let events = [
        received(&id, "110105", "f"),
        event(&id, "2026-12-02T09:00:00+08:00", Event::Accepted {}),
        dispatched(&id, "2026-12-02T09:00:00+08:00", unit, "2026-12-07T09:00:00+08:00", co),
    ];
    store.record(&id, &Outcome::default(), &events).expect("recorded");
    id
}

fn two_stores_sweeping_at_once_write_each_alarm_once(backend: Backend) {
    let Some((_dir, db)) = database(backend) else { return };
    let a = CaseStore::open_url(&db, BEIJING).expect("opens");
    let b = CaseStore::open_url(&db, BEIJING).expect("opens again");
    let ids: Vec<String> = (0..12).map(|_| dispatched_case(&a, "110105026", &[])).collect();
    // Nothing is due before 80 % of the limit (4 of 5 days).
    let early = a.sweep(at("2026-12-06T08:59:59+08:00")).expect("sweeps");
    assert_eq!((early.warnings, early.overdue, early.examined), (0, 0, 0), "no case is looked at before its alarm");
    // Two hosts sweep the same instant at once, twice: each case gets one warning and one overdue event.
    let late = at("2026-12-08T00:00:00+08:00");
    let (x, y) = std::thread::scope(|s| {
        let x = s.spawn(|| (a.sweep(late).expect("a sweeps"), a.sweep(late).expect("a again")));
        let y = s.spawn(|| (b.sweep(late).expect("b sweeps"), b.sweep(late).expect("b again")));
        (x.join().expect("a"), y.join().expect("b"))
    });
    let warnings = x.0.warnings + x.1.warnings + y.0.warnings + y.1.warnings;
    let overdue = x.0.overdue + x.1.overdue + y.0.overdue + y.1.overdue;
    assert_eq!((warnings, overdue), (12, 12), "once each, whoever swept first");
    for id in &ids {
        let case = a.get(id).expect("case");
        let kinds: Vec<&str> = case.events.iter().map(|e| e.event.kind()).collect();
        assert_eq!(kinds, ["received", "accepted", "dispatched", "warning", "overdue"], "{id}");
    }
    let again = b.sweep(at("2027-01-01T00:00:00+08:00")).expect("sweeps");
    assert_eq!((again.examined, again.warnings, again.overdue), (0, 0, 0), "nothing left to look at");
    // The escalation names the district.
    let case = a.get(&ids[0]).expect("case");
    assert!(matches!(&case.events[4].event, Event::Overdue { district: Some(d), .. } if d == "110105"));
    assert_eq!(case.events[4].by.as_deref(), Some("minyi-sla"));
}

fn a_queue_follows_the_units_that_hold_a_case(backend: Backend) {
    let Some((_dir, db)) = database(backend) else { return };
    let store = CaseStore::open_url(&db, BEIJING).expect("opens");
    let id = dispatched_case(&store, "110105026", &["bj.heating"]);
    let queue = |unit: &str| -> Vec<String> {
        let filter = Filter { unit: Some(unit), ..Filter::default() };
        store.list(&filter).expect("lists").into_iter().map(|c| c.case_id).collect()
    };
    assert_eq!(queue("110105026"), vec![id.clone()]);
    assert_eq!(queue("bj.heating"), vec![id.clone()], "a co-handler sees it too");
    let listed = store.list(&Filter { unit: Some("110105026"), ..Filter::default() }).expect("lists");
    assert_eq!(listed[0].lead.as_deref(), Some("110105026"));
    assert_eq!(listed[0].deadline.as_deref(), Some("2026-12-07T09:00:00+08:00"));
    let now = at("2026-12-06T09:00:00+08:00").timestamp_millis();
    assert_eq!(listed[0].time_left_s(now), Some(86_400));
    // 改派: the old units no longer hold it, the new one does.
    let who = Actor { id: "district-admin", role: "district", remote: None };
    store
        .act(&id, &who, |c| -> Result<_, CaseError> {
            Ok(vec![dispatched(&c.case_id, "2026-12-03T09:00:00+08:00", "110105027", "2026-12-10T09:00:00+08:00", &[])])
        })
        .expect("re-dispatched");
    assert!(queue("110105026").is_empty() && queue("bj.heating").is_empty());
    assert_eq!(queue("110105027"), vec![id.clone()]);
    // An illegal step writes nothing.
    let refused = store.act(&id, &who, |c| -> Result<_, CaseError> {
        Ok(vec![event(&c.case_id, "2026-12-03T10:00:00+08:00", Event::Closed {})])
    });
    assert!(matches!(refused, Err(CaseError::Illegal { .. })), "{refused:?}");
    assert_eq!(store.get(&id).expect("case").events.len(), 4);
    let log = store.audit_log(&id).expect("audit");
    assert_eq!(log.iter().filter(|e| e.actor == "district-admin").count(), 1, "only what was written");
    assert_eq!(log.last().map(|e| e.action.as_str()), Some("event:dispatched"));
}

fn the_history_and_the_audit_log_refuse_updates_and_deletes(backend: Backend) {
    let Some((_dir, db)) = database(backend) else { return };
    let store = CaseStore::open_url(&db, BEIJING).expect("opens");
    let id = dispatched_case(&store, "110105026", &[]);
    store.audit_read(&id, &Actor { id: "x", role: "city", remote: Some("127.0.0.1") }).expect("audited");
    assert_eq!(store.audit_log(&id).expect("log").len(), 4);
    // The same database, opened directly: what a careless script or a hostile admin would do.
    let raw = minyi_db::Db::open_url(&db, "").expect("opens");
    for sql in [
        "UPDATE audit_log SET actor = 'nobody'",
        "DELETE FROM audit_log",
        "UPDATE case_events SET event = '{}'",
        "DELETE FROM case_events",
    ] {
        let refused = raw.run(|c| c.execute(sql, &[]));
        let message = refused.expect_err(sql).0;
        assert!(message.contains("append-only"), "{sql}: {message}");
    }
    assert_eq!(store.audit_log(&id).expect("log").len(), 4, "nothing changed");
}

fn decisions_are_kept_with_their_deciders_and_never_changed(backend: Backend) {
    let Some((_dir, db)) = database(backend) else { return };
    let store = CaseStore::open_url(&db, BEIJING).expect("opens");
    let id = store.receive(b"{}", at("2026-12-02T09:00:00+08:00")).expect("stored").case_id;
    let rules = b"[ruleset]\nname = \"t\"\n";
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(rules));
    let decider = Decider { kind: "rules", sha256: &sha, bytes: rules };
    store.keep(&[decider]).expect("kept");
    store.keep(&[decider]).expect("kept once, the second time a no-op");
    // A fresh store on the same database keeps them again without a conflict.
    CaseStore::open_url(&db, BEIJING).expect("opens").keep(&[decider]).expect("already there");
    assert_eq!(store.decider(&sha).expect("found"), ("rules".to_owned(), rules.to_vec()));
    let wrong = Decider { kind: "rules", sha256: &"0".repeat(64), bytes: rules };
    assert!(store.keep(&[wrong]).is_err(), "bytes that do not hash to their name are refused");
    assert!(matches!(store.decider(&"0".repeat(64)), Err(CaseError::NotFound(_))));

    let decision = Decision {
        step: "route".into(),
        input: r#"{"repeat_count":0}"#.into(),
        output: r#"{"lead":"110105026"}"#.into(),
        deciders: format!(r#"{{"rules":"{sha}"}}"#),
    };
    let outcome =
        Outcome { district: Some("110105"), decisions: std::slice::from_ref(&decision), ..Outcome::default() };
    store.record(&id, &outcome, &[received(&id, "110105", "f")]).expect("recorded");
    let kept = store.decisions(&id).expect("read");
    assert_eq!(kept.iter().map(|d| &d.decision).collect::<Vec<_>>(), [&decision]);
    assert_eq!(store.received_between(0, i64::MAX, Some("110105")).expect("listed"), [id]);
    assert!(store.received_between(0, i64::MAX, Some("110108")).expect("listed").is_empty());
    let raw = minyi_db::Db::open_url(&db, "").expect("opens");
    for sql in ["UPDATE case_decisions SET output = '{}'", "DELETE FROM decider_bytes"] {
        let message = raw.run(|c| c.execute(sql, &[])).expect_err(sql).0;
        assert!(message.contains("append-only"), "{sql}: {message}");
    }
}
