//! The district plugin registry: signed manifests checked at upload, versions stored content-addressed
//! in the database (SQLite embedded, or PostgreSQL for several hosts), activation and rollback atomic per district, a precompiled cache
//! keyed by (component hash, engine configuration), and `sync` to bring a plugin host to the database's
//! active versions. District rule sets and schemas are kept the same way (`data`). District admins act
//! only on their own district.
#![deny(missing_docs)]

mod data;
pub mod manifest;
pub mod signing;
mod store;

pub use data::{ActiveData, DataKind, DataVersion, MAX_DATA_BYTES};
pub use manifest::{Hook, Limits, Manifest, WIT_PACKAGE};
pub use minyi_auth::Staff;
pub use store::{Registry, StoredFault, VersionRow};

/// Why a registry operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The database failed.
    #[error("database: {0}")]
    Db(String),
    /// The admin is unknown, or may not act on that district.
    #[error(transparent)]
    Auth(#[from] minyi_auth::AuthError),
    /// The manifest is wrong (the field and the problem).
    #[error("manifest: {0}")]
    Manifest(String),
    /// A key is malformed or the signature does not verify.
    #[error("signature: {0}")]
    Key(String),
    /// The plugin host refused the component.
    #[error("component: {0}")]
    Component(#[from] minyi_plugins::PluginError),
    /// Nothing to act on.
    #[error("not found: {0}")]
    NotFound(String),
    /// Already there.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database handed back something other than what was stored (bytes that hash otherwise).
    #[error("tampered: {0}")]
    Tampered(String),
    /// A district rule set or schema is malformed before any check (size, version, encoding).
    #[error("{0}")]
    Data(String),
    /// A district rule set or schema failed its check (`rules check`, its examples, `check-schema`):
    /// the report.
    #[error("{0}")]
    Refused(String),
}

impl From<minyi_db::DbError> for RegistryError {
    fn from(e: minyi_db::DbError) -> Self {
        RegistryError::Db(e.0)
    }
}

impl RegistryError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::Db(_) => "db.failed",
            RegistryError::Auth(e) => e.code(),
            RegistryError::Manifest(_) => "manifest.invalid",
            RegistryError::Key(_) => "signature.invalid",
            RegistryError::Component(_) => "component.refused",
            RegistryError::NotFound(_) => "not_found",
            RegistryError::Conflict(_) => "conflict",
            RegistryError::Tampered(_) => "db.tampered",
            RegistryError::Data(_) => "data.invalid",
            RegistryError::Refused(_) => "data.refused",
        }
    }
}
