//! The service's one clock: Beijing time (UTC+8). Receipt times, deadlines and the `now` the host
//! passes to components all come from here, never from what a client says.

use chrono::{DateTime, FixedOffset};

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
