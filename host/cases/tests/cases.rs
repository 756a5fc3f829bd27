//! The case store on a real SQLite file and on a real PostgreSQL server (a fresh database per test):
//! a body stored exactly as received whatever it holds, case numbers per day with no gap or repeat
//! when two stores on one database take them at once, tracking tokens, events and the state they
//! derive, listings, the export `minyi score` reads, and the repeat count.

use chrono::{DateTime, FixedOffset};
use minyi_cases::{BEIJING, CaseError, CaseStore, Filter, Outcome};
use minyi_model::{CaseEvent, CaseState, Event, SlaTier};
use minyi_tests::postgres::Backend;
use std::collections::BTreeSet;

minyi_tests::on_both!(
    stores_every_body_and_numbers_cases_per_day,
    two_stores_on_one_database_never_share_a_number,
    events_move_the_state_and_are_exported_in_order,
    repeats_count_earlier_cases_of_the_same_fingerprint,
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
        },
    )
}

fn stores_every_body_and_numbers_cases_per_day(backend: Backend) {
    let Some((_dir, db)) = database(backend) else { return };
    let store = CaseStore::open_url(&db, BEIJING).expect("opens");
    let first = store.receive(r#"{"district":"110105"}"#, at("2026-12-02T09:00:00+08:00")).expect("stored");
    let garbage = store.receive("{not json at all", at("2026-12-02T23:59:59+08:00")).expect("stored too");
    let next_day = store.receive("", at("2026-12-03T00:00:00+08:00")).expect("even an empty body");
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

    assert!(store.check_token(&first.case_id, &first.tracking_token).expect("reads"));
    assert!(!store.check_token(&first.case_id, &garbage.tracking_token).expect("reads"), "another case's token");
    assert!(!store.check_token("BJ-19990101-000001", &first.tracking_token).expect("reads"));
    assert!(matches!(store.get("BJ-19990101-000001"), Err(CaseError::NotFound(_))));

    // Reopened: the numbers go on where they stopped.
    drop(store);
    let store = CaseStore::open_url(&db, BEIJING).expect("reopens");
    let third = store.receive("{}", at("2026-12-02T12:00:00+08:00")).expect("stored");
    assert_eq!(third.case_id, "BJ-20261202-000003");
}

fn two_stores_on_one_database_never_share_a_number(backend: Backend) {
    let Some((_dir, db)) = database(backend) else { return };
    let a = CaseStore::open_url(&db, BEIJING).expect("opens");
    let b = CaseStore::open_url(&db, BEIJING).expect("opens a second connection");
    fn take(store: &str, st: &CaseStore) -> Result<Vec<minyi_cases::Receipt>, CaseError> {
        (0..40).map(|i| st.receive(&format!("{{\"n\":\"{store}{i}\"}}"), at("2026-12-02T10:00:00+08:00"))).collect()
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
    let a = store.receive("{}", at("2026-12-02T09:00:00+08:00")).expect("stored").case_id;
    let b = store.receive("{}", at("2026-12-02T09:05:00+08:00")).expect("stored").case_id;
    let validation = r#"{"valid":true}"#;
    let state = store
        .record(
            &a,
            &Outcome {
                district: Some("110105"),
                fingerprint: Some("f1"),
                validation: Some(validation),
                decision: None,
            },
            &[received(&a, "110105", "f1"), event(&a, "2026-12-02T09:00:00+08:00", Event::Accepted {})],
        )
        .expect("recorded");
    assert_eq!(state, CaseState::Accepted);
    let dispatched = Event::Dispatched {
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
        let id = store.receive("{}", at(when)).expect("stored").case_id;
        let events = if rejected {
            vec![event(&id, when, Event::Rejected { reason: "prank".into() })]
        } else {
            vec![event(&id, when, Event::Accepted {})]
        };
        store.record(&id, &Outcome { fingerprint: Some(fingerprint), ..Outcome::default() }, &events).expect("ok");
        ids.push(id);
    }
    let now = at("2026-12-02T09:00:00+08:00");
    let new = store.receive("{}", now).expect("stored").case_id;
    store.record(&new, &Outcome { fingerprint: Some("same"), ..Outcome::default() }, &[]).expect("ok");
    assert_eq!(store.repeats("same", now, 30, &new).expect("counts"), 2, "11-20 and 12-01; not itself");
    assert_eq!(store.repeats("same", now, 90, &new).expect("counts"), 3);
    assert_eq!(store.repeats("other", now, 30, &new).expect("counts"), 1);
    assert_eq!(store.repeats("none", now, 30, &new).expect("counts"), 0);
}
