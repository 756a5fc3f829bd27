//! Typed errors of the runtime: what went wrong loading a component or running a call.

/// A component could not be loaded or a call could not complete.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The engine could not be configured.
    #[error("cannot configure the wasmtime engine: {0:#}")]
    Engine(wasmtime::Error),
    /// A component's bytes did not compile or do not match its world.
    #[error("cannot load component {component}: {source:#}")]
    Load {
        /// Component name.
        component: &'static str,
        /// wasmtime's error: what in the bytes or the world did not fit.
        source: wasmtime::Error,
    },
    /// The call ran past its wall-clock deadline (e.g. an endless loop) and was stopped.
    #[error("component {component} ran past its deadline of {ms} ms and was stopped")]
    Deadline {
        /// Component name.
        component: &'static str,
        /// The deadline, milliseconds.
        ms: u64,
    },
    /// The call tried to grow memory past the cap and was stopped.
    #[error("component {component} tried to grow its memory to {requested} bytes, over the cap of {cap} bytes")]
    MemoryCap {
        /// Component name.
        component: &'static str,
        /// Requested size.
        requested: usize,
        /// The cap.
        cap: usize,
    },
    /// A kept instance (a compiled rule set, a scoreboard) was dropped after an earlier failure and its
    /// state cannot come back.
    #[error("component {component}: {what} was lost after an earlier failure: {reason}")]
    Lost {
        /// Component name.
        component: &'static str,
        /// What was lost (`the scoreboard`, `the compiled rule set`).
        what: &'static str,
        /// Why it cannot be made again.
        reason: String,
    },
    /// The component trapped (e.g. a panic, which is `unreachable` on wasm32-unknown-unknown).
    #[error("component {component} trapped: {trap}")]
    Trap {
        /// Component name.
        component: &'static str,
        /// The trap or error, as text.
        trap: String,
    },
}

/// A call's outcome when it can fail both in the runtime and as a rejected input.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The runtime could not complete the call.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The component rejected the input (the caller's mistake), with a stable code.
    #[error("{code}: {message}")]
    Input {
        /// Stable code, e.g. `json.invalid`.
        code: String,
        /// What is wrong.
        message: String,
    },
}
