//! The wasmtime host runtime: compiles the Minyi components (validator, router, scorer, classifier) once (up front, or each on first use),
//! then runs every call under a fresh wall-clock deadline and a memory cap on a warm instance (dropped, never
//! reused, after any failure), mapping traps to typed errors. `sandbox` is the engine builder and trap classifier the plugin host shares.
//!
//! The runtime holds no domain logic: every answer comes from the component bytes it loaded,
//! the same bytes the browser fetches (see [`Runtime::component`]).
#![deny(missing_docs)]

pub mod bindings;
pub mod cache;
mod classifier;
pub mod convert;
mod engine;
mod error;
pub mod sandbox;
mod scoreboard;

pub use cache::CodeCache;
pub use classifier::LoadedModel;
pub use engine::{CompiledRules, ComponentInfo, Components, Runtime, RuntimeConfig};
pub use error::{CallError, RuntimeError};
pub use scoreboard::Scoreboard;
