//! Nothing answered is lost: a real `minyi serve` on SQLite is killed with SIGKILL again and again
//! while clients file demands at once, and after each restart every case it answered 201 for is in
//! the store; stopped with SIGTERM, it answers what it took and exits cleanly.

use minyi_cases::{BEIJING, CaseStore};
use minyi_tests::serve::Node;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FORM: &str = r#"{"district":"110105","channel":"web","kind":"complaint","category":"urban.sanitation.garbage",
  "title":"垃圾没人清运","description":"小区垃圾三天没人清运了","address":"朝阳区望京西园三区",
  "reporter":{"phone":"138 0013 8000"},"consent":true,"received_at":"2026-11-29T10:00:00+08:00"}"#;

/// Files demands from `clients` threads until the node stops answering; the case numbers answered 201.
fn file_until_gone(base: &str, clients: usize, acked: &Arc<Mutex<Vec<String>>>) -> Vec<std::thread::JoinHandle<usize>> {
    (0..clients)
        .map(|_| {
            let (url, acked) = (format!("{base}/api/cases"), Arc::clone(acked));
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(10)))
                    .build()
                    .into();
                let mut failures = 0;
                let mut answered = 0;
                while failures < 3 {
                    match agent.post(&url).header("Content-Type", "application/json").send(FORM) {
                        Ok(mut res) => {
                            let status = res.status().as_u16();
                            // Killed while answering: the answer never arrived whole, so it does not count.
                            let Ok(body) = res.body_mut().read_json::<serde_json::Value>() else {
                                failures += 1;
                                continue;
                            };
                            assert_eq!(status, 201, "{body}");
                            let id = body["case_id"].as_str().expect("a case number").to_owned();
                            acked.lock().expect("lock").push(id);
                            answered += 1;
                        }
                        // Killed: the request may or may not be stored; it was not answered.
                        Err(_) => {
                            failures += 1;
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
                answered
            })
        })
        .collect()
}

#[test]
fn every_case_answered_201_survives_sigkill_during_concurrent_intake() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("minyi.db").display().to_string();
    let acked = Arc::new(Mutex::new(Vec::new()));
    const ROUNDS: u64 = 12;
    let mut per_round = Vec::new();
    for round in 0..ROUNDS {
        // One address files at full speed: no rate limit.
        let node = Node::start_with(env!("CARGO_BIN_EXE_minyi"), &db, &["--rate-limit", "0"]);
        let before = acked.lock().expect("lock").len();
        let clients = file_until_gone(&node.base, 6, &acked);
        // Let intake get going, then kill at a point that differs from round to round.
        let started = Instant::now();
        while acked.lock().expect("lock").len() == before && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(100 + (round * 73) % 400));
        node.crash();
        for c in clients {
            c.join().expect("a client thread");
        }
        per_round.push(acked.lock().expect("lock").len() - before);
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(per_round.iter().all(|n| *n > 0), "every round answered some: {per_round:?}");
    // After the last crash, opened again: every answered case is there, each number once.
    let store = CaseStore::open_url(&db, BEIJING).expect("the store opens after a crash");
    let mut missing = Vec::new();
    for id in &acked {
        match store.get(id) {
            Ok(case) => assert_eq!(&case.case_id, id),
            Err(e) => missing.push(format!("{id}: {e}")),
        }
    }
    let mut unique = acked.clone();
    unique.sort();
    unique.dedup();
    println!(
        "crash test: {ROUNDS} SIGKILLs during intake by 6 clients; {} cases answered 201 ({per_round:?} per round), {} missing after restart",
        acked.len(),
        missing.len()
    );
    assert!(missing.is_empty(), "answered 201 but lost: {missing:?}");
    assert_eq!(unique.len(), acked.len(), "a case number was given twice");
}

#[test]
fn sigterm_answers_what_it_took_and_exits_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("minyi.db").display().to_string();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let node = Node::start_with(env!("CARGO_BIN_EXE_minyi"), &db, &["--rate-limit", "0"]);
    let clients = file_until_gone(&node.base, 4, &acked);
    let started = Instant::now();
    while acked.lock().expect("lock").len() < 20 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = node.terminate();
    let answered: usize = clients.into_iter().map(|c| c.join().expect("a client thread")).sum();
    assert!(status.success(), "minyi serve exits 0 on SIGTERM: {status:?}");
    let store = CaseStore::open_url(&db, BEIJING).expect("opens");
    let acked = acked.lock().expect("lock").clone();
    assert_eq!(acked.len(), answered);
    for id in &acked {
        let case = store.get(id).expect("an answered case is stored");
        assert_ne!(case.state, minyi_model::CaseState::Received, "{id} was answered, so intake finished it");
    }
}
