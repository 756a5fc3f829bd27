//! The registry in SQLite: admins, district keys, content-addressed component bytes, versions with
//! their manifests, the active version per district (with a generation that bumps on every change),
//! the history that rollback replays, and the precompiled cache.

use crate::manifest::Manifest;
use crate::{RegistryError, signing};
use minyi_runtime::plugin::{CompiledPlugin, Grants, PluginHost, PluginSpec};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS admins (
    token_sha256 TEXT PRIMARY KEY,
    district TEXT,                 -- NULL: a city admin
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS district_keys (
    district TEXT NOT NULL,
    public_key TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (district, public_key)
);
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    bytes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    district TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    manifest TEXT NOT NULL,
    uploaded_at INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL,
    PRIMARY KEY (district, name, version)
);
CREATE TABLE IF NOT EXISTS precompiled (
    sha256 TEXT NOT NULL,
    engine TEXT NOT NULL,
    cwasm BLOB NOT NULL,
    PRIMARY KEY (sha256, engine)
);
CREATE TABLE IF NOT EXISTS active (
    district TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    generation INTEGER NOT NULL,
    disabled TEXT,
    changed_at INTEGER NOT NULL,
    changed_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    district TEXT NOT NULL,
    action TEXT NOT NULL,          -- activate | rollback | disable
    name TEXT,
    version TEXT,
    at INTEGER NOT NULL,
    by TEXT NOT NULL,
    reason TEXT
);
";

/// Who is acting: a district admin, or a city admin (`district: None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    /// The first 8 hex digits of the token's hash: names the admin in the history.
    pub id: String,
    /// Their district; none for a city admin.
    pub district: Option<String>,
}

impl Admin {
    fn may_act_on(&self, district: &str) -> Result<(), RegistryError> {
        match &self.district {
            None => Ok(()),
            Some(own) if own == district => Ok(()),
            Some(own) => {
                Err(RegistryError::Forbidden(format!("the admin of district {own} cannot act on district {district}")))
            }
        }
    }

    fn city(&self) -> Result<(), RegistryError> {
        match &self.district {
            None => Ok(()),
            Some(own) => {
                Err(RegistryError::Forbidden(format!("only a city admin may do this, not the admin of {own}")))
            }
        }
    }
}

/// A stored version as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionRow {
    /// District.
    pub district: String,
    /// Plugin name.
    pub name: String,
    /// Version.
    pub version: String,
    /// SHA-256 of the component.
    pub sha256: String,
    /// Hooks per the manifest.
    pub hooks: Vec<String>,
    /// Uploaded, Unix seconds.
    pub uploaded_at: i64,
    /// Whether it is the district's active version.
    pub active: bool,
    /// Why the active version is disabled, if it is.
    pub disabled: Option<String>,
}

/// The registry.
#[derive(Debug)]
pub struct Registry {
    db: Mutex<Connection>,
    /// What `sync` last loaded into a host, by district.
    loaded: Mutex<HashMap<String, Loaded>>,
}

/// A district's state as `sync` loaded it: (sha256, generation, disabled reason).
type Loaded = (String, i64, Option<String>);

/// An active row joined with its version: (district, sha256, generation, disabled, manifest).
type ActiveRow = (String, String, i64, Option<String>, String);

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

impl Registry {
    /// Opens (creating when new) the registry database at `path`.
    pub fn open(path: &Path) -> Result<Registry, RegistryError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Registry { db: Mutex::new(conn), loaded: Mutex::new(HashMap::new()) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates an admin token. The first admin of a new registry (a city admin) needs no token; after
    /// that only a city admin creates tokens. Returns the token: it is shown once and stored hashed.
    pub fn create_admin(&self, by: Option<&Admin>, district: Option<&str>) -> Result<String, RegistryError> {
        let db = self.db();
        let existing: i64 = db.query_row("SELECT COUNT(*) FROM admins", [], |r| r.get(0))?;
        match by {
            Some(admin) => admin.city()?,
            None if existing == 0 && district.is_none() => {}
            None => return Err(RegistryError::Unauthenticated),
        }
        let mut raw = [0u8; 24];
        getrandom::fill(&mut raw).map_err(|e| RegistryError::Key(format!("no randomness: {e}")))?;
        let token = format!("minyi_{}", hex::encode(raw));
        db.execute(
            "INSERT INTO admins (token_sha256, district, created_at) VALUES (?1, ?2, ?3)",
            params![token_hash(&token), district, now()],
        )?;
        Ok(token)
    }

    /// The admin a token belongs to.
    pub fn authenticate(&self, token: &str) -> Result<Admin, RegistryError> {
        let hash = token_hash(token);
        let district: Option<Option<String>> = self
            .db()
            .query_row("SELECT district FROM admins WHERE token_sha256 = ?1", [&hash], |r| r.get(0))
            .optional()?;
        match district {
            Some(district) => Ok(Admin { id: hash[..8].to_owned(), district }),
            None => Err(RegistryError::Unauthenticated),
        }
    }

    /// Registers a district's public signing key (city admins only).
    pub fn trust_key(&self, admin: &Admin, district: &str, public_hex: &str) -> Result<(), RegistryError> {
        admin.city()?;
        signing::check_public(public_hex)?;
        self.db().execute(
            "INSERT OR IGNORE INTO district_keys (district, public_key, added_at, added_by) VALUES (?1, ?2, ?3, ?4)",
            params![district, public_hex.trim().to_lowercase(), now(), admin.id],
        )?;
        Ok(())
    }

    /// Uploads a version: checks the admin's district, the manifest's fields, the bytes' hash, the
    /// signature against the district's registered keys, and the component itself (compiled by `host`:
    /// granted imports only, hooks exactly as declared); stores the bytes content-addressed and the
    /// precompiled artifact for `host`'s engine. Does not activate it.
    pub fn upload(
        &self,
        admin: &Admin,
        manifest: &Manifest,
        bytes: &[u8],
        host: &PluginHost,
    ) -> Result<VersionRow, RegistryError> {
        admin.may_act_on(&manifest.district)?;
        manifest.check_fields().map_err(RegistryError::Manifest)?;
        let sha256 = hex::encode(Sha256::digest(bytes));
        if sha256 != manifest.sha256 {
            return Err(RegistryError::Manifest(format!(
                "sha256: the component's is {sha256}, the manifest says {}",
                manifest.sha256
            )));
        }
        let keys: Vec<String> = {
            let db = self.db();
            let mut q = db.prepare("SELECT public_key FROM district_keys WHERE district = ?1")?;
            q.query_map([&manifest.district], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        if keys.is_empty() {
            return Err(RegistryError::Key(format!("no signing key is registered for district {}", manifest.district)));
        }
        if !keys.iter().any(|k| signing::verify(manifest, k)) {
            return Err(RegistryError::Key(format!(
                "the signature does not verify with any key registered for district {}",
                manifest.district
            )));
        }
        let compiled = host.compile(bytes)?;
        let mut declared: Vec<&str> = manifest.hooks.iter().map(|h| h.name()).collect();
        declared.sort_unstable();
        declared.dedup();
        let mut exported = compiled.hooks();
        exported.sort_unstable();
        if declared != exported {
            return Err(RegistryError::Manifest(format!(
                "hooks: the manifest declares {declared:?}, the component exports {exported:?}"
            )));
        }
        let cwasm = host.precompile(bytes)?;
        let manifest_json = serde_json::to_string(manifest).map_err(|e| RegistryError::Manifest(e.to_string()))?;
        let mut db = self.db();
        let tx = db.transaction()?;
        let exists: Option<String> = tx
            .query_row(
                "SELECT sha256 FROM versions WHERE district = ?1 AND name = ?2 AND version = ?3",
                params![manifest.district, manifest.name, manifest.version],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(existing) = exists {
            return Err(RegistryError::Conflict(format!(
                "{} {} is already uploaded for district {} (sha256 {existing}); give the new build a new version",
                manifest.name, manifest.version, manifest.district
            )));
        }
        tx.execute("INSERT OR IGNORE INTO blobs (sha256, bytes) VALUES (?1, ?2)", params![sha256, bytes])?;
        tx.execute(
            "INSERT OR REPLACE INTO precompiled (sha256, engine, cwasm) VALUES (?1, ?2, ?3)",
            params![sha256, host.engine_key(), cwasm],
        )?;
        tx.execute(
            "INSERT INTO versions (district, name, version, sha256, manifest, uploaded_at, uploaded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![manifest.district, manifest.name, manifest.version, sha256, manifest_json, now(), admin.id],
        )?;
        tx.commit()?;
        tracing::info!(
            district = manifest.district,
            name = manifest.name,
            version = manifest.version,
            sha256,
            "plugin uploaded"
        );
        Ok(VersionRow {
            district: manifest.district.clone(),
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            sha256,
            hooks: declared.into_iter().map(str::to_owned).collect(),
            uploaded_at: now(),
            active: false,
            disabled: None,
        })
    }

    /// Makes a stored version the district's active one, atomically (one transaction).
    pub fn activate(&self, admin: &Admin, district: &str, name: &str, version: &str) -> Result<(), RegistryError> {
        admin.may_act_on(district)?;
        let mut db = self.db();
        let tx = db.transaction()?;
        let found: Option<String> = tx
            .query_row(
                "SELECT sha256 FROM versions WHERE district = ?1 AND name = ?2 AND version = ?3",
                params![district, name, version],
                |r| r.get(0),
            )
            .optional()?;
        if found.is_none() {
            return Err(RegistryError::NotFound(format!("{name} {version} is not uploaded for district {district}")));
        }
        set_active(&tx, district, name, version, &admin.id)?;
        tx.execute(
            "INSERT INTO history (district, action, name, version, at, by) VALUES (?1, 'activate', ?2, ?3, ?4, ?5)",
            params![district, name, version, now(), admin.id],
        )?;
        tx.commit()?;
        tracing::info!(district, name, version, by = admin.id, "plugin version activated");
        Ok(())
    }

    /// Goes back to the version that was active before the current one (activations are a stack that
    /// rollbacks pop); with none before it, the district is left without a plugin.
    pub fn rollback(&self, admin: &Admin, district: &str) -> Result<Option<(String, String)>, RegistryError> {
        admin.may_act_on(district)?;
        let mut db = self.db();
        let tx = db.transaction()?;
        let mut stack: Vec<(String, String)> = Vec::new();
        {
            let mut q = tx.prepare("SELECT action, name, version FROM history WHERE district = ?1 AND action IN ('activate', 'rollback') ORDER BY id")?;
            let rows = q.query_map([district], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?))
            })?;
            for row in rows {
                match row? {
                    (a, Some(n), Some(v)) if a == "activate" => stack.push((n, v)),
                    _ => {
                        stack.pop();
                    }
                }
            }
        }
        if stack.is_empty() {
            return Err(RegistryError::NotFound(format!("district {district} has no active plugin to roll back")));
        }
        stack.pop();
        let back = stack.last().cloned();
        match &back {
            Some((name, version)) => set_active(&tx, district, name, version, &admin.id)?,
            None => {
                tx.execute("DELETE FROM active WHERE district = ?1", [district])?;
            }
        }
        tx.execute(
            "INSERT INTO history (district, action, name, version, at, by) VALUES (?1, 'rollback', ?2, ?3, ?4, ?5)",
            params![district, back.as_ref().map(|b| &b.0), back.as_ref().map(|b| &b.1), now(), admin.id],
        )?;
        tx.commit()?;
        tracing::info!(district, to = ?back, by = admin.id, "plugin rolled back");
        Ok(back)
    }

    /// Disables the district's active plugin (its hooks stop being called) until a version is activated.
    pub fn disable(&self, admin: &Admin, district: &str, reason: &str) -> Result<(), RegistryError> {
        admin.may_act_on(district)?;
        let mut db = self.db();
        let tx = db.transaction()?;
        let changed = tx.execute(
            "UPDATE active SET disabled = ?2, generation = generation + 1, changed_at = ?3, changed_by = ?4 WHERE district = ?1",
            params![district, reason, now(), admin.id],
        )?;
        if changed == 0 {
            return Err(RegistryError::NotFound(format!("district {district} has no active plugin")));
        }
        tx.execute(
            "INSERT INTO history (district, action, at, by, reason) VALUES (?1, 'disable', ?2, ?3, ?4)",
            params![district, now(), admin.id, reason],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The district's stored versions, newest first, with the active one marked.
    pub fn list(&self, admin: &Admin, district: &str) -> Result<Vec<VersionRow>, RegistryError> {
        admin.may_act_on(district)?;
        let db = self.db();
        let active: Option<(String, String, Option<String>)> = db
            .query_row("SELECT name, version, disabled FROM active WHERE district = ?1", [district], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let mut q = db.prepare("SELECT name, version, sha256, manifest, uploaded_at FROM versions WHERE district = ?1 ORDER BY uploaded_at DESC, name, version DESC")?;
        let rows = q.query_map([district], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, version, sha256, manifest, uploaded_at) = row?;
            let hooks = serde_json::from_str::<Manifest>(&manifest)
                .map(|m| m.hooks.iter().map(|h| h.name().to_owned()).collect())
                .unwrap_or_default();
            let is_active = active.as_ref().is_some_and(|(n, v, _)| *n == name && *v == version);
            out.push(VersionRow {
                district: district.to_owned(),
                disabled: if is_active { active.as_ref().and_then(|a| a.2.clone()) } else { None },
                name,
                version,
                sha256,
                hooks,
                uploaded_at,
                active: is_active,
            });
        }
        Ok(out)
    }

    /// Brings `host` to the database's active versions: loads what changed (from the precompiled cache
    /// when it matches the host's engine, else compiling and filling the cache), disables what is
    /// disabled, removes what is gone. Cheap when nothing changed. Returns the districts changed.
    pub fn sync(&self, host: &PluginHost) -> Result<Vec<String>, RegistryError> {
        let rows: Vec<ActiveRow> = {
            let db = self.db();
            let mut q = db.prepare(
                "SELECT a.district, v.sha256, a.generation, a.disabled, v.manifest FROM active a
                 JOIN versions v ON v.district = a.district AND v.name = a.name AND v.version = a.version",
            )?;
            q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
                .collect::<Result<_, _>>()?
        };
        let mut loaded = self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut changed = Vec::new();
        for (district, sha256, generation, disabled, manifest) in &rows {
            let now_state = (sha256.clone(), *generation, disabled.clone());
            if loaded.get(district) == Some(&now_state) {
                continue;
            }
            let same_bytes = loaded.get(district).is_some_and(|(s, _, _)| s == sha256);
            if !same_bytes || host.status(district).is_none() || disabled.is_none() {
                let manifest: Manifest =
                    serde_json::from_str(manifest).map_err(|e| RegistryError::Manifest(e.to_string()))?;
                let compiled = self.compiled(host, sha256)?;
                host.activate(
                    compiled,
                    PluginSpec {
                        name: manifest.name.clone(),
                        version: manifest.version.clone(),
                        grants: Grants {
                            district: district.clone(),
                            config: manifest.config.clone(),
                            now: None,
                            units: Default::default(),
                        },
                        limits: manifest.limits.to_plugin_limits(),
                    },
                )?;
            }
            if let Some(reason) = disabled {
                host.disable(district, reason);
            }
            loaded.insert(district.clone(), now_state);
            changed.push(district.clone());
        }
        let gone: Vec<String> = loaded.keys().filter(|d| !rows.iter().any(|r| &r.0 == *d)).cloned().collect();
        for district in gone {
            host.deactivate(&district);
            loaded.remove(&district);
            changed.push(district);
        }
        Ok(changed)
    }

    /// A compiled plugin from the precompiled cache, or compiled now (and cached).
    fn compiled(&self, host: &PluginHost, sha256: &str) -> Result<CompiledPlugin, RegistryError> {
        let engine = host.engine_key();
        let cached: Option<Vec<u8>> = self
            .db()
            .query_row(
                "SELECT cwasm FROM precompiled WHERE sha256 = ?1 AND engine = ?2",
                params![sha256, engine],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(cwasm) = cached {
            // SAFETY: the `precompiled` table is written only by this registry, with `host.precompile`
            // output stored under the engine key it was made for; the key matched.
            #[allow(unsafe_code)]
            let compiled = unsafe { host.compile_precompiled(sha256, &cwasm) };
            match compiled {
                Ok(c) => return Ok(c),
                Err(e) => tracing::warn!(sha256, error = %e, "precompiled plugin unusable; compiling again"),
            }
        }
        let bytes: Vec<u8> = self
            .db()
            .query_row("SELECT bytes FROM blobs WHERE sha256 = ?1", [sha256], |r| r.get(0))
            .optional()?
            .ok_or_else(|| RegistryError::NotFound(format!("component {sha256}")))?;
        let compiled = host.compile(&bytes)?;
        let cwasm = host.precompile(&bytes)?;
        self.db().execute(
            "INSERT OR REPLACE INTO precompiled (sha256, engine, cwasm) VALUES (?1, ?2, ?3)",
            params![sha256, engine, cwasm],
        )?;
        Ok(compiled)
    }
}

fn set_active(
    tx: &rusqlite::Transaction<'_>,
    district: &str,
    name: &str,
    version: &str,
    by: &str,
) -> Result<(), RegistryError> {
    tx.execute(
        "INSERT INTO active (district, name, version, generation, disabled, changed_at, changed_by) VALUES (?1, ?2, ?3, 1, NULL, ?4, ?5)
         ON CONFLICT(district) DO UPDATE SET name = excluded.name, version = excluded.version, generation = active.generation + 1,
             disabled = NULL, changed_at = excluded.changed_at, changed_by = excluded.changed_by",
        params![district, name, version, now(), by],
    )?;
    Ok(())
}
