//! `minyi serve`: the rule set (the Beijing one built in, or `--rules FILE`) compiled once into the
//! router component, the case store, the admins and the plugin registry opened on one database, and the
//! HTTP API and web app served until Ctrl-C or SIGTERM, which stop taking connections and let the
//! requests in flight finish.

use crate::plugins::Plugins;
use crate::{AppState, app};
use anyhow::Context as _;
use minyi_runtime::Runtime;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// The shipped Beijing rule set (`components/routing/rulesets/beijing.toml`), built in so `minyi serve`
/// routes wherever it is started.
pub(super) const BEIJING_RULES: &str = include_str!("../../../../components/routing/rulesets/beijing.toml");

pub(super) fn serve(
    runtime: Runtime,
    listen: &str,
    rules: Option<PathBuf>,
    db: &str,
    service: Service,
) -> anyhow::Result<ExitCode> {
    if !service.web_dir.join("index.html").exists() {
        let dir = service.web_dir.display();
        tracing::warn!(%dir, "no web app here: build it with `cargo xtask dist` (the API still works)");
    }
    let state = open(Arc::new(runtime), rules.as_deref(), db, crate::clock::Clock::system(), service)?;
    let Some(state) = state else { return Ok(ExitCode::from(2)) };
    if let Some(plugins) = &state.plugins {
        plugins.watch(std::time::Duration::from_millis(500));
    }
    let (dir, components) = (state.web_dir.clone(), Arc::clone(&state.runtime));
    std::thread::spawn(move || crate::http::warm(&dir, &components));
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
        tracing::info!("serving on http://{}", listener.local_addr()?);
        crate::http::sweep_every(state.clone(), sla_interval());
        axum::serve(listener, app(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(stopped())
            .await?;
        tracing::info!("stopped; every request in flight was answered");
        Ok(ExitCode::SUCCESS)
    })
}

/// What the service answers with besides its stores: the web app, the origins allowed, the limits.
pub(super) struct Service {
    pub(super) web_dir: PathBuf,
    pub(super) allow_origins: Vec<String>,
    pub(super) guard: crate::http::Guard,
    /// A category classifier model (`cargo xtask train`), for intake to suggest missing categories.
    pub(super) classifier: Option<PathBuf>,
}

/// The service's state on `db`: the rule set (`rules`, or the Beijing one built in) compiled into the
/// router, the admins, the plugin registry and the case store opened, on `clock`. `None` when the rule
/// set does not compile (its errors are printed).
pub(super) fn open(
    runtime: Arc<Runtime>,
    rules: Option<&std::path::Path>,
    db: &str,
    clock: crate::clock::Clock,
    service: Service,
) -> anyhow::Result<Option<AppState>> {
    // `--rules FILE`, or the Beijing rule set built into the binary.
    let (name, source) = match rules {
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
            return Ok(None);
        }
    };
    let classifier = match &service.classifier {
        None => None,
        Some(file) => {
            let bytes = std::fs::read(file).with_context(|| format!("--classifier {}", file.display()))?;
            let model =
                runtime.load_model_shared(&bytes).with_context(|| format!("--classifier {}", file.display()))?;
            let info = model.info();
            crate::suggest::check_categories(&info.categories)
                .map_err(|why| anyhow::anyhow!("--classifier {}: {why}", file.display()))?;
            tracing::info!(file = %file.display(), sha256 = info.sha256, categories = info.categories.len(), "classifier model loaded");
            Some(Arc::new(model))
        }
    };
    let admins = minyi_auth::Admins::open_url(db).context("opening the admins")?;
    let plugins = Plugins::open(db)?;
    let cases = minyi_cases::CaseStore::open_url(db, minyi_cases::BEIJING).context("opening the case store")?;
    tracing::info!(backend = cases.backend(), "case store open");
    Ok(Some(AppState {
        runtime,
        web_dir: service.web_dir,
        rules,
        plugins: Some(plugins),
        cases: Some(Arc::new(cases)),
        admins: Some(Arc::new(admins)),
        clock,
        allow_origins: service.allow_origins,
        guard: service.guard,
        classifier,
    }))
}

/// Resolves at Ctrl-C or SIGTERM (what a service manager sends): the server then takes no new
/// connection and finishes the requests it has.
async fn stopped() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "no SIGTERM handler; stop with Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("stopping: finishing the requests in flight");
}

/// The limits on callers, as `minyi serve` flags.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Limits {
    /// The largest request body taken, a demand on intake included, in bytes; beyond it a 413.
    #[arg(long, value_name = "BYTES", env = "MINYI_BODY_LIMIT", default_value_t = 1 << 20)]
    body_limit: usize,
    /// The largest plugin component uploaded over HTTP, in bytes.
    #[arg(long, value_name = "BYTES", env = "MINYI_UPLOAD_LIMIT", default_value_t = 64 << 20)]
    upload_limit: usize,
    /// Anonymous API calls per second from one client address (twice as many at once); 0: unlimited.
    #[arg(long, value_name = "N", env = "MINYI_RATE_LIMIT", default_value_t = 50.0)]
    rate_limit: f64,
    /// Seconds a request may take before it is answered 408.
    #[arg(long, value_name = "SECS", env = "MINYI_REQUEST_TIMEOUT", default_value_t = 30)]
    request_timeout: u64,
    /// Seconds a plugin upload may take (its bytes arriving, the component compiled) before it is
    /// answered 408.
    #[arg(long, value_name = "SECS", env = "MINYI_UPLOAD_TIMEOUT", default_value_t = 300)]
    upload_timeout: u64,
    /// A token that may read `/metrics` (for a scraper), besides a city admin's.
    #[arg(long, value_name = "TOKEN", env = "MINYI_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
}

impl Limits {
    /// The guard these flags describe.
    pub(crate) fn guard(&self) -> crate::http::Guard {
        let rate = (self.rate_limit > 0.0)
            .then_some(crate::http::Rate { per_second: self.rate_limit, burst: 2.0 * self.rate_limit });
        crate::http::Guard {
            body_limit: self.body_limit,
            upload_limit: self.upload_limit,
            request_timeout: std::time::Duration::from_secs(self.request_timeout.max(1)),
            upload_timeout: std::time::Duration::from_secs(self.upload_timeout.max(1)),
            metrics_token: self.metrics_token.clone().filter(|t| !t.trim().is_empty()),
            ..crate::http::Guard::default()
        }
        .with_rate(rate)
    }
}

/// How often the time-limit sweep runs: every minute, or `MINYI_SLA_INTERVAL_SECS`.
fn sla_interval() -> std::time::Duration {
    let secs = std::env::var("MINYI_SLA_INTERVAL_SECS").ok().and_then(|s| s.parse::<u64>().ok()).filter(|s| *s > 0);
    std::time::Duration::from_secs(secs.unwrap_or(60))
}
