//! The `minyi` command line: `serve`, `validate`, `route`, `rules check|test`, `eval-311`, `score`,
//! `hotspots`, `assess`, `import-311`, `plugin` and `case`, all through the wasmtime runtime.

use crate::{AppState, app};
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use minyi_runtime::{CallError, Runtime, RuntimeConfig};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Minyi (民意): citizen-demand casework components.
#[derive(Debug, Parser)]
#[command(name = "minyi", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web app, the component bytes and the API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8345", env = "MINYI_LISTEN")]
        listen: String,
        /// Folder of the built web app (written by `cargo xtask dist`).
        #[arg(long, default_value = "target/site", env = "MINYI_WEB_DIR")]
        web: PathBuf,
        /// The rule set (TOML) for `POST /api/route` and intake; default: the Beijing set built into `minyi`.
        #[arg(long, value_name = "FILE", env = "MINYI_RULES")]
        rules: Option<PathBuf>,
        /// The database — cases, and the plugin registry: an SQLite file (created when missing), or a
        /// `postgres://` URL, which several servers share (each picks up a plugin change within half a second).
        #[arg(long, value_name = "FILE|URL", env = "MINYI_DB", default_value = "minyi.db")]
        db: String,
    },
    /// Validate a case-form JSON file and print the validation result.
    /// Exit code: 0 valid, 1 invalid, 2 unusable input.
    Validate {
        /// The case-form JSON file (`-` for standard input).
        form: PathBuf,
        /// Validate as this district's intake (its built-in schema); fills the form's `district` when missing.
        #[arg(long, value_name = "CODE")]
        district: Option<String>,
        /// A district schema file (TOML) to use instead of the built-in one.
        #[arg(long, value_name = "FILE")]
        schema: Option<PathBuf>,
        /// Validation time (RFC 3339); default: now in Beijing.
        #[arg(long)]
        now: Option<String>,
    },
    /// Route a case-form JSON file with a rule set and print the routing decision, explanation included.
    /// Exit code: 0 routed, 2 unusable rule set or form.
    Route {
        /// The rule-set file (TOML).
        #[arg(long, value_name = "FILE")]
        rules: PathBuf,
        /// Earlier demands of the same reporter or address (重复诉求).
        #[arg(long, default_value_t = 0)]
        repeat: u32,
        /// The case-form JSON file (`-` for standard input).
        form: PathBuf,
    },
    /// Check or test a rule set.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Replay an NYC 311 CSV through a rule set and report agreement with the real agencies.
    #[command(name = "eval-311")]
    Eval311 {
        /// The rule-set file (TOML).
        #[arg(long, value_name = "FILE")]
        rules: PathBuf,
        /// The CSV export (columns created_date, agency, complaint_type, descriptor, borough).
        #[arg(long, value_name = "PATH")]
        csv: PathBuf,
    },
    /// Rank streets and departments on the three rates (三率) for a month, from case events.
    /// Exit code: 0 scored, 2 unusable input.
    Score {
        #[command(flatten)]
        period: crate::score_cli::PeriodArgs,
    },
    /// Hotspots, repeat demands and 每月一题 candidates for a month, from case events.
    Hotspots {
        #[command(flatten)]
        period: crate::score_cli::PeriodArgs,
        #[command(flatten)]
        stats: crate::score_cli::HotspotArgs,
    },
    /// Assess one case from its events: contacted and replied in time, callback, exclusion.
    Assess {
        /// The case number.
        #[arg(long = "case", value_name = "ID")]
        case_id: String,
        /// Scoring policy (JSON).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Assess as things stood at this instant (RFC 3339).
        #[arg(long, value_name = "INSTANT")]
        as_of: Option<String>,
        /// The case events, one JSON object per line.
        events: PathBuf,
    },
    /// District plugins: upload, activate, roll back, list, disable; keys and admin tokens.
    Plugin {
        /// The registry: an SQLite file, or a `postgres://` URL.
        #[arg(long, value_name = "FILE|URL", env = "MINYI_DB", default_value = "minyi.db", global = true)]
        db: String,
        /// The acting admin's token.
        #[arg(long, env = "MINYI_TOKEN", global = true, hide_env_values = true)]
        token: Option<String>,
        #[command(subcommand)]
        command: crate::plugin_cli::PluginCommand,
    },
    /// Stored cases: list, show one, export their events for `minyi score` (admins).
    Case {
        /// The database `minyi serve --db` stores in: an SQLite file, or a `postgres://` URL.
        #[arg(long, value_name = "FILE|URL", env = "MINYI_DB", default_value = "minyi.db", global = true)]
        db: String,
        /// The acting admin's token.
        #[arg(long, env = "MINYI_TOKEN", global = true, hide_env_values = true)]
        token: Option<String>,
        #[command(subcommand)]
        command: crate::case_cli::CaseCommand,
    },
    /// Convert an NYC 311 CSV export to case events (JSON lines on standard output).
    #[command(name = "import-311")]
    Import311 {
        /// The CSV export (columns unique_key, created_date, closed_date, agency, complaint_type, descriptor, borough).
        csv: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Print every error and warning (shadowed or overlapping rules, unreachable units). Exit 1 on errors.
    Check {
        /// The rule-set file (TOML).
        file: PathBuf,
    },
    /// Run the examples written in the rule set. Exit 1 when one fails.
    Test {
        /// The rule-set file (TOML).
        file: PathBuf,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "minyi=info,minyi_runtime=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Commands that run no built-in component do not load them.
    let runtime = || Runtime::new(RuntimeConfig::default()).context("loading the components");
    match cli.command {
        Command::Serve { listen, web, rules, db } => serve(runtime()?, &listen, web, rules, &db),
        Command::Validate { form, district, schema, now } => {
            validate(&runtime()?, &form, district.as_deref(), schema.as_deref(), now)
        }
        Command::Route { rules, repeat, form } => crate::rules_cli::route(&runtime()?, &rules, &form, repeat),
        Command::Rules { command: RulesCommand::Check { file } } => crate::rules_cli::check(&runtime()?, &file),
        Command::Rules { command: RulesCommand::Test { file } } => crate::rules_cli::test(&runtime()?, &file),
        Command::Eval311 { rules, csv } => crate::rules_cli::eval_311(&runtime()?, &rules, &csv),
        Command::Score { period } => crate::score_cli::score(&runtime()?, &period),
        Command::Hotspots { period, stats } => crate::score_cli::hotspots(&runtime()?, &period, &stats),
        Command::Assess { case_id, config, as_of, events } => {
            crate::score_cli::assess(&runtime()?, &events, &case_id, config.as_deref(), as_of.as_deref())
        }
        Command::Import311 { csv } => crate::score_cli::import_311(&csv),
        Command::Plugin { db, token, command } => crate::plugin_cli::run(&db, token.as_deref(), command),
        Command::Case { db, token, command } => crate::case_cli::run(&db, token.as_deref(), command),
    }
}

/// The shipped Beijing rule set (`components/routing/rulesets/beijing.toml`), built in so `minyi serve`
/// routes wherever it is started.
const BEIJING_RULES: &str = include_str!("../../../components/routing/rulesets/beijing.toml");

fn serve(
    runtime: Runtime,
    listen: &str,
    web_dir: PathBuf,
    rules: Option<PathBuf>,
    db: &str,
) -> anyhow::Result<ExitCode> {
    if !web_dir.join("index.html").exists() {
        tracing::warn!(dir = %web_dir.display(), "no web app here: build it with `cargo xtask dist` (the API still works)");
    }
    let runtime = Arc::new(runtime);
    // `--rules FILE`, or the Beijing rule set built into the binary.
    let (name, source) = match &rules {
        Some(file) => (
            file.display().to_string(),
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?,
        ),
        None => ("beijing.toml (built in)".to_owned(), BEIJING_RULES.to_owned()),
    };
    let rules = match runtime.compile_rules_shared(&source)? {
        Ok(compiled) => {
            for w in compiled.warnings() {
                tracing::warn!("{name}:{}:{}: {}", w.line, w.column, w.message);
            }
            tracing::info!(file = %name, name = compiled.name(), rules = compiled.rule_count(), "rule set loaded");
            Some(Arc::new(compiled))
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{name}:{}:{}: {}", e.line, e.column, e.message);
            }
            return Ok(ExitCode::from(2));
        }
    };
    let plugins = crate::plugins_http::Plugins::open(db)?;
    plugins.watch(std::time::Duration::from_millis(500));
    let cases = minyi_cases::CaseStore::open_url(db, minyi_cases::BEIJING).context("opening the case store")?;
    tracing::info!(backend = cases.backend(), "case store open");
    let state = AppState { runtime, web_dir, rules, plugins: Some(plugins), cases: Some(Arc::new(cases)) };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
        tracing::info!("serving on http://{}", listener.local_addr()?);
        axum::serve(listener, app(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(ExitCode::SUCCESS)
    })
}

fn validate(
    runtime: &Runtime,
    path: &Path,
    district: Option<&str>,
    schema: Option<&Path>,
    now: Option<String>,
) -> anyhow::Result<ExitCode> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    let unusable = |code: &str, message: &str| {
        eprintln!("error: {}: {code}: {message}", path.display());
        Ok(ExitCode::from(2))
    };
    let text = match district {
        None => text,
        Some(code) => match with_district(&text, code) {
            Ok(text) => text,
            Err(message) => return unusable("district.conflict", &message),
        },
    };
    let now = now.unwrap_or_else(crate::beijing_now);
    let result = match schema {
        None => runtime.validate_json(&text, &now),
        Some(file) => {
            let source = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            let errors = runtime.check_schema(&source)?;
            if !errors.is_empty() {
                for e in &errors {
                    eprintln!("error: {}:{}:{}: {}: {}", file.display(), e.line, e.column, e.field, e.message);
                }
                return Ok(ExitCode::from(2));
            }
            runtime.validate_json_with_schema(&source, &text, &now)
        }
    };
    match result {
        Ok(json) => {
            let value: serde_json::Value =
                serde_json::from_str(&json).context("the component returned malformed JSON")?;
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(if value["valid"] == true { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Err(CallError::Input { code, message }) => unusable(&code, &message),
        Err(e) => Err(e.into()),
    }
}

/// Sets the form's `district` to `code` when it is missing or empty; refuses a different one.
/// (Plain JSON plumbing: the component does all checking.)
fn with_district(form_json: &str, code: &str) -> Result<String, String> {
    let mut value: serde_json::Value = match serde_json::from_str(form_json) {
        Ok(v) => v,
        // Leave malformed JSON to the component, which reports it with its field path.
        Err(_) => return Ok(form_json.to_owned()),
    };
    let Some(obj) = value.as_object_mut() else { return Ok(form_json.to_owned()) };
    match obj.get("district").and_then(|d| d.as_str()).map(str::trim) {
        None | Some("") => {
            obj.insert("district".into(), code.into());
        }
        Some(given) if given == code => {}
        Some(given) => return Err(format!("the form is for district {given}, not --district {code}")),
    }
    serde_json::to_string(&value).map_err(|e| e.to_string())
}
