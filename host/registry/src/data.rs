//! District data in the registry: a district's rule set, its form schema and its category classifier
//! model, versioned and stored
//! content-addressed like plugin components, activated and rolled back atomically per district with
//! the same history, and read by every node's sync. The registry keeps bytes and states; what makes a
//! version fit to activate (a rule set that compiles and passes its examples, a schema that checks, a
//! model the classifier loads) is decided by the caller's `check`, which the components run.

use crate::RegistryError;
use crate::store::{Registry, now};
use minyi_auth::Staff;
use minyi_db::{Conn, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a district owns besides its plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DataKind {
    /// A routing rule set (TOML): the district's part of the city set; the city set decides what it
    /// does not.
    Rules,
    /// A case-form schema (TOML) for the district's forms.
    Schema,
    /// A category classifier model (a file `cargo xtask train` wrote) that suggests categories for the
    /// district's demands instead of the service's model.
    Model,
}

impl DataKind {
    /// As stored and in the history's actions: `rules`, `schema`.
    pub fn name(self) -> &'static str {
        match self {
            DataKind::Rules => "rules",
            DataKind::Schema => "schema",
            DataKind::Model => "model",
        }
    }

    /// Whether versions of this kind are UTF-8 text (TOML), or bytes.
    pub fn is_text(self) -> bool {
        !matches!(self, DataKind::Model)
    }

    /// The most a version of this kind may hold, in bytes.
    pub fn max_bytes(self) -> usize {
        if self.is_text() { MAX_DATA_BYTES } else { MAX_MODEL_BYTES }
    }

    fn parse(s: &str) -> Option<DataKind> {
        match s {
            "rules" => Some(DataKind::Rules),
            "schema" => Some(DataKind::Schema),
            "model" => Some(DataKind::Model),
            _ => None,
        }
    }
}

/// The most a rule set or a schema may hold, in bytes (the whole Beijing city set is 24 KB).
pub const MAX_DATA_BYTES: usize = 1 << 20;

/// The most a classifier model may hold, in bytes (one trained on the real messages is 0.75 MB).
pub const MAX_MODEL_BYTES: usize = 4 << 20;

/// A stored version of a district's rule set, schema or classifier model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct DataVersion {
    /// The district code.
    pub district: String,
    /// `rules`, `schema` or `model`.
    pub kind: DataKind,
    /// The version: as given at upload, else the first 12 hex digits of its SHA-256.
    pub version: String,
    /// SHA-256 of the text (the bytes, for a model).
    pub sha256: String,
    /// Uploaded, Unix seconds.
    pub uploaded_at: i64,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// Whether it is the district's active version.
    pub active: bool,
}

/// An active district version as a node loads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveData {
    /// The district code.
    pub district: String,
    /// `rules`, `schema` or `model`.
    pub kind: DataKind,
    /// The version.
    pub version: String,
    /// SHA-256 of the text (the bytes, for a model).
    pub sha256: String,
    /// Bumps on every activation and rollback.
    pub generation: i64,
}

/// A version (its bytes: the text's, for rules and schemas) checked fit or refused by the caller's
/// `check`: the report when refused.
pub type Check<'a> = &'a dyn Fn(&[u8]) -> Result<(), String>;

fn history_action(kind: DataKind, action: &str) -> String {
    format!("{}.{action}", kind.name())
}

impl Registry {
    /// Stores a version of a district's rule set or schema (UTF-8 text, at most [`MAX_DATA_BYTES`]) or
    /// classifier model (bytes, at most [`MAX_MODEL_BYTES`]), content-addressed. Uploading the same text under the same version again is a no-op; other text
    /// under a version already stored is a conflict. Does not activate it: activation is where a
    /// version is checked (with the components of that day), and refused with the report.
    pub fn upload_data(
        &self,
        admin: &Staff,
        district: &str,
        kind: DataKind,
        version: Option<&str>,
        data: &[u8],
    ) -> Result<DataVersion, RegistryError> {
        admin.administers(district)?;
        if data.len() > kind.max_bytes() {
            return Err(RegistryError::Data(format!(
                "the {} has {} bytes; at most {}",
                kind.name(),
                data.len(),
                kind.max_bytes()
            )));
        }
        if kind.is_text() && std::str::from_utf8(data).is_err() {
            return Err(RegistryError::Data(format!("the {} must be UTF-8 text (TOML)", kind.name())));
        }
        let sha256 = hex::encode(Sha256::digest(data));
        let version = match version.map(str::trim) {
            Some(v) if !v.is_empty() => {
                if v.len() > 64 || !v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
                    return Err(RegistryError::Data(format!(
                        "version {v:?}: up to 64 letters, digits, `.`, `-` and `_`"
                    )));
                }
                v.to_owned()
            }
            _ => sha256[..12].to_owned(),
        };
        let uploaded_at = now();
        self.db.transaction(|tx| {
            tx.lock_key(district)?;
            let existing = tx.query_opt(
                "SELECT sha256 FROM data_versions WHERE district = $1 AND kind = $2 AND version = $3",
                params![district, kind.name(), version.as_str()],
            )?;
            if let Some(row) = existing {
                let stored = row.text(0)?;
                if stored == sha256 {
                    return Ok(());
                }
                return Err(RegistryError::Conflict(format!(
                    "{} {version} of district {district} is already stored with other text (sha256 {stored}); \
                     give the new text a new version",
                    kind.name()
                )));
            }
            tx.execute(
                "INSERT INTO blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                params![sha256.as_str(), data],
            )?;
            tx.execute(
                "INSERT INTO data_versions (district, kind, version, sha256, uploaded_at, uploaded_by)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                params![district, kind.name(), version.as_str(), sha256.as_str(), uploaded_at, admin.id.as_str()],
            )?;
            Ok(())
        })?;
        tracing::info!(district, kind = kind.name(), version, sha256, "district data uploaded");
        Ok(DataVersion {
            district: district.to_owned(),
            kind,
            version,
            sha256,
            uploaded_at,
            uploaded_by: admin.id.clone(),
            active: false,
        })
    }

    /// Makes a stored version the district's active one, on every node, once `check` accepts it (the
    /// components of the day decide); the report when refused. Atomic: the state and its history
    /// change together.
    pub fn activate_data(
        &self,
        admin: &Staff,
        district: &str,
        kind: DataKind,
        version: &str,
        check: Check<'_>,
    ) -> Result<DataVersion, RegistryError> {
        admin.administers(district)?;
        let (sha256, data) = self.data_bytes(district, kind, version)?;
        check(&data).map_err(RegistryError::Refused)?;
        self.db.transaction(|tx| {
            tx.lock_key(district)?;
            // The version checked is the one activated: its text cannot have changed meanwhile (a
            // version's text never changes), but it could have been stored by another node just now.
            let row = tx.query_opt(
                "SELECT sha256 FROM data_versions WHERE district = $1 AND kind = $2 AND version = $3",
                params![district, kind.name(), version],
            )?;
            if row.map(|r| r.text(0)).transpose()?.as_deref() != Some(sha256.as_str()) {
                return Err(RegistryError::Conflict(format!("{} {version} changed while it was checked", kind.name())));
            }
            set_data_active(tx, district, kind, version, &admin.id)?;
            tx.execute(
                "INSERT INTO history (district, action, name, version, at, by) VALUES ($1, $2, $3, $4, $5, $6)",
                params![district, history_action(kind, "activate"), kind.name(), version, now(), admin.id.as_str()],
            )?;
            Ok(())
        })?;
        tracing::info!(district, kind = kind.name(), version, by = admin.id, "district data activated");
        let mut row = self.list_data(admin, district, kind)?.into_iter().find(|v| v.version == version);
        row.take().ok_or_else(|| RegistryError::NotFound(format!("{} {version}", kind.name())))
    }

    /// Goes back to the version active before the current one; with none before it, the district has
    /// none (the city's rule set, or the built-in schemas, decide). The version now active, if any.
    pub fn rollback_data(
        &self,
        admin: &Staff,
        district: &str,
        kind: DataKind,
    ) -> Result<Option<String>, RegistryError> {
        admin.administers(district)?;
        let (activate, rollback) = (history_action(kind, "activate"), history_action(kind, "rollback"));
        let back = self.db.transaction(|tx| {
            tx.lock_key(district)?;
            let rows = tx.query(
                "SELECT action, version FROM history WHERE district = $1 AND action IN ($2, $3) ORDER BY id",
                params![district, activate.as_str(), rollback.as_str()],
            )?;
            let mut stack: Vec<String> = Vec::new();
            for row in rows {
                match (row.text(0)? == activate, row.opt_text(1)?) {
                    (true, Some(v)) => stack.push(v),
                    _ => {
                        stack.pop();
                    }
                }
            }
            if stack.pop().is_none() {
                return Err(RegistryError::NotFound(format!(
                    "district {district} has no active {} to roll back",
                    kind.name()
                )));
            }
            let back = stack.last().cloned();
            match &back {
                Some(version) => set_data_active(tx, district, kind, version, &admin.id)?,
                None => {
                    tx.execute(
                        "DELETE FROM data_active WHERE district = $1 AND kind = $2",
                        params![district, kind.name()],
                    )?;
                }
            }
            tx.execute(
                "INSERT INTO history (district, action, name, version, at, by) VALUES ($1, $2, $3, $4, $5, $6)",
                params![district, rollback.as_str(), kind.name(), back.as_deref(), now(), admin.id.as_str()],
            )?;
            Ok(back)
        })?;
        tracing::info!(district, kind = kind.name(), to = ?back, by = admin.id, "district data rolled back");
        Ok(back)
    }

    /// The district's stored versions of one kind, newest first, the active one marked.
    pub fn list_data(&self, admin: &Staff, district: &str, kind: DataKind) -> Result<Vec<DataVersion>, RegistryError> {
        admin.administers(district)?;
        let (active, rows) = self.db.run(|c| {
            let active = c.query_opt(
                "SELECT version FROM data_active WHERE district = $1 AND kind = $2",
                params![district, kind.name()],
            )?;
            let rows = c.query(
                "SELECT version, sha256, uploaded_at, uploaded_by FROM data_versions
                 WHERE district = $1 AND kind = $2 ORDER BY uploaded_at DESC, version DESC",
                params![district, kind.name()],
            )?;
            Ok::<_, RegistryError>((active.map(|r| r.text(0)).transpose()?, rows))
        })?;
        rows.iter()
            .map(|r| {
                let version = r.text(0)?;
                Ok(DataVersion {
                    district: district.to_owned(),
                    kind,
                    active: active.as_deref() == Some(version.as_str()),
                    version,
                    sha256: r.text(1)?,
                    uploaded_at: r.int(2)?,
                    uploaded_by: r.text(3)?,
                })
            })
            .collect()
    }

    /// Every district's active versions (without their text): what a node compares with what it
    /// loaded, once a second.
    pub fn active_data(&self) -> Result<Vec<ActiveData>, RegistryError> {
        let rows = self.db.run(|c| {
            c.query(
                "SELECT a.district, a.kind, a.version, v.sha256, a.generation FROM data_active a
                 JOIN data_versions v ON v.district = a.district AND v.kind = a.kind AND v.version = a.version
                 ORDER BY a.district, a.kind",
                &[],
            )
        })?;
        rows.iter()
            .filter_map(|r| {
                let kind = r.text(1).ok().and_then(|k| DataKind::parse(&k))?;
                Some((|| {
                    Ok(ActiveData {
                        district: r.text(0)?,
                        kind,
                        version: r.text(2)?,
                        sha256: r.text(3)?,
                        generation: r.int(4)?,
                    })
                })())
            })
            .collect()
    }

    /// A stored text by its SHA-256, checked against it: the database is not trusted to hand back
    /// what was stored.
    pub fn data_by_sha(&self, sha256: &str) -> Result<String, RegistryError> {
        let bytes = self.component(sha256)?;
        String::from_utf8(bytes).map_err(|_| RegistryError::Tampered(format!("{sha256}: not UTF-8 text")))
    }

    /// A stored version's bytes by their SHA-256, checked against it; UTF-8 checked too for a text kind.
    pub fn data_bytes_by_sha(&self, kind: DataKind, sha256: &str) -> Result<Vec<u8>, RegistryError> {
        if kind.is_text() {
            return self.data_by_sha(sha256).map(String::into_bytes);
        }
        self.component(sha256)
    }

    fn data_bytes(&self, district: &str, kind: DataKind, version: &str) -> Result<(String, Vec<u8>), RegistryError> {
        let row = self.db.run(|c| {
            c.query_opt(
                "SELECT sha256 FROM data_versions WHERE district = $1 AND kind = $2 AND version = $3",
                params![district, kind.name(), version],
            )
        })?;
        let sha256 = row
            .ok_or_else(|| {
                RegistryError::NotFound(format!("{} {version} is not uploaded for district {district}", kind.name()))
            })?
            .text(0)?;
        let data = self.data_bytes_by_sha(kind, &sha256)?;
        Ok((sha256, data))
    }
}

fn set_data_active(
    tx: &mut dyn Conn,
    district: &str,
    kind: DataKind,
    version: &str,
    by: &str,
) -> Result<(), RegistryError> {
    tx.execute(
        "INSERT INTO data_active (district, kind, version, generation, changed_at, changed_by)
         VALUES ($1, $2, $3, 1, $4, $5)
         ON CONFLICT (district, kind) DO UPDATE SET version = excluded.version,
             generation = data_active.generation + 1, changed_at = excluded.changed_at,
             changed_by = excluded.changed_by",
        params![district, kind.name(), version, now(), by],
    )?;
    Ok(())
}
