//! The `minyi` command line: `serve` and `validate`, both through the wasmtime runtime.

use crate::{AppState, app};
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use minyi_runtime::{CallError, Runtime, RuntimeConfig};
use std::path::PathBuf;
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
    },
    /// Validate a case-form JSON file and print the validation result.
    /// Exit code: 0 valid, 1 invalid, 2 unusable input.
    Validate {
        /// The case-form JSON file (`-` for standard input).
        form: PathBuf,
        /// Validation time (RFC 3339); default: now in Beijing.
        #[arg(long)]
        now: Option<String>,
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
    let runtime = Runtime::new(RuntimeConfig::default()).context("loading the components")?;
    match cli.command {
        Command::Serve { listen, web } => serve(runtime, &listen, web),
        Command::Validate { form, now } => validate(&runtime, &form, now),
    }
}

fn serve(runtime: Runtime, listen: &str, web_dir: PathBuf) -> anyhow::Result<ExitCode> {
    if !web_dir.join("index.html").exists() {
        tracing::warn!(dir = %web_dir.display(), "no web app here: build it with `cargo xtask dist` (the API still works)");
    }
    let state = AppState { runtime: Arc::new(runtime), web_dir };
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

fn validate(runtime: &Runtime, path: &PathBuf, now: Option<String>) -> anyhow::Result<ExitCode> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    let now = now.unwrap_or_else(crate::beijing_now);
    match runtime.validate_json(&text, &now) {
        Ok(json) => {
            let value: serde_json::Value =
                serde_json::from_str(&json).context("the component returned malformed JSON")?;
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(if value["valid"] == true { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Err(CallError::Input { code, message }) => {
            eprintln!("error: {}: {code}: {message}", path.display());
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}
