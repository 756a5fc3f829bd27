//! `minyi token create|list|revoke`: the tokens of staff (city, district, operator, reviewer) and of
//! integrating platforms (client). The first token of a fresh database is the city admin's and needs
//! none; every later one needs a city admin's, or its district's admin's for that district's roles.

use anyhow::Context as _;
use clap::Subcommand;
use minyi_auth::{Admins, NewToken, Role};
use std::io::Write as _;
use std::process::ExitCode;

/// `minyi token` subcommands.
#[derive(Debug, Subcommand)]
pub(super) enum TokenCommand {
    /// Make a token; prints `{"token": …, "id": …, "role": …}` (the token is shown this once).
    Create {
        /// city, district, operator, reviewer or client.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The district (a district admin's, a reviewer's; an operator's follows from a street unit).
        #[arg(long, value_name = "CODE")]
        district: Option<String>,
        /// The unit (an operator's): a street code such as 110105026, or a department such as bj.heating.
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
        /// A name for people.
        #[arg(long)]
        name: Option<String>,
    },
    /// List the tokens you may see (JSON lines; never the secrets).
    List,
    /// Revoke a token by its id (as listed): it authenticates nobody from then on.
    Revoke {
        /// The token's id.
        id: String,
    },
}

fn parse_role(name: &str) -> Result<Role, String> {
    Role::parse(name).ok_or_else(|| format!("unknown role {name:?}; one of city, district, operator, reviewer, client"))
}

/// Runs a `minyi token` command on the database at `db`, as the holder of `token`.
pub(super) fn run(db: &str, token: Option<&str>, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let admins = Admins::open_url(db).with_context(|| format!("opening the tokens in {db}"))?;
    let by = token.map(|t| admins.authenticate(t)).transpose()?;
    let need = || by.clone().context("give --token (or MINYI_TOKEN): a city or district admin's token");
    let mut out = std::io::stdout().lock();
    match command {
        TokenCommand::Create { role, district, unit, name } => {
            let spec = NewToken {
                role: Some(role),
                district: district.as_deref(),
                unit: unit.as_deref(),
                name: name.as_deref(),
            };
            let created = admins.create(by.as_ref(), &spec)?;
            writeln!(out, "{}", serde_json::to_string_pretty(&created)?)?;
        }
        TokenCommand::List => {
            for t in admins.list(&need()?)? {
                writeln!(out, "{}", serde_json::to_string(&t)?)?;
            }
        }
        TokenCommand::Revoke { id } => {
            writeln!(out, "{}", serde_json::to_string(&admins.revoke(&need()?, &id)?)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a `minyi token` command through the service's HTTP API.
pub(super) fn remote(remote: &super::remote::Remote, command: TokenCommand) -> anyhow::Result<ExitCode> {
    use super::remote::{encode, print};
    match command {
        TokenCommand::Create { role, district, unit, name } => {
            let body = serde_json::json!({ "role": role, "district": district, "unit": unit, "name": name });
            print(remote.post("/api/admin/tokens", &body)?, None)
        }
        TokenCommand::List => print(remote.get("/api/admin/tokens")?, Some("tokens")),
        TokenCommand::Revoke { id } => {
            print(remote.post(&format!("/api/admin/tokens/{}/revoke", encode(&id)), &serde_json::json!({}))?, None)
        }
    }
}
