//! The `minyi` command line: `serve`, `validate`, `route`, `rules check|test|upload|activate|rollback|list`,
//! `schema upload|activate|rollback|list`, `eval-311`, `eval-classify`, `score`,
//! `hotspots`, `assess`, `import-311`, `plugin`, `case`, `token`, `replay`, `demo` and `sla`, all through the wasmtime
//! runtime; `plugin`, `case` and `token` act on the database or, with `--server URL`, through a
//! service's HTTP API (`remote`). One file per command group; this one parses and dispatches.

mod case;
mod classify;
mod demo;
mod districts;
mod kit;
mod plugin;
mod remote;
mod replay;
mod rules;
mod score;
mod serve;
mod token;
mod validate;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use minyi_runtime::{Runtime, RuntimeConfig};
use std::path::PathBuf;
use std::process::ExitCode;

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
        /// An origin whose pages may embed the widget and call the API (CORS), e.g.
        /// `https://www.bjchy.gov.cn`; repeatable. None is allowed by default.
        #[arg(long = "allow-origin", value_name = "URL", value_parser = crate::http::origin)]
        allow_origin: Vec<String>,
        /// A category classifier model (written by `cargo xtask train`): intake fills the category of a
        /// form that has none with the one it suggests, marked as suggested.
        #[arg(long, value_name = "MODEL", env = "MINYI_CLASSIFIER")]
        classifier: Option<PathBuf>,
        #[command(flatten)]
        limits: serve::Limits,
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
    /// Check or test a rule set; upload, activate, roll back and list a district's own rule set.
    Rules {
        #[command(flatten)]
        target: districts::Target,
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// A district's own case-form schema: upload, activate, roll back, list.
    Schema {
        #[command(flatten)]
        target: districts::Target,
        #[command(subcommand)]
        command: districts::DataCommand,
    },
    /// A district's own category classifier model (智能分拨): upload, activate, roll back, list. Its
    /// demands are suggested categories by it instead of the service's `--classifier` model.
    Model {
        #[command(flatten)]
        target: districts::Target,
        #[command(subcommand)]
        command: districts::DataCommand,
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
    /// Evaluate a category-suggestion model (from `cargo xtask train`) on a labelled CSV: accuracy,
    /// macro-F1, the confusion matrix and the calibration. Rows without a label are skipped.
    /// Exit code: 0 evaluated, 2 unusable model or CSV.
    #[command(name = "eval-classify")]
    EvalClassify {
        /// The model file.
        #[arg(long, value_name = "FILE")]
        model: PathBuf,
        /// The labelled CSV.
        #[arg(long, value_name = "PATH")]
        csv: PathBuf,
        /// The column(s) holding the text; repeat to join several.
        #[arg(long = "text-col", value_name = "COLUMN", default_values_t = ["title".to_owned(), "text".to_owned()])]
        text_col: Vec<String>,
        /// The column holding the category.
        #[arg(long = "label-col", value_name = "COLUMN", default_value = "category")]
        label_col: String,
        /// Print the evaluation as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rank streets and departments on the three rates (三率) for a month, from case events.
    /// Exit code: 0 scored, 2 unusable input.
    Score {
        #[command(flatten)]
        period: score::PeriodArgs,
    },
    /// Hotspots, repeat demands and 每月一题 candidates for a month, from case events.
    Hotspots {
        #[command(flatten)]
        period: score::PeriodArgs,
        #[command(flatten)]
        stats: score::HotspotArgs,
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
    /// District plugins: build and test a plugin project; upload, activate, roll back, list, disable;
    /// keys and admin tokens.
    Plugin {
        /// The registry: an SQLite file, or a `postgres://` URL.
        #[arg(long, value_name = "FILE|URL", env = "MINYI_DB", default_value = "minyi.db", global = true)]
        db: String,
        /// The acting admin's token.
        #[arg(long, env = "MINYI_TOKEN", global = true, hide_env_values = true)]
        token: Option<String>,
        /// Act through this service's HTTP API with the token instead of on the database.
        #[arg(long, value_name = "URL", env = "MINYI_SERVER", global = true)]
        server: Option<String>,
        #[command(subcommand)]
        command: plugin::PluginCommand,
    },
    /// Stored cases: list, show one, export their events for `minyi score`, act on one (staff).
    Case {
        /// The database `minyi serve --db` stores in: an SQLite file, or a `postgres://` URL.
        #[arg(long, value_name = "FILE|URL", env = "MINYI_DB", default_value = "minyi.db", global = true)]
        db: String,
        /// The acting admin's token.
        #[arg(long, env = "MINYI_TOKEN", global = true, hide_env_values = true)]
        token: Option<String>,
        /// Act through this service's HTTP API with the token instead of on the database.
        #[arg(long, value_name = "URL", env = "MINYI_SERVER", global = true)]
        server: Option<String>,
        #[command(subcommand)]
        command: case::CaseCommand,
    },
    /// Tokens of staff and of integrating platforms: create, list, revoke.
    Token {
        /// The database: an SQLite file, or a `postgres://` URL.
        #[arg(long, value_name = "FILE|URL", env = "MINYI_DB", default_value = "minyi.db", global = true)]
        db: String,
        /// The acting admin's token (none for the first token of a fresh database).
        #[arg(long, env = "MINYI_TOKEN", global = true, hide_env_values = true)]
        token: Option<String>,
        /// Act through this service's HTTP API with the token instead of on the database (every
        /// token but a fresh database's first).
        #[arg(long, value_name = "URL", env = "MINYI_SERVER", global = true)]
        server: Option<String>,
        #[command(subcommand)]
        command: token::TokenCommand,
    },
    /// Run a case's decisions again (`--case ID`), or a month's (`--month YYYY-MM`), on the recorded
    /// component bytes, rule set, plugin version, configuration and clock readings, and on today's;
    /// print `identical` or the first field that differs and what changed. Exit 1 when a decision does
    /// not replay identical on its recorded deciders.
    Replay {
        /// The database `minyi serve --db` stores in: an SQLite file, or a `postgres://` URL.
        #[arg(long, value_name = "FILE|URL", env = "MINYI_DB", default_value = "minyi.db")]
        db: String,
        /// The case number.
        #[arg(long, value_name = "ID", conflicts_with = "month", required_unless_present = "month")]
        case: Option<String>,
        /// A month of Beijing time: every case received in it.
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<String>,
        /// With `--month`: only this district's cases.
        #[arg(long, value_name = "CODE", requires = "month")]
        district: Option<String>,
        /// Today's rule set to compare with (TOML); default: the Beijing set built into `minyi`.
        #[arg(long, value_name = "FILE", env = "MINYI_RULES")]
        rules: Option<PathBuf>,
        /// Today's category classifier model to compare with; without it, suggestions replay on the
        /// recorded model only.
        #[arg(long, value_name = "MODEL", env = "MINYI_CLASSIFIER")]
        classifier: Option<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Fill a fresh database with months of generated Beijing casework, filed and worked through the
    /// service's own handlers (intake, the units' and districts' actions, callbacks, the time-limit
    /// sweep); prints what it wrote and, on a database without tokens, the city admin's token it made.
    Demo {
        #[command(flatten)]
        args: demo::DemoArgs,
    },
    /// Time limits: run the sweep that writes the 80 % warnings and the overdue events (督办).
    Sla {
        #[command(subcommand)]
        command: SlaCommand,
    },
    /// Convert an NYC 311 CSV export to case events (JSON lines on standard output).
    #[command(name = "import-311")]
    Import311 {
        /// The CSV export (columns unique_key, created_date, closed_date, agency, complaint_type, descriptor, borough).
        csv: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum SlaCommand {
    /// Write the warnings and overdue events due as of an instant (what `minyi serve` does every minute);
    /// prints `{"examined", "warnings", "overdue", "cases"}`.
    Sweep {
        /// The database: an SQLite file, or a `postgres://` URL.
        #[arg(long, value_name = "FILE|URL", env = "MINYI_DB", default_value = "minyi.db")]
        db: String,
        /// Sweep as of this instant (RFC 3339); default: now.
        #[arg(long, value_name = "RFC3339")]
        now: Option<String>,
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
    #[command(flatten)]
    District(districts::DataCommand),
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
    // Commands that run no built-in component do not load them; the others compile (or read from
    // the code cache) only the components they call. The service compiles all four before it listens.
    let runtime = || Runtime::lazy(RuntimeConfig::default()).context("loading the components");
    match cli.command {
        Command::Serve { listen, web, rules, db, allow_origin, classifier, limits } => {
            let runtime = Runtime::new(RuntimeConfig::default()).context("loading the components")?;
            let service =
                serve::Service { web_dir: web, allow_origins: allow_origin, guard: limits.guard(), classifier };
            serve::serve(runtime, &listen, rules, &db, service)
        }
        Command::Validate { form, district, schema, now } => {
            validate::validate(&runtime()?, &form, district.as_deref(), schema.as_deref(), now)
        }
        Command::Route { rules, repeat, form } => rules::route(&runtime()?, &rules, &form, repeat),
        Command::Rules { command: RulesCommand::Check { file }, .. } => rules::check(&runtime()?, &file),
        Command::Rules { command: RulesCommand::Test { file }, .. } => rules::test(&runtime()?, &file),
        Command::Rules { target, command: RulesCommand::District(command) } => {
            districts::run(runtime, &target, minyi_registry::DataKind::Rules, command)
        }
        Command::Schema { target, command } => {
            districts::run(runtime, &target, minyi_registry::DataKind::Schema, command)
        }
        Command::Model { target, command } => {
            districts::run(runtime, &target, minyi_registry::DataKind::Model, command)
        }
        Command::Eval311 { rules, csv } => rules::eval_311(&runtime()?, &rules, &csv),
        Command::EvalClassify { model, csv, text_col, label_col, json } => {
            classify::evaluate(&model, &csv, &text_col, &label_col, json)
        }
        Command::Score { period } => score::score(&runtime()?, &period),
        Command::Hotspots { period, stats } => score::hotspots(&runtime()?, &period, &stats),
        Command::Assess { case_id, config, as_of, events } => {
            score::assess(&runtime()?, &events, &case_id, config.as_deref(), as_of.as_deref())
        }
        Command::Import311 { csv } => score::import_311(&csv),
        // Local whatever `--server` says: they touch no database and no service.
        Command::Plugin { command: plugin::PluginCommand::Build { dir, tools }, .. } => kit::build(&dir, &tools),
        Command::Plugin { command: plugin::PluginCommand::Test { dir, component }, .. } => {
            kit::test(&runtime()?, &dir, component.as_deref())
        }
        Command::Plugin {
            command: command @ (plugin::PluginCommand::Keygen | plugin::PluginCommand::Sign { .. }),
            ..
        } => plugin::run("", None, command),
        Command::Plugin { server: Some(url), token, command, .. } => {
            plugin::remote(&remote::Remote::new(&url, token.as_deref())?, command)
        }
        Command::Case { server: Some(url), token, command, .. } => {
            case::remote(&remote::Remote::new(&url, token.as_deref())?, command)
        }
        Command::Token { server: Some(url), token, command, .. } => {
            token::remote(&remote::Remote::new(&url, token.as_deref())?, command)
        }
        Command::Plugin { db, token, command, .. } => plugin::run(&db, token.as_deref(), command),
        Command::Case { db, token, command, .. } => case::run(&db, token.as_deref(), command),
        Command::Token { db, token, command, .. } => token::run(&db, token.as_deref(), command),
        Command::Demo { args } => demo::demo(runtime()?, &args),
        Command::Sla { command: SlaCommand::Sweep { db, now } } => sweep(&db, now.as_deref()),
        Command::Replay { db, case, month, district, rules, classifier, json } => {
            let scope = match (case, month) {
                (Some(case), _) => replay::Scope::Case(case),
                (None, Some(month)) => replay::Scope::Month { month, district },
                (None, None) => anyhow::bail!("give --case ID or --month YYYY-MM"),
            };
            let today = replay::Inputs { rules: rules.as_deref(), classifier: classifier.as_deref() };
            replay::replay(runtime()?, &db, today, scope, json)
        }
    }
}

/// `minyi sla sweep`.
fn sweep(db: &str, now: Option<&str>) -> anyhow::Result<ExitCode> {
    let now = match now {
        Some(t) => chrono::DateTime::parse_from_rfc3339(t.trim())
            .with_context(|| format!("--now {t:?} is not an RFC 3339 instant"))?,
        None => crate::clock::beijing_time(),
    };
    let store = minyi_cases::CaseStore::open_url(db, minyi_cases::BEIJING)
        .with_context(|| format!("opening the case store in {db}"))?;
    let swept = store.sweep(now)?;
    println!("{}", serde_json::to_string(&swept)?);
    Ok(ExitCode::SUCCESS)
}
