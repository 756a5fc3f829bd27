//! The three rates (三率) and hotspots over case events — a file's for `minyi score`, the stored ones for
//! `GET /api/scores` — through the scorer component, after each district's scoring plugin has reviewed
//! its cases. One path, so the API answers exactly what the command line prints.

use crate::plugins::Plugins;
use minyi_model::CaseEvent;
use minyi_plugins::{Hook, PluginHost};
use minyi_runtime::{CallError, Runtime, Scoreboard};

/// Cases handed to the component per call: bounds the memory a call needs.
const BATCH: usize = 2_000;

/// Lets each case's district scoring plugin review it: an exclusion it returns becomes an `excluded`
/// event, reviewed by the plugin, stamped with the case's latest event time (so `--as-of` treats it like
/// any review). A plugin fault leaves the case as it is. Returns how many cases were excluded.
pub fn review_cases(host: &PluginHost, cases: &mut [String]) -> usize {
    let mut excluded = 0;
    for case in cases.iter_mut() {
        let events: Vec<CaseEvent> = case.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        let district = events.iter().find_map(|e| match &e.event {
            minyi_model::Event::Received { district, .. } => district.clone(),
            _ => None,
        });
        let (Some(district), Some(first)) = (district, events.first()) else { continue };
        if !host.has_hook(&district, Hook::Scoring) {
            continue;
        }
        let out = host.review_case(&district, Some(&first.case_id), case);
        let Some(exclusion) = out.value else { continue };
        let latest = events
            .iter()
            .filter_map(|e| chrono::DateTime::parse_from_rfc3339(e.at.trim()).ok().map(|t| (t, e.at.clone())))
            .max_by_key(|(t, _)| *t)
            .map(|(_, at)| at)
            .unwrap_or_else(|| first.at.clone());
        let event = CaseEvent {
            case_id: first.case_id.clone(),
            at: latest,
            by: host.status(&district).map(|s| format!("plugin:{}@{}", s.name, s.version)),
            event: minyi_model::Event::Excluded {
                reason: match exclusion.reason {
                    minyi_runtime::bindings::types::ExclusionReason::Invalid => minyi_model::ExclusionReason::Invalid,
                    minyi_runtime::bindings::types::ExclusionReason::Unreasonable => {
                        minyi_model::ExclusionReason::Unreasonable
                    }
                },
                reviewer: exclusion.reviewer,
                note: exclusion.note,
            },
        };
        if let Ok(line) = serde_json::to_string(&event) {
            case.push_str(&line);
            case.push('\n');
            excluded += 1;
        }
    }
    excluded
}

/// Opens a scoreboard on `request` (the scorer's request JSON: month or period, district, policy) and
/// feeds it `cases` (each one case's events as JSON lines), after the district scoring plugins, when
/// there are any, have reviewed them.
pub fn fill<'rt>(
    runtime: &'rt Runtime,
    request: &str,
    cases: &mut [String],
    plugins: Option<&Plugins>,
) -> Result<Scoreboard<'rt>, CallError> {
    let board = runtime.open_scoreboard(request)?;
    if let Some(plugins) = plugins {
        let reviewed = review_cases(&plugins.host, cases);
        tracing::info!(reviewed, "cases excluded by district scoring plugins");
    }
    for batch in cases.chunks(BATCH) {
        board.add_cases_json(batch)?;
    }
    Ok(board)
}

/// An events file (JSON lines, any order of cases) grouped by case, in order of first appearance; each
/// case's lines in file order — what `scoreboard.add-cases-json` takes. Plumbing only: the component
/// parses and checks every event. `Err((line, why))` names the 1-based line without a `case_id`.
pub fn by_case(text: &str) -> Result<Vec<String>, (usize, serde_json::Error)> {
    #[derive(serde::Deserialize)]
    struct Id {
        case_id: String,
    }
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut cases: Vec<String> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let id: Id = serde_json::from_str(line).map_err(|e| (n + 1, e))?;
        let slot = *index.entry(id.case_id).or_insert_with(|| {
            cases.push(String::new());
            cases.len() - 1
        });
        cases[slot].push_str(line);
        cases[slot].push('\n');
    }
    Ok(cases)
}

/// Stored events (case by case, as the store exports them) as one string of JSON lines per case.
pub fn group(events: &[CaseEvent]) -> Result<Vec<String>, serde_json::Error> {
    let mut cases: Vec<String> = Vec::new();
    let mut last: Option<&str> = None;
    for e in events {
        if last != Some(e.case_id.as_str()) {
            cases.push(String::new());
            last = Some(e.case_id.as_str());
        }
        if let Some(case) = cases.last_mut() {
            case.push_str(&serde_json::to_string(e)?);
            case.push('\n');
        }
    }
    Ok(cases)
}
