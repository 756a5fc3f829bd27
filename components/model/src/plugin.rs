//! What a district plugin did to a result, as the public JSON shapes carry it: the typed fault of a
//! plugin call, and the `plugin` note added to a validation result or a routing decision.

use serde::{Deserialize, Serialize};

/// Why a plugin call was refused or stopped. The base result stands whenever a fault occurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// Returned more than the output cap: the host stops copying the result out of the plugin's
    /// memory as soon as what it would allocate passes the cap.
    #[error("returned more than its cap of {cap} bytes of output (the host stopped copying at {bytes})")]
    OutputTooLarge {
        /// Bytes counted when the host stopped (the string or list that passed the cap included, not
        /// copied).
        bytes: usize,
        /// The cap.
        cap: usize,
    },
    /// Ran past the host's wall-clock deadline per call — computing, or blocked in a host or WASI call
    /// (a sleep).
    #[error("ran past its deadline of {ms} ms")]
    Deadline {
        /// The deadline, milliseconds.
        ms: u64,
    },
    /// Returned something the host refuses (e.g. a routing decision that does not explain itself).
    #[error("returned an unusable result: {reason}")]
    BadOutput {
        /// The breaker's reason, or the admin's when disabled by hand.
        reason: String,
    },
    /// Trapped (a panic, a stack overflow, an unreachable).
    #[error("trapped: {trap}")]
    Trap {
        /// The trap, as text.
        trap: String,
    },
    /// Not run for a reason of the host's, not the plugin's: every instance slot busy under load, or
    /// the host's own error. Neither recorded against the plugin nor counted by its breaker.
    #[error("was not run: {reason}")]
    NotRun {
        /// What stopped the host.
        reason: String,
    },
    /// Disabled by the circuit breaker; not called.
    #[error("is disabled: {reason}")]
    Disabled {
        /// Why it was disabled.
        reason: String,
    },
}

impl PluginFault {
    /// Whether the plugin itself caused it (a trap, its fuel, memory or output, a bad result) — what
    /// is recorded against the plugin and counted by its breaker.
    pub fn is_the_plugin_s(&self) -> bool {
        !matches!(self, PluginFault::NotRun { .. } | PluginFault::Disabled { .. })
    }

    /// Stable short name of the kind, for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            PluginFault::OutOfFuel { .. } => "out_of_fuel",
            PluginFault::Deadline { .. } => "deadline",
            PluginFault::MemoryCap { .. } => "memory_cap",
            PluginFault::OutputTooLarge { .. } => "output_too_large",
            PluginFault::BadOutput { .. } => "bad_output",
            PluginFault::Trap { .. } => "trap",
            PluginFault::Disabled { .. } => "disabled",
            PluginFault::NotRun { .. } => "not_run",
        }
    }
}

/// Which plugin looked at a result and what came of it: the `plugin` field of an amended result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PluginNote {
    /// The district's active plugin, when it has one.
    pub name: Option<String>,
    /// Its version.
    pub version: Option<String>,
    /// The plugin's result was applied (it added issues, or amended the decision).
    pub applied: bool,
    /// Why the plugin's result was not used, when it failed (the base result stands).
    pub fault: Option<PluginFault>,
}

/// A result with the district plugin's note beside its own fields (`{"valid": …, "plugin": {…}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Noted{T}"))]
pub struct Noted<T> {
    /// The result, its fields at the top level.
    #[serde(flatten)]
    pub result: T,
    /// What the district's plugin did, when one ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<PluginNote>,
}

impl<T> Noted<T> {
    /// A result no plugin looked at.
    pub fn plain(result: T) -> Self {
        Self { result, plugin: None }
    }
}
