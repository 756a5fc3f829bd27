//! Compiled rule conditions: evaluation against one case, explanations, and the coverage and overlap
//! relations that the load-time checks use.

use crate::format::{DayKind, FormField};
use crate::geo;
use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use minyi_model::{CaseContext, CaseForm, Channel, Kind};
use std::cell::OnceCell;
use std::fmt::Write as _;

/// A compiled `when`: every non-empty part must hold. Lists mean "any of".
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Cond {
    pub category: Vec<String>,
    pub kind: Vec<Kind>,
    pub channel: Vec<Channel>,
    pub district: Vec<String>,
    pub street: Vec<String>,
    pub missing: Vec<FormField>,
    /// Indices into the rule set's keyword list.
    pub keywords: Vec<u32>,
    /// Indices into the rule set's keyword list: none of these may be in the text.
    pub unless: Vec<u32>,
    /// Indices into the shared phrase lists (`minyi_model::phrases::LISTS`): one must hold.
    pub phrases: Vec<u32>,
    /// Indices into the rule set's address-word list.
    pub address: Vec<u32>,
    /// Indices into the rule set's areas.
    pub area: Vec<u32>,
    pub cells: Vec<(i64, i64)>,
    /// Minutes after midnight, `[from, to)`; wraps past midnight when `to <= from`.
    pub hours: Option<(u16, u16)>,
    /// Bit `n` set: weekday `n` (Monday = 0) allowed; 0 = any.
    pub weekdays: u8,
    /// `month * 100 + day`, inclusive; wraps past new year when `to < from`.
    pub season: Option<(u16, u16)>,
    pub day: Option<DayKind>,
    pub repeat_at_least: Option<u32>,
    /// Category prefixes for the classifier's likeliest category.
    pub suggested: Vec<String>,
    /// `[at_least, below)` for the classifier's confidence; `None` ends are open.
    pub confidence: (Option<f64>, Option<f64>),
    pub all: Vec<Cond>,
    pub any: Vec<Cond>,
    pub not: Option<Box<Cond>>,
}

/// What the rules refer to by index: keywords, address words, areas, and the grid.
#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    pub keywords: Vec<String>,
    pub keyword_matcher: minyi_model::matcher::Matcher,
    pub address_words: Vec<String>,
    pub address_matcher: minyi_model::matcher::Matcher,
    pub areas: Vec<geo::Area>,
    pub grid: Option<crate::format::Grid>,
}

/// One case, with the facts derived from it computed at most once.
pub(crate) struct Facts<'a> {
    pub form: &'a CaseForm,
    pub context: CaseContext,
    pub received: DateTime<FixedOffset>,
    vocabulary: &'a Vocabulary,
    keywords: OnceCell<Vec<bool>>,
    address: OnceCell<Vec<bool>>,
    phrases: OnceCell<minyi_model::phrases::Scan>,
}

impl<'a> Facts<'a> {
    pub fn new(
        form: &'a CaseForm,
        context: CaseContext,
        received: DateTime<FixedOffset>,
        vocabulary: &'a Vocabulary,
    ) -> Self {
        Facts {
            form,
            context,
            received,
            vocabulary,
            keywords: OnceCell::new(),
            address: OnceCell::new(),
            phrases: OnceCell::new(),
        }
    }

    fn phrase_scan(&self) -> &minyi_model::phrases::Scan {
        self.phrases.get_or_init(|| minyi_model::phrases::Scan::of(&[&self.form.title, &self.form.description]))
    }

    fn keyword_found(&self, id: u32) -> bool {
        let found = self.keywords.get_or_init(|| {
            let mut found = vec![false; self.vocabulary.keywords.len()];
            for text in [&self.form.title, &self.form.description] {
                for m in self.vocabulary.keyword_matcher.find_all(text) {
                    found[m.pattern] = true;
                }
            }
            found
        });
        found.get(id as usize).copied().unwrap_or(false)
    }

    fn address_found(&self, id: u32) -> bool {
        let found = self.address.get_or_init(|| {
            let mut found = vec![false; self.vocabulary.address_words.len()];
            for m in self.vocabulary.address_matcher.find_all(&self.form.address) {
                found[m.pattern] = true;
            }
            found
        });
        found.get(id as usize).copied().unwrap_or(false)
    }

    fn minutes(&self) -> u16 {
        (self.received.hour() * 60 + self.received.minute()) as u16
    }

    fn month_day(&self) -> u16 {
        (self.received.month() * 100 + self.received.day()) as u16
    }
}

pub(crate) use minyi_model::categories::under as category_under;

fn in_window(value: u16, (from, to): (u16, u16), inclusive_end: bool) -> bool {
    let before_end = if inclusive_end { value <= to } else { value < to };
    if from <= to { value >= from && before_end } else { value >= from || before_end }
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Held and failed conditions: counted always, described in words only when `words` is set (words cost
/// allocations, so near-miss candidates are ranked by the counts and only the closest are described).
#[derive(Debug, Default)]
pub(crate) struct Trace {
    /// Describe held conditions.
    pub words: bool,
    /// Describe failed conditions.
    pub failed_words: bool,
    /// Stop at the first failed condition.
    pub short: bool,
    pub held: Vec<String>,
    pub failed: Vec<String>,
    pub n_held: usize,
    pub n_failed: usize,
}

impl Trace {
    /// A trace that describes the conditions that held (for a rule that fired).
    pub fn held_words() -> Self {
        Trace { words: true, ..Trace::default() }
    }

    /// A trace that stops at the first failed condition and describes it (for a near miss).
    pub fn first_failure() -> Self {
        Trace { failed_words: true, short: true, ..Trace::default() }
    }

    /// A trace that stops at the first failed condition and describes nothing: the fast path.
    pub fn short() -> Self {
        Trace { short: true, ..Trace::default() }
    }

    /// A fresh trace describing what this one describes (for `all` and `any` groups).
    fn same(&self) -> Self {
        Trace { words: self.words, failed_words: self.failed_words, short: self.short, ..Trace::default() }
    }

    /// A fresh trace describing the opposite (for `not`: it fails when its inside holds).
    fn swapped(&self) -> Self {
        Trace { words: self.failed_words, failed_words: self.words, short: self.short, ..Trace::default() }
    }
}

impl Cond {
    /// True when the case meets every condition. A `short` trace stops at the first failure (counting the
    /// conditions that held before it); any other evaluates every condition, describing what it asks for.
    pub fn eval(&self, f: &Facts<'_>, trace: &mut Trace) -> bool {
        let mut ok = true;
        macro_rules! check {
            ($active:expr, $holds:expr, $held:expr, $failed:expr) => {
                if $active {
                    let holds = $holds;
                    if holds {
                        trace.n_held += 1;
                        if trace.words {
                            trace.held.push($held)
                        }
                    } else {
                        trace.n_failed += 1;
                        if trace.failed_words {
                            trace.failed.push($failed)
                        }
                        if trace.short {
                            return false;
                        }
                    }
                    ok &= holds;
                }
            };
        }
        let form = f.form;
        let category = form.category.as_deref().unwrap_or("");
        check!(
            !self.category.is_empty(),
            self.category.iter().any(|p| category_under(category, p)),
            format!("category {category} is under {}", self.first_prefix(category)),
            format!("category \"{category}\" is not under {}", self.category.join(" | "))
        );
        check!(
            !self.kind.is_empty(),
            self.kind.contains(&form.kind),
            format!("kind is {}", name(&form.kind)),
            format!("kind {} is not {}", name(&form.kind), names(&self.kind))
        );
        check!(
            !self.channel.is_empty(),
            self.channel.contains(&form.channel),
            format!("channel is {}", name(&form.channel)),
            format!("channel {} is not {}", name(&form.channel), names(&self.channel))
        );
        check!(
            !self.district.is_empty(),
            self.district.contains(&form.district),
            format!("district is {}", form.district),
            format!("district \"{}\" is not {}", form.district, self.district.join(" | "))
        );
        let street = form.street.as_deref().unwrap_or("");
        check!(
            !self.street.is_empty(),
            self.street.iter().any(|s| s == street),
            format!("street is {street}"),
            format!("street \"{street}\" is not {}", self.street.join(" | "))
        );
        for field in &self.missing {
            let (missing, label) = match field {
                FormField::Street => (form.street.as_deref().is_none_or(str::is_empty), "street"),
                FormField::Location => (form.location.is_none(), "location"),
                FormField::Category => (form.category.as_deref().is_none_or(str::is_empty), "category"),
            };
            check!(true, missing, format!("{label} is missing"), format!("{label} is given"));
        }
        if !self.keywords.is_empty() {
            let words = &f.vocabulary.keywords;
            let hit = self.keywords.iter().find(|&&k| f.keyword_found(k));
            check!(
                true,
                hit.is_some(),
                format!("text mentions \"{}\"", hit.and_then(|&k| words.get(k as usize)).map_or("", String::as_str)),
                format!("text mentions none of {}", self.listed(&self.keywords, words))
            );
        }
        if !self.unless.is_empty() {
            let words = &f.vocabulary.keywords;
            let hit = self.unless.iter().find(|&&k| f.keyword_found(k));
            check!(
                true,
                hit.is_none(),
                format!("text mentions none of {}", self.listed(&self.unless, words)),
                format!(
                    "text mentions \"{}\", which rules the rule out",
                    hit.and_then(|&k| words.get(k as usize)).map_or("", String::as_str)
                )
            );
        }
        if !self.phrases.is_empty() {
            let scan = f.phrase_scan();
            let lists = minyi_model::phrases::LISTS;
            let name = |i: u32| lists.get(i as usize).map_or("", |l| l.name);
            let hit = self.phrases.iter().find_map(|&i| Some((i, scan.holds(i as usize)?)));
            check!(
                true,
                hit.is_some(),
                hit.map(|(i, word)| format!("text holds phrase list {} (\"{word}\")", name(i))).unwrap_or_default(),
                self.phrases
                    .iter()
                    .map(|&i| match scan.found(i as usize) {
                        (Some(word), Some(veto)) => format!("{}: \"{word}\" is ruled out by \"{veto}\"", name(i)),
                        _ => format!("{}: no phrase of it in the text", name(i)),
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
        if !self.address.is_empty() {
            let words = &f.vocabulary.address_words;
            let hit = self.address.iter().find(|&&k| f.address_found(k));
            check!(
                true,
                hit.is_some(),
                format!("address mentions \"{}\"", hit.and_then(|&k| words.get(k as usize)).map_or("", String::as_str)),
                format!("address mentions none of {}", self.listed(&self.address, words))
            );
        }
        if !self.area.is_empty() {
            let areas = &f.vocabulary.areas;
            let hit = form.location.and_then(|p| {
                self.area.iter().filter_map(|&a| areas.get(a as usize)).find(|a| a.contains(p.lat, p.lon))
            });
            let wanted = || self.area.iter().filter_map(|&a| areas.get(a as usize)).map(|a| a.name.as_str());
            check!(
                true,
                hit.is_some(),
                format!("location is inside area {}", hit.map_or("", |a| a.name.as_str())),
                match form.location {
                    None => "location is missing (needed for the area condition)".to_owned(),
                    Some(_) => format!("location is outside {}", wanted().collect::<Vec<_>>().join(" | ")),
                }
            );
        }
        if !self.cells.is_empty() {
            let cell = f.vocabulary.grid.and_then(|g| form.location.map(|p| geo::cell(&g, p.lat, p.lon)));
            check!(
                true,
                cell.is_some_and(|c| self.cells.contains(&c)),
                format!("location is in grid cell {}", cell.map(geo::cell_name).unwrap_or_default()),
                match cell {
                    None => "location is missing (needed for the grid condition)".to_owned(),
                    Some(c) =>
                        format!("grid cell {} is not one of the rule's {} cells", geo::cell_name(c), self.cells.len()),
                }
            );
        }
        if let Some(window) = self.hours {
            let now = f.minutes();
            check!(
                true,
                in_window(now, window, false),
                format!("received at {} within {}", clock(now), hours(window)),
                format!("received at {} outside {}", clock(now), hours(window))
            );
        }
        if self.weekdays != 0 {
            let day = f.received.weekday().num_days_from_monday() as usize;
            check!(
                true,
                self.weekdays & (1 << day) != 0,
                format!("received on a {}", DAYS[day]),
                format!("received on a {}, not {}", DAYS[day], self.weekday_list())
            );
        }
        if let Some(season) = self.season {
            let md = f.month_day();
            check!(
                true,
                in_window(md, season, true),
                format!("received on {} within season {}", month_day(md), season_name(season)),
                format!("received on {} outside season {}", month_day(md), season_name(season))
            );
        }
        if let Some(day) = self.day {
            let working = crate::calendar::Calendar::china().is_working_day(f.received.date_naive());
            let label = if working { "a working day" } else { "a day off" };
            check!(
                true,
                working == (day == DayKind::Working),
                format!("received on {label}"),
                format!("received on {label}")
            );
        }
        if let Some(n) = self.repeat_at_least {
            let r = f.context.repeat_count;
            check!(true, r >= n, format!("repeat count {r} ≥ {n}"), format!("repeat count {r} < {n}"));
        }
        if !self.suggested.is_empty() {
            let suggested = f.context.suggestion.as_ref().map(|s| s.category.as_str());
            let under = suggested.and_then(|c| self.suggested.iter().find(|p| category_under(c, p)));
            check!(
                true,
                under.is_some(),
                format!("suggested category {} is under {}", suggested.unwrap_or(""), under.map_or("", String::as_str)),
                match suggested {
                    None => "no category was suggested (needed for the suggested condition)".to_owned(),
                    Some(c) => format!("suggested category \"{c}\" is not under {}", self.suggested.join(" | ")),
                }
            );
        }
        if self.confidence != (None, None) {
            let confidence = f.context.suggestion.as_ref().map(|s| s.confidence);
            let (at_least, below) = self.confidence;
            let holds = confidence.is_some_and(|c| at_least.is_none_or(|lo| c >= lo) && below.is_none_or(|hi| c < hi));
            let wanted = confidence_window(self.confidence);
            check!(
                true,
                holds,
                format!("suggestion confidence {:.2} is {wanted}", confidence.unwrap_or(0.0)),
                match confidence {
                    None => "no category was suggested (needed for the confidence condition)".to_owned(),
                    Some(c) => format!("suggestion confidence {c:.2} is not {wanted}"),
                }
            );
        }
        if !self.has_groups() {
            return ok;
        }
        let parent = trace.same();
        for sub in &self.all {
            let mut inner = parent.same();
            let holds = sub.eval(f, &mut inner);
            check!(true, holds, format!("all({})", inner.held.join("; ")), format!("all({})", inner.failed.join("; ")));
        }
        if !self.any.is_empty() {
            let mut inner = parent.same();
            let holds = self.any.iter().any(|sub| {
                let mut t = parent.same();
                let h = sub.eval(f, &mut t);
                if h {
                    inner.held = t.held;
                } else {
                    inner.failed.push(t.failed.join(" and "));
                }
                h
            });
            check!(
                true,
                holds,
                format!("any({})", inner.held.join("; ")),
                format!("none of ({})", inner.failed.join(" | "))
            );
        }
        if let Some(sub) = &self.not {
            let mut inner = parent.swapped();
            let inner_holds = sub.eval(f, &mut inner);
            check!(
                true,
                !inner_holds,
                format!("not({})", inner.failed.join("; ")),
                format!("not({})", inner.held.join("; "))
            );
        }
        ok
    }

    fn first_prefix(&self, category: &str) -> &str {
        self.category.iter().find(|p| category_under(category, p)).map_or("", String::as_str)
    }

    fn listed(&self, ids: &[u32], words: &[String]) -> String {
        let mut out = String::with_capacity(64);
        out.push('[');
        for (n, &id) in ids.iter().enumerate() {
            if n == 6 {
                let _ = write!(out, ", … {} more", ids.len() - 6);
                break;
            }
            if n > 0 {
                out.push_str(", ");
            }
            out.push('"');
            out.push_str(words.get(id as usize).map_or("", String::as_str));
            out.push('"');
        }
        out.push(']');
        out
    }

    fn weekday_list(&self) -> String {
        DAYS.iter()
            .enumerate()
            .filter(|(n, _)| self.weekdays & (1 << n) != 0)
            .map(|(_, d)| *d)
            .collect::<Vec<_>>()
            .join("|")
    }

    /// True when nothing but the all/any/not groups constrain the case.
    fn has_groups(&self) -> bool {
        !self.all.is_empty() || !self.any.is_empty() || self.not.is_some()
    }

    /// True when every case that meets `other` also meets `self` (checked structurally, conservatively:
    /// `false` whenever it cannot be shown).
    pub fn covers(&self, other: &Cond, vocabulary: &Vocabulary) -> bool {
        fn list<T: PartialEq>(mine: &[T], theirs: &[T], under: impl Fn(&T, &T) -> bool) -> bool {
            mine.is_empty() || (!theirs.is_empty() && theirs.iter().all(|t| mine.iter().any(|m| under(t, m))))
        }
        fn word_under(words: &[String]) -> impl Fn(&u32, &u32) -> bool + '_ {
            move |t, m| match (words.get(*t as usize), words.get(*m as usize)) {
                (Some(t), Some(m)) => t.contains(m.as_str()),
                _ => false,
            }
        }
        !self.has_groups()
            && list(&self.category, &other.category, |t, m| category_under(t, m))
            && list(&self.kind, &other.kind, PartialEq::eq)
            && list(&self.channel, &other.channel, PartialEq::eq)
            && list(&self.district, &other.district, PartialEq::eq)
            && list(&self.street, &other.street, PartialEq::eq)
            && self.missing.iter().all(|m| other.missing.contains(m))
            && list(&self.keywords, &other.keywords, word_under(&vocabulary.keywords))
            && self.unless.iter().all(|u| other.unless.contains(u))
            && list(&self.phrases, &other.phrases, PartialEq::eq)
            && list(&self.address, &other.address, word_under(&vocabulary.address_words))
            && list(&self.area, &other.area, PartialEq::eq)
            && list(&self.cells, &other.cells, PartialEq::eq)
            && (self.hours.is_none() || self.hours == other.hours)
            && (self.weekdays == 0 || (other.weekdays != 0 && other.weekdays & !self.weekdays == 0))
            && (self.season.is_none() || self.season == other.season)
            && (self.day.is_none() || self.day == other.day)
            && self.repeat_at_least.is_none_or(|n| other.repeat_at_least.is_some_and(|o| o >= n))
            && list(&self.suggested, &other.suggested, |t, m| category_under(t, m))
            && self.confidence.0.is_none_or(|lo| other.confidence.0.is_some_and(|o| o >= lo))
            && self.confidence.1.is_none_or(|hi| other.confidence.1.is_some_and(|o| o <= hi))
    }

    /// True when one case could meet both `self` and `other` on the same evidence: the structured
    /// conditions intersect, and where both name keywords they share one.
    pub fn overlaps(&self, other: &Cond) -> bool {
        fn meet<T: PartialEq>(a: &[T], b: &[T], related: impl Fn(&T, &T) -> bool) -> bool {
            a.is_empty() || b.is_empty() || a.iter().any(|x| b.iter().any(|y| related(x, y)))
        }
        let street_clash = (self.missing.contains(&FormField::Street) && !other.street.is_empty())
            || (other.missing.contains(&FormField::Street) && !self.street.is_empty());
        !street_clash
            && meet(&self.category, &other.category, |a, b| category_under(a, b) || category_under(b, a))
            && meet(&self.kind, &other.kind, PartialEq::eq)
            && meet(&self.channel, &other.channel, PartialEq::eq)
            && meet(&self.district, &other.district, PartialEq::eq)
            && meet(&self.street, &other.street, PartialEq::eq)
            && meet(&self.keywords, &other.keywords, PartialEq::eq)
            && meet(&self.phrases, &other.phrases, PartialEq::eq)
            && meet(&self.address, &other.address, PartialEq::eq)
            && meet(&self.cells, &other.cells, PartialEq::eq)
            && (self.weekdays == 0 || other.weekdays == 0 || self.weekdays & other.weekdays != 0)
            && (self.day.is_none() || other.day.is_none() || self.day == other.day)
            && meet(&self.suggested, &other.suggested, |a, b| category_under(a, b) || category_under(b, a))
            && confidence_meets(self.confidence, other.confidence)
    }
}

/// True when two confidence windows `[at_least, below)` share a value.
fn confidence_meets(a: (Option<f64>, Option<f64>), b: (Option<f64>, Option<f64>)) -> bool {
    let lo = match (a.0, b.0) {
        (Some(x), Some(y)) => x.max(y),
        (x, y) => x.or(y).unwrap_or(0.0),
    };
    let hi = match (a.1, b.1) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    hi.is_none_or(|hi| lo < hi)
}

/// A confidence window in words: `below 0.60`, `at least 0.90`, `in [0.50, 0.80)`.
fn confidence_window((at_least, below): (Option<f64>, Option<f64>)) -> String {
    match (at_least, below) {
        (Some(lo), Some(hi)) => format!("in [{lo:.2}, {hi:.2})"),
        (Some(lo), None) => format!("at least {lo:.2}"),
        (None, Some(hi)) => format!("below {hi:.2}"),
        (None, None) => "any".to_owned(),
    }
}

fn name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn names<T: serde::Serialize>(values: &[T]) -> String {
    values.iter().map(name).collect::<Vec<_>>().join(" | ")
}

/// Two numbers as `AA<sep>BB`, zero-padded (times and month-days), without the formatting machinery:
/// explanations are built on every routing call.
fn pair(out: &mut String, a: u16, sep: char, b: u16) {
    for (i, n) in [a, b].into_iter().enumerate() {
        if i == 1 {
            out.push(sep);
        }
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    }
}

fn clock(minutes: u16) -> String {
    let mut s = String::with_capacity(5);
    pair(&mut s, minutes / 60, ':', minutes % 60);
    s
}

fn hours((from, to): (u16, u16)) -> String {
    let mut s = clock(from);
    s.push('-');
    s.push_str(&clock(to));
    s
}

fn month_day(md: u16) -> String {
    let mut s = String::with_capacity(5);
    pair(&mut s, md / 100, '-', md % 100);
    s
}

fn season_name((from, to): (u16, u16)) -> String {
    let mut s = month_day(from);
    s.push_str("..");
    s.push_str(&month_day(to));
    s
}

/// Parses `HH:MM-HH:MM` into minutes.
pub(crate) fn parse_hours(s: &str) -> Result<(u16, u16), String> {
    let bad = || format!("hours {s:?} must look like \"22:00-06:00\"");
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let minutes = |t: &str| -> Result<u16, String> {
        let (h, m) = t.trim().split_once(':').ok_or_else(bad)?;
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 24 || m > 59 || (h == 24 && m > 0) { Err(bad()) } else { Ok(h * 60 + m) }
    };
    let (from, to) = (minutes(a)?, minutes(b)?);
    if from == to {
        return Err(format!("hours {s:?} is an empty window"));
    }
    Ok((from, to % (24 * 60)))
}

/// Parses `MM-DD..MM-DD` into `month * 100 + day` pairs.
pub(crate) fn parse_season(s: &str) -> Result<(u16, u16), String> {
    let bad = || format!("season {s:?} must look like \"11-15..03-15\"");
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let md = |t: &str| -> Result<u16, String> {
        let (m, d) = t.trim().split_once('-').ok_or_else(bad)?;
        let (m, d): (u16, u16) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
        let days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        match days.get(usize::from(m).wrapping_sub(1)) {
            Some(&max) if (1..=max).contains(&d) => Ok(m * 100 + d),
            _ => Err(format!("season {s:?}: {t:?} is not a day of the year")),
        }
    };
    Ok((md(a)?, md(b)?))
}

/// Parses weekday names and ranges (`mon`, `sat-sun`) into a bit set.
pub(crate) fn parse_weekday(s: &str) -> Result<u8, String> {
    let day = |t: &str| {
        DAYS.iter()
            .position(|d| d.eq_ignore_ascii_case(t.trim()))
            .ok_or_else(|| format!("weekday {t:?} must be one of mon tue wed thu fri sat sun"))
    };
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (day(a)?, day(b)?);
            let mut bits = 0u8;
            let mut d = a;
            loop {
                bits |= 1 << d;
                if d == b {
                    break;
                }
                d = (d + 1) % 7;
            }
            Ok(bits)
        }
        None => Ok(1 << day(s)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_wrap() {
        let night = parse_hours("22:00-06:00").expect("valid");
        assert!(in_window(23 * 60, night, false) && in_window(60, night, false) && !in_window(12 * 60, night, false));
        let heating = parse_season("11-15..03-15").expect("valid");
        assert!(in_window(1115, heating, true) && in_window(101, heating, true) && in_window(315, heating, true));
        assert!(!in_window(316, heating, true) && !in_window(1114, heating, true));
        assert_eq!(parse_weekday("sat-sun"), Ok(0b110_0000));
        assert_eq!(
            (hours(night), season_name(heating), clock(10 * 60 + 10)),
            ("22:00-06:00".into(), "11-15..03-15".into(), "10:10".into())
        );
        assert_eq!(parse_weekday("fri-mon"), Ok(0b111_0001));
        assert!(parse_hours("25:00-01:00").is_err() && parse_season("02-30..03-01").is_err());
        assert!(parse_weekday("someday").is_err());
    }

    #[test]
    fn prefix_matches_only_whole_levels() {
        assert!(category_under("utilities.heating.outage", "utilities.heating"));
        assert!(!category_under("utilities.heatingx", "utilities.heating"));
    }
}
