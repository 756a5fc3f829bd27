//! minyi-server's integration tests, one module per concern, in one test binary: one link of the host
//! instead of one per file (cargo-nextest still runs each test in its own process).

mod common;

mod cases_http;
mod casework;
mod cli;
mod districts;
mod multi_node;
mod plugin_cli;
mod plugins_http;
mod routing_cli;
mod score_cli;
