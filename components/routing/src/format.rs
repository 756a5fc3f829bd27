//! The rule-set file format (TOML) as written by a district admin, before any checking.
//!
//! ```toml
//! [ruleset]
//! name = "chaoyang"
//! region = "beijing"          # codes and categories are checked against Beijing's divisions and tree
//! hit_policy = "first"        # or "collect"
//! default_unit = "$district"  # 兜底 when nothing matches; "manual" sends the case to an operator
//!
//! [units]                     # departments and companies the rules may name
//! "bj.heating" = "北京市热力集团"
//!
//! [[rule]]
//! id = "heating-outage"
//! priority = 10               # lower is tried first; file order breaks ties
//! when = { category = ["utilities.heating"], season = "11-15..03-15" }
//! then = { lead = "bj.heating", co_handlers = ["$street"], tier = "urgent", priority = 1 }
//!
//! [[example]]
//! name = "暖气不热 in the heating season"
//! case = { district = "110105", street = "110105026", category = "utilities.heating.outage", title = "暖气不热" }
//! expect = { lead = "bj.heating", tier = "urgent" }
//! ```

use minyi_model::{CaseContext, Channel, Kind, SlaTier};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

/// How matching rules combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HitPolicy {
    /// The first matching rule with a lead (by priority, then file order) decides; rules without a lead
    /// that match before it add their tags, co-handlers and escalations.
    First,
    /// Every matching rule, merged in evaluation order: the first lead leads, later leads co-handle,
    /// the most urgent tier and the highest priority win, tags and escalations are united.
    Collect,
}

/// A field of the form that a rule may require to be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FormField {
    /// `street`.
    Street,
    /// `location`.
    Location,
    /// `category`.
    Category,
}

/// Working day or day off, after the holiday calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    /// A working day (weekdays and 调休 make-up days, not holidays).
    Working,
    /// A weekend day or a public holiday.
    Rest,
}

/// `[ruleset]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Header {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub region: Option<Spanned<String>>,
    #[serde(default = "first")]
    pub hit_policy: HitPolicy,
    #[serde(default)]
    pub default_unit: Option<Spanned<String>>,
    #[serde(default)]
    pub grid: Option<Spanned<Grid>>,
}

fn first() -> HitPolicy {
    HitPolicy::First
}

/// A regular grid for `cells` conditions (网格化管理): cell `r{row}c{col}` spans
/// `origin + row·size` .. `+ size` in latitude and `origin + col·size` in longitude.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// South-west corner, `[lat, lon]`.
    pub origin: [f64; 2],
    /// Cell size in degrees.
    pub size: f64,
}

/// `when = { … }`: every condition given must hold.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct When {
    #[serde(default)]
    pub category: Vec<Spanned<String>>,
    #[serde(default)]
    pub kind: Vec<Kind>,
    #[serde(default)]
    pub channel: Vec<Channel>,
    #[serde(default)]
    pub district: Vec<Spanned<String>>,
    #[serde(default)]
    pub street: Vec<Spanned<String>>,
    #[serde(default)]
    pub missing: Vec<FormField>,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    /// Phrases that rule the case out when the title or description contains one (`隐患`, `暖气漏气`).
    #[serde(default)]
    pub unless: Vec<Spanned<String>>,
    /// Shared phrase lists (`minyi_model::phrases`: `fire`, `gas_leak`, `crime` …), one of which must hold.
    #[serde(default)]
    pub phrases: Vec<Spanned<String>>,
    #[serde(default)]
    pub address: Vec<Spanned<String>>,
    #[serde(default)]
    pub area: Vec<Spanned<String>>,
    #[serde(default)]
    pub cells: Vec<Spanned<String>>,
    #[serde(default)]
    pub hours: Option<Spanned<String>>,
    #[serde(default)]
    pub weekdays: Vec<Spanned<String>>,
    #[serde(default)]
    pub season: Option<Spanned<String>>,
    #[serde(default)]
    pub day: Option<DayKind>,
    #[serde(default)]
    pub repeat_at_least: Option<u32>,
    /// Category prefixes, one of which the classifier's likeliest category must be under (智能分拨).
    #[serde(default)]
    pub suggested: Vec<Spanned<String>>,
    /// The classifier's confidence in its likeliest category is below this (0 < x ≤ 1).
    #[serde(default)]
    pub confidence_below: Option<Spanned<f64>>,
    /// The classifier's confidence in its likeliest category is at least this (0 ≤ x ≤ 1).
    #[serde(default)]
    pub confidence_at_least: Option<Spanned<f64>>,
    #[serde(default)]
    pub all: Vec<When>,
    #[serde(default)]
    pub any: Vec<When>,
    #[serde(default)]
    pub not: Option<Box<When>>,
}

/// `then = { … }`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Then {
    #[serde(default)]
    pub lead: Option<Spanned<String>>,
    #[serde(default)]
    pub co_handlers: Vec<Spanned<String>>,
    #[serde(default)]
    pub tier: Option<SlaTier>,
    #[serde(default)]
    pub priority: Option<Spanned<u8>>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub escalate: Vec<Spanned<String>>,
    #[serde(default)]
    pub manual: bool,
}

/// What a rule template is written once for (`for_each`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForEach {
    /// Every district of the region: `{district}`, `{district.name}`, `{district.short}`.
    District,
    /// Every township-level unit of the region: `{street}`, `{street.name}`, `{street.stem}`, and its
    /// district's variables.
    Street,
}

/// `[[rule]]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rule {
    pub id: Spanned<String>,
    #[serde(default = "hundred")]
    pub priority: u32,
    #[serde(default)]
    pub note: Option<String>,
    /// A template: the rule is written once and stands for one rule per district (or street).
    #[serde(default)]
    pub for_each: Option<Spanned<ForEach>>,
    /// Of a template: only these districts.
    #[serde(default)]
    pub districts: Vec<Spanned<String>>,
    /// Of a template: every district but these.
    #[serde(default)]
    pub except: Vec<Spanned<String>>,
    #[serde(default)]
    pub when: Option<Spanned<When>>,
    pub then: Spanned<Then>,
}

fn hundred() -> u32 {
    100
}

/// `expect = { … }` of an example: only the fields given are compared.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expect {
    pub lead: Option<String>,
    pub tier: Option<SlaTier>,
    pub co_handlers: Option<Vec<String>>,
    pub escalate: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub priority: Option<u8>,
    pub manual: Option<bool>,
    pub deadline: Option<String>,
    /// Rule ids that fired, in order.
    pub fired: Option<Vec<String>>,
}

/// `[[example]]`: a case (a partial case form) and what its decision must be.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Example {
    pub name: Spanned<String>,
    pub case: Spanned<toml::Table>,
    #[serde(default)]
    pub context: CaseContext,
    pub expect: Spanned<Expect>,
}

/// A `[district_units]` entry: a name pattern, or one that only some districts have.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum UnitTemplate {
    /// `"{district}.zf" = "{district.name}城市管理综合行政执法局"`.
    Name(String),
    /// `"{district}.heating" = { name = "{district.name}供热服务中心", except = ["110101"] }`.
    Some {
        name: String,
        #[serde(default)]
        districts: Vec<String>,
        #[serde(default)]
        except: Vec<String>,
    },
}

/// The whole document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    pub ruleset: Header,
    #[serde(default)]
    pub units: BTreeMap<String, Spanned<String>>,
    /// Units every district of the region has, declared once: `{district}` in the id.
    #[serde(default)]
    pub district_units: BTreeMap<String, Spanned<UnitTemplate>>,
    #[serde(default)]
    pub categories: BTreeMap<String, String>,
    #[serde(default)]
    pub areas: BTreeMap<String, Spanned<Vec<[f64; 2]>>>,
    #[serde(default)]
    pub rule: Vec<Rule>,
    #[serde(default)]
    pub example: Vec<Example>,
}
