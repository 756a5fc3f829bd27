//! Per-call resource limits: a memory cap that traps with a typed reason instead of failing quietly.

/// Store data: the memory cap and what the guest asked for when it broke it.
#[derive(Debug)]
pub(crate) struct CallLimits {
    pub(crate) memory_cap: usize,
    /// Set when a `memory.grow` asked for more than the cap.
    pub(crate) refused_memory: Option<usize>,
}

/// The error a refused `memory.grow` traps with, recognised again when mapping errors.
#[derive(Debug, thiserror::Error)]
#[error("memory cap of {cap} bytes exceeded (requested {requested})")]
pub(crate) struct MemoryCapExceeded {
    pub(crate) cap: usize,
    pub(crate) requested: usize,
}

impl wasmtime::ResourceLimiter for CallLimits {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            self.refused_memory = Some(desired);
            return Err(MemoryCapExceeded { cap: self.memory_cap, requested: desired }.into());
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}
