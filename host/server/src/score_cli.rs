//! `minyi score`, `minyi hotspots`, `minyi assess` and `minyi import-311`: case events in, the
//! component's ranking, hotspot report or assessment out (tables for people, JSON for machines).

use anyhow::Context as _;
use minyi_runtime::{CallError, Runtime, Scoreboard};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Cases handed to the component per call: bounds the memory a call needs.
const BATCH: usize = 2_000;

/// What the score and hotspots commands share: which period, which slice, as of when, which policy.
#[derive(Debug, clap::Args)]
pub struct PeriodArgs {
    /// The month, YYYY-MM.
    #[arg(long, conflicts_with_all = ["from", "to"], required_unless_present = "from")]
    month: Option<String>,
    /// First day of a custom period, YYYY-MM-DD (with --to).
    #[arg(long, requires = "to")]
    from: Option<String>,
    /// Day after a custom period, YYYY-MM-DD.
    #[arg(long, requires = "from")]
    to: Option<String>,
    /// Only cases received in this district.
    #[arg(long, value_name = "CODE")]
    district: Option<String>,
    /// Recompute as things stood at this instant (RFC 3339): later events are ignored.
    #[arg(long, value_name = "INSTANT")]
    as_of: Option<String>,
    /// Where days start (default +08:00).
    #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
    utc_offset: Option<String>,
    /// Scoring policy (JSON: weights, factor, minimum sample, time limits, per-district overrides).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// A plugin registry (SQLite file or `postgres://` URL): the active scoring plugin of each case's
    /// district reviews the case, and an exclusion it returns is added as a reviewed event; a plugin
    /// fault is stored in the registry with the case.
    #[arg(long, value_name = "FILE|URL")]
    plugins: Option<String>,
    /// The case events, one JSON object per line (`-` for standard input).
    events: PathBuf,
}

impl PeriodArgs {
    fn request(&self, hotspots: Option<Value>) -> anyhow::Result<String> {
        let mut request = json!({});
        let fields = [
            ("month", &self.month),
            ("from", &self.from),
            ("to", &self.to),
            ("district", &self.district),
            ("as_of", &self.as_of),
            ("utc_offset", &self.utc_offset),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                request[k] = json!(v);
            }
        }
        if let Some(file) = &self.config {
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            request["config"] =
                serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
        }
        if let Some(h) = hotspots {
            request["hotspots"] = h;
        }
        Ok(request.to_string())
    }
}

/// Hotspot statistics on the command line (defaults in the scoring core).
#[derive(Debug, clap::Args)]
pub struct HotspotArgs {
    /// Days before the window that make each cell's baseline (default 84).
    #[arg(long)]
    baseline_days: Option<u32>,
    /// Family-wise error rate over the cells tested (default 0.01).
    #[arg(long)]
    alpha: Option<f64>,
    /// Fewest cases for a hotspot or a topic (default 5).
    #[arg(long)]
    min_count: Option<u32>,
    /// Demands with one fingerprint this many days apart are repeats (default 30).
    #[arg(long)]
    repeat_days: Option<u32>,
    /// How many 每月一题 candidates to list (default 10).
    #[arg(long)]
    topics: Option<u32>,
}

impl HotspotArgs {
    fn params(&self) -> Value {
        let mut p = json!({});
        if let Some(v) = self.baseline_days {
            p["baseline_days"] = json!(v);
        }
        if let Some(v) = self.alpha {
            p["alpha"] = json!(v);
        }
        if let Some(v) = self.min_count {
            p["min_count"] = json!(v);
        }
        if let Some(v) = self.repeat_days {
            p["repeat_days"] = json!(v);
        }
        if let Some(v) = self.topics {
            p["topics"] = json!(v);
        }
        p
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
    }
}

/// The events file grouped by case, in order of first appearance; each case's lines in file order.
/// (Plumbing only: the component parses and checks every event.)
fn group_by_case(path: &Path, text: &str) -> anyhow::Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Id {
        case_id: String,
    }
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut cases: Vec<String> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let id: Id = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a case event with a case_id", path.display(), n + 1))?;
        let slot = *index.entry(id.case_id).or_insert_with(|| {
            cases.push(String::new());
            cases.len() - 1
        });
        let case = &mut cases[slot];
        case.push_str(line);
        case.push('\n');
    }
    Ok(cases)
}

/// Lets each case's district scoring plugin review it: an exclusion it returns becomes an `excluded`
/// event, reviewed by the plugin, stamped with the case's latest event time (so `--as-of` treats it like
/// any review). A plugin fault leaves the case as it is. Returns how many cases were excluded.
fn review_cases(plugins: &crate::plugins_http::Plugins, cases: &mut [String]) -> usize {
    let mut excluded = 0;
    for case in cases.iter_mut() {
        let events: Vec<minyi_model::CaseEvent> = case.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        let district = events.iter().find_map(|e| match &e.event {
            minyi_model::Event::Received { district, .. } => district.clone(),
            _ => None,
        });
        let (Some(district), Some(first)) = (district, events.first()) else { continue };
        if plugins.host.status(&district).is_none_or(|s| !s.hooks.contains(&"scoring")) {
            continue;
        }
        let out = plugins.host.review_case(&district, Some(&first.case_id), case);
        let Some(exclusion) = out.value else { continue };
        let latest = events
            .iter()
            .filter_map(|e| chrono::DateTime::parse_from_rfc3339(e.at.trim()).ok().map(|t| (t, e.at.clone())))
            .max_by_key(|(t, _)| *t)
            .map(|(_, at)| at)
            .unwrap_or_else(|| first.at.clone());
        let event = minyi_model::CaseEvent {
            case_id: first.case_id.clone(),
            at: latest,
            by: plugins.host.status(&district).map(|s| format!("plugin:{}@{}", s.name, s.version)),
            event: minyi_model::Event::Excluded {
                reason: match exclusion.reason {
                    minyi_runtime::bindings::types::ExclusionReason::Invalid => minyi_model::ExclusionReason::Invalid,
                    minyi_runtime::bindings::types::ExclusionReason::Unreasonable => {
                        minyi_model::ExclusionReason::Unreasonable
                    }
                },
                reviewer: exclusion.reviewer,
                note: exclusion.note,
            },
        };
        if let Ok(line) = serde_json::to_string(&event) {
            case.push_str(&line);
            case.push('\n');
            excluded += 1;
        }
    }
    excluded
}

/// Opens a board and feeds it every case of the events file; `Ok(Err(code))` when the input is unusable.
fn fill<'rt>(
    runtime: &'rt Runtime,
    args: &PeriodArgs,
    request: &str,
) -> anyhow::Result<Result<Scoreboard<'rt>, ExitCode>> {
    let board = match runtime.open_scoreboard(request) {
        Ok(b) => b,
        Err(CallError::Input { code, message }) => {
            eprintln!("error: {code}: {message}");
            return Ok(Err(ExitCode::from(2)));
        }
        Err(e) => return Err(e.into()),
    };
    let mut cases = group_by_case(&args.events, &read(&args.events)?)?;
    if let Some(db) = &args.plugins {
        let plugins = crate::plugins_http::Plugins::open(db)?;
        let reviewed = review_cases(&plugins, &mut cases);
        plugins.registry.persist(&plugins.host)?;
        tracing::info!(reviewed, "cases excluded by district scoring plugins");
    }
    let started = std::time::Instant::now();
    for batch in cases.chunks(BATCH) {
        match board.add_cases_json(batch) {
            Ok(_) => {}
            Err(CallError::Input { code, message }) => {
                eprintln!("error: {}: {code}: {message}", args.events.display());
                return Ok(Err(ExitCode::from(2)));
            }
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(cases = cases.len(), ms = started.elapsed().as_millis() as u64, "cases scored");
    Ok(Ok(board))
}

/// `minyi score`.
pub fn score(runtime: &Runtime, args: &PeriodArgs) -> anyhow::Result<ExitCode> {
    let board = match fill(runtime, args, &args.request(None)?)? {
        Ok(b) => b,
        Err(code) => return Ok(code),
    };
    let ranking: Value =
        serde_json::from_str(&board.ranking_json()?).context("the component returned malformed JSON")?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&ranking)?)?;
    } else {
        print_ranking(&mut out, &ranking)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `minyi hotspots`.
pub fn hotspots(runtime: &Runtime, args: &PeriodArgs, stats: &HotspotArgs) -> anyhow::Result<ExitCode> {
    let board = match fill(runtime, args, &args.request(Some(stats.params()))?)? {
        Ok(b) => b,
        Err(code) => return Ok(code),
    };
    let report: Value =
        serde_json::from_str(&board.hotspots_json()?).context("the component returned malformed JSON")?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        print_hotspots(&mut out, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `minyi assess`: one case's assessment.
pub fn assess(
    runtime: &Runtime,
    events: &Path,
    case: &str,
    config: Option<&Path>,
    as_of: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let config = match config {
        Some(file) => std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?,
        None => "{}".to_owned(),
    };
    let text = read(events)?;
    let lines: String = text
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).is_ok_and(|v| v["case_id"] == case))
        .map(|l| format!("{l}\n"))
        .collect();
    if lines.is_empty() {
        eprintln!("error: {}: no events of case {case}", events.display());
        return Ok(ExitCode::from(2));
    }
    match runtime.assess_json(&lines, &config, as_of) {
        Ok(json) => {
            let value: Value = serde_json::from_str(&json).context("the component returned malformed JSON")?;
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(CallError::Input { code, message }) => {
            eprintln!("error: {code}: {message}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}

/// `minyi import-311`: an NYC 311 CSV as case events (JSON lines) on standard output.
pub fn import_311(csv_path: &Path) -> anyhow::Result<ExitCode> {
    let mut reader = csv::Reader::from_path(csv_path).with_context(|| format!("reading {}", csv_path.display()))?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).with_context(|| format!("no column {name}"));
    let cols = [
        col("unique_key")?,
        col("created_date")?,
        col("closed_date")?,
        col("agency")?,
        col("complaint_type")?,
        col("descriptor")?,
        col("borough")?,
    ];
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut rows = 0u64;
    for record in reader.records() {
        let record = record?;
        let get = |i: usize| record.get(cols[i]).unwrap_or("");
        let row = minyi_model::open311::Row {
            unique_key: get(0),
            created: get(1),
            closed: get(2),
            agency: get(3),
            complaint_type: get(4),
            descriptor: get(5),
            borough: get(6),
        };
        for event in minyi_model::open311::case_events(&row) {
            serde_json::to_writer(&mut out, &event)?;
            out.write_all(b"\n")?;
        }
        rows += 1;
    }
    out.flush()?;
    tracing::info!(rows, "rows imported");
    Ok(ExitCode::SUCCESS)
}

fn pct(v: &Value) -> String {
    v.as_f64().map_or_else(|| "-".into(), |x| format!("{:.1}%", x * 100.0))
}

fn print_ranking(out: &mut impl std::io::Write, r: &Value) -> std::io::Result<()> {
    let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
    writeln!(out, "三率 ranking {} ({} – {})", s(&r["period"]), s(&r["from"]), s(&r["to"]))?;
    if let Some(d) = r["district"].as_str() {
        writeln!(out, "district {d}")?;
    }
    if let Some(a) = r["as_of"].as_str() {
        writeln!(out, "as of {a}")?;
    }
    let c = &r["config"];
    writeln!(
        out,
        "composite = {}·response + {}·resolution + {}·satisfaction; 基本满意 counts {}; ranked from {} valid callbacks",
        c["response_weight"],
        c["resolution_weight"],
        c["satisfaction_weight"],
        c["basically_satisfied_factor"],
        c["min_valid_callbacks"]
    )?;
    for (title, key) in [("Streets 街道乡镇", "streets"), ("Departments 部门", "departments")] {
        let units = r[key].as_array().map(Vec::as_slice).unwrap_or_default();
        if units.is_empty() {
            continue;
        }
        writeln!(out, "\n{title}")?;
        writeln!(
            out,
            "{:>5}  {:<14} {:>6} {:>6} {:>5} {:>9} {:>10} {:>12} {:>9} {:>8} {:>8}",
            "rank",
            "unit",
            "cases",
            "valid",
            "excl",
            "response",
            "resolution",
            "satisfaction",
            "composite",
            "on-time",
            "Δrank"
        )?;
        for u in units {
            let rank = u["rank"].as_u64().map_or_else(|| "-".into(), |r| r.to_string());
            let delta = match u["trend"]["rank_change"].as_i64() {
                Some(0) => "=".to_owned(),
                Some(d) => format!("{d:+}"),
                None if u["trend"].is_object() => "·".to_owned(),
                None => "new".to_owned(),
            };
            let n = |k: &str| u[k].as_u64().unwrap_or(0);
            // Rates of a unit without valid callbacks are not zero but unknown.
            let rate = |k: &str| if n("valid") == 0 { "-".to_owned() } else { pct(&u[k]) };
            let composite =
                if n("valid") == 0 { "-".to_owned() } else { format!("{:.4}", u["composite"].as_f64().unwrap_or(0.0)) };
            let on_time = if n("cases") == 0 { "-".to_owned() } else { pct(&u["on_time_rate"]) };
            writeln!(
                out,
                "{:>5}  {:<14} {:>6} {:>6} {:>5} {:>9} {:>10} {:>12} {:>9} {:>8} {:>8}",
                rank,
                s(&u["unit"]),
                n("cases"),
                n("valid"),
                n("excluded"),
                rate("response_rate"),
                rate("resolution_rate"),
                rate("satisfaction_rate"),
                composite,
                on_time,
                delta
            )?;
        }
    }
    writeln!(
        out,
        "\n{} cases in the period, {} without a lead unit",
        r["cases"].as_u64().unwrap_or(0),
        r["unassigned"].as_u64().unwrap_or(0)
    )?;
    for sk in r["skipped"].as_array().map(Vec::as_slice).unwrap_or_default() {
        writeln!(out, "skipped {}: {}", s(&sk["case_id"]), s(&sk["reason"]))?;
    }
    Ok(())
}

fn print_hotspots(out: &mut impl std::io::Write, r: &Value) -> std::io::Result<()> {
    let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
    writeln!(
        out,
        "主动治理 {} ({} – {}), baseline from {}",
        s(&r["period"]),
        s(&r["from"]),
        s(&r["to"]),
        s(&r["baseline_from"])
    )?;
    writeln!(out, "statistic: {}", s(&r["statistic"]))?;
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    writeln!(out, "\nHotspots: {} of {} cells tested", n(&r["hotspots_total"]), n(&r["tested_cells"]))?;
    writeln!(
        out,
        "{:<16} {:<44} {:>6} {:>9} {:>7} {:>10}  units",
        "area", "category", "count", "expected", "ratio", "p"
    )?;
    for h in r["hotspots"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let units: Vec<String> = h["units"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|u| format!("{} {}", s(&u["id"]), u["count"]))
            .collect();
        writeln!(
            out,
            "{:<16} {:<44} {:>6} {:>9.2} {:>7.2} {:>10.2e}  {}",
            s(&h["area"]),
            s(&h["category"]),
            n(&h["count"]),
            h["expected"].as_f64().unwrap_or(0.0),
            h["ratio"].as_f64().unwrap_or(0.0),
            h["p_value"].as_f64().unwrap_or(1.0),
            units.join(", ")
        )?;
    }
    writeln!(out, "\nRepeat demands: {} groups", n(&r["repeats_total"]))?;
    for g in r["repeats"].as_array().map(Vec::as_slice).unwrap_or_default() {
        writeln!(
            out,
            "{:>3}× {} {} {} .. {}  {}",
            g["count"],
            s(&g["area"]),
            s(&g["category"]),
            s(&g["first_at"]),
            s(&g["last_at"]),
            s(&g["fingerprint"])
        )?;
    }
    writeln!(out, "\n每月一题 candidates")?;
    writeln!(
        out,
        "{:<44} {:>6} {:>6} {:>9} {:>6} {:>5} {:>7} {:>8}  top units",
        "category", "count", "prev", "expected", "areas", "hot", "repeat", "dissat."
    )?;
    for t in r["topics"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let units: Vec<String> = t["units"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|u| format!("{} {}", s(&u["id"]), u["count"]))
            .collect();
        writeln!(
            out,
            "{:<44} {:>6} {:>6} {:>9.1} {:>6} {:>5} {:>7} {:>8}  {}",
            s(&t["category"]),
            n(&t["count"]),
            n(&t["previous_count"]),
            t["expected"].as_f64().unwrap_or(0.0),
            n(&t["areas"]),
            n(&t["hotspot_cells"]),
            n(&t["repeat_cases"]),
            format!("{}/{}", n(&t["dissatisfied"]), n(&t["callbacks"])),
            units.join(", ")
        )?;
    }
    for w in r["warnings"].as_array().map(Vec::as_slice).unwrap_or_default() {
        writeln!(out, "warning: {}", s(w))?;
    }
    Ok(())
}
