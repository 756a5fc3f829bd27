//! Rule templates: a rule or a unit written once for every district (or township) of the region,
//! expanded before the rule set is checked — so a city set says "each district's enforcement bureau
//! takes street vendors" once, not sixteen times, and every expanded rule is checked like any other.
//!
//! ```toml
//! [district_units]
//! "{district}.zf" = "{district.name}城市管理综合行政执法局"
//! "{district}.heating" = { name = "{district.name}供热服务中心", except = ["110101"] }
//!
//! [[rule]]
//! id = "enforcement-{district}"      # one rule per district: enforcement-110101, enforcement-110102, …
//! for_each = "district"              # adds `district = ["{district}"]` to `when`
//! except = ["110109"]                # or `districts = [...]`: only these
//! when = { category = ["urban.sanitation.street_vendors"] }
//! then = { lead = "{district}.zf" }
//!
//! [[rule]]
//! id = "address-{street}"            # one rule per township, limited to its district
//! for_each = "street"
//! when = { missing = ["street"], address = ["{street.name}", "{street.stem}"] }
//! then = { lead = "{street}" }
//! ```
//!
//! Variables: `{district}`, `{district.name}` (朝阳区), `{district.short}` (朝阳); for streets also
//! `{street}`, `{street.name}` (望京街道) and `{street.stem}` (望京: only where it names this township
//! alone in its district; elsewhere the word is left out).

use crate::format::{ForEach, Rule, Then, UnitTemplate, When};
use minyi_model::divisions::{self, District, Street};
use std::collections::BTreeMap;
use toml::Spanned;

/// Where a template went wrong: the byte offset in the source and the message.
pub(crate) type Problem = (usize, String);

/// One expansion's variables.
struct Vars {
    district: &'static District,
    street: Option<&'static Street>,
}

impl Vars {
    fn value(&self, name: &str) -> Option<String> {
        let d = self.district;
        Some(match name {
            "district" => d.code.to_owned(),
            "district.name" => d.name.to_owned(),
            "district.short" => short(d.name).to_owned(),
            "street" => self.street?.code.to_owned(),
            "street.name" => self.street?.name.to_owned(),
            "street.stem" => distinctive_stem(d, self.street?).unwrap_or_default().to_owned(),
            _ => return None,
        })
    }

    /// `text` with every `{variable}` replaced; an unknown one is an error naming it.
    fn fill(&self, text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                return Err(format!("{text:?}: `{{` without a closing `}}`"));
            };
            let name = &after[..close];
            match self.value(name) {
                Some(v) => out.push_str(&v),
                None => return Err(format!("{text:?}: unknown variable {{{name}}} here ({})", self.known())),
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn known(&self) -> &'static str {
        match self.street {
            Some(_) => "{street}, {street.name}, {street.stem}, {district}, {district.name}, {district.short}",
            None => "{district}, {district.name}, {district.short}",
        }
    }
}

/// `朝阳区` → `朝阳`.
pub(crate) fn short(district: &str) -> &str {
    district.strip_suffix('区').unwrap_or(district)
}

/// The distinctive part of a township name (`望京街道` → `望京`, `南口地区` → `南口`), where it names
/// this township alone: not the whole name, not the district's own short name, and inside no other
/// township name of the district.
fn distinctive_stem(district: &District, street: &Street) -> Option<&'static str> {
    let name = street.name;
    let stem = ["街道", "地区", "乡", "镇"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix).filter(|s| s.chars().count() >= 2))?;
    let ambiguous = district.streets.iter().any(|o| o.code != street.code && o.name.contains(stem));
    (!ambiguous && stem != short(district.name)).then_some(stem)
}

/// Whether `text` uses a template variable (so it belongs in a `for_each` rule).
fn templated(text: &str) -> bool {
    text.contains("{district") || text.contains("{street")
}

/// The districts a template covers, in the region's order.
fn selected(districts: &[String], except: &[String], at: usize, problems: &mut Vec<Problem>) -> Vec<&'static District> {
    for code in districts.iter().chain(except) {
        if divisions::district(code).is_none() {
            problems.push((at, format!("unknown district {code:?} in a template's districts/except")));
        }
    }
    divisions::DISTRICTS
        .iter()
        .filter(|d| districts.is_empty() || districts.iter().any(|c| c == d.code))
        .filter(|d| !except.iter().any(|c| c == d.code))
        .collect()
}

/// Expands `[district_units]` into `units` and every `for_each` rule into its rules, in place and in
/// file order (a template's rules take its place). `with_divisions`: the region has Beijing's
/// divisions; elsewhere templates are an error.
pub(crate) fn expand(
    units: &mut BTreeMap<String, Spanned<String>>,
    district_units: &BTreeMap<String, Spanned<UnitTemplate>>,
    rules: &mut Vec<Rule>,
    with_divisions: bool,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let templates = district_units.len() + rules.iter().filter(|r| r.for_each.is_some()).count();
    if templates > 0 && !with_divisions {
        let at = district_units
            .values()
            .map(|t| t.span().start)
            .chain(rules.iter().filter_map(|r| r.for_each.as_ref().map(|f| f.span().start)))
            .min()
            .unwrap_or(0);
        problems.push((at, "templates (`for_each`, `[district_units]`) need `region = \"beijing\"`: only it has divisions to expand over".into()));
        return problems;
    }
    for (key, template) in district_units {
        let at = template.span().start;
        if !key.contains("{district}") {
            problems.push((at, format!("district unit {key:?} must have {{district}} in its id")));
            continue;
        }
        let (name, districts, except) = match template.get_ref() {
            UnitTemplate::Name(name) => (name, &[][..], &[][..]),
            UnitTemplate::Some { name, districts, except } => (name, &districts[..], &except[..]),
        };
        for d in selected(districts, except, at, &mut problems) {
            let vars = Vars { district: d, street: None };
            match (vars.fill(key), vars.fill(name)) {
                (Ok(id), Ok(name)) => {
                    if units.insert(id.clone(), Spanned::new(template.span(), name)).is_some() {
                        problems.push((at, format!("unit {id:?} is declared twice ([units] and [district_units])")));
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    problems.push((at, e));
                    break;
                }
            }
        }
    }
    let mut out = Vec::with_capacity(rules.len());
    for rule in rules.drain(..) {
        let Some(each) = rule.for_each.clone() else {
            if templated(rule.id.get_ref()) {
                problems.push((
                    rule.id.span().start,
                    format!(
                        "rule {:?} uses a template variable: add `for_each = \"district\"` (or \"street\")",
                        rule.id.get_ref()
                    ),
                ));
            }
            if !rule.districts.is_empty() || !rule.except.is_empty() {
                problems.push((
                    rule.id.span().start,
                    format!("rule {:?}: `districts` and `except` belong to a `for_each` rule", rule.id.get_ref()),
                ));
            }
            out.push(rule);
            continue;
        };
        let at = each.span().start;
        let variable = match each.get_ref() {
            ForEach::District => "{district}",
            ForEach::Street => "{street}",
        };
        if !rule.id.get_ref().contains(variable) {
            problems.push((
                rule.id.span().start,
                format!("rule {:?} stands for many rules: its id needs {variable}", rule.id.get_ref()),
            ));
            continue;
        }
        if rule.when.as_ref().is_some_and(|w| !w.get_ref().district.is_empty()) {
            problems.push((
                at,
                format!(
                    "rule {:?}: a `for_each` rule is limited to its district already; leave `district` out of `when`",
                    rule.id.get_ref()
                ),
            ));
            continue;
        }
        let districts: Vec<String> = rule.districts.iter().map(|d| d.get_ref().clone()).collect();
        let except: Vec<String> = rule.except.iter().map(|d| d.get_ref().clone()).collect();
        let mut each_vars = Vec::new();
        for d in selected(&districts, &except, at, &mut problems) {
            match each.get_ref() {
                ForEach::District => each_vars.push(Vars { district: d, street: None }),
                ForEach::Street => each_vars.extend(d.streets.iter().map(|s| Vars { district: d, street: Some(s) })),
            }
        }
        for vars in &each_vars {
            match instance(&rule, vars, at) {
                Ok(r) => out.push(r),
                Err(e) => {
                    problems.push(e);
                    break;
                }
            }
        }
    }
    *rules = out;
    problems
}

/// One rule of a template.
fn instance(rule: &Rule, vars: &Vars, at: usize) -> Result<Rule, Problem> {
    let one = |s: &Spanned<String>| -> Result<Spanned<String>, Problem> {
        vars.fill(s.get_ref()).map(|v| Spanned::new(s.span(), v)).map_err(|e| (s.span().start, e))
    };
    let mut when = match &rule.when {
        Some(w) => Spanned::new(w.span(), fill_when(w.get_ref(), &one)?),
        None => Spanned::new(at..at, When::default()),
    };
    when.get_mut().district = vec![Spanned::new(at..at, vars.district.code.to_owned())];
    let then = rule.then.get_ref();
    let then = Then {
        lead: then.lead.as_ref().map(&one).transpose()?,
        co_handlers: then.co_handlers.iter().map(&one).collect::<Result<_, _>>()?,
        escalate: then.escalate.iter().map(&one).collect::<Result<_, _>>()?,
        tags: then
            .tags
            .iter()
            .map(|t| vars.fill(t))
            .collect::<Result<_, _>>()
            .map_err(|e| (rule.then.span().start, e))?,
        ..then.clone()
    };
    Ok(Rule {
        id: one(&rule.id)?,
        priority: rule.priority,
        note: rule.note.as_deref().map(|n| vars.fill(n)).transpose().map_err(|e| (rule.id.span().start, e))?,
        for_each: None,
        districts: Vec::new(),
        except: Vec::new(),
        when: Some(when),
        then: Spanned::new(rule.then.span(), then),
    })
}

type Fill<'a> = dyn Fn(&Spanned<String>) -> Result<Spanned<String>, Problem> + 'a;

/// A word list filled in: a word that was a variable with nothing to say here (`{street.stem}` of a
/// township without a distinctive stem) is left out.
fn fill_words(words: &[Spanned<String>], one: &Fill<'_>) -> Result<Vec<Spanned<String>>, Problem> {
    let mut out = Vec::with_capacity(words.len());
    for w in words {
        let filled = one(w)?;
        if filled.get_ref().is_empty() && !w.get_ref().is_empty() {
            continue;
        }
        out.push(filled);
    }
    Ok(out)
}

fn fill_when(w: &When, one: &Fill<'_>) -> Result<When, Problem> {
    let list = |l: &[Spanned<String>]| l.iter().map(one).collect::<Result<Vec<_>, _>>();
    Ok(When {
        category: list(&w.category)?,
        district: list(&w.district)?,
        street: list(&w.street)?,
        keywords: fill_words(&w.keywords, one)?,
        unless: fill_words(&w.unless, one)?,
        phrases: list(&w.phrases)?,
        address: fill_words(&w.address, one)?,
        area: list(&w.area)?,
        cells: list(&w.cells)?,
        hours: w.hours.as_ref().map(one).transpose()?,
        weekdays: list(&w.weekdays)?,
        season: w.season.as_ref().map(one).transpose()?,
        all: w.all.iter().map(|s| fill_when(s, one)).collect::<Result<_, _>>()?,
        any: w.any.iter().map(|s| fill_when(s, one)).collect::<Result<_, _>>()?,
        not: w.not.as_deref().map(|s| fill_when(s, one).map(Box::new)).transpose()?,
        ..w.clone()
    })
}
