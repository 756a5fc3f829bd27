//! The rule-set format (TOML) and its checks, with errors by line and column.
//!
//! ```toml
//! [ruleset]
//! name = "chaoyang"
//! hit_policy = "first"        # or "collect"
//! default_unit = "110105"     # 兜底; "manual" sends unmatched cases to an operator
//!
//! [[rule]]
//! id = "r-101"
//! priority = 1
//! when = { category = ["urban.sanitation"], keywords = ["垃圾"] }
//! then = { lead = "$street", tier = "general" }
//! ```

use minyi_model::source::line_col;
use minyi_model::{Kind, RuleError, SlaTier};
use serde::Deserialize;
use toml::Spanned;

/// How matching rules combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HitPolicy {
    /// The first matching rule by priority, then file order.
    First,
    /// All matching rules, merged: lead from the first, the others' leads become co-handlers.
    Collect,
}

/// Conditions of a rule; all given conditions must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Category prefixes (any).
    #[serde(default)]
    pub category: Vec<String>,
    /// Kinds (any).
    #[serde(default)]
    pub kind: Vec<Kind>,
    /// District codes (any).
    #[serde(default)]
    pub district: Vec<String>,
    /// Keywords in title or description (any), matched as substrings.
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// Actions of a rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Then {
    /// Lead unit; `$street` is the case's street (直派), `$district` its district.
    pub lead: Option<String>,
    /// Co-handlers.
    #[serde(default)]
    pub co_handlers: Vec<String>,
    /// Time-limit tier.
    #[serde(default = "general")]
    pub tier: SlaTier,
    /// Priority 1..=5.
    #[serde(default = "three")]
    pub priority: u8,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Departments summoned (吹哨).
    #[serde(default)]
    pub escalate: Vec<String>,
    /// Send to an operator.
    #[serde(default)]
    pub manual: bool,
}

fn general() -> SlaTier {
    SlaTier::General
}
fn three() -> u8 {
    3
}

/// One rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique id, e.g. `r-101`.
    pub id: Spanned<String>,
    /// Lower fires first under `first`.
    #[serde(default = "hundred")]
    pub priority: u32,
    /// Conditions.
    #[serde(default)]
    pub when: When,
    /// Actions.
    pub then: Spanned<Then>,
}

fn hundred() -> u32 {
    100
}

/// The rule set's header.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Name.
    pub name: String,
    /// Hit policy.
    #[serde(default = "first")]
    pub hit_policy: HitPolicy,
    /// Unit for unmatched cases; `manual` for an operator; absent: the case's district (兜底).
    pub default_unit: Option<String>,
}

fn first() -> HitPolicy {
    HitPolicy::First
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    ruleset: Header,
    #[serde(default)]
    rule: Vec<Rule>,
}

/// A parsed and checked rule set, rules sorted for evaluation.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// Header.
    pub header: Header,
    /// Rules by (priority, file order).
    pub rules: Vec<Rule>,
}

fn error_at(source: &str, offset: usize, message: String) -> RuleError {
    let (line, column) = line_col(source, offset);
    RuleError { line, column, message }
}

/// Parses and checks a rule set; every problem comes back with its line and column.
pub fn parse(source: &str) -> Result<RuleSet, Vec<RuleError>> {
    let file: File = toml::from_str(source).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        vec![error_at(source, offset, e.message().to_owned())]
    })?;
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for rule in &file.rule {
        let at = rule.id.span().start;
        if let Some(first) = seen.insert(rule.id.get_ref().clone(), at) {
            let (line, _) = line_col(source, first);
            errors.push(error_at(
                source,
                at,
                format!("duplicate rule id {:?} (first at line {line})", rule.id.get_ref()),
            ));
        }
        let then = rule.then.get_ref();
        let then_at = rule.then.span().start;
        if !(1..=5).contains(&then.priority) {
            errors.push(error_at(
                source,
                then_at,
                format!("rule {:?}: priority must be 1..=5, got {}", rule.id.get_ref(), then.priority),
            ));
        }
        if then.lead.is_none() && !then.manual {
            errors.push(error_at(
                source,
                then_at,
                format!("rule {:?}: `then` needs a `lead` or `manual = true`", rule.id.get_ref()),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rules = file.rule;
    rules.sort_by_key(|r| r.priority); // stable: file order breaks ties
    Ok(RuleSet { header: file.ruleset, rules })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_have_line_and_column() {
        let errs = parse("[ruleset]\nname = \"x\"\n[[rule]]\nid = \n").expect_err("broken");
        assert_eq!((errs[0].line, errs[0].column), (4, 6), "{errs:?}");
    }

    #[test]
    fn semantic_errors_point_at_the_rule() {
        let src = "[ruleset]\nname = \"x\"\n\n[[rule]]\nid = \"a\"\nthen = { tier = \"general\" }\n\n[[rule]]\nid = \"a\"\nthen = { lead = \"u\", priority = 9 }\n";
        let errs = parse(src).expect_err("two problems");
        let got: Vec<_> = errs.iter().map(|e| (e.line, e.message.clone())).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].0, 6);
        assert!(got[1].1.contains("duplicate rule id \"a\" (first at line 5)"), "{got:?}");
        assert_eq!(got[2].0, 10);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let errs = parse(
            "[ruleset]\nname = \"x\"\n[[rule]]\nid = \"a\"\nwhen = { colour = \"red\" }\nthen = { lead = \"u\" }\n",
        )
        .expect_err("unknown field");
        assert_eq!(errs[0].line, 5);
        assert!(errs[0].message.contains("colour"), "{errs:?}");
    }
}
