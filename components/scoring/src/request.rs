//! The scoring request: which period, which district, as of when, under which policy; and time parsing.

use crate::ScoreError;
use crate::hotspots::HotspotParams;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use minyi_model::ScoreConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The request document of a scoreboard (public JSON shape).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    /// A calendar month, `YYYY-MM`; or give `from` and `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
    /// First day of the period, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Day after the period, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Only cases received in this district.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// Ignore events after this instant (RFC 3339), to recompute a period as it stood on a date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Where days start, `+08:00` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<String>,
    /// Scoring policy.
    #[serde(default)]
    pub config: Policy,
    /// Hotspot statistics.
    #[serde(default)]
    pub hotspots: HotspotParams,
}

/// A score config with per-district overrides: `{"response_weight": 0.3, …, "districts": {"110105": {…}}}`.
/// Unknown fields are errors, at the top as in a district's overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Map<String, serde_json::Value>")]
pub struct Policy {
    /// The city's config.
    #[serde(flatten)]
    pub city: ScoreConfig,
    /// Fields a district overrides, by district code.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub districts: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for Policy {
    type Error = String;

    fn try_from(mut fields: serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        let districts = match fields.remove("districts") {
            None => BTreeMap::new(),
            Some(d) => serde_json::from_value(d).map_err(|e| format!("districts: {e}"))?,
        };
        let city = serde_json::from_value(serde_json::Value::Object(fields)).map_err(|e| e.to_string())?;
        Ok(Policy { city, districts })
    }
}

impl Policy {
    /// The config in force for `district` (the city's when none or not overridden).
    pub fn resolve(&self, district: Option<&str>) -> Result<ScoreConfig, ScoreError> {
        let Some(patch) = district.and_then(|d| self.districts.get(d)) else { return Ok(self.city) };
        let mut base = serde_json::to_value(self.city).map_err(|e| ScoreError::Config(e.to_string()))?;
        if let serde_json::Value::Object(fields) = &mut base {
            for (k, v) in patch {
                fields.insert(k.clone(), v.clone());
            }
        }
        serde_json::from_value(base)
            .map_err(|e| ScoreError::Config(format!("districts.{}: {e}", district.unwrap_or_default())))
    }
}

/// A period as instants: `[from, to)` in Unix seconds, with its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// `2026-11`, or `2026-11-01..2026-12-01`.
    pub label: String,
    /// Start, Unix seconds.
    pub from: i64,
    /// End (exclusive), Unix seconds.
    pub to: i64,
}

impl Period {
    /// Whether `t` falls in the period.
    pub fn contains(&self, t: i64) -> bool {
        self.from <= t && t < self.to
    }
}

/// A request made concrete: periods as instants and the config resolved for the district.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The period scored.
    pub period: Period,
    /// The period before it (the previous month, or the same length before `from`), for the trend.
    pub previous: Period,
    /// District filter.
    pub district: Option<String>,
    /// Events after this are ignored.
    pub as_of: Option<i64>,
    /// Offset for display and day boundaries.
    pub offset: FixedOffset,
    /// Config in force.
    pub config: ScoreConfig,
    /// Hotspot statistics.
    pub hotspots: HotspotParams,
    /// The request as given.
    pub request: ScoreRequest,
}

fn bad(field: &str, problem: impl std::fmt::Display) -> ScoreError {
    ScoreError::Request(format!("{field}: {problem}"))
}

/// Parses an offset such as `+08:00` or `-05:00`.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Parses an RFC 3339 instant to Unix seconds.
pub fn parse_instant(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s.trim()).ok().map(|t| t.timestamp())
}

/// Unix seconds shown in `offset`.
pub fn show_instant(t: i64, offset: FixedOffset) -> String {
    DateTime::from_timestamp(t, 0).map(|d| d.with_timezone(&offset).to_rfc3339()).unwrap_or_else(|| t.to_string())
}

fn midnight(d: NaiveDate, offset: FixedOffset) -> Option<i64> {
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp() - i64::from(offset.local_minus_utc()))
}

fn month_start(s: &str) -> Option<NaiveDate> {
    let (y, m) = s.trim().split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

fn next_month(d: NaiveDate) -> Option<NaiveDate> {
    if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    }
}

fn prev_month(d: NaiveDate) -> Option<NaiveDate> {
    if d.month() == 1 {
        NaiveDate::from_ymd_opt(d.year() - 1, 12, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() - 1, 1)
    }
}

fn day(field: &str, s: &str) -> Result<NaiveDate, ScoreError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| bad(field, format!("{s:?} is not a date YYYY-MM-DD")))
}

impl ScoreRequest {
    /// A request for one month.
    pub fn month(month: &str) -> Self {
        Self { month: Some(month.to_owned()), ..Self::default() }
    }

    /// Checks the request and makes its periods concrete.
    pub fn resolve(self) -> Result<Resolved, ScoreError> {
        let offset = match &self.utc_offset {
            None => FixedOffset::east_opt(8 * 3600).ok_or_else(|| bad("utc_offset", "out of range"))?,
            Some(s) => {
                parse_offset(s).ok_or_else(|| bad("utc_offset", format!("{s:?} is not an offset like +08:00")))?
            }
        };
        let at = |field: &str, d: NaiveDate| midnight(d, offset).ok_or_else(|| bad(field, "out of range"));
        let (period, previous) = match (&self.month, &self.from, &self.to) {
            (Some(m), None, None) => {
                let start = month_start(m).ok_or_else(|| bad("month", format!("{m:?} is not a month YYYY-MM")))?;
                let end = next_month(start).ok_or_else(|| bad("month", "out of range"))?;
                let before = prev_month(start).ok_or_else(|| bad("month", "out of range"))?;
                let label = start.format("%Y-%m").to_string();
                let previous_label = before.format("%Y-%m").to_string();
                (
                    Period { label, from: at("month", start)?, to: at("month", end)? },
                    Period { label: previous_label, from: at("month", before)?, to: at("month", start)? },
                )
            }
            (None, Some(f), Some(t)) => {
                let (start, end) = (day("from", f)?, day("to", t)?);
                if end <= start {
                    return Err(bad("to", "must be after from"));
                }
                let before = start - (end - start);
                (
                    Period { label: format!("{start}..{end}"), from: at("from", start)?, to: at("to", end)? },
                    Period { label: format!("{before}..{start}"), from: at("from", before)?, to: at("from", start)? },
                )
            }
            (None, None, None) => return Err(bad("month", "give a month (YYYY-MM) or from and to")),
            _ => return Err(bad("month", "give either a month or from and to, not both")),
        };
        let as_of = match &self.as_of {
            None => None,
            Some(s) => Some(parse_instant(s).ok_or_else(|| bad("as_of", format!("{s:?} is not an RFC 3339 instant")))?),
        };
        let config = self.config.resolve(self.district.as_deref())?;
        check_config(&config)?;
        crate::hotspots::check_params(&self.hotspots)?;
        Ok(Resolved {
            period,
            previous,
            district: self.district.clone(),
            as_of,
            offset,
            config,
            hotspots: self.hotspots.clone(),
            request: self,
        })
    }
}

/// Weights and the factor must be finite and within [0, 1], so every rate and the composite stay in [0, 1].
pub fn check_config(c: &ScoreConfig) -> Result<(), ScoreError> {
    for (field, v) in [
        ("response_weight", c.response_weight),
        ("resolution_weight", c.resolution_weight),
        ("satisfaction_weight", c.satisfaction_weight),
        ("basically_satisfied_factor", c.basically_satisfied_factor),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(ScoreError::Config(format!("{field}: {v} is not within [0, 1]")));
        }
    }
    let sum = c.response_weight + c.resolution_weight + c.satisfaction_weight;
    if sum > 1.0 + 1e-9 {
        return Err(ScoreError::Config(format!("the three weights add up to {sum}, more than 1")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let r = ScoreRequest::month("2026-01").resolve().expect("valid");
        assert_eq!(r.previous.label, "2025-12");
        assert_eq!(show_instant(r.period.from, r.offset), "2026-01-01T00:00:00+08:00");
        assert_eq!(show_instant(r.period.to, r.offset), "2026-02-01T00:00:00+08:00");
        let bad_month = ScoreRequest::month("2026-13").resolve().expect_err("invalid");
        assert!(bad_month.to_string().contains("month"), "{bad_month}");
        let r = ScoreRequest {
            from: Some("2025-12-01".into()),
            to: Some("2025-12-11".into()),
            utc_offset: Some("-05:00".into()),
            ..ScoreRequest::default()
        }
        .resolve()
        .expect("valid");
        assert_eq!(r.previous.label, "2025-11-21..2025-12-01");
        assert_eq!(show_instant(r.period.from, r.offset), "2025-12-01T00:00:00-05:00");
    }

    #[test]
    fn district_overrides() {
        let policy: Policy = serde_json::from_str(
            r#"{"response_weight": 0.3, "resolution_weight": 0.35, "satisfaction_weight": 0.35,
                "districts": {"110105": {"min_valid_callbacks": 10}}}"#,
        )
        .expect("parses");
        let c = policy.resolve(Some("110105")).expect("resolves");
        assert_eq!((c.response_weight, c.min_valid_callbacks), (0.3, 10));
        assert_eq!(policy.resolve(Some("110101")).expect("resolves").min_valid_callbacks, 5);
        let top: Result<Policy, _> = serde_json::from_str(r#"{"min_valid": 10}"#);
        assert!(top.expect_err("unknown field").to_string().contains("min_valid"));
        let typo: Policy = serde_json::from_str(r#"{"districts": {"110105": {"min_valid": 10}}}"#).expect("parses");
        let e = typo.resolve(Some("110105")).expect_err("unknown field");
        assert!(e.to_string().contains("districts.110105") && e.to_string().contains("min_valid"), "{e}");
    }
}
