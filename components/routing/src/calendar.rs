//! The working-day calendar (法定节假日 and 调休) and the reply deadline of each time-limit tier.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Weekday};
use minyi_model::SlaTier;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The calendar data shipped with the crate: China's holidays and make-up working days per year.
pub const CALENDAR_CN: &str = include_str!("../data/calendar-cn.toml");

/// Days off and make-up working days for the years the data covers.
#[derive(Debug, Default)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    years: BTreeSet<i32>,
}

/// A calendar document that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("calendar data: {0}")]
pub struct CalendarError(String);

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Year {
    holidays: Vec<String>,
    workdays: Vec<String>,
}

fn date(s: &str) -> Result<NaiveDate, CalendarError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|e| CalendarError(format!("{s:?}: {e}")))
}

impl Calendar {
    /// Parses a calendar document (the format of `data/calendar-cn.toml`).
    pub fn parse(source: &str) -> Result<Self, CalendarError> {
        let years: std::collections::BTreeMap<String, Year> =
            toml::from_str(source).map_err(|e| CalendarError(e.to_string()))?;
        let mut cal = Calendar::default();
        for (year, data) in years {
            cal.years.insert(year.parse().map_err(|_| CalendarError(format!("year {year:?} is not a number")))?);
            for entry in &data.holidays {
                let (from, to) = match entry.split_once("..") {
                    Some((a, b)) => (date(a)?, date(b)?),
                    None => (date(entry)?, date(entry)?),
                };
                if to < from {
                    return Err(CalendarError(format!("{entry:?} ends before it starts")));
                }
                let mut d = from;
                while d <= to {
                    cal.holidays.insert(d);
                    d = d.succ_opt().ok_or_else(|| CalendarError(format!("{entry:?} runs off the calendar")))?;
                }
            }
            for entry in &data.workdays {
                cal.workdays.insert(date(entry)?);
            }
        }
        Ok(cal)
    }

    /// China's calendar as shipped (2025 and 2026), parsed once.
    pub fn china() -> &'static Calendar {
        static CAL: OnceLock<Calendar> = OnceLock::new();
        CAL.get_or_init(|| Calendar::parse(CALENDAR_CN).unwrap_or_default())
    }

    /// Years the data covers; outside them only weekends are days off.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// True on a working day: a make-up working day, or a weekday that is not a holiday.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.workdays.contains(&day) {
            return true;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// The same time of day `n` working days after `from` (counting starts the next day).
    pub fn add_working_days(&self, from: DateTime<FixedOffset>, n: u32) -> DateTime<FixedOffset> {
        let mut at = from;
        let mut left = n;
        while left > 0 {
            at += Duration::days(1);
            if self.is_working_day(at.date_naive()) {
                left -= 1;
            }
        }
        at
    }
}

/// Working days a complex case has (15, extension approved).
pub const COMPLEX_WORKING_DAYS: u32 = 15;

/// The reply deadline of a case received at `received` with this tier, after the domain's time-limit table.
pub fn deadline(calendar: &Calendar, tier: SlaTier, received: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    match tier {
        SlaTier::Emergency | SlaTier::Urgent | SlaTier::Consult => received + Duration::hours(24),
        SlaTier::General => received + Duration::days(7),
        SlaTier::Complex => calendar.add_working_days(received, COMPLEX_WORKING_DAYS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        date(s).expect("test date")
    }

    #[test]
    fn shipped_calendar_covers_2025_and_2026() {
        let cal = Calendar::parse(CALENDAR_CN).expect("shipped data parses");
        assert_eq!(cal.years().collect::<Vec<_>>(), vec![2025, 2026]);
        // 2026 春节: 02-15..02-23 off; 02-14 (Sat) and 02-28 (Sat) are 调休 working days.
        assert!(!cal.is_working_day(d("2026-02-16")), "Monday inside the Spring Festival");
        assert!(cal.is_working_day(d("2026-02-14")), "make-up Saturday");
        assert!(cal.is_working_day(d("2026-02-28")), "make-up Saturday");
        assert!(!cal.is_working_day(d("2026-10-07")), "National Day");
        assert!(cal.is_working_day(d("2026-10-10")), "make-up Saturday");
        assert!(!cal.is_working_day(d("2025-01-01")));
        assert!(cal.is_working_day(d("2025-09-28")), "make-up Sunday");
        // 2027 is not covered: plain weekends.
        assert!(cal.is_working_day(d("2027-02-08")) && !cal.is_working_day(d("2027-02-06")));
        // 2026 has 248 working days (counted independently from the State Council notice).
        let working = (1..=365).filter(|n| cal.is_working_day(d("2026-01-01") + Duration::days(n - 1))).count();
        assert_eq!(working, 248);
    }

    #[test]
    fn complex_cases_get_fifteen_working_days() {
        let cal = Calendar::china();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("test time");
        // Received Friday 2026-09-18: the Mid-Autumn and National Day holidays and two make-up days fall inside.
        // Working days: 9-20(Sun, make-up) 21 22 23 24 28 29 30, 10-08 09 10(Sat, make-up) 12 13 14 15 → 10-15.
        assert_eq!(
            deadline(cal, SlaTier::Complex, at("2026-09-18T10:00:00+08:00")).to_rfc3339(),
            "2026-10-15T10:00:00+08:00"
        );
        // An ordinary stretch: 15 working days = 3 weeks.
        assert_eq!(
            deadline(cal, SlaTier::Complex, at("2026-11-02T09:30:00+08:00")).to_rfc3339(),
            "2026-11-23T09:30:00+08:00"
        );
        assert_eq!(
            deadline(cal, SlaTier::General, at("2026-11-29T10:00:00+08:00")).to_rfc3339(),
            "2026-12-06T10:00:00+08:00"
        );
        assert_eq!(
            deadline(cal, SlaTier::Urgent, at("2026-11-29T10:00:00+08:00")).to_rfc3339(),
            "2026-11-30T10:00:00+08:00"
        );
    }
}
