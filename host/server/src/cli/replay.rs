//! `minyi replay`: a case's decisions (`--case ID`) or a month's (`--month YYYY-MM [--district]`) run
//! again on the recorded deciders and on today's, printed as text (or `--json`). Exit 0 when every
//! decision replays identical on its recorded deciders, 1 when one does not, 2 on unusable input.

use crate::replay::{CaseReplay, Replayer, Today, Verdict, month_bounds};
use anyhow::Context as _;
use minyi_plugins::{PluginHost, PluginHostConfig};
use minyi_runtime::Runtime;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// What to replay.
pub(super) enum Scope {
    /// One case.
    Case(String),
    /// A month of Beijing time, of one district or all.
    Month { month: String, district: Option<String> },
}

/// Today's deciders given on the command line.
pub(super) struct Inputs<'a> {
    /// The rule set (default: the Beijing set built in).
    pub(super) rules: Option<&'a Path>,
    /// The classifier model, if any.
    pub(super) classifier: Option<&'a Path>,
}

pub(super) fn replay(
    runtime: Runtime,
    db: &str,
    inputs: Inputs<'_>,
    scope: Scope,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let Inputs { rules, classifier } = inputs;
    let cases = minyi_cases::CaseStore::open_url(db, minyi_cases::BEIJING)
        .with_context(|| format!("opening the case store in {db}"))?;
    let registry = crate::plugins::open_registry(db).context("opening the plugin registry")?;
    let runtime = Arc::new(runtime);
    let source = match rules {
        Some(file) => std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?,
        None => super::serve::BEIJING_RULES.to_owned(),
    };
    let rules = runtime
        .compile_rules_shared(&source)?
        .map_err(|errors| anyhow::anyhow!("today's rule set does not compile ({} errors)", errors.len()))?;
    let host = PluginHost::new(PluginHostConfig::default())?;
    registry.sync(&host).context("loading today's plugins")?;
    let districts = crate::districts::Districts::default();
    districts.sync(&registry).context("loading today's district rule sets and schemas")?;
    let classifier = match classifier {
        None => None,
        Some(file) => {
            let bytes = std::fs::read(file).with_context(|| format!("--classifier {}", file.display()))?;
            let model =
                runtime.load_model_shared(&bytes).with_context(|| format!("--classifier {}", file.display()))?;
            Some(Arc::new(model))
        }
    };
    let today = Today { runtime, rules: Arc::new(rules), plugins: Some(host), districts, classifier };
    let mut replayer = Replayer::new(&cases, Some(&registry), today);
    match scope {
        Scope::Case(id) => {
            let replayed = replayer.case(id.trim())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&replayed)?);
            } else {
                print_case(&replayed);
                println!("{}", if replayed.identical() { "identical" } else { "differs" });
            }
            Ok(if replayed.identical() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Scope::Month { month, district } => {
            let (from, until) =
                month_bounds(month.trim()).with_context(|| format!("--month {month:?} is not a month (YYYY-MM)"))?;
            let ids = cases.received_between(from, until, district.as_deref())?;
            let mut all = Vec::with_capacity(ids.len());
            for id in &ids {
                all.push(replayer.case(id)?);
            }
            let summary = Summary::of(&month, district.as_deref(), &all);
            if json {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "summary": summary, "cases": all }))?);
            } else {
                summary.print(&all);
            }
            Ok(if summary.differ + summary.unavailable == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}

fn describe(v: &Verdict) -> String {
    match v {
        Verdict::Identical => "identical".to_owned(),
        Verdict::Differs { field, recorded, replayed, changed } => {
            let field = if field.is_empty() { "the whole result" } else { field };
            let because = if changed.is_empty() { "no input changed".to_owned() } else { changed.join("; ") };
            format!("differs at {field}: {recorded} → {replayed} ({because})")
        }
        Verdict::Unavailable { reason } => format!("cannot replay: {reason}"),
    }
}

fn print_case(c: &CaseReplay) {
    println!("{}", c.case_id);
    for s in &c.steps {
        println!("  {:<16} recorded: {}", s.step, describe(&s.recorded));
        if !s.today.identical() {
            println!("  {:<16} today:    {}", "", describe(&s.today));
        }
    }
}

/// A month's replay, counted.
#[derive(Debug, serde::Serialize)]
struct Summary {
    month: String,
    district: Option<String>,
    cases: usize,
    decisions: usize,
    identical: usize,
    differ: usize,
    unavailable: usize,
    /// Decisions today's deciders would make otherwise, by step.
    today_differ: BTreeMap<String, usize>,
    /// What changed for those, counted.
    today_changes: BTreeMap<String, usize>,
}

impl Summary {
    fn of(month: &str, district: Option<&str>, all: &[CaseReplay]) -> Self {
        let mut s = Summary {
            month: month.to_owned(),
            district: district.map(str::to_owned),
            cases: all.len(),
            decisions: 0,
            identical: 0,
            differ: 0,
            unavailable: 0,
            today_differ: BTreeMap::new(),
            today_changes: BTreeMap::new(),
        };
        for step in all.iter().flat_map(|c| &c.steps) {
            s.decisions += 1;
            match &step.recorded {
                Verdict::Identical => s.identical += 1,
                Verdict::Differs { .. } => s.differ += 1,
                Verdict::Unavailable { .. } => s.unavailable += 1,
            }
            if let Verdict::Differs { changed, .. } = &step.today {
                *s.today_differ.entry(step.step.clone()).or_default() += 1;
                for c in changed {
                    *s.today_changes.entry(c.clone()).or_default() += 1;
                }
            }
        }
        s
    }

    fn print(&self, all: &[CaseReplay]) {
        let district = self.district.as_deref().map(|d| format!(", district {d}")).unwrap_or_default();
        println!(
            "{}{district}: {} cases, {} decisions: {} identical, {} differ, {} cannot be replayed",
            self.month, self.cases, self.decisions, self.identical, self.differ, self.unavailable
        );
        for c in all.iter().filter(|c| !c.identical()) {
            print_case(c);
        }
        let today: usize = self.today_differ.values().sum();
        println!("today's deciders would decide {today} of {} otherwise", self.decisions);
        for (step, n) in &self.today_differ {
            println!("  {step}: {n}");
        }
        for (change, n) in &self.today_changes {
            println!("  because {change}: {n}");
        }
        for c in all {
            for s in c.steps.iter().filter(|s| !s.today.identical()) {
                println!("  {} {:<16} {}", c.case_id, s.step, describe(&s.today));
            }
        }
    }
}
