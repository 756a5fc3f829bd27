//! The Minyi service: the HTTP API and web app over the wasmtime runtime, and the `minyi` command line.
//!
//! `app(state)` builds the router (tested without a socket); `cli::main` is what the binary runs.
#![deny(missing_docs)]

mod case_cli;
mod cases_http;
pub mod cli;
mod error;
mod http;
pub mod intake;
mod plugin_cli;
pub mod plugins_http;
mod rules_cli;
mod score_cli;

pub use error::AppError;
pub use http::{AppState, app};

/// The current time in Beijing (UTC+8).
pub fn beijing_time() -> chrono::DateTime<chrono::FixedOffset> {
    let offset =
        chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("UTC"));
    chrono::Utc::now().with_timezone(&offset)
}

/// The current time in Beijing (UTC+8), RFC 3339: the `now` the host passes to components.
pub fn beijing_now() -> String {
    beijing_time().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}
