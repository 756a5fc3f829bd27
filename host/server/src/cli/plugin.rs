//! `minyi plugin …`: district admins upload, activate, roll back, list and disable their district's
//! plugins in the registry; city admins create admin tokens and register districts' signing keys;
//! `keygen` and `sign` make and sign a manifest.

use anyhow::Context as _;
use clap::Subcommand;
use minyi_auth::{Admins, AuthError, Staff};
use minyi_plugins::{PluginHost, PluginHostConfig};
use minyi_registry::{Limits, Manifest, RegistryError, WIT_PACKAGE, signing};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `minyi plugin` subcommands.
#[derive(Debug, Subcommand)]
pub(super) enum PluginCommand {
    /// Build a plugin project (made by `cargo xtask new-plugin`) into DIR/plugin.wasm, checked as the
    /// host checks an upload; prints its hooks, imports and digest.
    Build {
        /// The project folder (with plugin.toml).
        dir: PathBuf,
        #[command(flatten)]
        tools: super::kit::Tools,
    },
    /// Run a plugin project's tests/cases.json through the real plugin host, with the grants and limits
    /// of its plugin.toml. Exit code: 0 every case passed, 1 one failed, 2 unusable project.
    Test {
        /// The project folder (with plugin.toml and tests/cases.json).
        dir: PathBuf,
        /// The component to test (default: DIR/plugin.wasm).
        #[arg(long, value_name = "FILE")]
        component: Option<PathBuf>,
    },
    /// Create an admin token (printed once). The first token of a new registry is the city admin's and
    /// needs no token; after that a city admin's token is required.
    AdminCreate {
        /// The district the new admin manages; none: a city admin.
        #[arg(long)]
        district: Option<String>,
    },
    /// Register a district's ed25519 public key (hex) for signing plugins (city admins).
    Trust {
        /// District code.
        #[arg(long)]
        district: String,
        /// The public key, hex.
        public_key: String,
    },
    /// Print a new ed25519 key pair as JSON ({"secret", "public"}).
    Keygen,
    /// Write a signed manifest for a component to standard output (hooks found in the component).
    Sign {
        /// File holding the secret key (hex).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Plugin name.
        #[arg(long)]
        name: String,
        /// The version being signed (free text, e.g. `1.0.0`; unique per plugin name).
        #[arg(long)]
        version: String,
        /// The district code the plugin is for (`110105`); its admin uploads it.
        #[arg(long)]
        district: String,
        /// Configuration granted to the plugin, KEY=VALUE (repeatable).
        #[arg(long = "config", value_name = "KEY=VALUE")]
        config: Vec<String>,
        /// The per-call limits requested.
        #[command(flatten)]
        limits: LimitArgs,
        /// The component (.wasm).
        component: PathBuf,
    },
    /// Upload a signed version (not activated).
    Add {
        /// The manifest (JSON).
        manifest: PathBuf,
        /// The component (.wasm).
        component: PathBuf,
    },
    /// Make an uploaded version the district's active plugin.
    Activate {
        /// District (default: the admin's own).
        #[arg(long)]
        district: Option<String>,
        /// Plugin name.
        name: String,
        /// The uploaded version to make active.
        version: String,
    },
    /// Go back to the previously active version.
    Rollback {
        /// District (default: the admin's own).
        #[arg(long)]
        district: Option<String>,
    },
    /// List the district's versions (JSON).
    List {
        /// District (default: the admin's own).
        #[arg(long)]
        district: Option<String>,
    },
    /// The district's stored plugin faults, newest first, from every host (JSON); or one case's.
    Faults {
        /// District (default: the admin's own).
        #[arg(long)]
        district: Option<String>,
        /// Only the faults of this case.
        #[arg(long = "case", value_name = "CASE_ID")]
        case_id: Option<String>,
        /// How many at most.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Disable the district's active plugin.
    Disable {
        /// District (default: the admin's own).
        #[arg(long)]
        district: Option<String>,
        /// Why (shown to the district's admins).
        #[arg(long)]
        reason: String,
    },
}

/// Per-call limits for `minyi plugin sign` (defaults: the manifest's).
#[derive(Debug, Clone, clap::Args)]
pub(super) struct LimitArgs {
    /// Fuel per call (about one unit per wasm instruction).
    #[arg(long)]
    fuel: Option<u64>,
    /// Linear-memory cap, MiB (a Python plugin's runtime needs about 40).
    #[arg(long, value_name = "MIB")]
    memory_mib: Option<u64>,
    /// Output cap, bytes.
    #[arg(long, value_name = "BYTES")]
    output_bytes: Option<u64>,
}

fn district_of(admin: &Staff, given: Option<String>) -> anyhow::Result<String> {
    given.or_else(|| admin.district.clone()).context("give --district (a city admin has no district of its own)")
}

fn refused(e: &RegistryError) -> ExitCode {
    eprintln!("error: {}: {e}", e.code());
    ExitCode::from(2)
}

/// Runs a `minyi plugin` command against the registry at `db`, as the admin holding `token`.
pub(super) fn run(db: &str, token: Option<&str>, command: PluginCommand) -> anyhow::Result<ExitCode> {
    if let PluginCommand::Keygen = command {
        let (secret, public) = signing::generate()?;
        println!("{}", serde_json::json!({ "secret": secret, "public": public }));
        return Ok(ExitCode::SUCCESS);
    }
    if let PluginCommand::Sign { key, name, version, district, config, limits, component } = &command {
        return sign(key, name, version, district, config, limits, component);
    }
    let admins = Admins::open_url(db).with_context(|| format!("opening the admins in {db}"))?;
    let admin = match token.map(|t| admins.authenticate(t)).transpose() {
        Ok(a) => a,
        Err(e) => return Ok(refused(&e.into())),
    };
    if let PluginCommand::AdminCreate { district } = &command {
        return Ok(match admins.create_admin(admin.as_ref(), district.as_deref()) {
            Ok(token) => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "token": token, "district": district }))?
                );
                ExitCode::SUCCESS
            }
            Err(e) => refused(&e.into()),
        });
    }
    let registry = crate::plugins::open_registry(db).with_context(|| format!("opening the registry {db}"))?;
    let need = |admin: &Option<Staff>| -> Result<Staff, RegistryError> {
        admin.clone().ok_or(RegistryError::Auth(AuthError::Unauthenticated))
    };
    let result: Result<serde_json::Value, RegistryError> = (|| match command {
        PluginCommand::Trust { district, public_key } => {
            registry.trust_key(&need(&admin)?, &district, &public_key)?;
            Ok(serde_json::json!({ "district": district, "trusted": public_key }))
        }
        PluginCommand::Add { manifest, component } => {
            let admin = need(&admin)?;
            let text = std::fs::read_to_string(&manifest)
                .map_err(|e| RegistryError::Manifest(format!("{}: {e}", manifest.display())))?;
            let m: Manifest = serde_json::from_str(&text)
                .map_err(|e| RegistryError::Manifest(format!("{}: {e}", manifest.display())))?;
            let bytes = std::fs::read(&component)
                .map_err(|e| RegistryError::Manifest(format!("{}: {e}", component.display())))?;
            let host = PluginHost::new(PluginHostConfig::default())?;
            Ok(serde_json::to_value(registry.upload(&admin, &m, &bytes, &host)?).unwrap_or_default())
        }
        PluginCommand::Activate { district, name, version } => {
            let admin = need(&admin)?;
            let district =
                district_of(&admin, district).map_err(|e| RegistryError::Auth(AuthError::Forbidden(e.to_string())))?;
            registry.activate(&admin, &district, &name, &version)?;
            Ok(serde_json::json!({ "district": district, "active": { "name": name, "version": version } }))
        }
        PluginCommand::Rollback { district } => {
            let admin = need(&admin)?;
            let district =
                district_of(&admin, district).map_err(|e| RegistryError::Auth(AuthError::Forbidden(e.to_string())))?;
            let back = registry.rollback(&admin, &district)?;
            Ok(
                serde_json::json!({ "district": district, "active": back.map(|(n, v)| serde_json::json!({ "name": n, "version": v })) }),
            )
        }
        PluginCommand::List { district } => {
            let admin = need(&admin)?;
            let district =
                district_of(&admin, district).map_err(|e| RegistryError::Auth(AuthError::Forbidden(e.to_string())))?;
            Ok(serde_json::to_value(registry.list(&admin, &district)?).unwrap_or_default())
        }
        PluginCommand::Faults { district, case_id, limit } => {
            let admin = need(&admin)?;
            let faults = match case_id {
                Some(case_id) => registry.case_faults(&admin, &case_id)?,
                None => {
                    let district = district_of(&admin, district)
                        .map_err(|e| RegistryError::Auth(AuthError::Forbidden(e.to_string())))?;
                    registry.faults(&admin, &district, limit)?
                }
            };
            Ok(serde_json::to_value(faults).unwrap_or_default())
        }
        PluginCommand::Disable { district, reason } => {
            let admin = need(&admin)?;
            let district =
                district_of(&admin, district).map_err(|e| RegistryError::Auth(AuthError::Forbidden(e.to_string())))?;
            registry.disable(&admin, &district, &reason)?;
            Ok(serde_json::json!({ "district": district, "disabled": reason }))
        }
        PluginCommand::Keygen
        | PluginCommand::Sign { .. }
        | PluginCommand::AdminCreate { .. }
        | PluginCommand::Build { .. }
        | PluginCommand::Test { .. } => Err(RegistryError::NotFound("handled above".into())),
    })();
    match result {
        Ok(value) => {
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(refused(&e)),
    }
}

fn sign(
    key: &Path,
    name: &str,
    version: &str,
    district: &str,
    config: &[String],
    limits: &LimitArgs,
    component: &Path,
) -> anyhow::Result<ExitCode> {
    let secret = std::fs::read_to_string(key).with_context(|| format!("reading {}", key.display()))?;
    let bytes = std::fs::read(component).with_context(|| format!("reading {}", component.display()))?;
    let host = PluginHost::new(PluginHostConfig::default())?;
    let compiled = match host.compile(&bytes) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: component.refused: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let hooks = compiled.hooks();
    let mut pairs = std::collections::BTreeMap::new();
    for kv in config {
        let (k, v) = kv.split_once('=').with_context(|| format!("--config {kv:?} is not KEY=VALUE"))?;
        pairs.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    let defaults = Limits::default();
    let mut manifest = Manifest {
        name: name.to_owned(),
        version: version.to_owned(),
        district: district.to_owned(),
        hooks,
        wit: WIT_PACKAGE.to_owned(),
        limits: Limits {
            fuel: limits.fuel.unwrap_or(defaults.fuel),
            memory_bytes: limits.memory_mib.map_or(defaults.memory_bytes, |m| m.saturating_mul(1 << 20)),
            output_bytes: limits.output_bytes.unwrap_or(defaults.output_bytes),
        },
        config: pairs,
        sha256: hex::encode(Sha256::digest(&bytes)),
        signature: String::new(),
    };
    if let Err(problem) = manifest.check_fields() {
        eprintln!("error: manifest.invalid: {problem}");
        return Ok(ExitCode::from(2));
    }
    signing::sign(&mut manifest, secret.trim())?;
    println!("{}", serde_json::to_string_pretty(&manifest)?);
    Ok(ExitCode::SUCCESS)
}

/// Runs a `minyi plugin` command through the service's HTTP API (`keygen` and `sign` are local).
pub(super) fn remote(remote: &super::remote::Remote, command: PluginCommand) -> anyhow::Result<ExitCode> {
    use super::remote::{Answer, encode, print};
    use serde_json::json;
    // The district a command acts on: the one given, else the caller's own (`GET /api/me`).
    let district = |given: Option<String>| -> anyhow::Result<Result<String, Answer>> {
        if let Some(d) = given {
            return Ok(Ok(d));
        }
        match remote.get("/api/me")? {
            Answer::Ok(text) => {
                let me: serde_json::Value = serde_json::from_str(&text).context("the answer is not JSON")?;
                let own = me["district"].as_str().map(str::to_owned);
                Ok(Ok(own.context("give --district (a city admin has no district of its own)")?))
            }
            refused => Ok(Err(refused)),
        }
    };
    macro_rules! district {
        ($given:expr) => {
            match district($given)? {
                Ok(d) => encode(&d),
                Err(refused) => return print(refused, None),
            }
        };
    }
    match command {
        PluginCommand::Keygen
        | PluginCommand::Sign { .. }
        | PluginCommand::Build { .. }
        | PluginCommand::Test { .. } => run("", None, command),
        PluginCommand::AdminCreate { district } => {
            let role = if district.is_some() { "district" } else { "city" };
            print(remote.post("/api/admin/tokens", &json!({ "role": role, "district": district }))?, None)
        }
        PluginCommand::Trust { district, public_key } => {
            print(remote.post("/api/admin/keys", &json!({ "district": district, "public_key": public_key }))?, None)
        }
        PluginCommand::Add { manifest, component } => {
            let text = std::fs::read_to_string(&manifest).with_context(|| format!("reading {}", manifest.display()))?;
            let manifest: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("{}: not JSON", manifest.display()))?;
            let bytes = std::fs::read(&component).with_context(|| format!("reading {}", component.display()))?;
            print(remote.post_component("/api/admin/plugins", &manifest, &bytes)?, None)
        }
        PluginCommand::Activate { district, name, version } => {
            let d = district!(district);
            let body = json!({ "name": name, "version": version });
            print(remote.post(&format!("/api/admin/plugins/{d}/activate"), &body)?, None)
        }
        PluginCommand::Rollback { district } => {
            let d = district!(district);
            print(remote.post(&format!("/api/admin/plugins/{d}/rollback"), &json!({}))?, None)
        }
        PluginCommand::List { district } => {
            let d = district!(district);
            print(remote.get(&format!("/api/admin/plugins/{d}"))?, None)
        }
        PluginCommand::Faults { district, case_id, limit } => {
            let d = district!(district);
            let case = case_id.map(|c| format!("&case={}", encode(&c))).unwrap_or_default();
            print(remote.get(&format!("/api/admin/plugins/{d}/faults?limit={}{case}", limit.clamp(1, 1_000)))?, None)
        }
        PluginCommand::Disable { district, reason } => {
            let d = district!(district);
            print(remote.post(&format!("/api/admin/plugins/{d}/disable"), &json!({ "reason": reason }))?, None)
        }
    }
}
