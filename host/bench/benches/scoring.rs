//! Scoring a month: 2 M synthetic cases over Beijing's 343 township-level units, assessed against their
//! time limits, tallied and ranked — through the scorer component (`scoreboard.add-outcomes` in batches,
//! then `ranking`) and natively (the same core), checked to agree before anything is timed. Also the
//! case-events path (JSON lines in, as `minyi score` feeds it). Writes `target/bench/scoring.json`.
//!
//! `cargo bench --bench scoring` (or `cargo xtask bench`) measures; without `--bench` it is a quick smoke run.

use minyi_model::divisions;
use minyi_runtime::bindings::types as wit;
use minyi_runtime::{Runtime, RuntimeConfig};
use std::time::Instant;

/// A tiny deterministic generator (xorshift), so every run scores the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const UNITS: usize = 343;
/// Outcomes per component call: ~9 MB of lowered records, well under the 64 MiB memory cap.
const BATCH: usize = 100_000;
const NOVEMBER: &str = r#"{"month":"2026-11"}"#;
/// 2026-11-01T00:00:00+08:00.
const START: i64 = 1793462400;

fn units() -> Vec<wit::UnitRef> {
    divisions::DISTRICTS
        .iter()
        .flat_map(|d| d.streets.iter())
        .take(UNITS)
        .map(|s| wit::UnitRef { unit: s.code.to_owned(), unit_type: wit::UnitType::Street })
        .collect()
}

fn outcomes(n: usize) -> Vec<wit::CaseOutcome> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    (0..n)
        .map(|_| {
            let unit = rng.below(UNITS as u64) as u32;
            let received = START + rng.below(30 * 86_400) as i64;
            let dispatched = received + rng.below(600) as i64;
            // Streets differ in quality, so the ranking has something to rank.
            let quality = u64::from(unit % 10);
            let callback = (rng.below(10) < 8).then(|| wit::CallbackAnswers {
                responded: (rng.below(2) == 0).then_some(rng.below(100) < 90 + quality),
                resolved: rng.below(100) < 85 + quality,
                satisfaction: match rng.below(100) {
                    x if x < 80 + quality => wit::Satisfaction::Satisfied,
                    x if x < 95 => wit::Satisfaction::BasicallySatisfied,
                    _ => wit::Satisfaction::Dissatisfied,
                },
            });
            wit::CaseOutcome {
                unit,
                tier: [wit::SlaTier::General, wit::SlaTier::Urgent, wit::SlaTier::Complex][rng.below(3) as usize],
                received_at: received,
                dispatched_at: dispatched,
                first_contact_at: Some(dispatched + rng.below(30 * 3600) as i64),
                replied_at: (rng.below(20) > 0).then(|| received + rng.below(9 * 86_400) as i64),
                deadline: None,
                callback,
                excluded: (rng.below(50) == 0).then_some(wit::ExclusionReason::Invalid),
            }
        })
        .collect()
}

fn native_outcome(o: &wit::CaseOutcome) -> minyi_scoring::Outcome {
    use minyi_model::{ExclusionReason, Satisfaction, SlaTier};
    minyi_scoring::Outcome {
        unit: o.unit,
        timeline: minyi_scoring::Timeline {
            tier: match o.tier {
                wit::SlaTier::Emergency => SlaTier::Emergency,
                wit::SlaTier::Urgent => SlaTier::Urgent,
                wit::SlaTier::General => SlaTier::General,
                wit::SlaTier::Complex => SlaTier::Complex,
                wit::SlaTier::Consult => SlaTier::Consult,
            },
            received_at: o.received_at,
            dispatched_at: o.dispatched_at,
            first_contact_at: o.first_contact_at,
            replied_at: o.replied_at,
            deadline: o.deadline,
            callback: o.callback.map(|a| minyi_scoring::Answers {
                responded: a.responded,
                resolved: a.resolved,
                satisfaction: match a.satisfaction {
                    wit::Satisfaction::Satisfied => Satisfaction::Satisfied,
                    wit::Satisfaction::BasicallySatisfied => Satisfaction::BasicallySatisfied,
                    wit::Satisfaction::Dissatisfied => Satisfaction::Dissatisfied,
                },
            }),
            excluded: o.excluded.map(|_| ExclusionReason::Invalid),
        },
    }
}

/// The events of a case, one JSON object per line, as `minyi score` reads them.
fn case_events(i: usize, o: &wit::CaseOutcome, unit: &str) -> String {
    let at = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset")).to_rfc3339())
            .unwrap_or_default()
    };
    let id = format!("BJ-{i:08}");
    let mut lines = vec![
        format!(
            r#"{{"case_id":"{id}","at":"{}","type":"received","district":"{}","street":"{unit}","category":"urban.sanitation.garbage"}}"#,
            at(o.received_at),
            &unit[..6]
        ),
        format!(
            r#"{{"case_id":"{id}","at":"{}","type":"dispatched","unit":"{unit}","tier":"general"}}"#,
            at(o.dispatched_at)
        ),
    ];
    if let Some(t) = o.first_contact_at {
        lines.push(format!(r#"{{"case_id":"{id}","at":"{}","type":"first_contact"}}"#, at(t)));
    }
    if let Some(t) = o.replied_at {
        lines.push(format!(r#"{{"case_id":"{id}","at":"{}","type":"replied"}}"#, at(t)));
        if let Some(a) = o.callback {
            let s = match a.satisfaction {
                wit::Satisfaction::Satisfied => "satisfied",
                wit::Satisfaction::BasicallySatisfied => "basically_satisfied",
                wit::Satisfaction::Dissatisfied => "dissatisfied",
            };
            lines.push(format!(
                r#"{{"case_id":"{id}","at":"{}","type":"callback","resolved":{},"satisfaction":"{s}"}}"#,
                at(t + 3600),
                a.resolved
            ));
        }
    }
    lines.join("\n")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let (n, rounds, n_events) = if measuring { (2_000_000, 5, 50_000) } else { (20_000, 1, 2_000) };
    let units = units();
    let native_units: Vec<minyi_scoring::UnitRef> = units
        .iter()
        .map(|u| minyi_scoring::UnitRef { unit: u.unit.clone(), unit_type: minyi_model::UnitType::Street })
        .collect();
    let outcomes = outcomes(n);
    let native_outcomes: Vec<minyi_scoring::Outcome> = outcomes.iter().map(native_outcome).collect();
    let rt = Runtime::new(RuntimeConfig::default()).expect("components load");

    let score_native = || {
        let mut board = minyi_scoring::Board::open_json(NOVEMBER).expect("opens");
        board.add_outcomes(&native_units, &native_outcomes).expect("adds");
        board.scores()
    };
    let score_component = || {
        let board = rt.open_scoreboard(NOVEMBER).expect("opens");
        for batch in outcomes.chunks(BATCH) {
            board.add_outcomes(&units, batch).expect("adds");
        }
        board.ranking().expect("ranks")
    };

    // Both must give the same ranking before any timing means anything.
    let (native, component) = (score_native(), score_component());
    assert_eq!(native.len(), UNITS);
    assert_eq!(native.len(), component.len());
    for (a, b) in native.iter().zip(&component) {
        assert_eq!((a.unit.as_str(), a.rank, a.valid, a.cases), (b.unit.as_str(), b.rank, b.valid, b.cases));
        assert_eq!(a.composite.to_bits(), b.composite.to_bits(), "{}", a.unit);
    }
    let ranked = native.iter().filter(|s| s.rank.is_some()).count();

    let time = |f: &dyn Fn() -> usize| {
        median(
            (0..rounds)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(f());
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        )
    };
    let native_ms = time(&|| score_native().len());
    let component_ms = time(&|| score_component().len());

    // The case-events path: JSON lines per case, folded, assessed and tallied.
    let events: Vec<String> = outcomes
        .iter()
        .take(n_events)
        .enumerate()
        .map(|(i, o)| case_events(i, o, &units[o.unit as usize].unit))
        .collect();
    let events_native_ms = time(&|| {
        let mut board = minyi_scoring::Board::open_json(NOVEMBER).expect("opens");
        for e in &events {
            board.add_case_json(e).expect("adds");
        }
        board.scores().len()
    });
    let events_component_ms = time(&|| {
        let board = rt.open_scoreboard(NOVEMBER).expect("opens");
        for batch in events.chunks(2_000) {
            board.add_cases_json(batch).expect("adds");
        }
        board.ranking().expect("ranks").len()
    });

    println!("\nscore and rank {UNITS} units over {n} cases ({ranked} ranked), median of {rounds}");
    println!("{:<34} {:>10} {:>10} {:>10}", "", "native", "component", "comp/nat");
    println!(
        "{:<34} {native_ms:>7.1} ms {component_ms:>7.1} ms {:>9.2}×",
        "outcomes (typed, batches of 100k)",
        component_ms / native_ms
    );
    println!(
        "{:<34} {events_native_ms:>7.1} ms {events_component_ms:>7.1} ms {:>9.2}×",
        format!("case events, {n_events} cases (JSON)"),
        events_component_ms / events_native_ms
    );
    println!("goal: ≤ 1000 ms through the component for {n} cases");
    if measuring {
        let rows = serde_json::json!([
            {"name": "score_2m/native", "value": native_ms, "unit": "ms"},
            {"name": "score_2m/component", "value": component_ms, "unit": "ms"},
            {"name": "score_2m/component_over_native", "value": component_ms / native_ms, "unit": "ratio"},
            {"name": "score_events_50k/native", "value": events_native_ms, "unit": "ms"},
            {"name": "score_events_50k/component", "value": events_component_ms, "unit": "ms"},
            {"name": "score_events_50k/component_over_native", "value": events_component_ms / events_native_ms, "unit": "ratio"},
        ]);
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("bench");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("scoring.json"), serde_json::to_vec_pretty(&rows).unwrap_or_default());
    }
}
