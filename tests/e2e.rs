//! The end-to-end tests, one module per concern, in one test binary: one link of the host instead of
//! one per file (cargo-nextest still runs each test in its own process).

mod artifacts;
mod browser;
mod components;
mod console;
mod differential;
mod plugins;
mod tidy;
mod wit;
