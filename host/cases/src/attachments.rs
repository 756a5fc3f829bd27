//! A case's files: stored once each, in the place the form declared them, with their SHA-256; an upload
//! is never replaced (the same bytes again are a no-op, other bytes are refused), and the table refuses
//! UPDATE and DELETE like the case's history.

use crate::{CaseError, CaseStore, now_ms};
use minyi_db::params;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// An uploaded file, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct StoredAttachment {
    /// Its place in the form's `attachments`.
    pub index: u32,
    /// File name, as declared.
    pub name: String,
    /// MIME type, as declared and checked.
    pub mime: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
}

impl CaseStore {
    /// Stores the file uploaded for the case's attachment `index` (its name and type as the form
    /// declared them). The same bytes twice store one copy; other bytes in a taken place are refused.
    pub fn attach(
        &self,
        case_id: &str,
        index: u32,
        name: &str,
        mime: &str,
        data: &[u8],
    ) -> Result<StoredAttachment, CaseError> {
        let sha256 = hex::encode(Sha256::digest(data));
        let stored = StoredAttachment {
            index,
            name: name.to_owned(),
            mime: mime.to_owned(),
            bytes: data.len() as u64,
            sha256: sha256.clone(),
        };
        self.db.transaction(|c| {
            let held = c.query_opt(
                "SELECT sha256 FROM case_attachments WHERE case_id = $1 AND idx = $2",
                params![case_id, i64::from(index)],
            )?;
            match held.map(|r| r.text(0)).transpose()? {
                Some(h) if h == sha256 => return Ok(()),
                Some(_) => return Err(CaseError::AttachmentExists { case: case_id.to_owned(), index }),
                None => {}
            }
            c.execute(
                "INSERT INTO case_attachments (case_id, idx, name, mime, bytes, sha256, data, uploaded_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                params![case_id, i64::from(index), name, mime, data.len() as i64, &sha256, data, now_ms()],
            )?;
            Ok(())
        })?;
        Ok(stored)
    }

    /// The case's uploaded files, in form order.
    pub fn attachments(&self, case_id: &str) -> Result<Vec<StoredAttachment>, CaseError> {
        let rows = self.db.read(|c| {
            c.query(
                "SELECT idx, name, mime, bytes, sha256 FROM case_attachments WHERE case_id = $1 ORDER BY idx",
                params![case_id],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(StoredAttachment {
                    index: u32::try_from(r.int(0)?).unwrap_or(u32::MAX),
                    name: r.text(1)?,
                    mime: r.text(2)?,
                    bytes: u64::try_from(r.int(3)?).unwrap_or_default(),
                    sha256: r.text(4)?,
                })
            })
            .collect()
    }

    /// One uploaded file and its bytes, checked against the SHA-256 stored with them.
    pub fn attachment(&self, case_id: &str, index: u32) -> Result<Option<(StoredAttachment, Vec<u8>)>, CaseError> {
        let row = self.db.read(|c| {
            c.query_opt(
                "SELECT name, mime, sha256, data FROM case_attachments WHERE case_id = $1 AND idx = $2",
                params![case_id, i64::from(index)],
            )
        })?;
        let Some(r) = row else { return Ok(None) };
        let data = r.blob(3)?;
        let sha256 = r.text(2)?;
        if hex::encode(Sha256::digest(&data)) != sha256 {
            return Err(CaseError::Corrupt {
                case: case_id.to_owned(),
                what: "attachment",
                message: format!("attachment {index}: the bytes hash otherwise than stored"),
            });
        }
        let meta = StoredAttachment { index, name: r.text(0)?, mime: r.text(1)?, bytes: data.len() as u64, sha256 };
        Ok(Some((meta, data)))
    }
}
