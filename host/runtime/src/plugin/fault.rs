//! What can go wrong in a plugin call, as typed faults the host records and the breaker counts.

use serde::Serialize;

/// Why a plugin call was refused or stopped. The base result stands whenever a fault occurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PluginFault {
    /// Used up its fuel budget (an endless or too long computation).
    #[error("ran out of its fuel budget ({fuel} units)")]
    OutOfFuel {
        /// The budget.
        fuel: u64,
    },
    /// Tried to grow its memory past its cap.
    #[error("tried to grow its memory to {requested} bytes, over its cap of {cap} bytes")]
    MemoryCap {
        /// Bytes requested.
        requested: usize,
        /// The cap.
        cap: usize,
    },
    /// Returned more than the output cap.
    #[error("returned {bytes} bytes of output, over its cap of {cap} bytes")]
    OutputTooLarge {
        /// Bytes returned.
        bytes: usize,
        /// The cap.
        cap: usize,
    },
    /// Returned something the host refuses (e.g. a routing decision that does not explain itself).
    #[error("returned an unusable result: {reason}")]
    BadOutput {
        /// Why.
        reason: String,
    },
    /// Trapped (a panic, a stack overflow, an unreachable).
    #[error("trapped: {trap}")]
    Trap {
        /// The trap, as text.
        trap: String,
    },
    /// Disabled by the circuit breaker; not called.
    #[error("is disabled: {reason}")]
    Disabled {
        /// Why it was disabled.
        reason: String,
    },
}

impl PluginFault {
    /// Stable short name of the kind, for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            PluginFault::OutOfFuel { .. } => "out_of_fuel",
            PluginFault::MemoryCap { .. } => "memory_cap",
            PluginFault::OutputTooLarge { .. } => "output_too_large",
            PluginFault::BadOutput { .. } => "bad_output",
            PluginFault::Trap { .. } => "trap",
            PluginFault::Disabled { .. } => "disabled",
        }
    }
}

/// A fault with what it happened to, kept for the district admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultRecord {
    /// District.
    pub district: String,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub version: String,
    /// Hook called.
    pub hook: &'static str,
    /// The case, when the call was about one.
    pub case_id: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What went wrong.
    pub fault: PluginFault,
}

/// A circuit breaker that opened: the version it disabled and why, for the registry to disable that
/// version for every host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakerTrip {
    /// District.
    pub district: String,
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// The breaker's reason.
    pub reason: String,
}
