//! `minyi case …`: staff read the stored cases they may see — a listing, one case whole, and the event
//! export that `minyi score` and `minyi hotspots` read — and act on one (`minyi case act`), exactly as
//! the HTTP API does.

use crate::access::may_read;
use anyhow::Context as _;
use clap::Subcommand;
use minyi_auth::Admins;
use minyi_cases::{BEIJING, CaseStore, Filter};
use minyi_model::CaseState;
use std::io::Write as _;
use std::process::ExitCode;

/// `minyi case` subcommands.
#[derive(Debug, Subcommand)]
pub(super) enum CaseCommand {
    /// List cases, newest first (JSON lines: case_id, received_at, district, state).
    List {
        /// District (default: the admin's own; a city admin: every district).
        #[arg(long)]
        district: Option<String>,
        /// Only cases in this state (received, rejected, accepted, pending_manual, dispatched, …).
        #[arg(long, value_parser = parse_state)]
        state: Option<CaseState>,
        /// How many at most.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One case whole: the form as received, validation, routing decision, history (JSON).
    Show {
        /// The case number.
        case_id: String,
    },
    /// Write a step on a case as the token's holder, as `POST /api/cases/{id}/events` does; prints the
    /// stored event and the new state.
    Act {
        /// The case number.
        case_id: String,
        /// The event (JSON without case_id, at, by, reviewer), e.g. '{"type":"first_contact"}'; `-`: standard input.
        event: String,
    },
    /// Every event of the selected cases, one JSON object per line: `minyi score … -` reads them.
    Events {
        /// District (default: the admin's own; a city admin: every district).
        #[arg(long)]
        district: Option<String>,
        /// Only cases in this state.
        #[arg(long, value_parser = parse_state)]
        state: Option<CaseState>,
    },
}

fn parse_state(name: &str) -> Result<CaseState, String> {
    CaseState::parse(name).ok_or_else(|| {
        let all: Vec<&str> = CaseState::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown state {name:?}; one of {}", all.join(", "))
    })
}

/// Runs a `minyi case` command on the store at `db`, as the admin holding `token`.
pub(super) fn run(db: &str, token: Option<&str>, command: CaseCommand) -> anyhow::Result<ExitCode> {
    let admins = Admins::open_url(db).with_context(|| format!("opening {db}"))?;
    let admin = admins.authenticate(token.context("give --token (or MINYI_TOKEN): an admin's token")?)?;
    let store = CaseStore::open_url(db, BEIJING).with_context(|| format!("opening the case store in {db}"))?;
    let mut out = std::io::stdout().lock();
    match command {
        CaseCommand::List { district: d, state, limit } => {
            let d = admin.scope(d)?;
            for case in store.list(&Filter { district: d.as_deref(), state, limit, ..Filter::default() })? {
                writeln!(out, "{}", serde_json::to_string(&case)?)?;
            }
        }
        CaseCommand::Act { case_id, event } => {
            let body = if event == "-" { std::io::read_to_string(std::io::stdin())? } else { event };
            let now = crate::clock::beijing_time();
            let acted = crate::casework::act(&store, &admin, Some("cli"), &case_id, &body, now)?;
            let event = acted.events.first();
            writeln!(out, "{}", serde_json::json!({ "event": event, "state": acted.state }))?;
        }
        CaseCommand::Show { case_id } => {
            may_read(&admin, &store, &case_id)?;
            let actor = minyi_cases::Actor { id: &admin.id, role: admin.role.as_str(), remote: Some("cli") };
            store.audit_read(&case_id, &actor)?;
            writeln!(out, "{}", serde_json::to_string_pretty(&store.get(&case_id)?)?)?;
        }
        CaseCommand::Events { district: d, state } => {
            let d = admin.scope(d)?;
            for event in store.events(&Filter { district: d.as_deref(), state, ..Filter::default() })? {
                writeln!(out, "{}", serde_json::to_string(&event)?)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a `minyi case` command through the service's HTTP API.
pub(super) fn remote(remote: &super::remote::Remote, command: CaseCommand) -> anyhow::Result<ExitCode> {
    use super::remote::{Answer, encode, print};
    let query = |pairs: &[(&str, Option<String>)]| {
        let set: Vec<String> =
            pairs.iter().filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v)))).collect();
        if set.is_empty() { String::new() } else { format!("?{}", set.join("&")) }
    };
    match command {
        CaseCommand::List { district, state, limit } => {
            let q = query(&[
                ("district", district),
                ("state", state.map(|s| s.as_str().to_owned())),
                ("limit", Some(limit.to_string())),
            ]);
            print(remote.get(&format!("/api/cases{q}"))?, Some("cases"))
        }
        CaseCommand::Show { case_id } => print(remote.get(&format!("/api/cases/{}", encode(&case_id)))?, None),
        CaseCommand::Act { case_id, event } => {
            let body = if event == "-" { std::io::read_to_string(std::io::stdin())? } else { event };
            let event: serde_json::Value =
                serde_json::from_str(&body).context("the event is not JSON (e.g. '{\"type\":\"first_contact\"}')")?;
            match remote.post(&format!("/api/cases/{}/events", encode(&case_id)), &event)? {
                Answer::Ok(text) => {
                    let value: serde_json::Value = serde_json::from_str(&text).context("the answer is not JSON")?;
                    println!("{value}");
                    Ok(ExitCode::SUCCESS)
                }
                refused => print(refused, None),
            }
        }
        CaseCommand::Events { district, state } => {
            let q = query(&[("district", district), ("state", state.map(|s| s.as_str().to_owned()))]);
            match remote.get(&format!("/api/events{q}"))? {
                Answer::Ok(lines) => {
                    std::io::stdout().lock().write_all(lines.as_bytes())?;
                    Ok(ExitCode::SUCCESS)
                }
                refused => print(refused, None),
            }
        }
    }
}
