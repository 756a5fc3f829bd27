//! `minyi plugin build DIR` and `minyi plugin test DIR`: the plugin author's loop on a project made by
//! `cargo xtask new-plugin` — build it (Rust, Python or JS) into `plugin.wasm`, checked as the host
//! checks an upload, then run its `tests/cases.json` through the real plugin host with the grants and
//! limits of its `plugin.toml`, by the service's own path (the validator or the Beijing rule set first,
//! then the plugin, as intake does; the scoring review as `minyi score` does).

use anyhow::{Context as _, bail};
use minyi_model::{CaseForm, Event, ValidationResult};
use minyi_plugins::{CompiledPlugin, Grants, Hook, PluginHost, PluginHostConfig, PluginLimits, PluginSpec};
use minyi_runtime::bindings::types::CaseContext;
use minyi_runtime::{CallError, Runtime};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The WIT package this `minyi` speaks, for the Python and JS toolchains.
const WIT: &str = include_str!("../../../../wit/casework.wit");

/// The pinned componentize-py and componentize-js releases (what the host is tested with).
const COMPONENTIZE_PY: &str = minyi_build_support::COMPONENTIZE_PY;
const COMPONENTIZE_JS: &str = minyi_build_support::COMPONENTIZE_JS;

/// A project's `plugin.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Project {
    name: String,
    version: String,
    district: String,
    hook: String,
    language: String,
    #[serde(default)]
    config: BTreeMap<String, String>,
    #[serde(default)]
    limits: ProjectLimits,
}

/// `[limits]` of `plugin.toml`; the host's defaults where left out.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectLimits {
    fuel: Option<u64>,
    memory_mib: Option<u64>,
    output_bytes: Option<u64>,
}

impl Project {
    fn read(dir: &Path) -> anyhow::Result<(Project, Hook)> {
        let path = dir.join("plugin.toml");
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let project: Project = toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
        let Some(hook) = Hook::parse(&project.hook) else {
            bail!("{}: hook {:?}: one of validation, routing, scoring", path.display(), project.hook);
        };
        let name_ok = project.name.len() <= 64
            && project.name.starts_with(|c: char| c.is_ascii_lowercase())
            && project.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name_ok {
            bail!(
                "{}: name {:?}: lower-case letters, digits and `-`, starting with a letter",
                path.display(),
                project.name
            );
        }
        if !["rust", "python", "js"].contains(&project.language.as_str()) {
            bail!("{}: language {:?}: one of rust, python, js", path.display(), project.language);
        }
        Ok((project, hook))
    }

    fn limits(&self) -> PluginLimits {
        let d = PluginLimits::default();
        PluginLimits {
            fuel: self.limits.fuel.unwrap_or(d.fuel),
            memory_bytes: self.limits.memory_mib.map_or(d.memory_bytes, |m| (m as usize).saturating_mul(1 << 20)),
            output_bytes: self.limits.output_bytes.map_or(d.output_bytes, |b| b as usize),
        }
    }
}

/// Where the language toolchains are, when not on `PATH`.
#[derive(Debug, Clone, clap::Args)]
pub(super) struct Tools {
    /// Cargo's target dir for a Rust plugin (default: DIR/target).
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
    /// componentize-py, for a Python plugin (default: on PATH).
    #[arg(long, value_name = "PATH", env = "MINYI_COMPONENTIZE_PY")]
    componentize_py: Option<PathBuf>,
    /// componentize-js, for a JS plugin (default: on PATH; `npm i @bytecodealliance/componentize-js`).
    #[arg(long, value_name = "PATH", env = "MINYI_COMPONENTIZE_JS")]
    componentize_js: Option<PathBuf>,
}

/// `minyi plugin build DIR`: writes DIR/plugin.wasm and prints what the host makes of it.
pub(super) fn build(dir: &Path, tools: &Tools) -> anyhow::Result<ExitCode> {
    let (project, hook) = Project::read(dir)?;
    let target = tools.target_dir.clone().unwrap_or_else(|| dir.join("target"));
    std::fs::create_dir_all(&target).with_context(|| format!("creating {}", target.display()))?;
    let out = dir.join("plugin.wasm");
    let world = format!("{}-plugin", hook.name());
    let bytes = match project.language.as_str() {
        "rust" => {
            let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            cargo
                .args(["build", "--release", "--target", minyi_build_support::TARGET, "--manifest-path"])
                .arg(dir.join("Cargo.toml"))
                .arg("--target-dir")
                .arg(&target);
            // Flags meant for an outer build (a test run, clippy) are not the plugin's.
            for var in ["CARGO_ENCODED_RUSTFLAGS", "RUSTFLAGS", "RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER"] {
                cargo.env_remove(var);
            }
            run(&mut cargo, "cargo")?;
            let module = target
                .join(minyi_build_support::TARGET)
                .join("release")
                .join(format!("{}.wasm", project.name.replace('-', "_")));
            minyi_build_support::componentize(&project.name, &module).map_err(|e| anyhow::anyhow!("{e}"))?
        }
        language => {
            let wit = target.join("wit");
            std::fs::create_dir_all(&wit)?;
            std::fs::write(wit.join("casework.wit"), WIT)?;
            let mut tool = if language == "python" {
                let tool = pinned(tools.componentize_py.as_deref(), "componentize-py", COMPONENTIZE_PY)?;
                let mut c = Command::new(tool);
                c.arg("-d").arg(&wit).args(["-w", &world, "componentize", "-p"]).arg(dir).arg("app");
                c.env("PYTHONDONTWRITEBYTECODE", "1");
                c
            } else {
                let tool = pinned(tools.componentize_js.as_deref(), "componentize-js", COMPONENTIZE_JS)?;
                let mut c = Command::new(tool);
                // Every WASI feature off: the component imports only the Minyi capabilities.
                c.arg(dir.join("app.js")).arg("--wit").arg(&wit).args(["--world-name", &world]);
                c.args(minyi_build_support::COMPONENTIZE_JS_NO_WASI);
                c
            };
            tool.arg("-o").arg(&out);
            run(&mut tool, language)?;
            std::fs::read(&out).with_context(|| format!("reading {}", out.display()))?
        }
    };
    let host = PluginHost::new(PluginHostConfig::default())?;
    let compiled = match host.compile(&bytes) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: component.refused: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if !compiled.has(hook) {
        eprintln!(
            "error: component.refused: plugin.toml says hook {hook}, the component exports {:?}",
            compiled.hooks()
        );
        return Ok(ExitCode::from(2));
    }
    std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    println!("{}", serde_json::to_string_pretty(&summary(&project, &out, &bytes, &compiled))?);
    Ok(ExitCode::SUCCESS)
}

fn summary(project: &Project, out: &Path, bytes: &[u8], compiled: &CompiledPlugin) -> serde_json::Value {
    serde_json::json!({
        "plugin": project.name,
        "version": project.version,
        "district": project.district,
        "component": out.display().to_string(),
        "bytes": bytes.len(),
        "sha256": compiled.sha256(),
        "hooks": compiled.hooks(),
        "imports": compiled.imports(),
        "in_browser": compiled.runs_in_browser(),
    })
}

/// The tool given, else the one on `PATH`, refused unless it is the pinned release.
fn pinned(given: Option<&Path>, name: &str, version: &str) -> anyhow::Result<PathBuf> {
    let tool = given.map_or_else(|| PathBuf::from(name), Path::to_path_buf);
    if minyi_build_support::is_pinned(&tool, version) {
        return Ok(tool);
    }
    let install = match name {
        "componentize-py" => format!("pip install componentize-py=={version}"),
        _ => format!("npm install @bytecodealliance/componentize-js@{version}"),
    };
    bail!("{name} {version} is needed, and {} is not it: give --{name} PATH, or install it ({install})", tool.display())
}

fn run(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
    tracing::info!(?cmd, "building the plugin");
    // Standard output is the summary's: what the tools print goes to standard error.
    let status = cmd.stdout(std::io::stderr()).status().with_context(|| format!("running {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// `tests/cases.json`: when the cases run, and the cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    /// The instant forms are validated and routed at, and the plugin's clock (RFC 3339).
    now: String,
    cases: Vec<Case>,
}

/// One case: its input (a form, or a case's events) and what the plugin should make of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// A case form (validation and routing hooks).
    form: Option<serde_json::Value>,
    /// A case's events (scoring hook).
    events: Option<Vec<serde_json::Value>>,
    /// Validation: the codes of the issues the plugin adds, in order.
    issues: Option<Vec<String>>,
    /// Validation: whether the form is valid after the plugin.
    valid: Option<bool>,
    /// Routing: whether the plugin amends the decision.
    amended: Option<bool>,
    /// Routing: tags the decision carries.
    tags: Option<Vec<String>>,
    /// Routing: the lead unit.
    lead: Option<String>,
    /// Routing: co-handlers the decision names.
    co_handlers: Option<Vec<String>>,
    /// Scoring: the exclusion reason (`invalid`, `unreasonable`), or null for none.
    excluded: Option<serde_json::Value>,
}

/// `minyi plugin test DIR`: each case through the real plugin host. Exit 0 all pass, 1 one failed.
pub(super) fn test(runtime: &Runtime, dir: &Path, component: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (project, hook) = Project::read(dir)?;
    let component = component.map_or_else(|| dir.join("plugin.wasm"), Path::to_path_buf);
    let bytes = std::fs::read(&component)
        .with_context(|| format!("reading {} (build it first: minyi plugin build)", component.display()))?;
    let cases_path = dir.join("tests/cases.json");
    let text = std::fs::read_to_string(&cases_path).with_context(|| format!("reading {}", cases_path.display()))?;
    let cases: Cases = serde_json::from_str(&text).with_context(|| format!("{}", cases_path.display()))?;
    chrono::DateTime::parse_from_rfc3339(&cases.now)
        .with_context(|| format!("{}: now {:?} is not an RFC 3339 instant", cases_path.display(), cases.now))?;

    let host = PluginHost::new(PluginHostConfig::default())?;
    let compiled = host.compile(&bytes).map_err(|e| anyhow::anyhow!("{}: refused: {e}", component.display()))?;
    let grants = Grants {
        district: project.district.clone(),
        config: project.config.clone(),
        now: Some(cases.now.clone()),
        units: BTreeMap::new(),
        clock_tape: Vec::new(),
        wasi_clock_tape: Vec::new(),
    };
    let spec =
        PluginSpec { name: project.name.clone(), version: project.version.clone(), grants, limits: project.limits() };
    host.activate(compiled, spec)?;
    let rules = match hook {
        Hook::Routing => Some(
            runtime
                .compile_rules(super::serve::BEIJING_RULES)?
                .map_err(|e| anyhow::anyhow!("the built-in Beijing rule set: {e:?}"))?,
        ),
        _ => None,
    };
    let (mut passed, mut failed) = (0, 0);
    for case in &cases.cases {
        let faults_before = host.faults(&project.district).len();
        let outcome = match hook {
            Hook::Validation => validation(runtime, &host, &cases.now, case),
            Hook::Routing => match &rules {
                Some(rules) => routing(runtime, rules, &host, &cases.now, case),
                None => Err("no rule set".into()),
            },
            Hook::Scoring => scoring(&host, case),
        };
        let faults = host.faults(&project.district);
        let outcome = match faults.len() > faults_before {
            true => Err(format!("the plugin faulted: {}", serde_json::to_string(&faults[0].fault).unwrap_or_default())),
            false => outcome,
        };
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("ok    {}", case.name);
            }
            Err(why) => {
                failed += 1;
                println!("FAIL  {}: {why}", case.name);
            }
        }
    }
    println!("{}: {passed} passed, {failed} failed ({} hook, district {})", project.name, hook, project.district);
    Ok(if failed == 0 && passed > 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Validates the case's form as intake does, then runs the plugin on it: how many issues the validator
/// found, and the result with the plugin's after them.
fn validate(runtime: &Runtime, host: &PluginHost, now: &str, case: &Case) -> Result<(usize, ValidationResult), String> {
    let form = case.form.as_ref().ok_or("the case has no `form`")?;
    let json = match runtime.validate_json(&form.to_string(), now) {
        Ok(json) => json,
        Err(CallError::Input { code, message }) => return Err(format!("the form is unusable: {code}: {message}")),
        Err(CallError::Runtime(e)) => return Err(format!("the validator failed: {e}")),
    };
    let base: ValidationResult = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    Ok((base.issues.len(), crate::plugins::validate_with(host, None, base).result))
}

fn validation(runtime: &Runtime, host: &PluginHost, now: &str, case: &Case) -> Result<(), String> {
    let (base_issues, result) = validate(runtime, host, now, case)?;
    let (base, added) = result.issues.split_at(base_issues.min(result.issues.len()));
    let added: Vec<&str> = added.iter().map(|i| i.code.as_str()).collect();
    if let Some(want) = &case.issues
        && added != want.iter().map(String::as_str).collect::<Vec<_>>()
    {
        let base: Vec<&str> = base.iter().map(|i| i.code.as_str()).collect();
        let before = if base.is_empty() { String::new() } else { format!(" (the validator's own: {base:?})") };
        return Err(format!("the plugin added issues {added:?}, expected {want:?}{before}"));
    }
    if let Some(want) = case.valid
        && result.valid != want
    {
        return Err(format!("valid is {}, expected {want}", result.valid));
    }
    Ok(())
}

fn routing(
    runtime: &Runtime,
    rules: &minyi_runtime::CompiledRules<'_>,
    host: &PluginHost,
    now: &str,
    case: &Case,
) -> Result<(), String> {
    let (_, validated) = validate(runtime, host, now, case)?;
    if !validated.valid {
        let codes: Vec<&str> = validated.issues.iter().map(|i| i.code.as_str()).collect();
        return Err(format!("the form is invalid, so it is never routed: {codes:?}"));
    }
    let mut form: CaseForm = validated.normalized;
    form.received_at = now.to_owned();
    let form_json = serde_json::to_string(&form).map_err(|e| e.to_string())?;
    let base = rules.route_json(&form_json, CaseContext { repeat_count: 0 }).map_err(|e| format!("routing: {e}"))?;
    let base = serde_json::from_str(&base).map_err(|e| e.to_string())?;
    let noted = crate::plugins::route_with(host, None, &form, base);
    let d = &noted.result;
    let amended = noted.plugin.as_ref().is_some_and(|p| p.applied);
    let mut wrong = Vec::new();
    if case.amended.is_some_and(|want| want != amended) {
        wrong.push(format!("amended is {amended}"));
    }
    if let Some(tags) = &case.tags
        && !tags.iter().all(|t| d.tags.contains(t))
    {
        wrong.push(format!("tags are {:?}, expected {tags:?} among them", d.tags));
    }
    if let Some(lead) = &case.lead
        && &d.lead != lead
    {
        wrong.push(format!("the lead is {}, expected {lead}", d.lead));
    }
    if let Some(co) = &case.co_handlers
        && !co.iter().all(|c| d.co_handlers.contains(c))
    {
        wrong.push(format!("co-handlers are {:?}, expected {co:?} among them", d.co_handlers));
    }
    if wrong.is_empty() { Ok(()) } else { Err(wrong.join("; ")) }
}

fn scoring(host: &PluginHost, case: &Case) -> Result<(), String> {
    let events = case.events.as_ref().ok_or("the case has no `events`")?;
    let mut lines = String::new();
    for e in events {
        lines.push_str(&e.to_string());
        lines.push('\n');
    }
    let mut cases = [lines];
    crate::scores::review_cases(host, &mut cases);
    let reason =
        cases[0].lines().last().and_then(|l| serde_json::from_str::<minyi_model::CaseEvent>(l).ok()).and_then(|e| {
            match e.event {
                Event::Excluded { reason, .. } if cases[0].lines().count() > events.len() => {
                    serde_json::to_value(reason).ok()
                }
                _ => None,
            }
        });
    let got = reason.unwrap_or(serde_json::Value::Null);
    match &case.excluded {
        Some(want) if *want != got => Err(format!("excluded is {got}, expected {want}")),
        _ => Ok(()),
    }
}
