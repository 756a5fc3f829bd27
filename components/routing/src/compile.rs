//! Compiles a rule-set document into an indexed matcher, with every load-time check: syntax, unknown
//! units, districts, streets and categories, malformed windows, shadowed and overlapping rules.

use crate::cond::{Cond, Vocabulary, category_under, parse_hours, parse_season, parse_weekday};
use crate::format::{self, HitPolicy};
use crate::geo::{self, Area};
use minyi_model::matcher::Matcher;
use minyi_model::source::{LineIndex, line_col};
use minyi_model::{CaseContext, CaseForm, RuleError, Severity, SlaTier, categories, divisions};
use std::collections::BTreeMap;
use toml::Spanned;

/// What the rules' actions do.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Action {
    pub lead: Option<String>,
    pub co_handlers: Vec<String>,
    pub tier: Option<SlaTier>,
    pub priority: Option<u8>,
    pub tags: Vec<String>,
    pub escalate: Vec<String>,
    pub manual: bool,
}

impl Action {
    /// A rule that sets the lead (or sends to an operator) decides; others only add to a decision.
    pub fn decides(&self) -> bool {
        self.lead.is_some() || self.manual
    }
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub id: String,
    pub line: u32,
    pub priority: u32,
    pub note: Option<String>,
    pub when: Cond,
    pub then: Action,
}

/// An example written in the rule set.
#[derive(Debug, Clone)]
pub(crate) struct Example {
    pub name: String,
    pub line: u32,
    pub case: CaseForm,
    pub context: CaseContext,
    pub expect: format::Expect,
}

/// Rules by (category prefix, district); `""` stands for "any". Each list is in evaluation order.
#[derive(Debug, Default)]
pub(crate) struct Index {
    buckets: BTreeMap<String, BTreeMap<String, Vec<u32>>>,
}

impl Index {
    fn insert(&mut self, rule: u32, when: &Cond) {
        let categories: Vec<&str> =
            if when.category.is_empty() { vec![""] } else { when.category.iter().map(String::as_str).collect() };
        let districts: Vec<&str> =
            if when.district.is_empty() { vec![""] } else { when.district.iter().map(String::as_str).collect() };
        for c in &categories {
            let by_district = self.buckets.entry((*c).to_owned()).or_default();
            for d in &districts {
                by_district.entry((*d).to_owned()).or_default().push(rule);
            }
        }
    }

    /// The rules that may match a case of this category and district, in evaluation order.
    pub fn candidates(&self, category: &str, district: &str, out: &mut Vec<u32>) {
        out.clear();
        let whole = (!category.is_empty()).then_some(category.len());
        let ends = std::iter::once(0).chain(category.match_indices('.').map(|(i, _)| i)).chain(whole);
        for end in ends {
            let Some(by_district) = category.get(..end).and_then(|prefix| self.buckets.get(prefix)) else {
                continue;
            };
            if let Some(rules) = by_district.get("") {
                out.extend_from_slice(rules);
            }
            if !district.is_empty()
                && let Some(rules) = by_district.get(district)
            {
                out.extend_from_slice(rules);
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    /// Number of (category, district) buckets.
    pub fn buckets(&self) -> usize {
        self.buckets.values().map(BTreeMap::len).sum()
    }
}

/// A parsed, checked and indexed rule set, ready to route many cases.
#[derive(Debug)]
pub struct RuleSet {
    /// Name from `[ruleset]`.
    pub name: String,
    /// Description from `[ruleset]`.
    pub description: Option<String>,
    /// The hit policy.
    pub hit_policy: HitPolicy,
    pub(crate) default_unit: Option<String>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) index: Index,
    pub(crate) vocabulary: Vocabulary,
    pub(crate) examples: Vec<Example>,
    pub(crate) units: BTreeMap<String, String>,
    /// Shadowed, overlapping and unreachable-unit warnings found at load.
    pub warnings: Vec<RuleError>,
}

impl RuleSet {
    /// Number of rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Number of examples.
    pub fn example_count(&self) -> usize {
        self.examples.len()
    }

    /// Number of index buckets the rules are spread over.
    pub fn index_buckets(&self) -> usize {
        self.index.buckets()
    }

    /// The display name of a unit declared in `[units]`.
    pub fn unit_name(&self, unit: &str) -> Option<&str> {
        self.units.get(unit).map(String::as_str)
    }
}

/// Which codes the rule set is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Region {
    /// Beijing's divisions and the built-in category tree.
    Beijing,
    /// Only what the rule set declares in `[units]` and `[categories]`.
    Declared,
}

struct Checker<'s> {
    lines: LineIndex<'s>,
    region: Region,
    diagnostics: Vec<RuleError>,
    units: BTreeMap<String, String>,
    categories: BTreeMap<String, String>,
    vocabulary: Vocabulary,
    keyword_ids: BTreeMap<String, u32>,
    address_ids: BTreeMap<String, u32>,
    area_ids: BTreeMap<String, u32>,
}

impl Checker<'_> {
    fn at(&self, offset: usize) -> (u32, u32) {
        self.lines.line_col(offset)
    }

    fn error(&mut self, offset: usize, message: String) {
        let (line, column) = self.at(offset);
        self.diagnostics.push(RuleError { line, column, message, severity: Severity::Error });
    }

    fn warning(&mut self, offset: usize, message: String) {
        let (line, column) = self.at(offset);
        self.diagnostics.push(RuleError { line, column, message, severity: Severity::Warning });
    }

    fn category(&mut self, c: &Spanned<String>) -> String {
        let code = c.get_ref();
        let known = match self.region {
            Region::Beijing => categories::get(code).is_some() || self.categories.contains_key(code.as_str()),
            Region::Declared => self.categories.keys().any(|k| category_under(code, k)),
        };
        if !known {
            self.error(c.span().start, format!("unknown category {code:?}"));
        }
        code.clone()
    }

    /// A confidence bound, checked to lie in `range`.
    fn confidence(
        &mut self,
        x: Option<&Spanned<f64>>,
        name: &str,
        range: std::ops::RangeInclusive<f64>,
    ) -> Option<f64> {
        let x = x?;
        let value = *x.get_ref();
        if !range.contains(&value) {
            let (lo, hi) = (range.start(), range.end());
            let lo = if *lo > 0.0 { "above 0".to_owned() } else { format!("at least {lo}") };
            self.error(x.span().start, format!("{name} = {value} must be {lo} and at most {hi}"));
            return None;
        }
        Some(value)
    }

    fn district(&mut self, d: &Spanned<String>) -> String {
        if self.region == Region::Beijing && divisions::district(d.get_ref()).is_none() {
            self.error(d.span().start, format!("unknown district {:?} (Beijing codes look like 110105)", d.get_ref()));
        }
        d.get_ref().clone()
    }

    fn street(&mut self, s: &Spanned<String>) -> String {
        if self.region == Region::Beijing && divisions::street(s.get_ref()).is_none() {
            self.error(s.span().start, format!("unknown street {:?} (Beijing codes look like 110105026)", s.get_ref()));
        }
        s.get_ref().clone()
    }

    fn unit(&mut self, u: &Spanned<String>) -> String {
        let id = u.get_ref();
        let known = matches!(id.as_str(), "$street" | "$district")
            || self.units.contains_key(id.as_str())
            || (self.region == Region::Beijing
                && (divisions::district(id).is_some() || divisions::street(id).is_some()));
        if !known {
            self.error(
                u.span().start,
                format!("unknown unit {id:?}: declare it in [units] or use $street / $district"),
            );
        }
        id.clone()
    }

    fn word(ids: &mut BTreeMap<String, u32>, list: &mut Vec<String>, w: &str) -> u32 {
        if let Some(&id) = ids.get(w) {
            return id;
        }
        let id = list.len() as u32;
        list.push(w.to_owned());
        ids.insert(w.to_owned(), id);
        id
    }

    fn when(&mut self, w: &format::When, at: usize) -> Cond {
        let mut c = Cond {
            kind: w.kind.clone(),
            channel: w.channel.clone(),
            missing: w.missing.clone(),
            day: w.day,
            repeat_at_least: w.repeat_at_least,
            ..Cond::default()
        };
        c.category = w.category.iter().map(|x| self.category(x)).collect();
        c.district = w.district.iter().map(|x| self.district(x)).collect();
        c.street = w.street.iter().map(|x| self.street(x)).collect();
        c.suggested = w.suggested.iter().map(|x| self.category(x)).collect();
        c.confidence = (
            self.confidence(w.confidence_at_least.as_ref(), "confidence_at_least", 0.0..=1.0),
            self.confidence(w.confidence_below.as_ref(), "confidence_below", f64::MIN_POSITIVE..=1.0),
        );
        if let ((Some(lo), Some(hi)), Some(at)) = (c.confidence, &w.confidence_below)
            && lo >= hi
        {
            self.error(at.span().start, format!("confidence_below = {hi} must be above confidence_at_least = {lo}"));
        }
        for k in &w.keywords {
            if k.get_ref().trim().is_empty() {
                self.error(k.span().start, "empty keyword".to_owned());
                continue;
            }
            let id = Self::word(&mut self.keyword_ids, &mut self.vocabulary.keywords, k.get_ref());
            c.keywords.push(id);
        }
        for k in &w.unless {
            if k.get_ref().trim().is_empty() {
                self.error(k.span().start, "empty `unless` word".to_owned());
                continue;
            }
            let id = Self::word(&mut self.keyword_ids, &mut self.vocabulary.keywords, k.get_ref());
            c.unless.push(id);
        }
        for p in &w.phrases {
            match minyi_model::phrases::list(p.get_ref()) {
                Some((i, _)) => c.phrases.push(i as u32),
                None => {
                    let known: Vec<&str> = minyi_model::phrases::LISTS.iter().map(|l| l.name).collect();
                    self.error(
                        p.span().start,
                        format!("unknown phrase list {:?} (known: {})", p.get_ref(), known.join(", ")),
                    )
                }
            }
        }
        for k in &w.address {
            if k.get_ref().trim().is_empty() {
                self.error(k.span().start, "empty address word".to_owned());
                continue;
            }
            let id = Self::word(&mut self.address_ids, &mut self.vocabulary.address_words, k.get_ref());
            c.address.push(id);
        }
        for a in &w.area {
            match self.area_ids.get(a.get_ref()) {
                Some(&id) => c.area.push(id),
                None => self.error(a.span().start, format!("unknown area {:?}: define it in [areas]", a.get_ref())),
            }
        }
        if !w.cells.is_empty() && self.vocabulary.grid.is_none() {
            self.error(at, "`cells` needs a grid: add `grid = { origin = [lat, lon], size = … }` to [ruleset]".into());
        }
        for cell in &w.cells {
            match geo::parse_cell(cell.get_ref()) {
                Some(rc) => c.cells.push(rc),
                None => {
                    self.error(cell.span().start, format!("grid cell {:?} must look like \"r12c34\"", cell.get_ref()))
                }
            }
        }
        if let Some(h) = &w.hours {
            match parse_hours(h.get_ref()) {
                Ok(window) => c.hours = Some(window),
                Err(e) => self.error(h.span().start, e),
            }
        }
        for d in &w.weekdays {
            match parse_weekday(d.get_ref()) {
                Ok(bits) => c.weekdays |= bits,
                Err(e) => self.error(d.span().start, e),
            }
        }
        if let Some(s) = &w.season {
            match parse_season(s.get_ref()) {
                Ok(season) => c.season = Some(season),
                Err(e) => self.error(s.span().start, e),
            }
        }
        c.all = w.all.iter().map(|sub| self.when(sub, at)).collect();
        c.any = w.any.iter().map(|sub| self.when(sub, at)).collect();
        c.not = w.not.as_deref().map(|sub| Box::new(self.when(sub, at)));
        c
    }

    fn then(&mut self, id: &str, t: &Spanned<format::Then>) -> Action {
        let at = t.span().start;
        let t = t.get_ref();
        let a = Action {
            lead: t.lead.as_ref().map(|u| self.unit(u)),
            co_handlers: t.co_handlers.iter().map(|u| self.unit(u)).collect(),
            tier: t.tier,
            priority: t.priority.as_ref().map(|p| *p.get_ref()),
            tags: t.tags.clone(),
            escalate: t.escalate.iter().map(|u| self.unit(u)).collect(),
            manual: t.manual,
        };
        if let Some(p) = &t.priority
            && !(1..=5).contains(p.get_ref())
        {
            self.error(p.span().start, format!("rule {id:?}: priority must be 1..=5, got {}", p.get_ref()));
        }
        if a == Action::default() {
            self.error(
                at,
                format!("rule {id:?}: `then` does nothing; give a `lead`, `manual = true` or something to add"),
            );
        }
        a
    }
}

fn syntax_error(source: &str, e: &toml::de::Error) -> RuleError {
    let (line, column) = line_col(source, e.span().map_or(0, |s| s.start));
    RuleError { line, column, message: e.message().trim().to_owned(), severity: Severity::Error }
}

/// Default values of an example's case: what a hotline complaint received on a Monday morning looks like.
const EXAMPLE_DEFAULTS: &str = r#"{"channel":"hotline","kind":"complaint","title":"","description":"","address":"","consent":true,"received_at":"2026-11-30T10:00:00+08:00"}"#;

/// Parses, checks and compiles a rule set. On errors, every diagnostic (warnings too) comes back.
pub fn compile(source: &str) -> Result<RuleSet, Vec<RuleError>> {
    let mut file: format::File = toml::from_str(source).map_err(|e| vec![syntax_error(source, &e)])?;
    let region = match file.ruleset.region.as_ref().map(|r| r.get_ref().as_str()) {
        None => Region::Declared,
        Some("beijing") => Region::Beijing,
        Some(_) => Region::Declared,
    };
    let templates =
        crate::template::expand(&mut file.units, &file.district_units, &mut file.rule, region == Region::Beijing);
    let mut ck = Checker {
        lines: LineIndex::new(source),
        region,
        diagnostics: Vec::new(),
        units: file.units.iter().map(|(k, v)| (k.clone(), v.get_ref().clone())).collect(),
        categories: file.categories.clone(),
        vocabulary: Vocabulary { grid: file.ruleset.grid.as_ref().map(|g| *g.get_ref()), ..Vocabulary::default() },
        keyword_ids: BTreeMap::new(),
        address_ids: BTreeMap::new(),
        area_ids: BTreeMap::new(),
    };
    for (at, message) in templates {
        ck.error(at, message);
    }
    if let Some(r) = &file.ruleset.region
        && r.get_ref() != "beijing"
    {
        ck.error(r.span().start, format!("unknown region {:?}: the only built-in region is \"beijing\"", r.get_ref()));
    }
    if let Some(g) = &file.ruleset.grid
        && !(g.get_ref().size.is_finite() && g.get_ref().size > 0.0)
    {
        ck.error(g.span().start, "grid size must be a positive number of degrees".into());
    }
    for (name, polygon) in &file.areas {
        if polygon.get_ref().len() < 3 {
            ck.error(polygon.span().start, format!("area {name:?} needs at least 3 points"));
        }
        let id = ck.vocabulary.areas.len() as u32;
        ck.vocabulary.areas.push(Area { name: name.clone(), polygon: polygon.get_ref().clone() });
        ck.area_ids.insert(name.clone(), id);
    }
    let default_unit = file.ruleset.default_unit.as_ref().map(|u| match u.get_ref().as_str() {
        "manual" => "manual".to_owned(),
        _ => ck.unit(u),
    });

    let mut rules = Vec::with_capacity(file.rule.len());
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for raw in &file.rule {
        let id = raw.id.get_ref();
        let at = raw.id.span().start;
        if let Some(first) = seen.insert(id, at) {
            let (line, _) = ck.at(first);
            ck.error(at, format!("duplicate rule id {id:?} (first at line {line})"));
        }
        let when = match &raw.when {
            Some(w) => ck.when(w.get_ref(), w.span().start),
            None => Cond::default(),
        };
        let then = ck.then(id, &raw.then);
        rules.push(Rule {
            id: id.clone(),
            line: ck.at(at).0,
            priority: raw.priority,
            note: raw.note.clone(),
            when,
            then,
        });
    }
    rules.sort_by_key(|r| r.priority); // stable: file order breaks ties

    let mut examples = Vec::new();
    for raw in &file.example {
        let at = raw.case.span().start;
        let mut case: serde_json::Value = serde_json::from_str(EXAMPLE_DEFAULTS).unwrap_or_default();
        if let (Some(obj), Ok(serde_json::Value::Object(given))) =
            (case.as_object_mut(), serde_json::to_value(raw.case.get_ref()))
        {
            obj.extend(given);
        }
        if let Err(e) = raw.context.check() {
            ck.error(at, format!("example {:?}: context: {e}", raw.name.get_ref()));
        }
        match serde_json::from_value::<CaseForm>(case) {
            Ok(case) => examples.push(Example {
                name: raw.name.get_ref().clone(),
                line: ck.at(raw.name.span().start).0,
                case,
                context: raw.context.clone(),
                expect: raw.expect.get_ref().clone(),
            }),
            Err(e) => ck.error(at, format!("example {:?}: the case is not a case form: {e}", raw.name.get_ref())),
        }
    }

    ck.vocabulary.keyword_matcher = Matcher::new(ck.vocabulary.keywords.iter().cloned());
    ck.vocabulary.address_matcher = Matcher::new(ck.vocabulary.address_words.iter().cloned());
    check_reachability(&mut ck, &rules, file.ruleset.hit_policy);
    check_units_used(&mut ck, &file, &rules, default_unit.as_deref());

    if ck.diagnostics.iter().any(RuleError::is_error) {
        ck.diagnostics.sort_by_key(|d| (d.line, d.column));
        return Err(ck.diagnostics);
    }
    let mut index = Index::default();
    for (n, rule) in rules.iter().enumerate() {
        index.insert(n as u32, &rule.when);
    }
    ck.diagnostics.sort_by_key(|d| (d.line, d.column));
    Ok(RuleSet {
        name: file.ruleset.name,
        description: file.ruleset.description,
        hit_policy: file.ruleset.hit_policy,
        default_unit,
        rules,
        index,
        vocabulary: ck.vocabulary,
        examples,
        units: ck.units,
        warnings: ck.diagnostics,
    })
}

/// Under `first`: a deciding rule whose every case an earlier deciding rule already takes can never fire;
/// two deciding rules of the same priority that can take the same case with different actions depend on
/// file order, which a reviewer should see.
fn check_reachability(ck: &mut Checker<'_>, rules: &[Rule], policy: HitPolicy) {
    if policy != HitPolicy::First {
        return;
    }
    let deciders: Vec<&Rule> = rules.iter().filter(|r| r.then.decides()).collect();
    let mut found = Vec::new();
    for (i, later) in deciders.iter().enumerate() {
        if let Some(earlier) = deciders[..i].iter().find(|e| e.when.covers(&later.when, &ck.vocabulary)) {
            found.push((
                later.line,
                format!(
                    "rule {:?} can never fire: rule {:?} (line {}, priority {}) takes every case it matches",
                    later.id, earlier.id, earlier.line, earlier.priority
                ),
            ));
            continue;
        }
        for earlier in deciders[..i].iter().filter(|e| e.priority == later.priority) {
            let conflict = earlier.then.lead != later.then.lead
                || earlier.then.tier != later.then.tier
                || earlier.then.manual != later.then.manual;
            if conflict && earlier.when.overlaps(&later.when) {
                found.push((
                    later.line,
                    format!(
                        "rules {:?} (line {}) and {:?} have the same priority {} and can match the same case with \
                         different actions; file order decides — give one a lower priority number",
                        earlier.id, earlier.line, later.id, later.priority
                    ),
                ));
                break;
            }
        }
    }
    for (line, message) in found {
        ck.diagnostics.push(RuleError { line, column: 1, message, severity: Severity::Warning });
    }
}

/// A unit declared in `[units]` that no rule and no default names is unreachable.
fn check_units_used(ck: &mut Checker<'_>, file: &format::File, rules: &[Rule], default_unit: Option<&str>) {
    let mut used: std::collections::BTreeSet<&str> = default_unit.into_iter().collect();
    for r in rules {
        used.extend(r.then.lead.as_deref());
        used.extend(r.then.co_handlers.iter().map(String::as_str));
        used.extend(r.then.escalate.iter().map(String::as_str));
    }
    for (unit, name) in &file.units {
        if !used.contains(unit.as_str()) {
            ck.warning(name.span().start, format!("unit {unit:?} is declared but no rule routes to it"));
        }
    }
}

/// A rule set's rules and units with every template expanded, as JSON (`{"units": {id: name}, "rule":
/// [{id, priority, note, when, then}]}`, the file format's keys): what a translation into another rule
/// language works from. Templates that do not expand are the errors, by line and column.
pub fn expanded_json(source: &str) -> Result<serde_json::Value, Vec<RuleError>> {
    let mut file: format::File = toml::from_str(source).map_err(|e| vec![syntax_error(source, &e)])?;
    let beijing = file.ruleset.region.as_ref().is_some_and(|r| r.get_ref() == "beijing");
    let problems = crate::template::expand(&mut file.units, &file.district_units, &mut file.rule, beijing);
    if !problems.is_empty() {
        let lines = LineIndex::new(source);
        return Err(problems
            .into_iter()
            .map(|(at, message)| {
                let (line, column) = lines.line_col(at);
                RuleError { line, column, message, severity: Severity::Error }
            })
            .collect());
    }
    let units: BTreeMap<&String, &String> = file.units.iter().map(|(k, v)| (k, v.get_ref())).collect();
    Ok(serde_json::json!({ "units": units, "rule": file.rule }))
}
