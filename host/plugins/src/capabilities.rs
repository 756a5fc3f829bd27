//! The capabilities a plugin may import, and nothing else: a clock, a logger, read-only district
//! configuration and the unit directory (plus, for a language runtime, the empty WASI surface of
//! `wasi.rs`). Each call gets its own `PluginState`.

use minyi_runtime::bindings::district_plugin::minyi::casework::{clock, directory, district_config, log};
use minyi_runtime::bindings::types::{self, Unit, UnitType};
use minyi_runtime::sandbox::CallLimits;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most log lines a call may keep, and the longest line.
const LOG_LINES: usize = 64;
const LOG_LINE_BYTES: usize = 512;

/// What a district grants its plugin: configuration, a clock, extra directory entries.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// District code.
    pub district: String,
    /// Read-only configuration (`district-config.get`).
    pub config: BTreeMap<String, String>,
    /// A fixed time for `clock.now` (tests, replays); Beijing's wall clock when none.
    pub now: Option<String>,
    /// Units beyond the streets (departments), by id.
    pub units: BTreeMap<String, Unit>,
    /// Clock readings to hand back in order, one per `clock.now` (a replay of a recorded call); past
    /// its end the last one repeats. Empty: `now`, or the wall clock.
    pub clock_tape: Vec<String>,
    /// The same for the WASI wall clock (a language runtime's `time.time()`): nanoseconds since the
    /// Unix epoch, one per `wall-clock.now`.
    pub wasi_clock_tape: Vec<u64>,
}

/// Store data of one plugin call.
pub(crate) struct PluginState {
    pub(crate) limits: CallLimits,
    pub(crate) grants: Arc<Grants>,
    pub(crate) plugin: String,
    pub(crate) log: Vec<String>,
    /// Made on the plugin's first WASI call, never for a plugin that imports no WASI.
    pub(crate) wasi: Option<crate::wasi::EmptyWasi>,
    /// When the call must end; a WASI sleep wakes by then at the latest.
    pub(crate) deadline: std::time::Instant,
    /// Log lines past the cap, dropped.
    pub(crate) log_dropped: u64,
    /// What `clock.now` answered during the call, in order: recorded with the decision for replay.
    pub(crate) clock_reads: Vec<String>,
}

impl PluginState {
    /// The call's log: what it wrote through `log`, then what it printed to stdout and stderr.
    pub(crate) fn take_log(&mut self) -> Vec<String> {
        if self.log_dropped > 0 {
            let (district, plugin, dropped) = (&self.grants.district, &self.plugin, self.log_dropped);
            tracing::warn!(district, plugin, dropped, "plugin log lines over the cap of {LOG_LINES} per call dropped");
        }
        let mut log = std::mem::take(&mut self.log);
        if let Some(wasi) = &self.wasi {
            let room = LOG_LINES.saturating_sub(log.len());
            log.extend(wasi.captured().into_iter().take(room));
        }
        log
    }
}

impl wasmtime_wasi::WasiView for PluginState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        let grants = &self.grants;
        let wasi = self.wasi.get_or_insert_with(|| crate::wasi::EmptyWasi::new(grants));
        wasmtime_wasi::WasiCtxView { ctx: &mut wasi.ctx, table: &mut wasi.table }
    }
}

impl types::Host for PluginState {}

impl clock::Host for PluginState {
    fn now(&mut self) -> String {
        let tape = &self.grants.clock_tape;
        let now = match tape.get(self.clock_reads.len()).or(tape.last()).or(self.grants.now.as_ref()) {
            Some(now) => now.clone(),
            None => {
                let beijing = chrono::FixedOffset::east_opt(8 * 3600)
                    .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("UTC"));
                chrono::Utc::now().with_timezone(&beijing).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
            }
        };
        if self.clock_reads.len() < LOG_LINES {
            self.clock_reads.push(now.clone());
        }
        now
    }
}

impl log::Host for PluginState {
    /// A line for the call's log and the server's, cut to `LOG_LINE_BYTES`; past `LOG_LINES` lines a
    /// call's lines are counted and dropped before they reach either (a plugin logging in a loop costs
    /// the server's log one warning).
    fn write(&mut self, level: log::Level, message: String) {
        if self.log.len() >= LOG_LINES {
            self.log_dropped += 1;
            return;
        }
        let mut line = message;
        if line.len() > LOG_LINE_BYTES {
            let mut cut = LOG_LINE_BYTES;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        let (district, plugin) = (self.grants.district.as_str(), self.plugin.as_str());
        match level {
            log::Level::Debug => tracing::debug!(district, plugin, "{line}"),
            log::Level::Info => tracing::info!(district, plugin, "{line}"),
            log::Level::Warn => tracing::warn!(district, plugin, "{line}"),
            log::Level::Error => tracing::error!(district, plugin, "{line}"),
        }
        let level = match level {
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
            log::Level::Error => "error",
        };
        self.log.push(format!("{level}: {line}"));
    }
}

impl district_config::Host for PluginState {
    fn district(&mut self) -> String {
        self.grants.district.clone()
    }

    fn get(&mut self, key: String) -> Option<String> {
        self.grants.config.get(&key).cloned()
    }
}

impl directory::Host for PluginState {
    fn lookup(&mut self, id: String) -> Option<Unit> {
        if let Some(u) = self.grants.units.get(&id) {
            return Some(u.clone());
        }
        minyi_model::divisions::DISTRICTS.iter().find_map(|d| {
            d.streets.iter().find(|s| s.code == id).map(|s| Unit {
                id: s.code.to_owned(),
                name: s.name.to_owned(),
                unit_type: UnitType::Street,
                district: Some(d.code.to_owned()),
            })
        })
    }
}
