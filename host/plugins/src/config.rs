//! How much a plugin call may use, and how much the host allows at most.

use crate::breaker::BreakerPolicy;
use serde::Serialize;

/// Per-call limits of a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginLimits {
    /// Fuel per call (about one unit per wasm instruction).
    pub fuel: u64,
    /// Linear-memory cap, bytes.
    pub memory_bytes: usize,
    /// Output cap, bytes of returned text.
    pub output_bytes: usize,
}

impl Default for PluginLimits {
    /// 100 M fuel (≈ 0.1–0.3 s of work), 32 MiB of memory, 256 KiB of output.
    fn default() -> Self {
        Self { fuel: 100_000_000, memory_bytes: 32 << 20, output_bytes: 256 << 10 }
    }
}

impl PluginLimits {
    /// Whether limits `requested` fit within these (a host's maximum); else the first that does not:
    /// (what, requested, allowed).
    pub fn admit(&self, requested: &PluginLimits) -> Result<(), (&'static str, u64, u64)> {
        for (what, asked, allowed) in [
            ("fuel", requested.fuel, self.fuel),
            ("memory_bytes", requested.memory_bytes as u64, self.memory_bytes as u64),
            ("output_bytes", requested.output_bytes as u64, self.output_bytes as u64),
        ] {
            if asked > allowed {
                return Err((what, asked, allowed));
            }
        }
        Ok(())
    }
}

/// The plugin host's own configuration.
#[derive(Debug, Clone, Copy)]
pub struct PluginHostConfig {
    /// The most a plugin may request.
    pub max_limits: PluginLimits,
    /// Plugin instances that may run at once (pooling allocator slots).
    pub max_instances: u32,
    /// The circuit breaker.
    pub breaker: BreakerPolicy,
    /// Instance slots whose memory is given back to the kernel in one batch (1: each at once). A
    /// fresh instance per call frees a slot per call; batching takes the `madvise` off most calls
    /// (measured in the plugins bench: instantiate p50 7.7 → 3.7 µs, p99 13.7 → 8.6 µs at 16).
    pub decommit_batch: usize,
    /// Wall-clock time a call may take, computing or blocked in a host or WASI call (a sleep); past
    /// it the call stops with a `deadline` fault.
    pub call_deadline: std::time::Duration,
}

impl Default for PluginHostConfig {
    /// 2 G fuel, 256 MiB of memory and 4 MiB of output at most; 64 instances at once; 2 s per call.
    fn default() -> Self {
        Self {
            max_limits: PluginLimits { fuel: 2_000_000_000, memory_bytes: 256 << 20, output_bytes: 4 << 20 },
            max_instances: 64,
            breaker: BreakerPolicy::default(),
            decommit_batch: 16,
            call_deadline: std::time::Duration::from_secs(2),
        }
    }
}
