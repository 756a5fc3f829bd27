//! The circuit breaker: after `max_faults` faults within `window`, a plugin is disabled until an admin
//! activates a version again; the reason is kept for the district admin.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Breaker policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Faults that open the breaker...
    pub max_faults: usize,
    /// ...within this window.
    pub window: Duration,
}

impl Default for BreakerPolicy {
    /// 5 faults within a minute.
    fn default() -> Self {
        Self { max_faults: 5, window: Duration::from_secs(60) }
    }
}

/// One plugin's breaker.
#[derive(Debug, Default)]
pub struct Breaker {
    recent: VecDeque<Instant>,
    disabled: Option<String>,
}

impl Breaker {
    /// Why the plugin is disabled, if it is.
    pub fn disabled(&self) -> Option<&str> {
        self.disabled.as_deref()
    }

    /// Disables the plugin by hand.
    pub fn disable(&mut self, reason: String) {
        self.disabled = Some(reason);
    }

    /// Counts a fault at `now`; returns the reason when this fault opened the breaker.
    pub fn fault(&mut self, now: Instant, what: &str, policy: BreakerPolicy) -> Option<String> {
        while self.recent.front().is_some_and(|t| now.duration_since(*t) > policy.window) {
            self.recent.pop_front();
        }
        self.recent.push_back(now);
        if self.disabled.is_none() && self.recent.len() >= policy.max_faults {
            let reason = format!(
                "{} faults within {} s (last: {what}); disabled by the circuit breaker",
                self.recent.len(),
                policy.window.as_secs()
            );
            self.disabled = Some(reason.clone());
            return Some(reason);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_max_faults_within_the_window_only() {
        let policy = BreakerPolicy { max_faults: 3, window: Duration::from_secs(10) };
        let mut b = Breaker::default();
        let t0 = Instant::now();
        assert_eq!(b.fault(t0, "trap", policy), None);
        assert_eq!(b.fault(t0 + Duration::from_secs(11), "trap", policy), None, "the first fault left the window");
        assert_eq!(b.fault(t0 + Duration::from_secs(12), "trap", policy), None);
        let reason = b.fault(t0 + Duration::from_secs(13), "trap", policy).expect("opens");
        assert!(reason.contains("3 faults within 10 s") && reason.contains("trap"), "{reason}");
        assert_eq!(b.disabled(), Some(reason.as_str()));
        assert_eq!(b.fault(t0 + Duration::from_secs(14), "trap", policy), None, "opens once");
    }
}
