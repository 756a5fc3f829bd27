//! The routing commands of `minyi`: `route`, `rules check`, `rules test` and `eval-311`, all through the
//! router component (the rule set is compiled once inside it).

use anyhow::Context as _;
use minyi_model::open311;
use minyi_runtime::bindings::types::{CaseContext, RuleError, Severity};
use minyi_runtime::{CallError, CompiledRules, Runtime};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

fn read(path: &Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
    }
}

fn print_diagnostics(file: &Path, diagnostics: &[RuleError]) {
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        eprintln!("{}:{}:{}: {level}: {}", file.display(), d.line, d.column, d.message);
    }
}

/// Compiles a rule-set file in the component; on errors prints them and returns `None`.
fn compile<'rt>(runtime: &'rt Runtime, file: &Path) -> anyhow::Result<Option<CompiledRules<'rt>>> {
    let source = read(file)?;
    match runtime.compile_rules(&source)? {
        Ok(rules) => Ok(Some(rules)),
        Err(diagnostics) => {
            print_diagnostics(file, &diagnostics);
            Ok(None)
        }
    }
}

/// `minyi route --rules FILE CASE.json`: prints the routing decision. Exit 0 routed, 2 unusable input.
pub(super) fn route(runtime: &Runtime, rules: &Path, form: &Path, repeat: u32) -> anyhow::Result<ExitCode> {
    let Some(compiled) = compile(runtime, rules)? else { return Ok(ExitCode::from(2)) };
    let text = read(form)?;
    match compiled.route_json(&text, CaseContext { repeat_count: repeat }) {
        Ok(json) => {
            let value: serde_json::Value =
                serde_json::from_str(&json).context("the component returned malformed JSON")?;
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(CallError::Input { code, message }) => {
            eprintln!("error: {}: {code}: {message}", form.display());
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}

/// `minyi rules check FILE`: every error and warning, and a warning when the holiday calendar that
/// working-day deadlines count by ends within 60 days. Exit 0 loadable (warnings allowed), 1 errors.
pub(super) fn check(runtime: &Runtime, file: &Path) -> anyhow::Result<ExitCode> {
    let Some(compiled) = compile(runtime, file)? else { return Ok(ExitCode::from(1)) };
    print_diagnostics(file, compiled.warnings());
    // The calendar is the router's reference data (the same crate the component is built from), read
    // here only for how far it reaches — against this machine's clock, which the component has not.
    let today = crate::clock::beijing_time().date_naive();
    if let Some(warning) = minyi_routing::calendar::Calendar::china().ending_warning(today) {
        eprintln!("warning: {warning}");
    }
    println!(
        "{}: rule set {:?}: {} rules, {} warning(s)",
        file.display(),
        compiled.name(),
        compiled.rule_count(),
        compiled.warnings().len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `minyi rules test FILE`: runs the examples inside the rule set. Exit 0 all pass, 1 failures, 2 unloadable.
pub(super) fn test(runtime: &Runtime, file: &Path) -> anyhow::Result<ExitCode> {
    let Some(compiled) = compile(runtime, file)? else { return Ok(ExitCode::from(2)) };
    let outcomes = compiled.run_examples()?;
    let mut out = std::io::stdout().lock();
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    for o in &outcomes {
        if o.passed {
            writeln!(out, "ok   {} (line {})", o.name, o.line)?;
        } else {
            writeln!(out, "FAIL {} (line {})", o.name, o.line)?;
            for m in &o.mismatches {
                writeln!(out, "       {m}")?;
            }
            let fired: Vec<&str> = o.decision.explanation.fired.iter().map(|f| f.rule.as_str()).collect();
            writeln!(out, "       fired: {}", fired.join(", "))?;
        }
    }
    writeln!(out, "examples: {} passed, {failed} failed ({})", outcomes.len() - failed, compiled.name())?;
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Counts for one real agency.
#[derive(Debug, Default)]
struct Tally {
    rows: u64,
    agreed: u64,
    routed_to: BTreeMap<String, u64>,
}

/// `minyi eval-311 --rules FILE --csv PATH`: replays every row through the router component and compares
/// the lead with the agency that really handled it. The last line is `agreement: <fraction> (<agreeing>/<rows>)`,
/// where rows the CSV reader cannot read count as rows not agreeing (and are listed by line).
pub(super) fn eval_311(runtime: &Runtime, rules: &Path, csv_path: &Path) -> anyhow::Result<ExitCode> {
    let Some(compiled) = compile(runtime, rules)? else { return Ok(ExitCode::from(2)) };
    let mut reader = csv::Reader::from_path(csv_path).with_context(|| format!("opening {}", csv_path.display()))?;
    let mut by_agency: BTreeMap<String, Tally> = BTreeMap::new();
    let mut no_hit: BTreeMap<(String, String), u64> = BTreeMap::new();
    let (mut rows, mut agreed) = (0u64, 0u64);
    // A row the CSV reader cannot read is still a row the real agency handled: it counts against
    // agreement (as not routed), and its line is reported.
    let mut unreadable: Vec<(u64, String)> = Vec::new();
    let started = std::time::Instant::now();
    for (n, record) in reader.deserialize::<open311::Row>().enumerate() {
        let row = match record {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(n as u64 + 2, csv::Position::line);
                unreadable.push((line, e.to_string()));
                continue;
            }
        };
        let form = serde_json::to_string(&open311::case_form(&row)).context("writing the case form")?;
        let decision = compiled.route_json(&form, CaseContext { repeat_count: 0 });
        let (lead, defaulted) = match decision {
            Ok(json) => {
                let d: minyi_model::RoutingDecision =
                    serde_json::from_str(&json).context("the component returned malformed JSON")?;
                let defaulted = d.explanation.fired.first().is_some_and(|f| f.rule == minyi_model::DEFAULT_RULE);
                (d.lead, defaulted)
            }
            Err(CallError::Input { code, message }) => {
                tracing::warn!(row = n + 2, %code, %message, "row not routable");
                (String::new(), true)
            }
            Err(e) => return Err(e.into()),
        };
        rows += 1;
        let tally = by_agency.entry(row.agency.clone()).or_default();
        tally.rows += 1;
        if lead == row.agency {
            agreed += 1;
            tally.agreed += 1;
        } else {
            *tally.routed_to.entry(lead).or_default() += 1;
        }
        if defaulted {
            *no_hit.entry((row.complaint_type, row.descriptor)).or_default() += 1;
        }
    }
    let elapsed = started.elapsed();
    let mut out = std::io::stdout().lock();
    writeln!(out, "rule set {:?} ({} rules) on {}", compiled.name(), compiled.rule_count(), csv_path.display())?;
    writeln!(out, "\nper agency (real agency: agreeing/rows, then where the others went):")?;
    for (agency, t) in &by_agency {
        let mut wrong: Vec<_> = t.routed_to.iter().collect();
        wrong.sort_by(|a, b| b.1.cmp(a.1));
        let wrong: Vec<String> = wrong.iter().take(5).map(|(to, n)| format!("{to} {n}")).collect();
        writeln!(
            out,
            "  {agency:<8} {:>7}/{:<7} {:>7.3}%  {}",
            t.agreed,
            t.rows,
            100.0 * t.agreed as f64 / t.rows.max(1) as f64,
            if wrong.is_empty() { String::new() } else { format!("→ {}", wrong.join(", ")) }
        )?;
    }
    let no_hit_rows: u64 = no_hit.values().sum();
    writeln!(out, "\nrows with no rule hit (default unit): {no_hit_rows}")?;
    let mut no_hit: Vec<_> = no_hit.into_iter().collect();
    no_hit.sort_by_key(|b| std::cmp::Reverse(b.1));
    for ((ty, desc), n) in no_hit.iter().take(20) {
        writeln!(out, "  {n:>6}  {ty} / {desc}")?;
    }
    if !unreadable.is_empty() {
        writeln!(out, "\nunreadable rows (not routed, counted as not agreeing): {}", unreadable.len())?;
        for (line, error) in unreadable.iter().take(20) {
            writeln!(out, "  line {line}: {error}")?;
        }
    }
    writeln!(
        out,
        "\nrouted {rows} rows in {:.2} s ({:.1} µs per row, component)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / rows.max(1) as f64
    )?;
    let all = rows + unreadable.len() as u64;
    writeln!(out, "agreement: {:.6} ({agreed}/{all})", agreed as f64 / all.max(1) as f64)?;
    Ok(ExitCode::SUCCESS)
}
