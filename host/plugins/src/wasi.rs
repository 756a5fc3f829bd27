//! The empty WASI 0.2 surface a plugin's language runtime may import (Python through componentize-py
//! needs clocks, random, stdio and a filesystem API to start): no preopened directories, no
//! environment, no arguments, no stdin, stdout and stderr captured into the plugin's log, the wall
//! clock the district grants, and no network: the socket interfaces are linked (the Python runtime
//! imports them) but every socket, connection and name lookup is refused with `access-denied`.

use crate::capabilities::{Grants, PluginState};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::component::{Linker, Resource, ResourceTable};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::p2::{DynPollable, Pollable};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiView as _};

/// WASI interfaces a plugin may import, without their `@0.2.x` version. Anything else (`wasi:http`,
/// WASI 0.3, proposals) is refused at upload. The sockets are here because componentize-py's runtime
/// imports all of them; the context below refuses every use (`allow_tcp(false)`, `allow_udp(false)`,
/// `allow_ip_name_lookup(false)`, no address allowed), and no directory is preopened.
const WASI_GRANTED: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/ip-name-lookup",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
];

/// Bytes of stdout and of stderr a call may write (the rest is cut).
const CAPTURED_BYTES: usize = 16 << 10;

/// Whether `name` (e.g. `wasi:io/streams@0.2.9`) is an interface of the empty surface.
pub(crate) fn granted(name: &str) -> bool {
    let Some((interface, version)) = name.split_once('@') else { return false };
    version.starts_with("0.2.") && WASI_GRANTED.contains(&interface)
}

/// One call's WASI state, made only when the plugin first touches WASI (a Rust plugin never does).
pub(crate) struct EmptyWasi {
    pub(crate) ctx: WasiCtx,
    pub(crate) table: ResourceTable,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    /// Time zero of the monotonic clock the plugin reads.
    started: Instant,
    /// What the wall clock answered, in order (nanoseconds since the Unix epoch).
    wall_reads: Arc<Mutex<Vec<u64>>>,
}

/// Wall-clock readings kept per call for the record; past these the call reads on unrecorded.
const WALL_READS_KEPT: usize = 1_024;

/// The monotonic clock: nanoseconds since the call's WASI state was made.
struct CallClock(Instant);

impl HostMonotonicClock for CallClock {
    fn resolution(&self) -> u64 {
        1_000
    }

    fn now(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// A sleep that ends at `until`: what `subscribe-duration` and `subscribe-instant` hand out here.
struct Sleep(tokio::time::Instant);

#[wasmtime_wasi::async_trait]
impl Pollable for Sleep {
    async fn ready(&mut self) {
        tokio::time::sleep_until(self.0).await;
    }
}

/// A sleep asked for that would end past the call's deadline: the call stops at once, a `deadline`
/// fault (it could not have finished in time).
#[derive(Debug, thiserror::Error)]
#[error("asked to sleep {wait:?} with {left:?} left before its deadline")]
pub(crate) struct PastDeadline {
    wait: Duration,
    left: Duration,
}

/// The monotonic clock's two sleeps, redefined over wasmtime-wasi's own so that no plugin blocks in
/// `wasi:io/poll` past the call's deadline: a sleep that ends in time sleeps, one that would not
/// stops the call at once. Everything else of WASI is wasmtime-wasi's.
pub(crate) fn bound_sleeps(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    fn sleep(state: &mut PluginState, wait: Duration) -> wasmtime::Result<Resource<DynPollable>> {
        let left = state.deadline.saturating_duration_since(Instant::now());
        if wait > left {
            return Err(PastDeadline { wait, left }.into());
        }
        let until = tokio::time::Instant::now() + wait;
        let table = state.ctx().table;
        let sleep = table.push(Sleep(until))?;
        wasmtime_wasi::p2::subscribe(table, sleep)
    }
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap("subscribe-duration", |mut store, (nanos,): (u64,)| {
        Ok((sleep(store.data_mut(), Duration::from_nanos(nanos))?,))
    })?;
    clock.func_wrap("subscribe-instant", |mut store, (when,): (u64,)| {
        let state: &mut PluginState = store.data_mut();
        let started = state.ctx_started();
        let now = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        Ok((sleep(state, Duration::from_nanos(when.saturating_sub(now)))?,))
    })?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The monotonic-clock interface as wasmtime-wasi defines it (a plugin's `@0.2.x` import resolves to
/// it by semver).
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

impl PluginState {
    /// Time zero of the plugin's monotonic clock (its WASI state made now when it has none yet).
    fn ctx_started(&mut self) -> Instant {
        let _ = self.ctx();
        self.wasi.as_ref().map_or_else(Instant::now, |w| w.started)
    }
}

/// The wall clock the district grants: the recorded readings in order when replaying (the last one
/// repeating), else its fixed time when set (tests), else the real one; every reading is kept.
struct GrantedClock {
    tape: Vec<u64>,
    fixed: Option<Duration>,
    reads: Arc<Mutex<Vec<u64>>>,
}

impl HostWallClock for GrantedClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }

    fn now(&self) -> Duration {
        let mut reads = crate::sync::lock(&self.reads);
        let nanos = match self.tape.get(reads.len()).or(self.tape.last()) {
            Some(n) => *n,
            None => {
                let now = self.fixed.unwrap_or_else(|| {
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or(Duration::ZERO)
                });
                u64::try_from(now.as_nanos()).unwrap_or(u64::MAX)
            }
        };
        if reads.len() < WALL_READS_KEPT {
            reads.push(nanos);
        }
        Duration::from_nanos(nanos)
    }
}

impl EmptyWasi {
    pub(crate) fn new(grants: &Arc<Grants>) -> Self {
        let fixed = grants
            .now
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .and_then(|t| u64::try_from(t.timestamp_millis()).ok())
            .map(Duration::from_millis);
        let stdout = MemoryOutputPipe::new(CAPTURED_BYTES);
        let stderr = MemoryOutputPipe::new(CAPTURED_BYTES);
        let started = Instant::now();
        let wall_reads = Arc::new(Mutex::new(Vec::new()));
        let wall = GrantedClock { tape: grants.wasi_clock_tape.clone(), fixed, reads: Arc::clone(&wall_reads) };
        let ctx = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(wall)
            .monotonic_clock(CallClock(started))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .build();
        Self { ctx, table: ResourceTable::new(), stdout, stderr, started, wall_reads }
    }

    /// What the wall clock answered during the call, in order.
    pub(crate) fn wall_reads(&self) -> Vec<u64> {
        crate::sync::lock(&self.wall_reads).clone()
    }

    /// What the call wrote to stdout and stderr, as log lines.
    pub(crate) fn captured(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (stream, pipe) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let bytes = pipe.contents();
            for line in String::from_utf8_lossy(&bytes).lines().filter(|l| !l.trim().is_empty()) {
                lines.push(format!("{stream}: {line}"));
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_wasi_0_2_cli_clocks_filesystem_io_random_and_sockets() {
        assert!(super::granted("wasi:io/streams@0.2.9"));
        assert!(super::granted("wasi:cli/stdout@0.2.0"));
        for refused in [
            "wasi:http/outgoing-handler@0.2.0",
            "wasi:keyvalue/store@0.2.0-draft",
            "wasi:cli/run@0.2.0",
            "wasi:io/streams@0.3.0",
            "wasi:io/streams",
        ] {
            assert!(!super::granted(refused), "{refused}");
        }
    }
}
