//! The case store: a demand (诉求) is stored the moment it arrives — the body exactly as received,
//! a case number (`BJ-20261202-000123`, numbered per day across every host on the database) and a
//! secret tracking token — before any component or plugin runs on it; then its history of
//! [`CaseEvent`]s, from which its state is derived. SQLite embedded, or PostgreSQL for several hosts.
#![deny(missing_docs)]

mod attachments;
mod decisions;

pub use attachments::StoredAttachment;
pub use decisions::{Decider, Decision, StoredDecision};

use chrono::{DateTime, FixedOffset};
use minyi_db::{Conn, Db, DbError, Row, Value, params};
use minyi_model::{CaseEvent, CaseState, IllegalTransition, ScoreConfig};
use minyi_scoring::CaseFacts;
use minyi_scoring::sla::Clock;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The tables, in SQL both databases take (`{serial}` and `{bytes}` are filled per database).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS case_numbers (
    day TEXT PRIMARY KEY,          -- prefix and Beijing date, e.g. BJ-20261202
    last BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY,
    received_ms BIGINT NOT NULL,
    received_at TEXT NOT NULL,     -- RFC 3339, Beijing time: when this service stored it
    form TEXT NOT NULL,            -- the body as text (bytes that are not UTF-8 shown as U+FFFD)
    token_sha256 TEXT NOT NULL,    -- the citizen's tracking token, hashed
    district TEXT,                 -- once validation has read it
    fingerprint TEXT,              -- the validation result's repeat-finding key
    state TEXT NOT NULL,           -- derived from the newest lifecycle event
    validation TEXT,               -- the validation result, JSON
    decision TEXT,                 -- the routing decision, JSON
    updated_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_by_district ON cases (district, received_ms);
CREATE INDEX IF NOT EXISTS cases_by_fingerprint ON cases (fingerprint, received_ms);
CREATE INDEX IF NOT EXISTS cases_by_token ON cases (token_sha256);
CREATE TABLE IF NOT EXISTS case_categories (  -- a case's category leaf, once validation has read it
    case_id TEXT PRIMARY KEY REFERENCES cases(case_id),
    category TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_categories_by_category ON case_categories (category, case_id);
CREATE TABLE IF NOT EXISTS case_events (
    id {serial},
    case_id TEXT NOT NULL REFERENCES cases(case_id),
    event TEXT NOT NULL            -- one CaseEvent, JSON
);
CREATE INDEX IF NOT EXISTS case_events_by_case ON case_events (case_id, id);
{append_only} case_events
CREATE TABLE IF NOT EXISTS case_units (  -- who holds a case now: derived from its events after each change
    case_id TEXT NOT NULL REFERENCES cases(case_id),
    unit TEXT NOT NULL,
    role TEXT NOT NULL,            -- lead | co
    PRIMARY KEY (case_id, unit)
);
CREATE INDEX IF NOT EXISTS case_units_by_unit ON case_units (unit, case_id);
CREATE TABLE IF NOT EXISTS case_clocks (  -- its reply clock: derived from its events after each change
    case_id TEXT PRIMARY KEY REFERENCES cases(case_id),
    lead TEXT NOT NULL,
    deadline_ms BIGINT NOT NULL,
    running BIGINT NOT NULL,       -- 1 until the lead replies
    next_alarm_ms BIGINT           -- when the time-limit sweep has something to write; NULL: nothing
);
CREATE INDEX IF NOT EXISTS case_clocks_by_alarm ON case_clocks (next_alarm_ms);
CREATE TABLE IF NOT EXISTS audit_log (
    id {serial},
    at_ms BIGINT NOT NULL,
    at TEXT NOT NULL,              -- RFC 3339, Beijing time
    actor TEXT NOT NULL,           -- a token id, or the service (`minyi-intake`, `minyi-sla`)
    role TEXT NOT NULL,
    action TEXT NOT NULL,          -- read | event:<type>
    case_id TEXT,
    detail TEXT,
    remote TEXT                    -- the peer address, when over HTTP
);
CREATE INDEX IF NOT EXISTS audit_log_by_case ON audit_log (case_id, id);
{append_only} audit_log
CREATE TABLE IF NOT EXISTS case_bodies (  -- the body exactly as received, byte for byte
    case_id TEXT PRIMARY KEY REFERENCES cases(case_id),
    body {bytes} NOT NULL,
    sha256 TEXT NOT NULL
);
{append_only} case_bodies
CREATE TABLE IF NOT EXISTS case_attachments (  -- the files of a case, as the citizen uploaded them
    case_id TEXT NOT NULL REFERENCES cases(case_id),
    idx BIGINT NOT NULL,           -- its place in the form's `attachments`
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data {bytes} NOT NULL,
    uploaded_ms BIGINT NOT NULL,
    PRIMARY KEY (case_id, idx)
);
{append_only} case_attachments
CREATE TABLE IF NOT EXISTS case_decisions (  -- each decision with its exact inputs and what decided
    id {serial},
    case_id TEXT NOT NULL REFERENCES cases(case_id),
    at_ms BIGINT NOT NULL,
    step TEXT NOT NULL,            -- validate | plugin.validate | route | plugin.route
    input TEXT NOT NULL,           -- JSON
    output TEXT NOT NULL,          -- JSON
    deciders TEXT NOT NULL         -- JSON: the SHA-256 of each component, rule set or plugin that decided
);
CREATE INDEX IF NOT EXISTS case_decisions_by_case ON case_decisions (case_id, id);
{append_only} case_decisions
CREATE TABLE IF NOT EXISTS decider_bytes (  -- components and rule sets that decided, by content
    sha256 TEXT PRIMARY KEY,
    kind TEXT NOT NULL,            -- validator | router | scorer | rules
    bytes {bytes} NOT NULL
);
{append_only} decider_bytes
";

/// The case-number prefix of Beijing's 12345 (`BJ-YYYYMMDD-NNNNNN`).
pub const BEIJING: &str = "BJ";

/// Why a case-store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The database failed: the case may not be stored, so nothing may run on it.
    #[error("database: {0}")]
    Db(String),
    /// No case with that number.
    #[error("no case {0}")]
    NotFound(String),
    /// The event may not happen in the case's state (the lifecycle in `minyi_model::CaseState`).
    #[error("case {case}: {transition}")]
    Illegal {
        /// The case number.
        case: String,
        /// The state and the refused event.
        transition: IllegalTransition,
    },
    /// The case already has a different file in that place (an upload is never replaced).
    #[error("case {case}: attachment {index} was uploaded already, with other bytes")]
    AttachmentExists {
        /// The case number.
        case: String,
        /// The attachment's place in the form.
        index: u32,
    },
    /// A stored value could not be read back (a bug or a hand-edited database).
    #[error("case {case}: stored {what} unreadable: {message}")]
    Corrupt {
        /// The case number.
        case: String,
        /// Which column.
        what: &'static str,
        /// The parser's message.
        message: String,
    },
}

impl From<DbError> for CaseError {
    fn from(e: DbError) -> Self {
        CaseError::Db(e.0)
    }
}

impl CaseError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            CaseError::Db(_) => "case.not_stored",
            CaseError::NotFound(_) => "not_found",
            CaseError::Illegal { .. } => "transition.illegal",
            CaseError::AttachmentExists { .. } => "attachment.exists",
            CaseError::Corrupt { .. } => "case.corrupt",
        }
    }
}

/// What the citizen gets back on receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The case number.
    pub case_id: String,
    /// The secret that lets its holder follow the case; shown once, stored hashed.
    pub tracking_token: String,
    /// When it was stored (RFC 3339).
    pub received_at: String,
}

/// What a step of intake learned about a case, written with its events in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Outcome<'a> {
    /// The district, once validation has read it.
    pub district: Option<&'a str>,
    /// The validation result's fingerprint.
    pub fingerprint: Option<&'a str>,
    /// The category leaf, once validation has read it.
    pub category: Option<&'a str>,
    /// The validation result (JSON).
    pub validation: Option<&'a str>,
    /// The routing decision (JSON).
    pub decision: Option<&'a str>,
    /// The decisions made in this step, kept as evidence for replay.
    pub decisions: &'a [Decision],
}

/// A stored case, whole: for operators and district admins.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StoredCase {
    /// The case number.
    pub case_id: String,
    /// When this service stored it.
    pub received_at: String,
    /// Its current state, derived from its events by the lifecycle.
    pub state: CaseState,
    /// Its district, once known.
    pub district: Option<String>,
    /// The case form as received (JSON when it was JSON, else the text).
    pub form: serde_json::Value,
    /// The validation result, once validated.
    pub validation: Option<serde_json::Value>,
    /// The routing decision, once routed.
    pub decision: Option<serde_json::Value>,
    /// Its history, oldest first.
    pub events: Vec<CaseEvent>,
}

impl StoredCase {
    /// The case as an action would see it (its reply clock derived from its events), to ask what may
    /// be written on it now.
    pub fn current(&self) -> Result<Current, CaseError> {
        Ok(Current {
            case_id: self.case_id.clone(),
            state: self.state,
            district: self.district.clone(),
            events: self.events.clone(),
            clock: clock_of(&self.case_id, &self.events)?,
        })
    }
}

/// One line of a case listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CaseSummary {
    /// The case number.
    pub case_id: String,
    /// When this service stored it.
    pub received_at: String,
    /// Its district, once known.
    pub district: Option<String>,
    /// Its current state.
    pub state: CaseState,
    /// The lead unit of its current dispatch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    /// Its reply deadline (RFC 3339), once dispatched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// Its category leaf, once validation has read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Its last change (RFC 3339, Beijing time).
    pub updated_at: String,
    /// The deadline in Unix milliseconds.
    #[serde(skip)]
    pub deadline_ms: Option<i64>,
    /// Whether the reply clock runs (dispatched, no reply yet).
    #[serde(skip)]
    pub running: bool,
    /// The clock's next alarm in Unix milliseconds (the sweep's `case_clocks.next_alarm_ms`).
    #[serde(skip)]
    pub next_alarm_ms: Option<i64>,
}

impl CaseSummary {
    /// Seconds left to the reply deadline at `now_ms` (negative when overdue); `None` when no clock runs.
    pub fn time_left_s(&self, now_ms: i64) -> Option<i64> {
        self.deadline_ms.filter(|_| self.running).map(|d| (d - now_ms).div_euclid(1000))
    }

    /// Whether 80 % of the reply limit is gone at `now_ms` while the clock runs: the warning is written
    /// (the next alarm moved past the deadline, or none is left) or due (its alarm has come).
    /// `None` when no clock runs.
    pub fn warned(&self, now_ms: i64) -> Option<bool> {
        let deadline = self.deadline_ms.filter(|_| self.running)?;
        Some(self.next_alarm_ms.is_none_or(|alarm| alarm > deadline || alarm <= now_ms))
    }
}

/// Who acts on a case, as the audit log records them.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// A token id, or the service's name for itself (`minyi-intake`, `minyi-sla`).
    pub id: &'a str,
    /// Their role (`operator`, `district`, …, or `service`).
    pub role: &'a str,
    /// The peer address, over HTTP.
    pub remote: Option<&'a str>,
}

/// The service itself (intake and the time-limit sweep), in the audit log.
const SERVICE: &str = "service";

/// A case as an action sees it, inside the action's transaction: nothing changes it meanwhile.
#[derive(Debug, Clone)]
pub struct Current {
    /// The case number.
    pub case_id: String,
    /// Its state.
    pub state: CaseState,
    /// Its district, once known.
    pub district: Option<String>,
    /// Its history, oldest first.
    pub events: Vec<CaseEvent>,
    /// Its reply clock: the lead, the co-handlers and the deadline of the current dispatch.
    pub clock: Option<Clock>,
}

/// What an action wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acted {
    /// The events appended.
    pub events: Vec<CaseEvent>,
    /// The state they left the case in.
    pub state: CaseState,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AuditEntry {
    /// Its place in the log.
    pub id: i64,
    /// When (RFC 3339, Beijing time).
    pub at: String,
    /// Who: a token id, or the service.
    pub actor: String,
    /// Their role.
    pub role: String,
    /// What: `read`, or `event:<type>` for a change.
    pub action: String,
    /// Which case.
    pub case_id: Option<String>,
    /// What changed (the event, JSON), when it is a change.
    pub detail: Option<String>,
    /// From where (the peer address), over HTTP.
    pub remote: Option<String>,
}

/// What a time-limit sweep wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Swept {
    /// Cases the sweep looked at (their next alarm had come).
    pub examined: u32,
    /// `warning` events written.
    pub warnings: u32,
    /// `overdue` events written (escalated to the district).
    pub overdue: u32,
    /// The cases that got an event.
    pub cases: Vec<String>,
}

/// Which cases a listing or an export covers.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// Only this district.
    pub district: Option<&'a str>,
    /// Only cases in this state.
    pub state: Option<CaseState>,
    /// Only cases this unit leads or co-handles now (a unit's queue).
    pub unit: Option<&'a str>,
    /// Only the case with this number (listings only).
    pub case_id: Option<&'a str>,
    /// Only cases of this category leaf (listings only).
    pub category: Option<&'a str>,
    /// Only cases received at or after this Unix millisecond (listings only).
    pub since_ms: Option<i64>,
    /// Only cases received at or before this Unix millisecond (listings only).
    pub until_ms: Option<i64>,
    /// Only cases whose state is (`Some(true)`) or is not (`Some(false)`) one of these (listings only).
    pub states_in: Option<(bool, &'a [CaseState])>,
    /// At most this many, newest first (listings only; 0: 100).
    pub limit: u32,
    /// Only cases listed after this one, newest first: the next page after a page that ended with it
    /// (listings only).
    pub after: Option<&'a str>,
}

/// The case store.
#[derive(Debug)]
pub struct CaseStore {
    db: Db,
    prefix: String,
    /// The deciders this store has kept already (`CaseStore::keep`).
    kept: std::sync::Mutex<std::collections::HashSet<String>>,
}

fn millis(at: &DateTime<FixedOffset>) -> i64 {
    at.timestamp_millis()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

impl CaseStore {
    /// Opens (creating the tables when new) the store in an SQLite file, or on a `postgres://` URL;
    /// case numbers start with `prefix` (e.g. [`BEIJING`]).
    pub fn open_url(db: &str, prefix: &str) -> Result<CaseStore, CaseError> {
        Ok(CaseStore { db: Db::open_url(db, SCHEMA)?, prefix: prefix.to_owned(), kept: Default::default() })
    }

    /// Which database: `sqlite` or `postgresql`.
    pub fn backend(&self) -> &'static str {
        self.db.backend()
    }

    /// Stores a demand exactly as received — any bytes, UTF-8 or not — before anything reads it; its
    /// number and tracking token. `at` is the receipt time in the city's offset (it names the day of
    /// the number).
    pub fn receive(&self, body: &[u8], at: DateTime<FixedOffset>) -> Result<Receipt, CaseError> {
        let mut secret = [0u8; 16];
        getrandom::fill(&mut secret).map_err(|e| CaseError::Db(format!("no randomness for a token: {e}")))?;
        let tracking_token = hex::encode(secret);
        let received_at = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
        let day = format!("{}-{}", self.prefix, at.format("%Y%m%d"));
        let case_id = self.db.transaction(|c| -> Result<String, CaseError> {
            let row = c
                .query_opt(
                    "INSERT INTO case_numbers (day, last) VALUES ($1, 1) \
                     ON CONFLICT (day) DO UPDATE SET last = case_numbers.last + 1 RETURNING last",
                    params![&day],
                )?
                .ok_or_else(|| CaseError::Db("the case number was not returned".into()))?;
            let case_id = format!("{day}-{:06}", row.int(0)?);
            let text = String::from_utf8_lossy(body);
            c.execute(
                "INSERT INTO cases (case_id, received_ms, received_at, form, token_sha256, state, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, 'received', $6)",
                params![&case_id, millis(&at), &received_at, text.as_ref(), token_hash(&tracking_token), now_ms()],
            )?;
            c.execute(
                "INSERT INTO case_bodies (case_id, body, sha256) VALUES ($1, $2, $3)",
                params![&case_id, body, hex::encode(Sha256::digest(body))],
            )?;
            Ok(case_id)
        })?;
        tracing::info!(case = %case_id, bytes = body.len(), "case received and stored");
        Ok(Receipt { case_id, tracking_token, received_at })
    }

    /// Appends `events` to the case's history and writes what intake learned, in one transaction;
    /// each event must be legal in the state the previous one left (else nothing is written). The new
    /// state. The service's own steps; people act through [`CaseStore::act`].
    pub fn record(&self, case_id: &str, outcome: &Outcome<'_>, events: &[CaseEvent]) -> Result<CaseState, CaseError> {
        self.db.transaction(|c| -> Result<CaseState, CaseError> {
            let (state, _) = lock_case(c, case_id)?;
            // Usually none: intake records a case once, right after its receipt.
            let before = events_of(c, case_id)?;
            let by = events.iter().find_map(|e| e.by.as_deref()).unwrap_or(SERVICE);
            let actor = Actor { id: by, role: SERVICE, remote: None };
            let state = append(c, case_id, state, events, &actor)?;
            // The case row once, with its new state and what intake learned.
            c.execute(
                "UPDATE cases SET state = $2, updated_ms = $3, district = COALESCE($4, district), \
                 fingerprint = COALESCE($5, fingerprint), validation = COALESCE($6, validation), \
                 decision = COALESCE($7, decision) WHERE case_id = $1",
                params![
                    case_id,
                    state.as_str(),
                    now_ms(),
                    outcome.district,
                    outcome.fingerprint,
                    outcome.validation,
                    outcome.decision
                ],
            )?;
            if let Some(category) = outcome.category {
                c.execute(
                    "INSERT INTO case_categories (case_id, category) VALUES ($1, $2) \
                     ON CONFLICT (case_id) DO UPDATE SET category = excluded.category",
                    params![case_id, category],
                )?;
            }
            decisions::write(c, case_id, outcome.decisions)?;
            let clock = clock_of(case_id, &before)?;
            let mut all = before;
            all.extend_from_slice(events);
            derive(c, case_id, clock.as_ref(), &all)?;
            Ok(state)
        })
    }

    /// Acts on a case: `decide` sees the case as it stands — inside the transaction, with the case
    /// locked, so no other host changes it meanwhile — and returns the events to append (or refuses);
    /// each must be legal in the state the previous one left, else nothing is written. Every event is
    /// written to the audit log with `actor`.
    pub fn act<E: From<CaseError>>(
        &self,
        case_id: &str,
        actor: &Actor<'_>,
        decide: impl FnOnce(&Current) -> Result<Vec<CaseEvent>, E>,
    ) -> Result<Acted, E> {
        let done = self.db.transaction(|c| -> Result<Acted, Refused<E>> {
            let (state, district) = lock_case(c, case_id)?;
            let events = events_of(c, case_id)?;
            let clock = clock_of(case_id, &events)?;
            let current = Current { case_id: case_id.to_owned(), state, district, events, clock };
            let new = decide(&current).map_err(Refused::Decided)?;
            let state = append(c, case_id, state, &new, actor)?;
            if !new.is_empty() {
                set_state(c, case_id, state)?;
                let Current { clock, mut events, .. } = current;
                events.extend_from_slice(&new);
                derive(c, case_id, clock.as_ref(), &events)?;
            }
            Ok(Acted { events: new, state })
        });
        done.map_err(|r| match r {
            Refused::Store(e) => E::from(e),
            Refused::Decided(e) => e,
        })
    }

    /// Writes a read of a case by `actor` to the audit log.
    pub fn audit_read(&self, case_id: &str, actor: &Actor<'_>) -> Result<(), CaseError> {
        self.db.run(|c| audit(c, actor, "read", Some(case_id), None))
    }

    /// The audit log of one case, oldest first.
    pub fn audit_log(&self, case_id: &str) -> Result<Vec<AuditEntry>, CaseError> {
        let rows = self.db.read(|c| {
            c.query(
                "SELECT id, at, actor, role, action, case_id, detail, remote FROM audit_log WHERE case_id = $1 ORDER BY id",
                params![case_id],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.int(0)?,
                    at: r.text(1)?,
                    actor: r.text(2)?,
                    role: r.text(3)?,
                    action: r.text(4)?,
                    case_id: r.opt_text(5)?,
                    detail: r.opt_text(6)?,
                    remote: r.opt_text(7)?,
                })
            })
            .collect()
    }

    /// The time-limit sweep as of `now`: for every case whose next alarm has come, appends the
    /// `warning` (80 % of the reply limit) and the `overdue` event (督办) that are due — once each per
    /// clock, however many hosts sweep at once (each case is decided inside its own locked transaction).
    pub fn sweep(&self, now: DateTime<FixedOffset>) -> Result<Swept, CaseError> {
        let now_ms = millis(&now);
        let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let rows = self.db.read(|c| {
            c.query(
                "SELECT case_id FROM case_clocks WHERE next_alarm_ms IS NOT NULL AND next_alarm_ms <= $1 ORDER BY next_alarm_ms",
                params![now_ms],
            )
        })?;
        let mut swept = Swept::default();
        let actor = Actor { id: SLA, role: SERVICE, remote: None };
        for row in &rows {
            let case_id = row.text(0)?;
            swept.examined += 1;
            let acted = self.act(&case_id, &actor, |case| -> Result<Vec<CaseEvent>, CaseError> {
                let due = case.clock.as_ref().map(|k| k.due(now.timestamp(), *now.offset())).unwrap_or_default();
                Ok(due
                    .into_iter()
                    .map(|event| CaseEvent {
                        case_id: case.case_id.clone(),
                        at: at.clone(),
                        by: Some(SLA.into()),
                        event,
                    })
                    .collect())
            });
            let acted = match acted {
                Ok(a) => a,
                // A case changed between the listing and its lock (replied, returned): nothing is due.
                Err(CaseError::Illegal { .. }) => continue,
                Err(e) => return Err(e),
            };
            for e in &acted.events {
                match e.event {
                    minyi_model::Event::Warning { .. } => swept.warnings += 1,
                    minyi_model::Event::Overdue { .. } => swept.overdue += 1,
                    _ => {}
                }
            }
            if !acted.events.is_empty() {
                swept.cases.push(case_id);
            }
        }
        if swept.warnings + swept.overdue > 0 {
            tracing::info!(warnings = swept.warnings, overdue = swept.overdue, "time-limit sweep");
        }
        Ok(swept)
    }

    /// The body of a case byte for byte as it arrived, and its SHA-256 (hex). Cases stored before the
    /// bytes were kept apart give their text.
    pub fn body(&self, case_id: &str) -> Result<(Vec<u8>, String), CaseError> {
        self.db.read(|c| -> Result<(Vec<u8>, String), CaseError> {
            if let Some(row) =
                c.query_opt("SELECT body, sha256 FROM case_bodies WHERE case_id = $1", params![case_id])?
            {
                return Ok((row.blob(0)?, row.text(1)?));
            }
            let row = c
                .query_opt("SELECT form FROM cases WHERE case_id = $1", params![case_id])?
                .ok_or_else(|| CaseError::NotFound(case_id.to_owned()))?;
            let body = row.text(0)?.into_bytes();
            let sha = hex::encode(Sha256::digest(&body));
            Ok((body, sha))
        })
    }

    /// The case, whole.
    pub fn get(&self, case_id: &str) -> Result<StoredCase, CaseError> {
        self.db.read(|c| -> Result<StoredCase, CaseError> {
            let row = c
                .query_opt(
                    "SELECT case_id, received_at, state, district, form, validation, decision FROM cases \
                     WHERE case_id = $1",
                    params![case_id],
                )?
                .ok_or_else(|| CaseError::NotFound(case_id.to_owned()))?;
            let form = row.text(4)?;
            let json = |i: usize, what: &'static str| -> Result<Option<serde_json::Value>, CaseError> {
                row.opt_text(i)?.map(|s| serde_json::from_str(&s)).transpose().map_err(|e| CaseError::Corrupt {
                    case: case_id.to_owned(),
                    what,
                    message: e.to_string(),
                })
            };
            Ok(StoredCase {
                case_id: row.text(0)?,
                received_at: row.text(1)?,
                state: stored_state(case_id, &row.text(2)?)?,
                district: row.opt_text(3)?,
                form: serde_json::from_str(&form).unwrap_or(serde_json::Value::String(form)),
                validation: json(5, "validation")?,
                decision: json(6, "decision")?,
                events: events_of(c, case_id)?,
            })
        })
    }

    /// Whether `token` is the case's tracking token.
    pub fn check_token(&self, case_id: &str, token: &str) -> Result<bool, CaseError> {
        let row =
            self.db.read(|c| c.query_opt("SELECT token_sha256 FROM cases WHERE case_id = $1", params![case_id]))?;
        Ok(row.map(|r| r.text(0)).transpose()?.is_some_and(|h| h == token_hash(token)))
    }

    /// The case whose tracking token `token` is, if any.
    pub fn by_token(&self, token: &str) -> Result<Option<String>, CaseError> {
        let hash = token_hash(token);
        let row = self.db.read(|c| c.query_opt("SELECT case_id FROM cases WHERE token_sha256 = $1", params![&hash]))?;
        row.map(|r| r.text(0)).transpose().map_err(Into::into)
    }

    /// The district a case belongs to, once known (`NotFound` when there is no such case).
    pub fn district_of(&self, case_id: &str) -> Result<Option<String>, CaseError> {
        let row = self.db.read(|c| c.query_opt("SELECT district FROM cases WHERE case_id = $1", params![case_id]))?;
        row.ok_or_else(|| CaseError::NotFound(case_id.to_owned()))?.opt_text(0).map_err(Into::into)
    }

    /// Whether `unit` holds the case now (leads or co-handles it); `NotFound` when there is no such case.
    pub fn held_by(&self, case_id: &str, unit: &str) -> Result<bool, CaseError> {
        self.district_of(case_id)?;
        let row = self.db.read(|c| {
            c.query_opt("SELECT 1 FROM case_units WHERE case_id = $1 AND unit = $2", params![case_id, unit])
        })?;
        Ok(row.is_some())
    }

    /// Cases, newest first.
    pub fn list(&self, filter: &Filter<'_>) -> Result<Vec<CaseSummary>, CaseError> {
        let limit = if filter.limit == 0 { 100 } else { i64::from(filter.limit) };
        // The state set is the lifecycle's own names, never a caller's text.
        let states = match filter.states_in {
            Some((within, states)) => {
                let names: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
                let list = if names.is_empty() { "''".to_owned() } else { names.join(", ") };
                format!("AND k.state {} IN ({list})", if within { "" } else { "NOT" })
            }
            None => String::new(),
        };
        let sql = format!(
            "SELECT k.case_id, k.received_at, k.district, k.state, t.lead, t.deadline_ms, t.running, g.category, \
             k.updated_ms, t.next_alarm_ms FROM cases k LEFT JOIN case_clocks t ON t.case_id = k.case_id \
             LEFT JOIN case_categories g ON g.case_id = k.case_id \
             WHERE (CAST($1 AS TEXT) IS NULL OR k.district = $1) AND (CAST($2 AS TEXT) IS NULL OR k.state = $2) \
             AND (CAST($4 AS TEXT) IS NULL OR EXISTS \
                  (SELECT 1 FROM case_units u WHERE u.case_id = k.case_id AND u.unit = $4)) \
             AND (CAST($5 AS TEXT) IS NULL OR g.category = $5) \
             AND (CAST($6 AS BIGINT) IS NULL OR k.received_ms >= $6) \
             AND (CAST($7 AS BIGINT) IS NULL OR k.received_ms <= $7) \
             AND (CAST($8 AS TEXT) IS NULL OR k.case_id = $8) \
             AND (CAST($9 AS TEXT) IS NULL OR k.received_ms < (SELECT received_ms FROM cases WHERE case_id = $9) \
                  OR (k.received_ms = (SELECT received_ms FROM cases WHERE case_id = $9) AND k.case_id < $9)) {states} \
             ORDER BY k.received_ms DESC, k.case_id DESC LIMIT $3"
        );
        let rows = self.db.read(|c| {
            c.query(
                &sql,
                params![
                    filter.district,
                    filter.state.map(CaseState::as_str),
                    limit,
                    filter.unit,
                    filter.category,
                    filter.since_ms,
                    filter.until_ms,
                    filter.case_id,
                    filter.after
                ],
            )
        })?;
        rows.iter()
            .map(|r| {
                let deadline_ms = r.opt_int(5)?;
                Ok(CaseSummary {
                    case_id: r.text(0)?,
                    received_at: r.text(1)?,
                    district: r.opt_text(2)?,
                    state: stored_state(&r.text(0)?, &r.text(3)?)?,
                    lead: r.opt_text(4)?,
                    deadline: deadline_ms.map(|ms| beijing(ms / 1000)),
                    category: r.opt_text(7)?,
                    updated_at: beijing(r.int(8)? / 1000),
                    deadline_ms,
                    running: r.opt_int(6)? == Some(1),
                    next_alarm_ms: r.opt_int(9)?,
                })
            })
            .collect()
    }

    /// Every event of the cases `filter` selects (its limit ignored), case by case in order of
    /// receipt: the input of `minyi score` and `minyi hotspots`.
    pub fn events(&self, filter: &Filter<'_>) -> Result<Vec<CaseEvent>, CaseError> {
        let rows = self.db.read(|c| {
            c.query(
                "SELECT e.case_id, e.event FROM case_events e JOIN cases k ON k.case_id = e.case_id \
                 WHERE (CAST($1 AS TEXT) IS NULL OR k.district = $1) AND (CAST($2 AS TEXT) IS NULL OR k.state = $2) \
                 ORDER BY k.received_ms, k.case_id, e.id",
                params![filter.district, filter.state.map(CaseState::as_str)],
            )
        })?;
        rows.iter().map(|r| parse_event(&r.text(0)?, &r.text(1)?)).collect()
    }

    /// How many earlier cases share `fingerprint` (same phone, street and category leaf), received in
    /// the `days` before `before`, other than `case_id` and not rejected: the repeat count routing sees.
    pub fn repeats(
        &self,
        fingerprint: &str,
        before: DateTime<FixedOffset>,
        days: u32,
        case_id: &str,
    ) -> Result<u32, CaseError> {
        let until = millis(&before);
        let since = until - i64::from(days) * 86_400_000;
        let row = self.db.read(|c| {
            c.query_opt(
                "SELECT COUNT(*) FROM cases WHERE fingerprint = $1 AND received_ms >= $2 AND received_ms <= $3 \
                 AND case_id <> $4 AND state <> 'rejected'",
                params![fingerprint, since, until, case_id],
            )
        })?;
        let n = row.map(|r| r.int(0)).transpose()?.unwrap_or(0);
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

/// A state column read back; a name the lifecycle does not know is a corrupt row.
fn stored_state(case_id: &str, name: &str) -> Result<CaseState, CaseError> {
    CaseState::parse(name).ok_or_else(|| CaseError::Corrupt {
        case: case_id.to_owned(),
        what: "state",
        message: format!("unknown state {name:?}"),
    })
}

fn parse_event(case_id: &str, json: &str) -> Result<CaseEvent, CaseError> {
    serde_json::from_str(json).map_err(|e| CaseError::Corrupt {
        case: case_id.to_owned(),
        what: "event",
        message: e.to_string(),
    })
}

fn events_of(c: &mut dyn Conn, case_id: &str) -> Result<Vec<CaseEvent>, CaseError> {
    let rows: Vec<Row> = c.query("SELECT event FROM case_events WHERE case_id = $1 ORDER BY id", params![case_id])?;
    rows.iter().map(|r| parse_event(case_id, &r.text(0)?)).collect()
}

/// Why an action wrote nothing: the store failed, or the caller's decision refused.
enum Refused<E> {
    Store(CaseError),
    Decided(E),
}

impl<E> From<CaseError> for Refused<E> {
    fn from(e: CaseError) -> Self {
        Refused::Store(e)
    }
}

impl<E> From<DbError> for Refused<E> {
    fn from(e: DbError) -> Self {
        Refused::Store(e.into())
    }
}

/// Who writes the time-limit sweep's events.
const SLA: &str = "minyi-sla";

/// Unix seconds as RFC 3339 in Beijing time.
fn beijing(t: i64) -> String {
    let offset =
        FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()));
    minyi_scoring::request::show_instant(t, offset)
}

/// Locks the case for the rest of the transaction (PostgreSQL: an advisory lock per case, so two hosts
/// acting at once take turns) and reads its state and district.
fn lock_case(c: &mut dyn Conn, case_id: &str) -> Result<(CaseState, Option<String>), CaseError> {
    c.lock_key(&format!("case:{case_id}"))?;
    let row = c
        .query_opt("SELECT state, district FROM cases WHERE case_id = $1", params![case_id])?
        .ok_or_else(|| CaseError::NotFound(case_id.to_owned()))?;
    Ok((stored_state(case_id, &row.text(0)?)?, row.opt_text(1)?))
}

/// Appends events that the lifecycle allows one after another, with an audit line each; the new state,
/// which the caller writes on the case row ([`set_state`], or with the rest of the row). Every
/// transition is checked before anything is written; the events and their audit lines are then written
/// by one statement each (intake appends five or six at a time).
fn append(
    c: &mut dyn Conn,
    case_id: &str,
    mut state: CaseState,
    events: &[CaseEvent],
    actor: &Actor<'_>,
) -> Result<CaseState, CaseError> {
    let mut written = Vec::with_capacity(events.len());
    for e in events {
        if e.case_id != case_id {
            return Err(CaseError::Corrupt {
                case: case_id.to_owned(),
                what: "event",
                message: format!("belongs to {}", e.case_id),
            });
        }
        state =
            state.after(&e.event).map_err(|transition| CaseError::Illegal { case: case_id.to_owned(), transition })?;
        let json = serde_json::to_string(e).map_err(|e| CaseError::Db(e.to_string()))?;
        written.push((format!("event:{}", e.event.kind()), json));
    }
    if written.is_empty() {
        return Ok(state);
    }
    // Rows in the order of their VALUES, so the events' ids keep the order they happened in.
    let values = |shared: usize, per_row: usize| minyi_db::values_rows(written.len(), shared, per_row);
    let mut params: Vec<Value> = vec![case_id.into()];
    params.extend(written.iter().map(|(_, json)| Value::from(json.as_str())));
    c.execute(&format!("INSERT INTO case_events (case_id, event) VALUES {}", values(1, 1)), &params)?;
    let now = now_ms();
    let mut params: Vec<Value> = vec![
        now.into(),
        beijing(now / 1000).into(),
        actor.id.into(),
        actor.role.into(),
        case_id.into(),
        actor.remote.into(),
    ];
    for (action, json) in &written {
        params.push(action.as_str().into());
        params.push(json.as_str().into());
    }
    c.execute(
        &format!(
            "INSERT INTO audit_log (at_ms, at, actor, role, case_id, remote, action, detail) VALUES {}",
            values(6, 2)
        ),
        &params,
    )?;
    Ok(state)
}

/// Writes the state `append` left on the case row (callers that write more of the row fold it into
/// their own `UPDATE`).
fn set_state(c: &mut dyn Conn, case_id: &str, state: CaseState) -> Result<(), CaseError> {
    c.execute(
        "UPDATE cases SET state = $2, updated_ms = $3 WHERE case_id = $1",
        params![case_id, state.as_str(), now_ms()],
    )?;
    Ok(())
}

fn audit(
    c: &mut dyn Conn,
    actor: &Actor<'_>,
    action: &str,
    case_id: Option<&str>,
    detail: Option<&str>,
) -> Result<(), CaseError> {
    let now = now_ms();
    c.execute(
        "INSERT INTO audit_log (at_ms, at, actor, role, action, case_id, detail, remote) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params![now, beijing(now / 1000), actor.id, actor.role, action, case_id, detail, actor.remote],
    )?;
    Ok(())
}

/// The case's reply clock, from its events (scoring's default time limits where routing set none).
fn clock_of(case_id: &str, events: &[CaseEvent]) -> Result<Option<Clock>, CaseError> {
    let facts = CaseFacts::fold(events, None).map_err(|e| CaseError::Corrupt {
        case: case_id.to_owned(),
        what: "event",
        message: e.to_string(),
    })?;
    Ok(Clock::of(&facts, &ScoreConfig::default()))
}

/// Rewrites what is derived from the case's events — the units that hold it and its reply clock —
/// given the clock its history gave before (`before`) and its whole history now (`events`). Nothing is
/// written when the clock did not change; no row is deleted when there was no clock (none was written).
fn derive(c: &mut dyn Conn, case_id: &str, before: Option<&Clock>, events: &[CaseEvent]) -> Result<(), CaseError> {
    let clock = clock_of(case_id, events)?;
    if clock.as_ref() == before {
        return Ok(());
    }
    if before.is_some() {
        c.execute("DELETE FROM case_units WHERE case_id = $1", params![case_id])?;
        c.execute("DELETE FROM case_clocks WHERE case_id = $1", params![case_id])?;
    }
    let Some(k) = clock else { return Ok(()) };
    c.execute(
        "INSERT INTO case_units (case_id, unit, role) VALUES ($1, $2, 'lead')",
        params![case_id, k.lead.as_str()],
    )?;
    for unit in k.co_handlers.iter().filter(|u| **u != k.lead) {
        c.execute(
            "INSERT INTO case_units (case_id, unit, role) VALUES ($1, $2, 'co') ON CONFLICT DO NOTHING",
            params![case_id, unit.as_str()],
        )?;
    }
    c.execute(
        "INSERT INTO case_clocks (case_id, lead, deadline_ms, running, next_alarm_ms) VALUES ($1, $2, $3, $4, $5)",
        params![
            case_id,
            k.lead.as_str(),
            k.deadline.saturating_mul(1000),
            i64::from(k.running),
            k.next_alarm().map(|t| t.saturating_mul(1000))
        ],
    )?;
    Ok(())
}
