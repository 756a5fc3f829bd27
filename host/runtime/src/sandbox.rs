//! What every wasmtime store in Minyi shares, the built-in components' and the district plugins':
//! one engine builder (fuel or not, epoch deadlines, the pooling allocator), the epoch clock, the
//! per-call memory cap that traps with a typed
//! reason instead of failing quietly, and one classifier that says why a call stopped.

use std::time::Duration;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Trap};

/// How an engine is built: pooling slots, the largest memory one instance may have, and how many freed
/// slots are given back to the kernel in one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineSettings {
    /// Instances that may be alive at once (pooling allocator slots).
    pub max_instances: u32,
    /// Largest linear memory of one instance, bytes.
    pub max_memory_bytes: usize,
    /// Freed slots whose memory is given back in one `madvise` batch (1: each at once).
    pub decommit_batch: usize,
    /// Whether calls may be given a wall-clock deadline (epoch interruption): every store of such an
    /// engine must then set one, and [`tick`] must drive the engine's epoch.
    pub deadlines: bool,
    /// Whether calls are metered with fuel (about one unit per wasm instruction): every store of such
    /// an engine must then be given fuel. Untrusted code (district plugins) is; the built-in components
    /// are trusted code bounded by their deadline alone, which costs a call less (measured in
    /// `Runtime`'s doc).
    pub fuel: bool,
}

/// Bytes of each freed slot's table that are zeroed in place rather than given back to the kernel:
/// the next instance in the slot then takes no page faults (and no TLB shootdown across threads) to
/// fill its table. Measured (`cargo xtask bench`, p50): router and scorer instantiation 10.3 → 5.5 µs,
/// a plugin's 4.1 → 3.3 µs, a no-op plugin hook 25 → 20 µs.
const TABLE_KEEP_RESIDENT: usize = 64 << 10;

/// Bytes of each freed slot's linear memory kept resident and reset in place, with Linux's
/// `PAGEMAP_SCAN` (kernel 6.7+; elsewhere the memory is given back as before) finding the pages the
/// call dirtied, so only those are reset. Measured (`cargo bench -p minyi-bench --bench plugins --
/// --bench`, p50, A/B on one machine): a no-op plugin hook (instantiate + call) 20.0 → 15.0 µs, the
/// Rust validation hook 22.4 → 15.7 µs; instantiating without calling anything (no page dirtied)
/// 3.4 → 4.6 µs, the scan's cost; the built-in components' instantiation unchanged (5.1 → 4.9 µs).
/// Without the scan (zeroing the whole region) instantiation was slower.
const MEMORY_KEEP_RESIDENT: usize = 64 << 10;

/// An engine with fuel metering and epoch deadlines as `settings` say, and the pooling allocator sized
/// by them. Every engine in the process is built here, so a precompiled artifact's compatibility
/// depends on these settings alone.
pub fn engine(settings: EngineSettings) -> wasmtime::Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(settings.max_instances)
        .total_core_instances(settings.max_instances)
        .total_memories(settings.max_instances)
        .total_tables(settings.max_instances)
        .max_memory_size(settings.max_memory_bytes)
        .decommit_batch_size(settings.decommit_batch.max(1))
        .table_keep_resident(TABLE_KEEP_RESIDENT)
        .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT)
        .pagemap_scan(wasmtime::Enabled::Auto);
    let mut config = Config::new();
    config
        .consume_fuel(settings.fuel)
        .epoch_interruption(settings.deadlines)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}

/// How often an engine's epoch advances ([`tick`]): the granularity of every call deadline.
pub const TICK: Duration = Duration::from_millis(10);

/// The epoch deadline, in ticks from now, of a call that may run for `deadline`: one tick more than it
/// spans, as the current tick may be nearly over. At most `u32::MAX` ticks (over a year): wasmtime adds
/// this to the engine's current epoch, which must not overflow.
pub fn deadline_ticks(deadline: Duration) -> u64 {
    let spans = deadline.as_micros().div_ceil(TICK.as_micros().max(1));
    u64::try_from(spans).unwrap_or(u64::MAX).min(u64::from(u32::MAX) - 1) + 1
}

/// Advances `engine`'s epoch every [`TICK`] for as long as the engine lives (the thread holds it weakly
/// and ends with it). `what` names the thread and what is left without deadlines if it cannot start.
pub fn tick(engine: &Engine, what: &str) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new().name(format!("minyi-{what}-epoch")).spawn(move || {
        loop {
            std::thread::sleep(TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, what, "no epoch thread: calls run without a wall-clock deadline");
    }
}

/// Store data every call carries: the memory cap, the memory in use, and what the guest asked for
/// when it broke the cap.
#[derive(Debug)]
pub struct CallLimits {
    /// Linear-memory cap, bytes: of all the memories of the call's instances together (a component
    /// may have several).
    pub memory_cap: usize,
    /// Bytes of linear memory the call's instances hold now, all memories together.
    pub memory_used: usize,
    /// Set when a `memory.grow` asked for more than the cap.
    pub refused_memory: Option<usize>,
}

impl CallLimits {
    /// Limits with `memory_cap` bytes of memory and nothing refused yet.
    pub fn new(memory_cap: usize) -> Self {
        Self { memory_cap, memory_used: 0, refused_memory: None }
    }
}

/// The error a refused `memory.grow` traps with, recognised again by [`classify`].
#[derive(Debug, thiserror::Error)]
#[error("memory cap of {cap} bytes exceeded (requested {requested})")]
pub struct MemoryCapExceeded {
    /// The cap.
    pub cap: usize,
    /// Bytes requested.
    pub requested: usize,
}

impl wasmtime::ResourceLimiter for CallLimits {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        // Every memory counts against one cap: a component with three memories gets no three caps.
        let total = (self.memory_used.saturating_sub(current)).saturating_add(desired);
        if total > self.memory_cap {
            self.refused_memory = Some(total);
            return Err(MemoryCapExceeded { cap: self.memory_cap, requested: total }.into());
        }
        self.memory_used = total;
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// Why a call into a component stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// It used up its fuel.
    OutOfFuel,
    /// It tried to grow its memory past the cap.
    MemoryCap {
        /// Bytes requested.
        requested: usize,
        /// The cap.
        cap: usize,
    },
    /// It ran past its wall-clock deadline (an epoch interruption).
    Deadline,
    /// It trapped (or its instance could not be made): the error, as text.
    Trap(String),
}

/// Why a call that failed with `e` stopped, given the limits it ran under.
pub fn classify(e: &wasmtime::Error, limits: &CallLimits) -> Stopped {
    if matches!(e.downcast_ref::<Trap>(), Some(Trap::OutOfFuel)) {
        Stopped::OutOfFuel
    } else if matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
        Stopped::Deadline
    } else if let Some(m) = e.downcast_ref::<MemoryCapExceeded>() {
        Stopped::MemoryCap { requested: m.requested, cap: m.cap }
    } else if let Some(requested) = limits.refused_memory {
        Stopped::MemoryCap { requested, cap: limits.memory_cap }
    } else {
        Stopped::Trap(format!("{e:#}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_is_one_tick_more_than_it_spans_and_never_overflows_the_epoch() {
        assert_eq!(deadline_ticks(Duration::ZERO), 1);
        assert_eq!(deadline_ticks(TICK), 2);
        assert_eq!(deadline_ticks(TICK + Duration::from_micros(1)), 3);
        assert_eq!(deadline_ticks(Duration::from_secs(2)), 201);
        // A deadline of "for ever" is the largest one, not a sum that wraps into the past.
        assert_eq!(deadline_ticks(Duration::MAX), u64::from(u32::MAX));
        assert!(u64::MAX - deadline_ticks(Duration::MAX) > u64::from(u32::MAX));
    }
}
