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

    /// True when the data has this year's holidays.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The last day of the last year the data covers.
    pub fn ends(&self) -> Option<NaiveDate> {
        self.years.last().and_then(|y| NaiveDate::from_ymd_opt(*y, 12, 31))
    }

    /// A warning when the data ends within [`CALENDAR_NOTICE_DAYS`] of `today` (or has ended): deadlines
    /// counted in working days past its end count Monday–Friday only.
    pub fn ending_warning(&self, today: NaiveDate) -> Option<String> {
        let Some(end) = self.ends() else {
            return Some("the holiday calendar is empty: working days are Monday–Friday only".to_owned());
        };
        let left = (end - today).num_days();
        if left > CALENDAR_NOTICE_DAYS {
            return None;
        }
        let when = if left < 0 { format!("ended {} days ago", -left) } else { format!("ends in {left} days") };
        Some(format!(
            "the holiday calendar covers {} and {when} ({end}): past it, working-day deadlines count Monday–Friday \
             only; import the next year's holidays and 调休 (`cargo xtask calendar --json FILE`) once published",
            self.years.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
        ))
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

/// How close to its end the calendar is reported as running out (`minyi rules check`).
pub const CALENDAR_NOTICE_DAYS: i64 = 60;

/// Working days a complex case has (15, extension approved).
pub const COMPLEX_WORKING_DAYS: u32 = 15;

/// Why a deadline may move: it counts working days in a year the calendar does not cover.
pub fn deadline_warning(
    calendar: &Calendar,
    tier: SlaTier,
    received: DateTime<FixedOffset>,
    deadline: DateTime<FixedOffset>,
) -> Option<String> {
    if tier != SlaTier::Complex {
        return None; // hours and calendar days: no holiday moves them
    }
    let uncovered: Vec<String> =
        (received.year()..=deadline.year()).filter(|y| !calendar.covers(*y)).map(|y| y.to_string()).collect();
    (!uncovered.is_empty()).then(|| {
        format!(
            "the deadline counts working days in {}, which the holiday calendar does not cover yet: Monday–Friday \
             were counted, and it may move when that year's holidays and 调休 are added",
            uncovered.join(", ")
        )
    })
}

/// A calendar document (the format of `data/calendar-cn.toml`) from lists in the format of the npm
/// package `chinese-days` (`dist/years/YYYY.json` or `dist/chinese-days.json`: `holidays` and `workdays`,
/// each a map of `YYYY-MM-DD` to `English name,中文名,n`). `source` names where they came from, for the
/// header. Consecutive holidays form one block, named by their names in order.
pub fn import_chinese_days(lists: &[&str], source: &str) -> Result<String, CalendarError> {
    #[derive(serde::Deserialize)]
    struct Lists {
        holidays: std::collections::BTreeMap<String, String>,
        workdays: std::collections::BTreeMap<String, String>,
    }
    /// Per year: holidays with their names, and make-up working days.
    type Year = (Vec<(NaiveDate, String)>, Vec<NaiveDate>);
    let mut years: std::collections::BTreeMap<i32, Year> = Default::default();
    for list in lists {
        let l: Lists = serde_json::from_str(list).map_err(|e| CalendarError(format!("not chinese-days JSON: {e}")))?;
        for (day, name) in &l.holidays {
            let d = date(day)?;
            let zh = name.split(',').nth(1).unwrap_or(name).trim().to_owned();
            years.entry(d.year()).or_default().0.push((d, zh));
        }
        for day in l.workdays.keys() {
            let d = date(day)?;
            years.entry(d.year()).or_default().1.push(d);
        }
    }
    let mut out =
        String::from("# China's public-holiday calendar (法定节假日) with make-up working days (调休), per year.\n#\n");
    out.push_str(&format!("# Imported by `cargo xtask calendar` from\n#   {source}.\n"));
    out.push_str(
        "# Do not edit by hand: import the next year once the State Council publishes it (usually in November\n\
         # of the year before). `holidays`: days off, single days or inclusive ranges \"YYYY-MM-DD..YYYY-MM-DD\"\n\
         # (weekends inside a block listed too); `workdays`: weekend days that are working days (调休上班).\n\
         # Outside the years listed, Monday–Friday are working days; deadlines that reach past the last year\n\
         # carry a warning, and `minyi rules check` warns 60 days before it ends.\n",
    );
    for (year, (mut holidays, mut workdays)) in years {
        holidays.sort();
        holidays.dedup_by_key(|(d, _)| *d);
        workdays.sort();
        workdays.dedup();
        out.push_str(&format!("\n[{year}]\nholidays = [\n"));
        let mut i = 0;
        while i < holidays.len() {
            let mut j = i;
            while j + 1 < holidays.len() && holidays[j].0.succ_opt() == Some(holidays[j + 1].0) {
                j += 1;
            }
            let mut names: Vec<&str> = Vec::new();
            for (_, n) in &holidays[i..=j] {
                if !names.contains(&n.as_str()) {
                    names.push(n);
                }
            }
            let span = if i == j {
                format!("\"{}\",", holidays[i].0)
            } else {
                format!("\"{}..{}\",", holidays[i].0, holidays[j].0)
            };
            out.push_str(&format!("  {span:<28}# {}\n", names.join("、")));
            i = j + 1;
        }
        out.push_str("]\nworkdays = [");
        out.push_str(&workdays.iter().map(|d| format!("\"{d}\"")).collect::<Vec<_>>().join(", "));
        out.push_str("]\n");
    }
    Calendar::parse(&out)?;
    Ok(out)
}

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

    /// The shipped calendar is what `cargo xtask calendar` writes from the lists kept beside it
    /// (`data/chinese-days/`, as imported), under the source its header names: nobody edited it by hand.
    #[test]
    fn the_shipped_calendar_is_the_import_of_its_named_source() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/chinese-days");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("the imported lists")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let lists: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).expect("a list")).collect();
        let source = CALENDAR_CN.lines().nth(3).and_then(|l| l.strip_prefix("#   ")).and_then(|l| l.strip_suffix('.'));
        let source = source.expect("the header names its source on line 4");
        let imported = import_chinese_days(&lists.iter().map(String::as_str).collect::<Vec<_>>(), source);
        let imported = imported.expect("imports");
        assert!(
            imported == CALENDAR_CN,
            "data/calendar-cn.toml is not what `cargo xtask calendar` writes:\n{imported}"
        );
    }

    #[test]
    fn deadlines_past_the_calendar_and_a_calendar_running_out_are_warned_about() {
        let cal = Calendar::china();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("test time");
        let received = at("2026-12-20T10:00:00+08:00");
        let due = deadline(cal, SlaTier::Complex, received);
        let warning = deadline_warning(cal, SlaTier::Complex, received, due).expect("2027 is not covered");
        assert!(warning.contains("working days in 2027"), "{warning}");
        assert_eq!(deadline_warning(cal, SlaTier::General, received, deadline(cal, SlaTier::General, received)), None);
        let november = at("2026-11-02T09:30:00+08:00");
        assert_eq!(deadline_warning(cal, SlaTier::Complex, november, deadline(cal, SlaTier::Complex, november)), None);
        assert_eq!(cal.ending_warning(d("2026-10-31")), None, "61 days before the end");
        let soon = cal.ending_warning(d("2026-11-01")).expect("60 days before the end");
        assert!(soon.contains("covers 2025, 2026 and ends in 60 days (2026-12-31)"), "{soon}");
        assert!(cal.ending_warning(d("2027-01-05")).is_some_and(|w| w.contains("ended 5 days ago")));
        assert!(import_chinese_days(&["{\"holidays\": {\"2026-13-01\": \"x,y,1\"}, \"workdays\": {}}"], "t").is_err());
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
