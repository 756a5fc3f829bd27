//! The district plugin host. A plugin is a component a district uploads; the host compiles it
//! (refusing one that imports anything beyond the granted capabilities or exports no hook), keeps one
//! active plugin per district (swapped atomically: calls in flight finish on the version they started
//! with), and runs every hook call in a fresh store under the plugin's fuel, memory and output caps. A
//! fault never fails the caller: the base result stands, the fault is recorded for the registry, and
//! repeated faults open the circuit breaker. A plugin whose language runtime needs WASI (Python through
//! componentize-py) gets an empty WASI 0.2 surface.
//!
//! Rooms: `config` (limits), `compile` (checking, precompiling), `host` (activation, status), `hooks`
//! (the one call path every hook takes), `output` (the output cap, charged while a result is lifted), `faults` (typed faults and the queue the registry drains),
//! `metrics` (counters and their Prometheus text), `breaker`, `capabilities` (what a plugin may
//! import), `wasi` (the empty WASI surface).
#![deny(missing_docs)]

mod breaker;
mod capabilities;
mod compile;
mod config;
mod faults;
mod hooks;
mod host;
mod metrics;
mod output;
mod sync;
mod wasi;

pub use breaker::BreakerPolicy;
pub use capabilities::Grants;
pub use compile::{CompiledPlugin, Hook};
pub use config::{PluginHostConfig, PluginLimits};
pub use faults::{BreakerTrip, FaultRecord, PluginFault};
pub use hooks::{HookOutcome, PluginCall};
pub use host::{PluginError, PluginHost, PluginSpec, PluginStatus};
pub use metrics::{LATENCY_BUCKETS_US, PluginMetrics};
