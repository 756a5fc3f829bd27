//! Writes the shipped rule sets: the NYC 311 set derived from real service requests, and the Beijing set
//! derived from the official divisions and the department table below.

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

/// District departments: (key, name pattern with `{d}` = district name, `{s}` = short name).
const DEPARTMENTS: &[(&str, &str)] = &[
    ("cgw", "{d}城市管理委员会"),
    ("zf", "{d}城市管理综合行政执法局"),
    ("zjw", "{d}住房和城乡建设委员会"),
    ("jtw", "{d}交通委员会"),
    ("traffic", "北京市公安局公安交通管理局{s}交通支队"),
    ("scjg", "{d}市场监督管理局"),
    ("rsj", "{d}人力资源和社会保障局"),
    ("jw", "{d}教育委员会"),
    ("wjw", "{d}卫生健康委员会"),
    ("mzj", "{d}民政局"),
    ("hbj", "北京市生态环境局{s}分局"),
    ("ylj", "{d}园林绿化局"),
    ("gaj", "北京市公安局{s}分局"),
    ("xfj", "{d}消防救援支队"),
    ("nyj", "{d}农业农村局"),
    ("ghzr", "北京市规划和自然资源委员会{s}分局"),
    ("zwfw", "{d}政务服务管理局"),
    ("wlj", "{d}文化和旅游局"),
    ("swj", "{d}水务局"),
    ("gov", "{d}人民政府"),
];

/// Category prefixes → district department (priority 20): (rule suffix, categories, department, tier).
const DEPARTMENT_RULES: &[(&str, &[&str], &str, &str)] = &[
    (
        "enforcement",
        &[
            "urban.sanitation.outdoor_ads",
            "urban.sanitation.street_vendors",
            "urban.sanitation.litter",
            "urban.sanitation.construction_waste",
        ],
        "zf",
        "general",
    ),
    ("construction", &["urban.construction"], "zf", "general"),
    ("roads", &["urban.roads"], "cgw", "general"),
    ("snow", &["urban.sanitation.snow_removal"], "cgw", "general"),
    ("greening", &["urban.greening", "environment.ecology.soil"], "ylj", "general"),
    ("elevators", &["urban.community.elevators", "market.products"], "scjg", "general"),
    ("renovation", &["urban.community.old_renovation"], "zjw", "general"),
    ("property", &["housing.property"], "zjw", "general"),
    ("housing", &["housing.housing"], "zjw", "complex"),
    (
        "noise-commercial",
        &["environment.noise.commercial", "environment.air.cooking_fumes", "environment.air.open_burning"],
        "zf",
        "general",
    ),
    (
        "noise-neighbours",
        &["environment.noise.neighbours", "environment.animals.dogs", "safety.order", "safety.household"],
        "gaj",
        "general",
    ),
    (
        "pollution",
        &[
            "environment.air.industrial",
            "environment.air.odour",
            "environment.ecology.light",
            "environment.ecology.radiation",
        ],
        "hbj",
        "general",
    ),
    ("water-pollution", &["environment.water"], "swj", "general"),
    ("vermin", &["environment.animals.vermin", "health.medical", "health.public_health"], "wjw", "general"),
    ("traffic", &["transport.traffic", "transport.parking.illegal", "environment.noise.traffic"], "traffic", "general"),
    ("muck-trucks", &["transport.traffic.muck_trucks"], "zf", "general"),
    (
        "parking",
        &["transport.parking.fees", "transport.parking.shared_bikes", "urban.community.parking"],
        "jtw",
        "general",
    ),
    ("labor", &["labor"], "rsj", "general"),
    ("schools", &["education.schools", "education.preschool"], "jw", "general"),
    ("culture", &["education.culture"], "wlj", "general"),
    ("elderly", &["health.elderly", "civil"], "mzj", "general"),
    ("market", &["market.food", "market.consumer"], "scjg", "general"),
    ("fire", &["safety.fire"], "xfj", "urgent"),
    ("rural", &["rural.affairs"], "nyj", "general"),
    ("land", &["rural.land"], "ghzr", "complex"),
    ("services", &["government.services"], "zwfw", "general"),
];

/// Districts whose heating and water come from the city-wide companies (the old city and near suburbs).
const CORE: &[&str] = &["110101", "110102", "110105", "110106", "110107", "110108"];

fn short(district: &str) -> &str {
    district.strip_suffix('区').unwrap_or(district)
}

/// The distinctive part of a township name: `望京街道` → `望京`, `南口地区` → `南口`, `密云镇` → `密云`.
fn stem(name: &str) -> &str {
    for suffix in ["街道", "地区", "乡", "镇"] {
        if let Some(s) = name.strip_suffix(suffix)
            && s.chars().count() >= 2
        {
            return s;
        }
    }
    name
}

/// Appends `[[rule]]` blocks (one line each for `when` and `then`) and section comments, counting the rules.
struct RuleWriter {
    out: String,
    rules: usize,
}

impl RuleWriter {
    /// A rule; `when` and `then` are the inside of their inline tables.
    fn rule(&mut self, id: &str, priority: u32, note: Option<&str>, when: &str, then: &str) {
        self.out.push_str("\n[[rule]]\nid = ");
        self.out.push_str(&toml_str(id));
        self.out.push_str(&format!("\npriority = {priority}\n"));
        if let Some(note) = note {
            self.out.push_str(&format!("note = {}\n", toml_str(note)));
        }
        self.out.push_str(&format!("when = {{ {when} }}\nthen = {{ {then} }}\n"));
        self.rules += 1;
    }

    fn section(&mut self, title: &str) {
        self.out.push_str(&format!("\n# ━━ {title} ━━\n"));
    }

    fn comment(&mut self, text: &str) {
        self.out.push_str(&format!("\n# {text}\n"));
    }
}

/// Writes the Beijing rule set over the 16 districts and 349 township-level units.
pub fn beijing(out: &Path) -> Result<()> {
    use minyi_model::divisions::DISTRICTS;
    let mut f = String::new();
    f.push_str(
        "# Beijing 12345 routing (接诉即办): where each demand goes, with what time limit, and who is summoned.\n\
         #\n\
         # Written by `cargo xtask beijing-rules` over the official divisions (16 districts, 349 township-level\n\
         # units, `beijing-divisions.json`) and the category tree; review and edit it like any rule file.\n\
         # Department names follow Beijing's district structure; unit ids (`110105.zf`) are Minyi's own.\n\
         #\n\
         # Priority bands (lower is tried first; under `first`, the first rule with a lead decides):\n\
         #    1  emergencies (gas leaks, fire)                  2  repeat-demand modifiers (no lead: they add)\n\
         #  5-7  吹哨报到: illegal building, group rental, e-bikes 10  utilities (heating by season, water, power, gas)\n\
         #   15  construction at night                     19/20  district departments by category (leaves first)\n\
         #   25  no street given: the township the address names  30  direct dispatch to the street (直派)\n\
         # Anything else goes to the district (兜底).\n\n",
    );
    f.push_str("[ruleset]\nname = \"beijing\"\ndescription = \"北京市12345接诉即办派单规则\"\nregion = \"beijing\"\n");
    f.push_str("hit_policy = \"first\"\ndefault_unit = \"$district\"\n\n[units]\n");
    f.push_str("\"bj.heating\" = \"北京市热力集团有限责任公司\"\n\"bj.water\" = \"北京市自来水集团有限责任公司\"\n");
    f.push_str("\"bj.drainage\" = \"北京城市排水集团有限责任公司\"\n\"bj.gas\" = \"北京市燃气集团有限责任公司\"\n");
    f.push_str("\"bj.jtw\" = \"北京市交通委员会\"\n\"bj.txgl\" = \"北京市通信管理局\"\n");
    for d in DISTRICTS {
        let s = short(d.name);
        writeln!(f, "\n# {} ({})", d.name, d.code)?;
        writeln!(f, "\"bj.power.{}\" = \"国网北京{s}供电公司\"", d.code)?;
        if !CORE.contains(&d.code) {
            writeln!(f, "\"{}.heating\" = \"{}供热服务中心\"", d.code, d.name)?;
            writeln!(f, "\"{}.water\" = \"{}供水服务中心\"", d.code, d.name)?;
        }
        for (key, pattern) in DEPARTMENTS {
            writeln!(f, "\"{}.{key}\" = {}", d.code, toml_str(&pattern.replace("{d}", d.name).replace("{s}", s)))?;
        }
    }

    let mut w = RuleWriter { out: f, rules: 0 };
    w.section("1 · emergencies (city-wide)");
    w.rule(
        "gas-leak",
        1,
        Some("燃气泄漏: danger to life, the gas company at once"),
        r#"keywords = ["燃气泄漏", "煤气泄漏", "漏气", "煤气味", "燃气味"]"#,
        r#"lead = "bj.gas", co_handlers = ["$street"], tier = "emergency", priority = 1, tags = ["燃气泄漏"]"#,
    );
    w.rule(
        "fire",
        1,
        Some("a fire in progress: an operator transfers to 119"),
        r#"keywords = ["着火", "起火", "火灾"], not = { category = ["safety.fire"] }"#,
        r#"manual = true, tier = "emergency", priority = 1, tags = ["转119"]"#,
    );
    w.section("2 · repeat demands (modifiers: they add tags and escalations, the lead comes from later rules)");
    w.rule("repeat-3", 2, None, "repeat_at_least = 3", r#"tags = ["重复诉求"], priority = 2"#);
    for d in DISTRICTS {
        let c = d.code;
        w.rule(
            &format!("repeat-5-{c}"),
            2,
            Some("five or more: the district government supervises (督办)"),
            &format!(r#"district = ["{c}"], repeat_at_least = 5"#),
            &format!(r#"escalate = ["{c}.gov"], tags = ["督办"], priority = 1"#),
        );
    }
    w.section("5 · 吹哨报到: the street leads and summons the departments");
    for d in DISTRICTS {
        let c = d.code;
        w.rule(
            &format!("whistle-illegal-building-{c}"),
            5,
            None,
            &format!(
                r#"district = ["{c}"], any = [{{ category = ["urban.construction.illegal_building"] }}, {{ category = ["urban", "housing"], keywords = ["违建", "违法建设", "私搭乱建"] }}]"#
            ),
            &format!(r#"lead = "$street", escalate = ["{c}.zf", "{c}.ghzr"], tier = "complex", tags = ["吹哨报到"]"#),
        );
        w.rule(
            &format!("whistle-group-rental-{c}"),
            6,
            None,
            &format!(r#"district = ["{c}"], category = ["housing.housing.group_rental"]"#),
            &format!(
                r#"lead = "$street", escalate = ["{c}.gaj", "{c}.zjw", "{c}.xfj"], tags = ["吹哨报到", "群租房"]"#
            ),
        );
        w.rule(
            &format!("whistle-ebike-{c}"),
            7,
            None,
            &format!(
                r#"district = ["{c}"], category = ["safety.fire.ebike_charging"], keywords = ["飞线", "楼道充电", "电动车进楼"]"#
            ),
            &format!(r#"lead = "$street", escalate = ["{c}.xfj"], tier = "urgent", priority = 2, tags = ["吹哨报到"]"#),
        );
    }
    w.section("10 · utilities");
    w.rule("telecom", 10, None, r#"category = ["utilities.telecom"]"#, r#"lead = "bj.txgl""#);
    for d in DISTRICTS {
        let c = d.code;
        let core = CORE.contains(&c);
        let heating = if core { "bj.heating".to_owned() } else { format!("{c}.heating") };
        let water = if core { "bj.water".to_owned() } else { format!("{c}.water") };
        let drainage = if core { "bj.drainage".to_owned() } else { format!("{c}.swj") };
        let urgent =
            |lead: &str| format!(r#"lead = "{lead}", co_handlers = ["$street"], tier = "urgent", priority = 1"#);
        let categories = |list: &str| format!(r#"district = ["{c}"], category = [{list}]"#);
        w.comment(&format!("{} ({c})", d.name));
        w.rule(
            &format!("heating-season-{c}"),
            10,
            Some("供暖季 11-15 → 03-15"),
            &(categories(
                r#""utilities.heating.outage", "utilities.heating.low_temperature", "utilities.heating.pipe_leak""#,
            ) + r#", season = "11-15..03-15""#),
            &urgent(&heating),
        );
        w.rule(
            &format!("heating-{c}"),
            11,
            None,
            &categories(r#""utilities.heating""#),
            &format!(r#"lead = "{heating}", tier = "general""#),
        );
        w.rule(
            &format!("water-{c}"),
            10,
            None,
            &categories(r#""utilities.water.outage", "utilities.water.pipe_burst", "utilities.water.pressure""#),
            &urgent(&water),
        );
        w.rule(
            &format!("water-service-{c}"),
            11,
            None,
            &categories(r#""utilities.water""#),
            &format!(r#"lead = "{water}""#),
        );
        w.rule(
            &format!("power-{c}"),
            10,
            None,
            &categories(r#""utilities.power.outage", "utilities.power.line_hazard""#),
            &urgent(&format!("bj.power.{c}")),
        );
        w.rule(
            &format!("power-service-{c}"),
            11,
            None,
            &categories(r#""utilities.power""#),
            &format!(r#"lead = "bj.power.{c}""#),
        );
        w.rule(
            &format!("gas-{c}"),
            10,
            None,
            &categories(r#""utilities.gas.outage", "utilities.gas.hazard""#),
            &urgent("bj.gas"),
        );
        w.rule(
            &format!("drainage-{c}"),
            10,
            None,
            &categories(r#""utilities.drainage""#),
            &format!(r#"lead = "{drainage}", co_handlers = ["$street"], tier = "urgent""#),
        );
    }
    w.rule("gas-service", 11, None, r#"category = ["utilities.gas"]"#, r#"lead = "bj.gas""#);
    w.section("15 · construction at night (22:00–06:00)");
    for d in DISTRICTS {
        let c = d.code;
        w.rule(
            &format!("night-construction-{c}"),
            15,
            None,
            &format!(
                r#"district = ["{c}"], hours = "22:00-06:00", any = [{{ category = ["urban.construction"] }}, {{ category = ["environment.noise"], keywords = ["施工", "打桩", "渣土车"] }}]"#
            ),
            &format!(r#"lead = "{c}.zf", co_handlers = ["$street"], priority = 2, tags = ["夜间施工"]"#),
        );
    }
    w.section("20 · district departments by category");
    w.rule("transit", 20, None, r#"category = ["transport.transit", "transport.taxi"]"#, r#"lead = "bj.jtw""#);
    for d in DISTRICTS {
        let c = d.code;
        w.comment(&format!("{} ({c})", d.name));
        for (suffix, categories, dept, tier) in DEPARTMENT_RULES {
            let list: Vec<String> = categories.iter().map(|x| toml_str(x)).collect();
            // Rules on leaves only are tried before rules on whole branches, so a branch never shadows a leaf.
            let leaves_only = categories.iter().all(|x| x.split('.').count() == 3);
            w.rule(
                &format!("{suffix}-{c}"),
                if leaves_only { 19 } else { 20 },
                None,
                &format!(r#"district = ["{c}"], category = [{}]"#, list.join(", ")),
                &format!(r#"lead = "{c}.{dept}", tier = "{tier}""#),
            );
        }
    }
    w.section("25 · no street given: the township the address names");
    for d in DISTRICTS {
        w.comment(&format!("{} ({})", d.name, d.code));
        let stems: Vec<&str> = d.streets.iter().map(|s| stem(s.name)).collect();
        for (i, s) in d.streets.iter().enumerate() {
            let mut words = vec![s.name];
            let st = stems[i];
            // A stem inside another township's name in the same district would be ambiguous: keep the full name only.
            let ambiguous = d.streets.iter().enumerate().any(|(j, o)| j != i && o.name.contains(st));
            if st != s.name && !ambiguous && st != short(d.name) {
                words.push(st);
            }
            let words: Vec<String> = words.iter().map(|w| toml_str(w)).collect();
            w.rule(
                &format!("address-{}", s.code),
                25,
                None,
                &format!(r#"district = ["{}"], missing = ["street"], address = [{}]"#, d.code, words.join(", ")),
                &format!(r#"lead = "{}""#, s.code),
            );
        }
    }
    w.section("30 · direct dispatch to the street (直派)");
    w.rule(
        "street-direct",
        30,
        Some("属地管理: the street or township handles local matters"),
        r#"category = ["urban.sanitation", "urban.community", "environment.noise.square_dancing", "environment.animals.stray", "other"]"#,
        r#"lead = "$street""#,
    );
    let RuleWriter { out: mut f, rules } = w;

    f.push_str("\n# ━━ Examples (`minyi rules test`): received Monday 2026-11-30 10:00 unless stated ━━\n");
    f.push_str(BEIJING_EXAMPLES);
    std::fs::write(out, &f).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {}: {rules} rules", out.display());
    Ok(())
}

const BEIJING_EXAMPLES: &str = r#"
[[example]]
name = "暖气不热 in the heating season: the heat company, urgent, the street co-handles"
case = { district = "110105", street = "110105026", category = "utilities.heating.low_temperature", title = "家里暖气不热，室温只有14度" }
expect = { lead = "bj.heating", co_handlers = ["110105026"], tier = "urgent", deadline = "2026-12-01T10:00:00+08:00", fired = ["heating-season-110105"] }

[[example]]
name = "heating in July is not an outage: general tier"
case = { district = "110105", street = "110105026", category = "utilities.heating.outage", title = "暖气管道检修", received_at = "2026-07-06T09:00:00+08:00" }
expect = { lead = "bj.heating", tier = "general", fired = ["heating-110105"] }

[[example]]
name = "outer district heating goes to the district's heating centre"
case = { district = "110112", street = "110112001", category = "utilities.heating.outage", title = "小区停暖" }
expect = { lead = "110112.heating", tier = "urgent" }

[[example]]
name = "a power cut goes to the district's power company"
case = { district = "110108", street = "110108001", category = "utilities.power.outage", title = "整栋楼停电" }
expect = { lead = "bj.power.110108", co_handlers = ["110108001"], tier = "urgent" }

[[example]]
name = "a gas smell anywhere is an emergency for the gas company"
case = { district = "110102", street = "110102001", category = "urban.community.elevators", title = "楼道里有很重的燃气味" }
expect = { lead = "bj.gas", tier = "emergency", priority = 1, tags = ["燃气泄漏"], fired = ["gas-leak"] }

[[example]]
name = "a fire in progress goes to an operator (119)"
case = { district = "110106", category = "other.general.other", title = "对面楼着火了" }
expect = { manual = true, tier = "emergency", fired = ["fire"] }

[[example]]
name = "garbage goes straight to the street (直派), 7 calendar days"
case = { district = "110105", street = "110105026", category = "urban.sanitation.garbage", title = "小区垃圾三天没人清运" }
expect = { lead = "110105026", tier = "general", deadline = "2026-12-07T10:00:00+08:00", fired = ["street-direct"] }

[[example]]
name = "no street given: the township named in the address takes it"
case = { district = "110105", category = "urban.sanitation.garbage", title = "垃圾没人清运", address = "朝阳区望京西园三区" }
expect = { lead = "110105026", fired = ["address-110105026"] }

[[example]]
name = "no street and no township in the address: the district (兜底 via $street)"
case = { district = "110105", category = "urban.sanitation.garbage", title = "垃圾没人清运", address = "某小区" }
expect = { lead = "110105", fired = ["street-direct"] }

[[example]]
name = "street vendors go to the enforcement bureau"
case = { district = "110101", street = "110101001", category = "urban.sanitation.street_vendors", title = "路口占道经营" }
expect = { lead = "110101.zf", fired = ["enforcement-110101"] }

[[example]]
name = "construction at night: enforcement, priority 2"
case = { district = "110108", street = "110108001", category = "urban.construction.noise", title = "工地半夜还在施工", received_at = "2026-11-30T23:40:00+08:00" }
expect = { lead = "110108.zf", co_handlers = ["110108001"], priority = 2, tags = ["夜间施工"], fired = ["night-construction-110108"] }

[[example]]
name = "the same construction complaint by day is ordinary"
case = { district = "110108", street = "110108001", category = "urban.construction.noise", title = "工地施工噪音大", received_at = "2026-11-30T15:00:00+08:00" }
expect = { lead = "110108.zf", priority = 3, fired = ["construction-110108"] }

[[example]]
name = "illegal building: the street leads and blows the whistle (吹哨报到)"
case = { district = "110106", street = "110106001", category = "urban.community.old_renovation", title = "楼顶私搭乱建" }
expect = { lead = "110106001", escalate = ["110106.zf", "110106.ghzr"], tier = "complex", tags = ["吹哨报到"], fired = ["whistle-illegal-building-110106"] }

[[example]]
name = "a complex case gets 15 working days across the National Day holiday"
case = { district = "110106", street = "110106001", category = "urban.construction.illegal_building", title = "违建", received_at = "2026-09-18T10:00:00+08:00" }
expect = { tier = "complex", deadline = "2026-10-15T10:00:00+08:00" }

[[example]]
name = "group rental summons police, housing and fire"
case = { district = "110108", street = "110108001", category = "housing.housing.group_rental", title = "隔断群租房" }
expect = { lead = "110108001", escalate = ["110108.gaj", "110108.zjw", "110108.xfj"] }

[[example]]
name = "a fifth repeat demand is supervised by the district government"
case = { district = "110105", street = "110105026", category = "urban.sanitation.garbage", title = "垃圾又没清运" }
context = { repeat_count = 5 }
expect = { lead = "110105026", escalate = ["110105.gov"], tags = ["重复诉求", "督办"], priority = 1, fired = ["repeat-3", "repeat-5-110105", "street-direct"] }

[[example]]
name = "muck trucks go to enforcement, other traffic matters to the traffic police"
case = { district = "110111", category = "transport.traffic.muck_trucks", title = "渣土车遗撒" }
expect = { lead = "110111.zf", fired = ["muck-trucks-110111"] }

[[example]]
name = "traffic signals go to the traffic police"
case = { district = "110111", category = "transport.traffic.signals", title = "红绿灯坏了" }
expect = { lead = "110111.traffic" }

[[example]]
name = "food safety goes to market regulation"
case = { district = "110119", street = "110119001", category = "market.food.restaurants", title = "餐馆卫生差" }
expect = { lead = "110119.scjg" }

[[example]]
name = "wage arrears go to human resources and social security"
case = { district = "110113", category = "labor.wages.migrant_workers", title = "拖欠农民工工资" }
expect = { lead = "110113.rsj" }

[[example]]
name = "subway complaints go to the municipal transport commission"
case = { district = "110101", category = "transport.transit.subway", title = "地铁站电梯坏了" }
expect = { lead = "bj.jtw" }

[[example]]
name = "broadband goes to the communications administration"
case = { district = "110117", category = "utilities.telecom.broadband", title = "宽带经常断网" }
expect = { lead = "bj.txgl", tier = "general" }

[[example]]
name = "housing disputes are complex"
case = { district = "110114", category = "housing.housing.expropriation", title = "拆迁补偿" }
expect = { lead = "110114.zjw", tier = "complex" }

[[example]]
name = "a case without a category goes to the district (兜底)"
case = { district = "110116", title = "咨询一件事" }
expect = { lead = "110116", fired = ["(default)"] }
"#;
