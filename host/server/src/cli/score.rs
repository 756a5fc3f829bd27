//! `minyi score`, `minyi hotspots`, `minyi assess` and `minyi import-311`: case events in, the
//! component's ranking, hotspot report or assessment out (tables for people, JSON for machines).

use crate::plugins::Plugins;
use anyhow::Context as _;
use minyi_model::{Counted, HotspotReport, Ranking, open311};
use minyi_runtime::{CallError, Runtime, Scoreboard};
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What the score and hotspots commands share: which period, which slice, as of when, which policy.
#[derive(Debug, clap::Args)]
pub(super) struct PeriodArgs {
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
pub(super) struct HotspotArgs {
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

/// Opens a board and feeds it every case of the events file; `Ok(Err(code))` when the input is unusable.
fn fill<'rt>(
    runtime: &'rt Runtime,
    args: &PeriodArgs,
    request: &str,
) -> anyhow::Result<Result<Scoreboard<'rt>, ExitCode>> {
    let mut cases = crate::scores::by_case(&read(&args.events)?).map_err(|(line, e)| {
        anyhow::anyhow!("{}:{line}: not a case event with a case_id: {e}", args.events.display())
    })?;
    let plugins = args.plugins.as_deref().map(Plugins::open).transpose()?;
    let started = std::time::Instant::now();
    let board = match crate::scores::fill(runtime, request, &mut cases, plugins.as_deref()) {
        Ok(b) => b,
        Err(CallError::Input { code, message }) => {
            eprintln!("error: {}: {code}: {message}", args.events.display());
            return Ok(Err(ExitCode::from(2)));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(p) = &plugins {
        p.registry.persist(&p.host)?;
    }
    tracing::info!(cases = cases.len(), ms = started.elapsed().as_millis() as u64, "cases scored");
    Ok(Ok(board))
}

/// `minyi score`.
pub(super) fn score(runtime: &Runtime, args: &PeriodArgs) -> anyhow::Result<ExitCode> {
    let board = match fill(runtime, args, &args.request(None)?)? {
        Ok(b) => b,
        Err(code) => return Ok(code),
    };
    let ranking: Ranking =
        serde_json::from_str(&board.ranking_json()?).context("the component returned an unreadable ranking")?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&ranking)?)?;
    } else {
        print_ranking(&mut out, &ranking)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `minyi hotspots`.
pub(super) fn hotspots(runtime: &Runtime, args: &PeriodArgs, stats: &HotspotArgs) -> anyhow::Result<ExitCode> {
    let board = match fill(runtime, args, &args.request(Some(stats.params()))?)? {
        Ok(b) => b,
        Err(code) => return Ok(code),
    };
    let report: HotspotReport =
        serde_json::from_str(&board.hotspots_json()?).context("the component returned an unreadable report")?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        print_hotspots(&mut out, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `minyi assess`: one case's assessment.
pub(super) fn assess(
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
pub(super) fn import_311(csv_path: &Path) -> anyhow::Result<ExitCode> {
    let mut reader = csv::Reader::from_path(csv_path).with_context(|| format!("reading {}", csv_path.display()))?;
    let headers = reader.headers()?.clone();
    for name in ["unique_key", "created_date", "closed_date", "agency", "complaint_type", "descriptor", "borough"] {
        anyhow::ensure!(headers.iter().any(|h| h == name), "{}: no column {name}", csv_path.display());
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut rows = 0u64;
    for (n, row) in reader.deserialize::<open311::Row>().enumerate() {
        let row = row.with_context(|| format!("{}: row {}", csv_path.display(), n + 2))?;
        for event in open311::case_events(&row) {
            serde_json::to_writer(&mut out, &event)?;
            out.write_all(b"\n")?;
        }
        rows += 1;
    }
    out.flush()?;
    tracing::info!(rows, "rows imported");
    Ok(ExitCode::SUCCESS)
}

fn pct(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// The ranking as the table people read; the JSON (`--json`) is the same [`Ranking`].
fn print_ranking(out: &mut impl std::io::Write, r: &Ranking) -> std::io::Result<()> {
    writeln!(out, "三率 ranking {} ({} – {})", r.period, r.from, r.to)?;
    if let Some(d) = &r.district {
        writeln!(out, "district {d}")?;
    }
    if let Some(a) = &r.as_of {
        writeln!(out, "as of {a}")?;
    }
    let c = &r.config;
    writeln!(
        out,
        "composite = {}·response + {}·resolution + {}·satisfaction; 基本满意 counts {}; ranked from {} valid callbacks",
        c.response_weight,
        c.resolution_weight,
        c.satisfaction_weight,
        c.basically_satisfied_factor,
        c.min_valid_callbacks
    )?;
    for (title, units) in [("Streets 街道乡镇", &r.streets), ("Departments 部门", &r.departments)] {
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
            let rank = u.rank.map_or_else(|| "-".into(), |r| r.to_string());
            let delta = match &u.trend {
                Some(t) => match t.rank_change {
                    Some(0) => "=".to_owned(),
                    Some(d) => format!("{d:+}"),
                    None => "·".to_owned(),
                },
                None => "new".to_owned(),
            };
            // Rates of a unit without valid callbacks are not zero but unknown.
            let rate = |x: f64| if u.valid == 0 { "-".to_owned() } else { pct(x) };
            let composite = if u.valid == 0 { "-".to_owned() } else { format!("{:.4}", u.composite) };
            let on_time = if u.cases == 0 { "-".to_owned() } else { pct(u.on_time_rate) };
            writeln!(
                out,
                "{:>5}  {:<14} {:>6} {:>6} {:>5} {:>9} {:>10} {:>12} {:>9} {:>8} {:>8}",
                rank,
                u.unit,
                u.cases,
                u.valid,
                u.excluded,
                rate(u.response_rate),
                rate(u.resolution_rate),
                rate(u.satisfaction_rate),
                composite,
                on_time,
                delta
            )?;
        }
    }
    writeln!(out, "\n{} cases in the period, {} without a lead unit", r.cases, r.unassigned)?;
    let o = &r.overall;
    if o.valid > 0 {
        writeln!(
            out,
            "{} 全{}: response {}, resolution {}, satisfaction {}, composite {:.4} ({} valid callbacks)",
            if r.district.is_some() { "district" } else { "city" },
            if r.district.is_some() { "区" } else { "市" },
            pct(o.response_rate),
            pct(o.resolution_rate),
            pct(o.satisfaction_rate),
            o.composite,
            o.valid
        )?;
    }
    for sk in &r.skipped {
        writeln!(out, "skipped {}: {}", sk.case_id, sk.reason)?;
    }
    Ok(())
}

fn counted(list: &[Counted]) -> String {
    list.iter().map(|u| format!("{} {}", u.id, u.count)).collect::<Vec<_>>().join(", ")
}

/// The proactive-governance report as the tables people read; the JSON is the same [`HotspotReport`].
fn print_hotspots(out: &mut impl std::io::Write, r: &HotspotReport) -> std::io::Result<()> {
    writeln!(out, "主动治理 {} ({} – {}), baseline from {}", r.period, r.from, r.to, r.baseline_from)?;
    writeln!(out, "statistic: {}", r.statistic)?;
    writeln!(out, "\nHotspots: {} of {} cells tested", r.hotspots_total, r.tested_cells)?;
    writeln!(
        out,
        "{:<16} {:<44} {:>6} {:>9} {:>7} {:>10}  units",
        "area", "category", "count", "expected", "ratio", "p"
    )?;
    for h in &r.hotspots {
        writeln!(
            out,
            "{:<16} {:<44} {:>6} {:>9.2} {:>7.2} {:>10.2e}  {}",
            h.area,
            h.category,
            h.count,
            h.expected,
            h.ratio,
            h.p_value,
            counted(&h.units)
        )?;
    }
    writeln!(out, "\nRepeat demands: {} groups", r.repeats_total)?;
    for g in &r.repeats {
        writeln!(out, "{:>3}× {} {} {} .. {}  {}", g.count, g.area, g.category, g.first_at, g.last_at, g.fingerprint)?;
    }
    writeln!(out, "\n每月一题 candidates")?;
    writeln!(
        out,
        "{:<44} {:>6} {:>6} {:>9} {:>6} {:>5} {:>7} {:>8}  top units",
        "category", "count", "prev", "expected", "areas", "hot", "repeat", "dissat."
    )?;
    for t in &r.topics {
        writeln!(
            out,
            "{:<44} {:>6} {:>6} {:>9.1} {:>6} {:>5} {:>7} {:>8}  {}",
            t.category,
            t.count,
            t.previous_count,
            t.expected,
            t.areas,
            t.hotspot_cells,
            t.repeat_cases,
            format!("{}/{}", t.dissatisfied, t.callbacks),
            counted(&t.units)
        )?;
    }
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
