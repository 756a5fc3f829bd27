//! `minyi rules upload|activate|rollback|list`, `minyi schema …` and `minyi model …`: a district admin
//! deploys the district's own rule set, form schema or classifier model — on the database (`--db`), or
//! through a service's HTTP API
//! (`--server`). Activation is checked by the components first; a refusal prints the report.

use super::remote::{Answer, Remote, encode, print};
use anyhow::Context as _;
use clap::Subcommand;
use minyi_auth::{Admins, AuthError};
use minyi_registry::{DataKind, RegistryError};
use minyi_runtime::Runtime;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// What a district admin does with its rule set or schema.
#[derive(Debug, Subcommand)]
pub(super) enum DataCommand {
    /// Store a version; it does not apply until activated.
    Upload {
        /// The district code.
        #[arg(long)]
        district: String,
        /// The version to store it under (default: the first 12 hex digits of its SHA-256).
        #[arg(long = "as", value_name = "VERSION")]
        version: Option<String>,
        /// The TOML file (for `model`, the model file `cargo xtask train` wrote).
        file: PathBuf,
    },
    /// Make a stored version the district's active one on every node, once it checks: a rule set must
    /// compile without errors and pass its examples, a schema must check clean (else the report, exit 2).
    Activate {
        /// The district code.
        #[arg(long)]
        district: String,
        /// The stored version.
        version: String,
    },
    /// Go back to the version active before; with none, the city's rule set (or the built-in schemas).
    Rollback {
        /// The district code.
        #[arg(long)]
        district: String,
    },
    /// The district's stored versions, the active one marked.
    List {
        /// The district code.
        #[arg(long)]
        district: String,
    },
}

/// Where the command acts: the database, or a service; and as whom.
#[derive(Debug, clap::Args)]
pub(super) struct Target {
    /// The registry: an SQLite file, or a `postgres://` URL.
    #[arg(long, value_name = "FILE|URL", env = "MINYI_DB", default_value = "minyi.db", global = true)]
    db: String,
    /// The acting admin's token.
    #[arg(long, env = "MINYI_TOKEN", global = true, hide_env_values = true)]
    token: Option<String>,
    /// Act through this service's HTTP API with the token instead of on the database.
    #[arg(long, value_name = "URL", env = "MINYI_SERVER", global = true)]
    server: Option<String>,
}

/// Runs `command` on `kind`. Exit 0 done, 2 refused (the code and the report on stderr).
pub(super) fn run(
    runtime: impl FnOnce() -> anyhow::Result<Runtime>,
    target: &Target,
    kind: DataKind,
    command: DataCommand,
) -> anyhow::Result<ExitCode> {
    if let Some(url) = &target.server {
        return remote(&Remote::new(url, target.token.as_deref())?, kind, command);
    }
    let db = target.db.as_str();
    let admins = Admins::open_url(db).with_context(|| format!("opening the admins in {db}"))?;
    let registry = crate::plugins::open_registry(db).with_context(|| format!("opening the registry {db}"))?;
    let admin = match target.token.as_deref().map(|t| admins.authenticate(t)) {
        Some(Ok(admin)) => admin,
        Some(Err(e)) => return Ok(refused(&e.into())),
        None => return Ok(refused(&RegistryError::Auth(AuthError::Unauthenticated))),
    };
    let result = match command {
        DataCommand::Upload { district, version, file } => {
            let data = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            registry
                .upload_data(&admin, &district, kind, version.as_deref(), &data)
                .map(|row| serde_json::to_value(row).unwrap_or_default())
        }
        DataCommand::Activate { district, version } => {
            let runtime = Arc::new(runtime()?);
            let check = |d: &[u8]| crate::districts::check(&runtime, &district, kind, d);
            registry
                .activate_data(&admin, &district, kind, &version, &check)
                .map(|row| serde_json::json!({ "district": district, "kind": kind, "active": row.version }))
        }
        DataCommand::Rollback { district } => registry
            .rollback_data(&admin, &district, kind)
            .map(|active| serde_json::json!({ "district": district, "kind": kind, "active": active })),
        DataCommand::List { district } => {
            registry.list_data(&admin, &district, kind).map(|rows| serde_json::to_value(rows).unwrap_or_default())
        }
    };
    match result {
        Ok(value) => {
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(refused(&e)),
    }
}

fn refused(e: &RegistryError) -> ExitCode {
    eprintln!("error: {}: {e}", e.code());
    ExitCode::from(2)
}

/// The same through `POST/GET /api/admin/districts/{district}/{kind}…`.
fn remote(remote: &Remote, kind: DataKind, command: DataCommand) -> anyhow::Result<ExitCode> {
    let base = |district: &str| format!("/api/admin/districts/{}/{}", encode(district), kind.name());
    let answer: Answer = match command {
        DataCommand::Upload { district, version, file } => {
            let data = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let query = version.map(|v| format!("?version={}", encode(&v))).unwrap_or_default();
            let media = if kind.is_text() { "text/plain; charset=utf-8" } else { "application/octet-stream" };
            remote.post_bytes(&format!("{}{query}", base(&district)), media, &data)?
        }
        DataCommand::Activate { district, version } => {
            remote.post(&format!("{}/activate", base(&district)), &serde_json::json!({ "version": version }))?
        }
        DataCommand::Rollback { district } => {
            remote.post(&format!("{}/rollback", base(&district)), &serde_json::json!({}))?
        }
        DataCommand::List { district } => remote.get(&base(&district))?,
    };
    print(answer, None)
}
