//! The case store: a demand (诉求) is stored the moment it arrives — the body exactly as received,
//! a case number (`BJ-20261202-000123`, numbered per day across every host on the database) and a
//! secret tracking token — before any component or plugin runs on it; then its history of
//! [`CaseEvent`]s, from which its state is derived. SQLite embedded, or PostgreSQL for several hosts.
#![deny(missing_docs)]

use chrono::{DateTime, FixedOffset};
use minyi_db::{Conn, Db, DbError, Row, params};
use minyi_model::{CaseEvent, CaseState, IllegalTransition};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The tables, in SQL both databases take (`{serial}` is filled per database).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS case_numbers (
    day TEXT PRIMARY KEY,          -- prefix and Beijing date, e.g. BJ-20261202
    last BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY,
    received_ms BIGINT NOT NULL,
    received_at TEXT NOT NULL,     -- RFC 3339, Beijing time: when this service stored it
    form TEXT NOT NULL,            -- the body exactly as received, readable or not
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
CREATE TABLE IF NOT EXISTS case_events (
    id {serial},
    case_id TEXT NOT NULL REFERENCES cases(case_id),
    event TEXT NOT NULL            -- one CaseEvent, JSON
);
CREATE INDEX IF NOT EXISTS case_events_by_case ON case_events (case_id, id);
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
    /// The validation result (JSON).
    pub validation: Option<&'a str>,
    /// The routing decision (JSON).
    pub decision: Option<&'a str>,
}

/// A stored case, whole: for operators and district admins.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// One line of a case listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseSummary {
    /// The case number.
    pub case_id: String,
    /// When this service stored it.
    pub received_at: String,
    /// Its district, once known.
    pub district: Option<String>,
    /// Its current state.
    pub state: CaseState,
}

/// Which cases a listing or an export covers.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// Only this district.
    pub district: Option<&'a str>,
    /// Only cases in this state.
    pub state: Option<CaseState>,
    /// At most this many, newest first (listings only; 0: 100).
    pub limit: u32,
}

/// The case store.
#[derive(Debug)]
pub struct CaseStore {
    db: Db,
    prefix: String,
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
        Ok(CaseStore { db: Db::open_url(db, SCHEMA)?, prefix: prefix.to_owned() })
    }

    /// Which database: `sqlite` or `postgresql`.
    pub fn backend(&self) -> &'static str {
        self.db.backend()
    }

    /// Stores a demand exactly as received, before anything reads it; its number and tracking token.
    /// `at` is the receipt time in the city's offset (it names the day of the number).
    pub fn receive(&self, body: &str, at: DateTime<FixedOffset>) -> Result<Receipt, CaseError> {
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
            c.execute(
                "INSERT INTO cases (case_id, received_ms, received_at, form, token_sha256, state, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, 'received', $6)",
                params![&case_id, millis(&at), &received_at, body, token_hash(&tracking_token), now_ms()],
            )?;
            Ok(case_id)
        })?;
        tracing::info!(case = %case_id, bytes = body.len(), "case received and stored");
        Ok(Receipt { case_id, tracking_token, received_at })
    }

    /// Appends `events` to the case's history and writes what intake learned, in one transaction;
    /// each event must be legal in the state the previous one left (else nothing is written). The new
    /// state.
    pub fn record(&self, case_id: &str, outcome: &Outcome<'_>, events: &[CaseEvent]) -> Result<CaseState, CaseError> {
        self.db.transaction(|c| -> Result<CaseState, CaseError> {
            let row = c
                .query_opt("SELECT state FROM cases WHERE case_id = $1", params![case_id])?
                .ok_or_else(|| CaseError::NotFound(case_id.to_owned()))?;
            let mut state = stored_state(case_id, &row.text(0)?)?;
            for e in events {
                state = state
                    .after(&e.event)
                    .map_err(|transition| CaseError::Illegal { case: case_id.to_owned(), transition })?;
                let json = serde_json::to_string(e).map_err(|e| CaseError::Db(e.to_string()))?;
                c.execute("INSERT INTO case_events (case_id, event) VALUES ($1, $2)", params![case_id, json])?;
            }
            c.execute(
                "UPDATE cases SET state = $2, district = COALESCE($3, district), \
                 fingerprint = COALESCE($4, fingerprint), validation = COALESCE($5, validation), \
                 decision = COALESCE($6, decision), updated_ms = $7 WHERE case_id = $1",
                params![
                    case_id,
                    state.as_str(),
                    outcome.district,
                    outcome.fingerprint,
                    outcome.validation,
                    outcome.decision,
                    now_ms()
                ],
            )?;
            Ok(state)
        })
    }

    /// The case, whole.
    pub fn get(&self, case_id: &str) -> Result<StoredCase, CaseError> {
        self.db.run(|c| -> Result<StoredCase, CaseError> {
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
            self.db.run(|c| c.query_opt("SELECT token_sha256 FROM cases WHERE case_id = $1", params![case_id]))?;
        Ok(row.map(|r| r.text(0)).transpose()?.is_some_and(|h| h == token_hash(token)))
    }

    /// The district a case belongs to, once known (`NotFound` when there is no such case).
    pub fn district_of(&self, case_id: &str) -> Result<Option<String>, CaseError> {
        let row = self.db.run(|c| c.query_opt("SELECT district FROM cases WHERE case_id = $1", params![case_id]))?;
        row.ok_or_else(|| CaseError::NotFound(case_id.to_owned()))?.opt_text(0).map_err(Into::into)
    }

    /// Cases, newest first.
    pub fn list(&self, filter: &Filter<'_>) -> Result<Vec<CaseSummary>, CaseError> {
        let limit = if filter.limit == 0 { 100 } else { i64::from(filter.limit) };
        let rows = self.db.run(|c| {
            c.query(
                "SELECT case_id, received_at, district, state FROM cases \
                 WHERE (CAST($1 AS TEXT) IS NULL OR district = $1) AND (CAST($2 AS TEXT) IS NULL OR state = $2) \
                 ORDER BY received_ms DESC, case_id DESC LIMIT $3",
                params![filter.district, filter.state.map(CaseState::as_str), limit],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(CaseSummary {
                    case_id: r.text(0)?,
                    received_at: r.text(1)?,
                    district: r.opt_text(2)?,
                    state: stored_state(&r.text(0)?, &r.text(3)?)?,
                })
            })
            .collect()
    }

    /// Every event of the cases `filter` selects (its limit ignored), case by case in order of
    /// receipt: the input of `minyi score` and `minyi hotspots`.
    pub fn events(&self, filter: &Filter<'_>) -> Result<Vec<CaseEvent>, CaseError> {
        let rows = self.db.run(|c| {
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
        let row = self.db.run(|c| {
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
