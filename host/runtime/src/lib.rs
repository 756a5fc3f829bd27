//! The wasmtime host runtime: loads the Minyi components once, then runs every call in a fresh
//! store under a fuel budget and a memory cap, mapping traps to typed errors.
//!
//! The runtime holds no domain logic: every answer comes from the component bytes it loaded,
//! the same bytes the browser fetches (see [`Runtime::component`]).
#![deny(missing_docs)]

pub mod bindings;
pub mod convert;
mod engine;
mod error;
mod limits;
pub mod plugin;
mod scoreboard;

pub use engine::{CompiledRules, ComponentInfo, Runtime, RuntimeConfig};
pub use error::{CallError, RuntimeError};
pub use scoreboard::Scoreboard;
