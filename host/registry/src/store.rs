//! The registry's tables (SQLite or PostgreSQL): district keys, content-addressed component bytes, versions with
//! their manifests, the active version per district (with a generation that bumps on every change),
//! the history that rollback replays, and the precompiled cache.

use crate::manifest::{Hook, Manifest};
use crate::{RegistryError, signing};
use minyi_auth::Staff;
use minyi_db::{Conn, Db, params};
use minyi_plugins::{
    BreakerTrip, CompiledPlugin, FaultRecord, Grants, PluginHost, PluginHostConfig, PluginLimits, PluginSpec,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// The tables, in SQL both databases take; `{serial}` and `{bytes}` are filled per database.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS district_keys (
    district TEXT NOT NULL,
    public_key TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (district, public_key)
);
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    bytes {bytes} NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    district TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    manifest TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    PRIMARY KEY (district, name, version)
);
CREATE TABLE IF NOT EXISTS precompiled_macs (  -- native code: read only when its MAC checks out
    sha256 TEXT NOT NULL,
    engine TEXT NOT NULL,
    cwasm {bytes} NOT NULL,
    mac TEXT NOT NULL,             -- HMAC-SHA256 of sha256, engine and cwasm under the nodes' shared key
    PRIMARY KEY (sha256, engine)
);
CREATE TABLE IF NOT EXISTS active (
    district TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    generation BIGINT NOT NULL,
    disabled TEXT,
    changed_at BIGINT NOT NULL,
    changed_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
    id {serial},
    district TEXT NOT NULL,
    action TEXT NOT NULL,          -- activate | rollback | disable
    name TEXT,
    version TEXT,
    at BIGINT NOT NULL,
    by TEXT NOT NULL,
    reason TEXT
);
CREATE TABLE IF NOT EXISTS faults (
    id {serial},
    district TEXT NOT NULL,
    plugin TEXT NOT NULL,
    version TEXT NOT NULL,
    hook TEXT NOT NULL,
    case_id TEXT,                  -- the case the call was about, when there was one
    kind TEXT NOT NULL,            -- PluginFault::kind
    fault TEXT NOT NULL,           -- the fault as JSON (kind and its fields)
    message TEXT NOT NULL,         -- the fault as text
    at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS faults_by_district ON faults (district, id);
CREATE TABLE IF NOT EXISTS data_versions (  -- district rule sets and schemas, content-addressed in blobs
    district TEXT NOT NULL,
    kind TEXT NOT NULL,            -- rules | schema
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    uploaded_at BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    PRIMARY KEY (district, kind, version)
);
CREATE TABLE IF NOT EXISTS data_active (
    district TEXT NOT NULL,
    kind TEXT NOT NULL,
    version TEXT NOT NULL,
    generation BIGINT NOT NULL,
    changed_at BIGINT NOT NULL,
    changed_by TEXT NOT NULL,
    PRIMARY KEY (district, kind)
);
CREATE INDEX IF NOT EXISTS faults_by_case ON faults (case_id);
";

/// Who disables a plugin whose circuit breaker opened, in the history.
pub const BREAKER: &str = "circuit-breaker";

/// A stored version as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct VersionRow {
    /// The district code the version belongs to.
    pub district: String,
    /// Plugin name.
    pub name: String,
    /// The version as the manifest names it.
    pub version: String,
    /// SHA-256 of the component.
    pub sha256: String,
    /// Hooks per the manifest.
    pub hooks: Vec<Hook>,
    /// Uploaded, Unix seconds.
    pub uploaded_at: i64,
    /// Whether it is the district's active version.
    pub active: bool,
    /// Why the active version is disabled, if it is.
    pub disabled: Option<String>,
}

/// A plugin fault as stored with its case, for the district admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct StoredFault {
    /// The district code whose plugin faulted.
    pub district: String,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub version: String,
    /// Hook called.
    pub hook: String,
    /// The case the call was about, when there was one.
    pub case_id: Option<String>,
    /// `PluginFault::kind`.
    pub kind: String,
    /// The fault as text.
    pub message: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
}

/// The registry.
#[derive(Debug)]
pub struct Registry {
    pub(crate) db: Db,
    /// The key the nodes share to authenticate the precompiled cache (`MINYI_PRECOMPILED_KEY`); none:
    /// the cache is neither written nor read, and each node compiles for itself.
    precompiled_key: Option<[u8; 32]>,
    /// What `sync` last loaded into a host, by district.
    loaded: Mutex<HashMap<String, Loaded>>,
}

/// A district's state as `sync` loaded it: (sha256, generation, disabled reason).
type Loaded = (String, i64, Option<String>);

/// An active row joined with its version: (district, sha256, generation, disabled, manifest).
type ActiveRow = (String, String, i64, Option<String>, String);

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl Registry {
    /// Opens (creating when new) the registry in the SQLite file at `path`: the embedded default.
    pub fn open(path: &Path) -> Result<Registry, RegistryError> {
        Registry::open_url(&path.to_string_lossy())
    }

    /// Connects to the registry in a PostgreSQL database (`postgres://user@host:port/db`), creating
    /// the tables when new: several hosts on one database run the same versions.
    pub fn connect(url: &str) -> Result<Registry, RegistryError> {
        Registry::open_url(url)
    }

    /// [`Registry::connect`] for a `postgres://` or `postgresql://` URL, else [`Registry::open`] of
    /// the SQLite file at that path.
    pub fn open_url(db: &str) -> Result<Registry, RegistryError> {
        Ok(Registry { db: Db::open_url(db, SCHEMA)?, precompiled_key: None, loaded: Mutex::new(HashMap::new()) })
    }

    /// Shares precompiled native code through the database, authenticated with `secret` (every node
    /// of a deployment is given the same one, which the database never holds). Precompiled code is
    /// native code run outside the sandbox's checks: without a key, or with a MAC that does not check
    /// out, a node compiles the component itself.
    pub fn with_precompiled_key(mut self, secret: &str) -> Result<Self, RegistryError> {
        let secret = secret.trim();
        if secret.len() < 16 {
            return Err(RegistryError::Key("the precompiled-cache key needs at least 16 characters".into()));
        }
        self.precompiled_key = Some(Sha256::digest(secret.as_bytes()).into());
        Ok(self)
    }

    /// Which database: `sqlite` or `postgresql`.
    pub fn backend(&self) -> &'static str {
        self.db.backend()
    }

    /// Registers a district's public signing key (city admins only).
    pub fn trust_key(&self, admin: &Staff, district: &str, public_hex: &str) -> Result<(), RegistryError> {
        admin.city()?;
        signing::check_public(public_hex)?;
        self.db.run(|c| {
            c.execute(
                "INSERT INTO district_keys (district, public_key, added_at, added_by) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                params![district, public_hex.trim().to_lowercase(), now(), admin.id.as_str()],
            )
        })?;
        Ok(())
    }

    /// Uploads a version: checks the admin's district, the manifest's fields, the bytes' hash, the
    /// signature against the district's registered keys, and the component itself (compiled by `host`:
    /// granted imports only, hooks exactly as declared); stores the bytes content-addressed and the
    /// precompiled artifact for `host`'s engine. Does not activate it.
    pub fn upload(
        &self,
        admin: &Staff,
        manifest: &Manifest,
        bytes: &[u8],
        host: &PluginHost,
    ) -> Result<VersionRow, RegistryError> {
        admin.administers(&manifest.district)?;
        manifest.check_fields().map_err(RegistryError::Manifest)?;
        let sha256 = hex::encode(Sha256::digest(bytes));
        if sha256 != manifest.sha256 {
            return Err(RegistryError::Manifest(format!(
                "sha256: the component's is {sha256}, the manifest says {}",
                manifest.sha256
            )));
        }
        let keys: Vec<String> = self
            .db
            .run(|c| c.query("SELECT public_key FROM district_keys WHERE district = $1", params![&manifest.district]))?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<_, _>>()?;
        if keys.is_empty() {
            return Err(RegistryError::Key(format!("no signing key is registered for district {}", manifest.district)));
        }
        if !keys.iter().any(|k| signing::verify(manifest, k)) {
            return Err(RegistryError::Key(format!(
                "the signature does not verify with any key registered for district {}",
                manifest.district
            )));
        }
        // Limits no host would grant are refused here, not discovered when every host fails to load it.
        admit_limits(&host.config().max_limits, manifest)?;
        let compiled = host.compile(bytes)?;
        let mut declared: Vec<Hook> = manifest.hooks.clone();
        declared.sort_unstable();
        declared.dedup();
        let mut exported = compiled.hooks();
        exported.sort_unstable();
        if declared != exported {
            return Err(RegistryError::Manifest(format!(
                "hooks: the manifest declares {declared:?}, the component exports {exported:?}"
            )));
        }
        let cwasm = host.precompiled(&compiled)?;
        let manifest_json = serde_json::to_string(manifest).map_err(|e| RegistryError::Manifest(e.to_string()))?;
        let uploaded_at = now();
        self.db.transaction(|tx| {
            tx.lock_key(&manifest.district)?;
            let exists = tx.query_opt(
                "SELECT sha256 FROM versions WHERE district = $1 AND name = $2 AND version = $3",
                params![&manifest.district, &manifest.name, &manifest.version],
            )?;
            if let Some(existing) = exists {
                return Err(RegistryError::Conflict(format!(
                    "{} {} is already uploaded for district {} (sha256 {}); give the new build a new version",
                    manifest.name,
                    manifest.version,
                    manifest.district,
                    existing.text(0)?
                )));
            }
            tx.execute(
                "INSERT INTO blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                params![sha256.as_str(), bytes],
            )?;
            self.put_precompiled(tx, &sha256, &host.engine_key(), &cwasm)?;
            tx.execute(
                "INSERT INTO versions (district, name, version, sha256, manifest, uploaded_at, uploaded_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                params![
                    &manifest.district,
                    &manifest.name,
                    &manifest.version,
                    sha256.as_str(),
                    manifest_json,
                    uploaded_at,
                    admin.id.as_str()
                ],
            )?;
            Ok(())
        })?;
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
            hooks: declared,
            uploaded_at,
            active: false,
            disabled: None,
        })
    }

    /// Makes a stored version the district's active one, atomically (one transaction).
    pub fn activate(&self, admin: &Staff, district: &str, name: &str, version: &str) -> Result<(), RegistryError> {
        admin.administers(district)?;
        self.db.transaction(|tx| {
            tx.lock_key(district)?;
            let found = tx.query_opt(
                "SELECT manifest FROM versions WHERE district = $1 AND name = $2 AND version = $3",
                params![district, name, version],
            )?;
            let Some(row) = found else {
                return Err(RegistryError::NotFound(format!(
                    "{name} {version} is not uploaded for district {district}"
                )));
            };
            // Checked again: a version stored before the check, or by another host's maximum.
            let manifest: Manifest =
                serde_json::from_str(&row.text(0)?).map_err(|e| RegistryError::Manifest(e.to_string()))?;
            admit_limits(&PluginHostConfig::default().max_limits, &manifest)?;
            set_active(tx, district, name, version, &admin.id)?;
            tx.execute(
                "INSERT INTO history (district, action, name, version, at, by) VALUES ($1, 'activate', $2, $3, $4, $5)",
                params![district, name, version, now(), admin.id.as_str()],
            )?;
            Ok(())
        })?;
        tracing::info!(district, name, version, by = admin.id, "plugin version activated");
        Ok(())
    }

    /// Goes back to the version that was active before the current one (activations are a stack that
    /// rollbacks pop); with none before it, the district is left without a plugin.
    pub fn rollback(&self, admin: &Staff, district: &str) -> Result<Option<(String, String)>, RegistryError> {
        admin.administers(district)?;
        let back = self.db.transaction(|tx| {
            tx.lock_key(district)?;
            let mut stack: Vec<(String, String)> = Vec::new();
            let rows = tx.query(
                "SELECT action, name, version FROM history
                 WHERE district = $1 AND action IN ('activate', 'rollback') ORDER BY id",
                params![district],
            )?;
            for row in rows {
                match (row.text(0)?.as_str(), row.opt_text(1)?, row.opt_text(2)?) {
                    ("activate", Some(n), Some(v)) => stack.push((n, v)),
                    _ => {
                        stack.pop();
                    }
                }
            }
            if stack.is_empty() {
                return Err(RegistryError::NotFound(format!("district {district} has no active plugin to roll back")));
            }
            stack.pop();
            let back = stack.last().cloned();
            match &back {
                Some((name, version)) => set_active(tx, district, name, version, &admin.id)?,
                None => {
                    tx.execute("DELETE FROM active WHERE district = $1", params![district])?;
                }
            }
            tx.execute(
                "INSERT INTO history (district, action, name, version, at, by) VALUES ($1, 'rollback', $2, $3, $4, $5)",
                params![
                    district,
                    back.as_ref().map(|b| b.0.as_str()),
                    back.as_ref().map(|b| b.1.as_str()),
                    now(),
                    admin.id.as_str()
                ],
            )?;
            Ok(back)
        })?;
        tracing::info!(district, to = ?back, by = admin.id, "plugin rolled back");
        Ok(back)
    }

    /// Disables the district's active plugin (its hooks stop being called) until a version is activated.
    pub fn disable(&self, admin: &Staff, district: &str, reason: &str) -> Result<(), RegistryError> {
        admin.administers(district)?;
        self.db.transaction(|tx| {
            tx.lock_key(district)?;
            let changed = tx.execute(
                "UPDATE active SET disabled = $2, generation = generation + 1, changed_at = $3, changed_by = $4
                 WHERE district = $1",
                params![district, reason, now(), admin.id.as_str()],
            )?;
            if changed == 0 {
                return Err(RegistryError::NotFound(format!("district {district} has no active plugin")));
            }
            tx.execute(
                "INSERT INTO history (district, action, at, by, reason) VALUES ($1, 'disable', $2, $3, $4)",
                params![district, now(), admin.id.as_str(), reason],
            )?;
            Ok(())
        })
    }

    /// The district's stored versions, newest first, with the active one marked.
    pub fn list(&self, admin: &Staff, district: &str) -> Result<Vec<VersionRow>, RegistryError> {
        admin.administers(district)?;
        let (active, rows) = self.db.run(|c| {
            let active =
                c.query_opt("SELECT name, version, disabled FROM active WHERE district = $1", params![district])?;
            let rows = c.query(
                "SELECT name, version, sha256, manifest, uploaded_at FROM versions WHERE district = $1
                 ORDER BY uploaded_at DESC, name, version DESC",
                params![district],
            )?;
            Ok::<_, RegistryError>((active, rows))
        })?;
        let active = match active {
            Some(r) => Some((r.text(0)?, r.text(1)?, r.opt_text(2)?)),
            None => None,
        };
        let mut out = Vec::new();
        for row in rows {
            let (name, version) = (row.text(0)?, row.text(1)?);
            let hooks = serde_json::from_str::<Manifest>(&row.text(3)?).map(|m| m.hooks).unwrap_or_default();
            let is_active = active.as_ref().is_some_and(|(n, v, _)| *n == name && *v == version);
            out.push(VersionRow {
                district: district.to_owned(),
                disabled: if is_active { active.as_ref().and_then(|a| a.2.clone()) } else { None },
                sha256: row.text(2)?,
                uploaded_at: row.int(4)?,
                name,
                version,
                hooks,
                active: is_active,
            });
        }
        Ok(out)
    }

    /// The district's newest stored plugin faults (at most `limit`), newest first: what every host on
    /// this database recorded, each with the case it happened to.
    pub fn faults(&self, admin: &Staff, district: &str, limit: i64) -> Result<Vec<StoredFault>, RegistryError> {
        admin.administers(district)?;
        let rows = self.db.run(|c| {
            c.query(
                "SELECT district, plugin, version, hook, case_id, kind, message, at_ms FROM faults
                 WHERE district = $1 ORDER BY id DESC LIMIT $2",
                params![district, limit],
            )
        })?;
        rows.iter().map(stored_fault).collect()
    }

    /// The stored plugin faults of one case, oldest first (for a city admin, or the case's district's).
    pub fn case_faults(&self, admin: &Staff, case_id: &str) -> Result<Vec<StoredFault>, RegistryError> {
        let rows = self.db.run(|c| {
            c.query(
                "SELECT district, plugin, version, hook, case_id, kind, message, at_ms FROM faults
                 WHERE case_id = $1 ORDER BY id",
                params![case_id],
            )
        })?;
        let faults: Vec<StoredFault> = rows.iter().map(stored_fault).collect::<Result<_, _>>()?;
        for f in &faults {
            admin.administers(&f.district)?;
        }
        Ok(faults)
    }

    /// Writes down what `host` saw since the last call: its faults (each with its case) and the
    /// circuit breakers that opened, which disable the version in the database for every host, with
    /// the breaker's reason for the district admin. A breaker that opened on a version no longer
    /// active changes nothing.
    pub fn persist(&self, host: &PluginHost) -> Result<(), RegistryError> {
        let (faults, trips) = host.take_unsaved();
        if faults.is_empty() && trips.is_empty() {
            return Ok(());
        }
        let saved = self.db.transaction(|tx| {
            for f in &faults {
                insert_fault(tx, f)?;
            }
            for trip in &trips {
                disable_tripped(tx, trip)?;
            }
            Ok(())
        });
        if let Err(e) = saved {
            // Not lost: they go back to the host and the next call writes them.
            host.return_unsaved(faults, trips);
            return Err(e);
        }
        Ok(())
    }

    /// Brings `host` to the database's active versions: first writes down its faults and breaker
    /// trips ([`Registry::persist`]), then loads what changed (from the precompiled cache when it
    /// matches the host's engine, else compiling and filling the cache), disables what is disabled,
    /// removes what is gone. Cheap when nothing changed. Returns the districts changed.
    pub fn sync(&self, host: &PluginHost) -> Result<Vec<String>, RegistryError> {
        self.persist(host)?;
        let rows = self.db.run(|c| {
            c.query(
                "SELECT a.district, v.sha256, a.generation, a.disabled, v.manifest FROM active a
                 JOIN versions v ON v.district = a.district AND v.name = a.name AND v.version = a.version",
                &[],
            )
        })?;
        let rows: Vec<ActiveRow> = rows
            .iter()
            .map(|r| Ok((r.text(0)?, r.text(1)?, r.int(2)?, r.opt_text(3)?, r.text(4)?)))
            .collect::<Result<_, RegistryError>>()?;
        let mut loaded = self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut changed = Vec::new();
        for (district, sha256, generation, disabled, manifest) in &rows {
            let now_state = (sha256.clone(), *generation, disabled.clone());
            if loaded.get(district) == Some(&now_state) {
                continue;
            }
            let same_bytes = loaded.get(district).is_some_and(|(s, _, _)| s == sha256);
            if !same_bytes || host.status(district).is_none() || disabled.is_none() {
                // One district's version that cannot run never stops the others: it runs no plugin
                // (the base results stand) until the district activates another; the log says why.
                if let Err(e) = self.load(host, district, sha256, manifest) {
                    tracing::error!(district, sha256, error = %e, "the district's active plugin cannot run here; it runs none");
                    host.deactivate(district);
                    loaded.insert(district.clone(), now_state);
                    changed.push(district.clone());
                    continue;
                }
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

    /// Compiles (or takes from the cache) and activates one district's version on `host`.
    fn load(&self, host: &PluginHost, district: &str, sha256: &str, manifest: &str) -> Result<(), RegistryError> {
        let manifest: Manifest = serde_json::from_str(manifest).map_err(|e| RegistryError::Manifest(e.to_string()))?;
        let compiled = self.compiled(host, sha256)?;
        host.activate(
            compiled,
            PluginSpec {
                name: manifest.name.clone(),
                version: manifest.version.clone(),
                grants: Grants {
                    district: district.to_owned(),
                    config: manifest.config.clone(),
                    now: None,
                    units: Default::default(),
                    clock_tape: Vec::new(),
                    wasi_clock_tape: Vec::new(),
                },
                limits: manifest.limits.to_plugin_limits(),
            },
        )?;
        Ok(())
    }

    /// A compiled plugin from the precompiled cache, or compiled now (and cached).
    fn compiled(&self, host: &PluginHost, sha256: &str) -> Result<CompiledPlugin, RegistryError> {
        let engine = host.engine_key();
        if let Some(key) = &self.precompiled_key {
            let cached = self.db.run(|c| {
                c.query_opt(
                    "SELECT cwasm, mac FROM precompiled_macs WHERE sha256 = $1 AND engine = $2",
                    params![sha256, &engine],
                )
            })?;
            if let Some(row) = cached {
                let (cwasm, stored) = (row.blob(0)?, row.text(1)?);
                let want = mac(key, &[sha256.as_bytes(), engine.as_bytes(), &cwasm]);
                if constant_time_eq(hex::encode(want).as_bytes(), stored.as_bytes()) {
                    // SAFETY: the bytes carry a MAC under the key only this deployment's nodes hold,
                    // made by `put_precompiled` over `host.precompiled` output for this engine key.
                    #[allow(unsafe_code)]
                    let compiled = unsafe { host.compile_precompiled(sha256, &cwasm) };
                    match compiled {
                        Ok(c) => return Ok(c),
                        Err(e) => tracing::warn!(sha256, error = %e, "precompiled plugin unusable; compiling again"),
                    }
                } else {
                    tracing::error!(sha256, "precompiled plugin in the database fails its MAC; not loaded, compiling");
                }
            }
        }
        let bytes = self.component(sha256)?;
        let compiled = host.compile(&bytes)?;
        if self.precompiled_key.is_some() {
            let cwasm = host.precompiled(&compiled)?;
            self.db.run(|c| self.put_precompiled(c, sha256, &engine, &cwasm))?;
        }
        Ok(compiled)
    }
}

impl Registry {
    /// A stored version's manifest and its component bytes (checked against the manifest's SHA-256):
    /// what a replay runs again. For the operator with the database; no admin check.
    pub fn version(&self, district: &str, name: &str, version: &str) -> Result<(Manifest, Vec<u8>), RegistryError> {
        let row = self
            .db
            .run(|c| {
                c.query_opt(
                    "SELECT sha256, manifest FROM versions WHERE district = $1 AND name = $2 AND version = $3",
                    params![district, name, version],
                )
            })?
            .ok_or_else(|| RegistryError::NotFound(format!("{district} {name} {version}")))?;
        let manifest: Manifest =
            serde_json::from_str(&row.text(1)?).map_err(|e| RegistryError::Manifest(e.to_string()))?;
        let bytes = self.component(&row.text(0)?)?;
        Ok((manifest, bytes))
    }

    /// The component bytes stored under `sha256`, checked against it: the shared database is not
    /// trusted to hand back what was uploaded.
    pub fn component(&self, sha256: &str) -> Result<Vec<u8>, RegistryError> {
        let bytes = self
            .db
            .run(|c| c.query_opt("SELECT bytes FROM blobs WHERE sha256 = $1", params![sha256]))?
            .ok_or_else(|| RegistryError::NotFound(format!("component {sha256}")))?
            .blob(0)?;
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(RegistryError::Tampered(format!("component {sha256}: the stored bytes hash otherwise")));
        }
        Ok(bytes)
    }
}

impl Registry {
    /// Stores precompiled code with its MAC; nothing without a key.
    fn put_precompiled(&self, c: &mut dyn Conn, sha256: &str, engine: &str, cwasm: &[u8]) -> Result<(), RegistryError> {
        let Some(key) = &self.precompiled_key else { return Ok(()) };
        let tag = hex::encode(mac(key, &[sha256.as_bytes(), engine.as_bytes(), cwasm]));
        c.execute(
            "INSERT INTO precompiled_macs (sha256, engine, cwasm, mac) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sha256, engine) DO UPDATE SET cwasm = excluded.cwasm, mac = excluded.mac",
            params![sha256, engine, cwasm, tag],
        )?;
        Ok(())
    }
}

/// HMAC-SHA256 (RFC 2104) under `key` of `parts`, each length-prefixed so no two splits collide.
fn mac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let (mut inner, mut outer) = ([0x36u8; 64], [0x5cu8; 64]);
    for (i, k) in key.iter().enumerate() {
        inner[i] ^= k;
        outer[i] ^= k;
    }
    let mut h = Sha256::new();
    h.update(inner);
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    let inner_hash = h.finalize();
    Sha256::new().chain_update(outer).chain_update(inner_hash).finalize().into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn set_active(tx: &mut dyn Conn, district: &str, name: &str, version: &str, by: &str) -> Result<(), RegistryError> {
    tx.execute(
        "INSERT INTO active (district, name, version, generation, disabled, changed_at, changed_by)
         VALUES ($1, $2, $3, 1, NULL, $4, $5)
         ON CONFLICT (district) DO UPDATE SET name = excluded.name, version = excluded.version,
             generation = active.generation + 1, disabled = NULL, changed_at = excluded.changed_at,
             changed_by = excluded.changed_by",
        params![district, name, version, now(), by],
    )?;
    Ok(())
}

fn insert_fault(tx: &mut dyn Conn, f: &FaultRecord) -> Result<(), RegistryError> {
    let fault = serde_json::to_string(&f.fault).map_err(|e| RegistryError::Db(e.to_string()))?;
    tx.execute(
        "INSERT INTO faults (district, plugin, version, hook, case_id, kind, fault, message, at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![
            &f.district,
            &f.plugin,
            &f.version,
            f.hook.name(),
            f.case_id.as_deref(),
            f.fault.kind(),
            fault,
            f.fault.to_string(),
            i64::try_from(f.at_ms).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(())
}

/// Disables the version whose breaker opened, if it is still the district's active, enabled one.
fn disable_tripped(tx: &mut dyn Conn, trip: &BreakerTrip) -> Result<(), RegistryError> {
    tx.lock_key(&trip.district)?;
    let changed = tx.execute(
        "UPDATE active SET disabled = $4, generation = generation + 1, changed_at = $5, changed_by = $6
         WHERE district = $1 AND name = $2 AND version = $3 AND disabled IS NULL",
        params![&trip.district, &trip.name, &trip.version, &trip.reason, now(), BREAKER],
    )?;
    if changed > 0 {
        tx.execute(
            "INSERT INTO history (district, action, name, version, at, by, reason) VALUES ($1, 'disable', $2, $3, $4, $5, $6)",
            params![&trip.district, &trip.name, &trip.version, now(), BREAKER, &trip.reason],
        )?;
        tracing::error!(
            district = trip.district,
            plugin = trip.name,
            version = trip.version,
            reason = trip.reason,
            "plugin disabled for every host"
        );
    }
    Ok(())
}

fn stored_fault(r: &minyi_db::Row) -> Result<StoredFault, RegistryError> {
    Ok(StoredFault {
        district: r.text(0)?,
        plugin: r.text(1)?,
        version: r.text(2)?,
        hook: r.text(3)?,
        case_id: r.opt_text(4)?,
        kind: r.text(5)?,
        message: r.text(6)?,
        at_ms: r.int(7)?,
    })
}

/// The manifest's limits within a host's maximum, or the manifest refused naming the limit.
fn admit_limits(max: &PluginLimits, manifest: &Manifest) -> Result<(), RegistryError> {
    max.admit(&manifest.limits.to_plugin_limits()).map_err(|(what, requested, allowed)| {
        RegistryError::Manifest(format!("limits.{what}: {requested} is over the host's maximum of {allowed}"))
    })
}
