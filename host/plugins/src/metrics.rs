//! Per-plugin counters (calls, faults by kind, a latency histogram) and their Prometheus text, the
//! body of the service's `GET /metrics`.

use crate::faults::PluginFault;
use crate::host::PluginHost;
use crate::sync::{lock, read};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Latency histogram bucket bounds, microseconds.
pub const LATENCY_BUCKETS_US: [u64; 10] = [10, 50, 100, 500, 1_000, 5_000, 10_000, 50_000, 100_000, 1_000_000];

/// Counters of one active plugin.
#[derive(Debug, Default)]
pub struct PluginMetrics {
    /// Calls made.
    pub calls: AtomicU64,
    /// Faults by kind, in order of first appearance.
    pub faults: Mutex<Vec<(&'static str, u64)>>,
    /// Latency histogram: counts per bucket of `LATENCY_BUCKETS_US`, plus the overflow bucket.
    pub latency: [AtomicU64; 11],
    /// Sum of latencies, microseconds.
    pub latency_sum_us: AtomicU64,
}

impl PluginMetrics {
    /// Counts one call that took `elapsed`.
    pub(crate) fn observe(&self, elapsed: Duration) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let us = elapsed.as_micros() as u64;
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
        let bucket = LATENCY_BUCKETS_US.iter().position(|&b| us <= b).unwrap_or(LATENCY_BUCKETS_US.len());
        self.latency[bucket].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one fault of `fault`'s kind.
    pub(crate) fn fault(&self, fault: &PluginFault) {
        let mut faults = lock(&self.faults);
        match faults.iter_mut().find(|(k, _)| *k == fault.kind()) {
            Some((_, n)) => *n += 1,
            None => faults.push((fault.kind(), 1)),
        }
    }
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl PluginHost {
    /// Every active plugin with its metrics: (district, name, version, metrics), by district.
    pub fn metrics(&self) -> Vec<(String, String, String, std::sync::Arc<PluginMetrics>)> {
        let active = read(&self.active);
        let mut out: Vec<_> = active
            .iter()
            .map(|(d, a)| (d.clone(), a.spec.name.clone(), a.spec.version.clone(), std::sync::Arc::clone(&a.metrics)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The metrics in Prometheus text format (0.0.4): `minyi_plugin_calls_total`,
    /// `minyi_plugin_faults_total{kind}` and the `minyi_plugin_call_duration_seconds` histogram, each
    /// labelled with district, plugin and version.
    pub fn prometheus_text(&self) -> String {
        let active = self.metrics();
        let labels: Vec<String> = active
            .iter()
            .map(|(d, n, v, _)| format!("district=\"{}\",plugin=\"{}\",version=\"{}\"", label(d), label(n), label(v)))
            .collect();
        let mut out = String::new();
        out.push_str("# HELP minyi_plugin_calls_total Hook calls made to a district plugin.\n");
        out.push_str("# TYPE minyi_plugin_calls_total counter\n");
        for ((.., m), labels) in active.iter().zip(&labels) {
            let _ = writeln!(out, "minyi_plugin_calls_total{{{labels}}} {}", m.calls.load(Ordering::Relaxed));
        }
        out.push_str("# HELP minyi_plugin_faults_total Plugin calls that faulted, by kind.\n");
        out.push_str("# TYPE minyi_plugin_faults_total counter\n");
        for ((.., m), labels) in active.iter().zip(&labels) {
            for (kind, n) in lock(&m.faults).iter() {
                let _ = writeln!(out, "minyi_plugin_faults_total{{{labels},kind=\"{kind}\"}} {n}");
            }
        }
        out.push_str("# HELP minyi_plugin_call_duration_seconds Plugin hook call latency.\n");
        out.push_str("# TYPE minyi_plugin_call_duration_seconds histogram\n");
        for ((.., m), labels) in active.iter().zip(&labels) {
            let mut cumulative = 0u64;
            for (i, bound) in LATENCY_BUCKETS_US.iter().enumerate() {
                cumulative += m.latency[i].load(Ordering::Relaxed);
                let le = *bound as f64 / 1e6;
                let _ = writeln!(out, "minyi_plugin_call_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}");
            }
            cumulative += m.latency[LATENCY_BUCKETS_US.len()].load(Ordering::Relaxed);
            let _ = writeln!(out, "minyi_plugin_call_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {cumulative}");
            let sum = m.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "minyi_plugin_call_duration_seconds_sum{{{labels}}} {sum}");
            let _ = writeln!(out, "minyi_plugin_call_duration_seconds_count{{{labels}}} {cumulative}");
        }
        out
    }
}
