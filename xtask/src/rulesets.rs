//! Derives the shipped NYC 311 rule set from real service requests. (The Beijing set is written by hand:
//! `components/routing/rulesets/beijing.toml`, with templates over the divisions.)

use anyhow::{Context as _, Result};
use minyi_model::open311;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Default)]
struct Counts {
    /// Display name (first seen).
    name: String,
    rows: u64,
    agencies: BTreeMap<String, u64>,
}

impl Counts {
    fn add(&mut self, name: &str, agency: &str) {
        if self.name.is_empty() {
            self.name = name.to_owned();
        }
        self.rows += 1;
        *self.agencies.entry(agency.to_owned()).or_default() += 1;
    }

    /// The agency most rows went to (ties: the alphabetically first, for a stable file).
    fn majority(&self) -> (&str, u64) {
        self.agencies.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map_or(("", 0), |(a, n)| (a, *n))
    }
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Derives the NYC rule set: one rule per agency over the complaint types it handles most, and
/// higher-priority rules for the descriptors that go elsewhere than their type.
pub fn nyc(csv_path: &Path, out: &Path) -> Result<()> {
    let mut reader = csv::Reader::from_path(csv_path).with_context(|| format!("opening {}", csv_path.display()))?;
    let mut agencies: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut types: BTreeMap<String, Counts> = BTreeMap::new();
    let mut leaves: BTreeMap<String, Counts> = BTreeMap::new();
    let mut rows = 0u64;
    for row in reader.deserialize::<open311::Row>() {
        let row = row.context("reading a CSV row")?;
        rows += 1;
        let a = agencies.entry(row.agency.clone()).or_insert_with(|| (row.agency_name.clone(), 0));
        a.1 += 1;
        types.entry(open311::type_prefix(&row.complaint_type)).or_default().add(&row.complaint_type, &row.agency);
        let leaf_name = format!("{} / {}", row.complaint_type, row.descriptor);
        leaves.entry(open311::category(&row.complaint_type, &row.descriptor)).or_default().add(&leaf_name, &row.agency);
    }
    // Type rules: each type to its majority agency. Exceptions: leaves whose majority differs and wins rows.
    let mut by_agency_types: BTreeMap<&str, Vec<(&str, &Counts)>> = BTreeMap::new();
    for (code, c) in &types {
        by_agency_types.entry(c.majority().0).or_default().push((code, c));
    }
    let mut by_agency_leaves: BTreeMap<&str, Vec<(&str, &Counts)>> = BTreeMap::new();
    let mut table_agree = 0u64;
    for (code, c) in &leaves {
        let (best, n) = c.majority();
        table_agree += n;
        let ty = code.rsplit_once('.').map_or("", |(t, _)| t);
        let type_agency = types.get(ty).map_or("", |t| t.majority().0);
        if best != type_agency {
            by_agency_leaves.entry(best).or_default().push((code, c));
        }
    }
    let mut order: Vec<(&String, &(String, u64))> = agencies.iter().collect();
    order.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(b.0)));

    let mut f = String::new();
    writeln!(f, "# NYC 311 routing: complaint type + descriptor → agency.")?;
    writeln!(f, "#")?;
    writeln!(
        f,
        "# Derived by `cargo xtask nyc-rules` from {rows} real service requests (../shared/data/nyc311-sample.csv,"
    )?;
    writeln!(f, "# NYC Open Data, see its PROVENANCE.md). A case's category is `nyc.<complaint type>.<descriptor>`")?;
    writeln!(f, "# (names slugged by `minyi_model::open311`). Each agency has one rule over the complaint types it")?;
    writeln!(
        f,
        "# handles most (priority 50) and, where needed, one rule over the descriptors of other types that go"
    )?;
    writeln!(f, "# to it (priority 10, tried first). A plain majority table over type + descriptor agrees with")?;
    writeln!(f, "# {table_agree}/{rows} rows; these rules encode exactly that table.")?;
    writeln!(f)?;
    writeln!(f, "[ruleset]")?;
    writeln!(f, "name = \"nyc311\"")?;
    writeln!(f, "description = \"NYC 311 service requests to the handling agency\"")?;
    writeln!(f, "hit_policy = \"first\"")?;
    writeln!(f, "default_unit = \"manual\"   # an unknown complaint type goes to a 311 operator")?;
    writeln!(f)?;
    writeln!(f, "[units]")?;
    for (agency, (name, n)) in &order {
        writeln!(f, "{} = {}   # {n} rows", toml_str(agency), toml_str(name))?;
    }
    writeln!(f)?;
    writeln!(f, "[categories]   # complaint types (the descriptors are their leaves)")?;
    for (code, c) in &types {
        writeln!(f, "{} = {}", toml_str(code), toml_str(&c.name))?;
    }
    let mut examples = Vec::new();
    for (agency, (name, _)) in &order {
        let types_here = by_agency_types.get(agency.as_str());
        let leaves_here = by_agency_leaves.get(agency.as_str());
        if types_here.is_none() && leaves_here.is_none() {
            writeln!(f, "\n# ── {agency} · {name}: no complaint type or descriptor goes here by majority ──")?;
            continue;
        }
        writeln!(f, "\n# ── {agency} · {name} ──")?;
        if let Some(list) = leaves_here {
            let id = format!("{}-descriptors", open311::slug(agency));
            writeln!(f, "\n[[rule]]\nid = {}\npriority = 10", toml_str(&id))?;
            writeln!(f, "note = \"descriptors of other agencies' complaint types that {agency} handles\"")?;
            writeln!(f, "[rule.when]\ncategory = [")?;
            for (code, c) in list {
                let (_, n) = c.majority();
                writeln!(f, "  {},   # {} ({n}/{} rows)", toml_str(code), c.name, c.rows)?;
            }
            writeln!(f, "]\n[rule.then]\nlead = {}", toml_str(agency))?;
            if let Some((code, _)) = list.iter().max_by_key(|(_, c)| c.rows) {
                examples.push((code.to_string(), agency.to_string(), id));
            }
        }
        if let Some(list) = types_here {
            let id = open311::slug(agency);
            writeln!(f, "\n[[rule]]\nid = {}\npriority = 50", toml_str(&id))?;
            writeln!(f, "[rule.when]\ncategory = [")?;
            for (code, c) in list {
                let (_, n) = c.majority();
                writeln!(f, "  {},   # {} ({n}/{} rows)", toml_str(code), c.name, c.rows)?;
            }
            writeln!(f, "]\n[rule.then]\nlead = {}", toml_str(agency))?;
            if let Some((code, _)) = list.iter().max_by_key(|(_, c)| c.rows) {
                let leaf = leaves
                    .iter()
                    .filter(|(l, c)| l.starts_with(&format!("{code}.")) && c.majority().0 == agency.as_str())
                    .max_by_key(|(_, c)| c.rows)
                    .map(|(l, _)| l.clone());
                if let Some(leaf) = leaf {
                    examples.push((leaf, agency.to_string(), id));
                }
            }
        }
    }
    writeln!(f, "\n# ── Examples: the busiest category of each rule ──")?;
    for (category, agency, rule) in &examples {
        writeln!(f, "\n[[example]]\nname = {}", toml_str(&format!("{category} → {agency}")))?;
        writeln!(
            f,
            "case = {{ district = \"brooklyn\", channel = \"open311\", category = {}, received_at = \"2026-01-15T09:00:00-05:00\" }}",
            toml_str(category)
        )?;
        writeln!(f, "expect = {{ lead = {}, fired = [{}] }}", toml_str(agency), toml_str(rule))?;
    }
    writeln!(f, "\n[[example]]\nname = \"an unknown complaint type goes to a 311 operator\"")?;
    writeln!(f, "case = {{ district = \"queens\", category = \"nyc.never-seen.before\" }}")?;
    writeln!(f, "expect = {{ manual = true, lead = \"queens\", fired = [\"(default)\"] }}")?;
    std::fs::write(out, f).with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "wrote {}: {} agencies, {} types, {} descriptor exceptions; majority table agrees {table_agree}/{rows}",
        out.display(),
        agencies.len(),
        types.len(),
        by_agency_leaves.values().map(Vec::len).sum::<usize>()
    );
    Ok(())
}
