//! `minyi demo`: fills a fresh database with months of generated Beijing casework through the service's
//! own handlers (`crate::demo`), so the console and the API show casework that the service produced.

use super::serve::{Service, open};
use anyhow::Context as _;
use minyi_auth::{Admins, NewToken, Role};
use minyi_runtime::Runtime;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// `minyi demo` flags.
#[derive(Debug, Clone, clap::Args)]
pub(super) struct DemoArgs {
    /// How many months of casework, ending now (or at `--end`).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=24))]
    months: u32,
    /// Demands filed on an ordinary working day (half as many at weekends).
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=2000))]
    per_day: u32,
    /// The same seed gives the same casework.
    #[arg(long, default_value_t = 12345)]
    seed: u64,
    /// Where the casework stops (RFC 3339); default: now in Beijing. Cases whose next step would come
    /// later stay open: the units' queues.
    #[arg(long, value_name = "RFC3339")]
    end: Option<String>,
    /// The database to fill (it must hold no cases): an SQLite file (created when missing) or a
    /// `postgres://` URL.
    #[arg(long, value_name = "FILE|URL", env = "MINYI_DB", default_value = "minyi.db")]
    db: String,
    /// A city admin's token; none on a fresh database, whose first city admin the demo makes and prints.
    #[arg(long, env = "MINYI_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The rule set (TOML) intake routes with; default: the Beijing set built into `minyi`.
    #[arg(long, value_name = "FILE", env = "MINYI_RULES")]
    rules: Option<PathBuf>,
}

/// Runs `minyi demo`: prints `{"filled": {…}, "city_token": …}` (the token only when the demo made it).
pub(super) fn demo(runtime: Runtime, args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let end = match &args.end {
        Some(t) => chrono::DateTime::parse_from_rfc3339(t.trim())
            .with_context(|| format!("--end {t:?} is not an RFC 3339 instant"))?,
        None => crate::clock::beijing_time(),
    };
    let admins = Admins::open_url(&args.db).with_context(|| format!("opening the tokens in {}", args.db))?;
    let (city, made) = match &args.token {
        Some(token) => {
            let staff = admins.authenticate(token)?;
            staff.city()?;
            (staff, None)
        }
        None => {
            let spec = NewToken { role: Some(Role::City), name: Some("市级管理员"), ..NewToken::default() };
            let created = admins
                .create(None, &spec)
                .context("this database has tokens already: give a city admin's --token (or MINYI_TOKEN)")?;
            (created.staff, Some(created.token))
        }
    };
    let service = Service {
        web_dir: PathBuf::new(),
        allow_origins: Vec::new(),
        // The demo is the service's own client: no per-address rate applies to it.
        guard: crate::http::Guard::default().with_rate(None),
        classifier: None,
    };
    let clock = crate::clock::Clock::fixed(end);
    let Some(state) = open(Arc::new(runtime), args.rules.as_deref(), &args.db, clock, service)? else {
        return Ok(ExitCode::from(2));
    };
    let plan = crate::demo::Plan { months: args.months, per_day: args.per_day, seed: args.seed, end };
    let started = std::time::Instant::now();
    let filled = crate::demo::fill(state, &city, &plan).inspect_err(|_| {
        if let Some(token) = &made {
            eprintln!("The city admin's token (shown this once): {token}");
        }
    })?;
    tracing::info!(seconds = started.elapsed().as_secs_f64(), cases = filled.cases, "demo casework filed");
    println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "filled": filled, "city_token": made }))?);
    if made.is_some() {
        eprintln!("The city admin's token above is shown this once: sign in to the console with it.");
    }
    Ok(ExitCode::SUCCESS)
}
