//! What went wrong in a plugin call, and where it goes: each fault is counted, kept (the newest 1 000)
//! for the admin, handed to the breaker, and queued until the registry writes it down with its case; a
//! breaker that opens queues a trip, which the registry turns into a `disable` for every host.

use crate::compile::Hook;
use crate::host::{Active, PluginHost};
use crate::sync::lock;
pub use minyi_model::PluginFault;
use serde::Serialize;
use std::time::Instant;

/// Faults and breaker trips not yet written to the registry's database.
#[derive(Debug, Default)]
pub(crate) struct Unsaved {
    faults: Vec<FaultRecord>,
    trips: Vec<BreakerTrip>,
    dropped: u64,
}

/// Most unsaved faults kept when nothing writes them down (a host without a registry); the oldest go.
const UNSAVED_KEPT: usize = 10_000;

/// Fault records kept in memory for the admin (the newest).
const FAULTS_KEPT: usize = 1_000;

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// A fault with what it happened to, kept for the district admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultRecord {
    /// The district code whose plugin faulted.
    pub district: String,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub version: String,
    /// Hook called.
    pub hook: Hook,
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
    /// The district code whose breaker opened.
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

impl PluginHost {
    /// Records a fault (with the case), counts it, and lets the breaker decide.
    pub(crate) fn record(&self, active: &Active, hook: Hook, case_id: Option<&str>, fault: PluginFault) {
        let district = active.spec.grants.district.clone();
        tracing::warn!(district, plugin = active.spec.name, version = active.spec.version, %hook, case_id, %fault, "plugin fault; the base result stands");
        active.metrics.fault(&fault);
        let opened = lock(&active.breaker).fault(Instant::now(), &fault.to_string(), self.config.breaker);
        let record = FaultRecord {
            district,
            plugin: active.spec.name.clone(),
            version: active.spec.version.clone(),
            hook,
            case_id: case_id.map(str::to_owned),
            at_ms: now_ms(),
            fault,
        };
        {
            let mut unsaved = lock(&self.unsaved);
            if unsaved.faults.len() >= UNSAVED_KEPT {
                unsaved.faults.remove(0);
                unsaved.dropped += 1;
            }
            unsaved.faults.push(record.clone());
            if let Some(reason) = opened {
                tracing::error!(district = record.district, plugin = active.spec.name, "{reason}");
                unsaved.trips.push(BreakerTrip {
                    district: record.district.clone(),
                    name: active.spec.name.clone(),
                    version: active.spec.version.clone(),
                    sha256: active.compiled.sha256.clone(),
                    reason,
                });
            }
        }
        let mut faults = lock(&self.faults);
        if faults.len() >= FAULTS_KEPT {
            faults.pop_front();
        }
        faults.push_back(record);
    }

    /// The recorded faults of a district, newest last.
    pub fn faults(&self, district: &str) -> Vec<FaultRecord> {
        lock(&self.faults).iter().filter(|f| f.district == district).cloned().collect()
    }

    /// The faults and breaker trips recorded since the last call, for the registry to write down with
    /// their cases (and to disable a tripped version for every host).
    pub fn take_unsaved(&self) -> (Vec<FaultRecord>, Vec<BreakerTrip>) {
        let mut unsaved = lock(&self.unsaved);
        if unsaved.dropped > 0 {
            tracing::warn!(dropped = unsaved.dropped, "plugin faults dropped: nothing wrote them down in time");
            unsaved.dropped = 0;
        }
        (std::mem::take(&mut unsaved.faults), std::mem::take(&mut unsaved.trips))
    }

    /// Puts back what [`PluginHost::take_unsaved`] gave when writing it down failed, ahead of newer ones.
    pub fn return_unsaved(&self, mut faults: Vec<FaultRecord>, mut trips: Vec<BreakerTrip>) {
        let mut unsaved = lock(&self.unsaved);
        faults.append(&mut unsaved.faults);
        trips.append(&mut unsaved.trips);
        let over = faults.len().saturating_sub(UNSAVED_KEPT);
        faults.drain(..over);
        unsaved.dropped += over as u64;
        unsaved.faults = faults;
        unsaved.trips = trips;
    }
}
