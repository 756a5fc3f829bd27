//! A case's decisions, kept as evidence: each validation result, routing decision and plugin
//! amendment with its exact inputs and the SHA-256 of what decided, and what decided kept by content
//! (component bytes, rule sets), so that `minyi replay` can run every decision again and say whether
//! it comes out the same. Both tables refuse UPDATE and DELETE like the case's history.

use crate::{CaseError, CaseStore, now_ms};
use minyi_db::params;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One decision made on a case, as written (inputs and output as JSON text, exactly as produced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// `validate`, `plugin.validate`, `route`, `plugin.route`, `plugin.review` or `score`.
    pub step: String,
    /// What it was given, JSON: everything besides the deciders that the result depends on.
    pub input: String,
    /// What it gave, JSON.
    pub output: String,
    /// What decided, JSON: `{"validator": sha256}`, `{"router": sha256, "rules": sha256}`,
    /// `{"scorer": sha256}`, or the plugin's `{"district", "name", "version", "sha256"}`.
    pub deciders: String,
}

/// A decision as stored: its place in the case's sequence and when it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredDecision {
    /// The order in which the case's decisions were written.
    pub seq: i64,
    /// When, in Unix milliseconds.
    pub at_ms: i64,
    /// The decision.
    #[serde(flatten)]
    pub decision: Decision,
}

/// Bytes a decision names by SHA-256: a component or a rule set.
#[derive(Debug, Clone, Copy)]
pub struct Decider<'a> {
    /// `validator`, `router`, `scorer` or `rules`.
    pub kind: &'a str,
    /// Lower-case hex SHA-256 of `bytes`.
    pub sha256: &'a str,
    /// The bytes.
    pub bytes: &'a [u8],
}

impl CaseStore {
    /// Keeps each decider's bytes under its SHA-256, once: a store remembers what it has kept, so
    /// after the first case this writes nothing.
    pub fn keep(&self, deciders: &[Decider<'_>]) -> Result<(), CaseError> {
        let fresh: Vec<&Decider<'_>> = {
            let kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            deciders.iter().filter(|d| !kept.contains(d.sha256)).collect()
        };
        if fresh.is_empty() {
            return Ok(());
        }
        for d in &fresh {
            if hex::encode(Sha256::digest(d.bytes)) != d.sha256 {
                return Err(CaseError::Db(format!("the {} bytes do not hash to {}", d.kind, d.sha256)));
            }
        }
        self.db.transaction(|c| -> Result<(), CaseError> {
            for d in &fresh {
                c.execute(
                    "INSERT INTO decider_bytes (sha256, kind, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
                    params![d.sha256, d.kind, d.bytes],
                )?;
            }
            Ok(())
        })?;
        let mut kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.extend(fresh.iter().map(|d| d.sha256.to_owned()));
        Ok(())
    }

    /// The bytes kept under `sha256`, checked against it (the database is not trusted to hand back
    /// what was kept): `(kind, bytes)`.
    pub fn decider(&self, sha256: &str) -> Result<(String, Vec<u8>), CaseError> {
        let row = self
            .db
            .read(|c| c.query_opt("SELECT kind, bytes FROM decider_bytes WHERE sha256 = $1", params![sha256]))?
            .ok_or_else(|| CaseError::NotFound(format!("decider {sha256}")))?;
        let (kind, bytes) = (row.text(0)?, row.blob(1)?);
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != sha256 {
            return Err(CaseError::Corrupt {
                case: String::new(),
                what: "decider bytes",
                message: format!("kept as {sha256}, the bytes hash to {actual}"),
            });
        }
        Ok((kind, bytes))
    }

    /// The case's decisions, in the order they were made.
    pub fn decisions(&self, case_id: &str) -> Result<Vec<StoredDecision>, CaseError> {
        let rows = self.db.read(|c| {
            c.query(
                "SELECT id, at_ms, step, input, output, deciders FROM case_decisions WHERE case_id = $1 ORDER BY id",
                params![case_id],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(StoredDecision {
                    seq: r.int(0)?,
                    at_ms: r.int(1)?,
                    decision: Decision {
                        step: r.text(2)?,
                        input: r.text(3)?,
                        output: r.text(4)?,
                        deciders: r.text(5)?,
                    },
                })
            })
            .collect()
    }

    /// The numbers of the cases received in `[from_ms, until_ms)`, of `district` when given, oldest
    /// first.
    pub fn received_between(
        &self,
        from_ms: i64,
        until_ms: i64,
        district: Option<&str>,
    ) -> Result<Vec<String>, CaseError> {
        let rows = self.db.read(|c| {
            c.query(
                "SELECT case_id FROM cases WHERE received_ms >= $1 AND received_ms < $2 \
                 AND (CAST($3 AS TEXT) IS NULL OR district = $3) ORDER BY received_ms, case_id",
                params![from_ms, until_ms, district],
            )
        })?;
        rows.iter().map(|r| Ok(r.text(0)?)).collect()
    }
}

/// Writes `decisions` for the case inside the caller's transaction, in their order, by one statement.
pub(crate) fn write(c: &mut dyn minyi_db::Conn, case_id: &str, decisions: &[Decision]) -> Result<(), CaseError> {
    if decisions.is_empty() {
        return Ok(());
    }
    let mut params: Vec<minyi_db::Value> = vec![case_id.into(), now_ms().into()];
    for d in decisions {
        params.extend([&d.step, &d.input, &d.output, &d.deciders].map(|v| minyi_db::Value::from(v.as_str())));
    }
    c.execute(
        &format!(
            "INSERT INTO case_decisions (case_id, at_ms, step, input, output, deciders) VALUES {}",
            minyi_db::values_rows(decisions.len(), 2, 4)
        ),
        &params,
    )?;
    Ok(())
}
