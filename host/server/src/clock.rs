//! The service's one clock: Beijing time (UTC+8). Receipt times, deadlines and the `now` the host
//! passes to components all come from here, never from what a client says.

use chrono::{DateTime, FixedOffset};
use std::sync::{Arc, Mutex, PoisonError};

/// The service's clock: the system's, or one that stands where it is set (to live a month of
/// casework in a test through the same handlers; never settable over HTTP).
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<Mutex<DateTime<FixedOffset>>>>);

impl Clock {
    /// The system clock, in Beijing time.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock standing at `at` until it is [`Clock::set`].
    pub fn fixed(at: DateTime<FixedOffset>) -> Clock {
        Clock(Some(Arc::new(Mutex::new(at))))
    }

    /// Moves a fixed clock to `at` (the system clock is not moved).
    pub fn set(&self, at: DateTime<FixedOffset>) {
        if let Some(m) = &self.0 {
            *m.lock().unwrap_or_else(PoisonError::into_inner) = at;
        }
    }

    /// Now, in Beijing time.
    pub fn now(&self) -> DateTime<FixedOffset> {
        match &self.0 {
            None => beijing_time(),
            Some(m) => *m.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }
}

/// UTC+8.
fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC is a valid offset"))
}

/// The current time in Beijing.
pub fn beijing_time() -> DateTime<FixedOffset> {
    chrono::Utc::now().with_timezone(&beijing())
}

/// The current time in Beijing, RFC 3339 to the second: the `now` the host passes to components.
pub fn beijing_now() -> String {
    beijing_time().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}
