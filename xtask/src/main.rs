//! `cargo xtask`: set-up, run, test, bench and dist for Minyi — everything that is not `cargo test` itself.

mod bench;
mod bundle;
mod classify;
mod dist;
mod new_plugin;
mod rulesets;
mod setup;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Minyi project automation")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Install what building and testing need: Rust targets, componentize-py (PyPI, in the target dir's
    /// `py`), Node, Chromium (apt) for browser tests, PostgreSQL (apt, started on 127.0.0.1:54329).
    Setup,
    /// Build the web app into `<target dir>/site`, and the release bundle into `<target dir>/dist`
    /// (components, WIT, ES-module packages with types, examples, docs, SHA256SUMS).
    Dist,
    /// Build the web app and `minyi`, and serve on 127.0.0.1 (default port 8345); on the first run
    /// (no `target/minyi.db` yet) fill the database with `minyi demo --months 3` first.
    Run {
        /// Extra arguments for `minyi serve`, e.g. `--listen 127.0.0.1:9000`.
        #[arg(trailing_var_arg = true)]
        args: Vec<String>,
    },
    /// All checks and tests: fmt, clippy, the web build, and every test (browser included).
    Test,
    /// Benchmarks: components vs native, side by side; writes `target/bench/results.json`.
    Bench,
    /// Derive the NYC 311 rule set from a CSV of real service requests.
    NycRules {
        /// The CSV (NYC Open Data 311 export columns).
        #[arg(long, default_value = "../shared/data/nyc311-sample.csv")]
        csv: PathBuf,
        /// Where to write the rule set.
        #[arg(long, default_value = "components/routing/rulesets/nyc311.toml")]
        out: PathBuf,
    },
    /// Import China's holidays and 调休 working days into the routing calendar
    /// (`components/routing/data/calendar-cn.toml`) from lists in the format of the npm package
    /// `chinese-days` (`dist/years/YYYY.json`); a copy of each list is kept in `data/chinese-days/`.
    Calendar {
        /// A list to import (repeat for several years).
        #[arg(long = "json", value_name = "FILE", required = true)]
        json: Vec<PathBuf>,
        /// Where the lists come from, for the calendar's header, e.g. "the npm package chinese-days 1.5.8 …".
        #[arg(long)]
        source: String,
        /// The calendar's folder: `calendar-cn.toml` and the kept lists under `chinese-days/`.
        #[arg(long, value_name = "DIR", default_value = "components/routing/data")]
        data: PathBuf,
    },
    /// Make a district plugin project that `minyi plugin build` and `minyi plugin test` take as made.
    NewPlugin {
        /// The plugin's name, e.g. `noise-hours` (lower-case letters, digits, `-`).
        name: String,
        /// The district it is for, e.g. `110105`.
        #[arg(long, value_name = "CODE")]
        district: String,
        /// `validation`, `routing` or `scoring`.
        #[arg(long, default_value = "validation")]
        hook: String,
        /// `rust`, `python` or `js`.
        #[arg(long, default_value = "rust")]
        lang: String,
        /// Where to make it (default: `./NAME`).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Train a category-suggestion model from any labelled CSV (rows without a label count only for
    /// the n-gram statistics); the same data and seed give the same file, byte for byte.
    Train {
        /// The CSV.
        #[arg(long, value_name = "CSV")]
        data: PathBuf,
        /// The column(s) holding the text; repeat to join several (a title, then the message).
        #[arg(long = "text-col", value_name = "COLUMN", required = true)]
        text_col: Vec<String>,
        /// The column holding the category.
        #[arg(long = "label-col", value_name = "COLUMN")]
        label_col: String,
        /// Where to write the model.
        #[arg(long, value_name = "MODEL")]
        out: PathBuf,
        /// Seeds the order of the examples.
        #[arg(long, default_value_t = minyi_classify::TrainOptions::default().seed)]
        seed: u64,
    },
    /// Cross-validate category suggestion: k folds over the labelled rows of a CSV (default: the real
    /// hotline messages in `../shared/data`, title and message, their first-level category).
    EvalClassify {
        /// The CSV.
        #[arg(long, value_name = "CSV", default_value = "../shared/data/cn-hotline-messages.csv")]
        data: PathBuf,
        /// The column(s) holding the text.
        #[arg(long = "text-col", value_name = "COLUMN", default_values_t = ["title".to_owned(), "text".to_owned()])]
        text_col: Vec<String>,
        /// The column holding the category.
        #[arg(long = "label-col", value_name = "COLUMN", default_value = "category")]
        label_col: String,
        /// Folds.
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Seeds the folds and the training.
        #[arg(long, default_value_t = minyi_classify::TrainOptions::default().seed)]
        seed: u64,
    },
    /// Fuzz a core with cargo-fuzz (stable, no sanitizer; installs cargo-fuzz when missing).
    Fuzz {
        /// `validate` (the validation core), `open311` (GeoReport request bodies, decoded and
        /// validated) or `rules` (the rule-set parser, checker and router).
        #[arg(long, default_value = "validate")]
        target: String,
        /// Executions to run.
        #[arg(long, default_value_t = 1_000_000)]
        runs: u64,
    },
}

fn main() -> std::process::ExitCode {
    match task(Cli::parse().command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn task(task: Task) -> Result<()> {
    match task {
        Task::Setup => setup::all().map(drop),
        Task::Dist => dist::web().and_then(|()| bundle::bundle().map(drop)),
        Task::Run { args } => {
            setup::targets()?;
            dist::web()?;
            // Only what it serves: the `minyi` binary (release, the profile the tests use, so wasmtime
            // is compiled once for both). No Python: the Python plugins are test artifacts.
            run(cargo().args(["build", "--release", "--package", "minyi-server", "--bin", "minyi"]))?;
            let mut cmd = Command::new(target_dir().join("release/minyi"));
            cmd.args(["serve", "--web"]).arg(site_dir());
            // The rule set: the Beijing one built into `minyi`, unless `--rules FILE` is given.
            // The embedded default: the cases and the plugin registry in SQLite under the target dir.
            if !args.iter().any(|a| a.starts_with("--db")) {
                let db = target_dir().join("minyi.db");
                // First run: three months of Beijing casework filed through the real pipeline, so the
                // console shows something true; it prints the city admin's token to sign in with.
                if !db.exists() {
                    let demo = run(Command::new(target_dir().join("release/minyi"))
                        .args(["demo", "--months", "3", "--db"])
                        .arg(&db));
                    if let Err(e) = demo {
                        // Not half a demo: the next run starts it again on a fresh file.
                        for end in ["", "-wal", "-shm"] {
                            let _ = std::fs::remove_file(format!("{}{end}", db.display()));
                        }
                        return Err(e);
                    }
                }
                cmd.arg("--db").arg(db);
            }
            cmd.args(args);
            run(&mut cmd)
        }
        Task::Test => test(),
        Task::Bench => bench::run(),
        Task::Fuzz { target, runs } => fuzz(&target, runs),
        Task::NewPlugin { name, district, hook, lang, out } => {
            new_plugin::create(&new_plugin::NewPlugin { name, district, hook, lang, out }).map(drop)
        }
        Task::Calendar { json, source, data } => calendar(&root().join(data), &json, &source),
        Task::NycRules { csv, out } => rulesets::nyc(&root().join(csv), &root().join(out)),
        Task::Train { data, text_col, label_col, out, seed } => {
            classify::train(&data, &text_col, &label_col, &out, seed)
        }
        Task::EvalClassify { data, text_col, label_col, folds, seed } => {
            classify::cross_validate(&root().join(data), &text_col, &label_col, folds, seed)
        }
    }
}

fn test() -> Result<()> {
    let started = std::time::Instant::now();
    setup::build_tools()?;
    // Chromium, the font and PostgreSQL (apt: network and disk) come while the build uses the cores.
    let services = std::thread::spawn(setup::test_services);
    let built = check_and_build();
    // Joined before anything returns: apt is never cut off half-way.
    let postgres = services.join().map_err(|_| anyhow::anyhow!("the set-up of the test services panicked"))?;
    let bundle = built?;
    let postgres = postgres?;
    let selection = test_selection()?;
    // cargo-nextest (on every machine of this kind) runs the tests of all binaries side by side, each
    // in its own process; plain `cargo test` runs one binary after another. The same tests either way.
    let mut tests = cargo();
    if has_nextest() {
        tests.args(["nextest", "run", "--release", "--no-fail-fast"]);
    } else {
        eprintln!("xtask: cargo-nextest not found; running the tests with `cargo test`, one binary at a time");
        tests.args(["test", "--release", "--no-fail-fast"]);
    }
    run(tests
        .args(&selection)
        .env("MINYI_WEB_DIR", site_dir())
        .env("MINYI_DIST_DIR", bundle)
        // Not MINYI_COMPONENTIZE_PY/JS: the test plugins' build script tracks them, so setting them here
        // and not for the other steps would rebuild the plugins and everything above them; the tests
        // find both under the target dir, where the set-up put them.
        .env("MINYI_PYTHON", minyi_build_support::python_venv(&root()).join("bin/python"))
        .env("MINYI_XTASK", xtask_exe()?)
        .env("MINYI_CHROMIUM", setup::chromium_path()?)
        .env("MINYI_TEST_PG", &postgres)
        .envs(std::env::var_os("MINYI_TEST_PG").is_none().then_some(("MINYI_TEST_PG_CA", setup::PG_CA))))?;
    // The benches once each, in test mode (criterion runs every function a single time; the routing
    // bench checks that component, native and regorus agree), so a bench cannot rot unnoticed. They are
    // their own crate, outside the default members: `cargo test` alone never builds their baselines.
    // The same package selection as the tests above, so nothing (wasmtime above all) is built twice.
    run(cargo().args(["test", "--release"]).args(&selection).arg("--benches"))?;
    eprintln!("xtask test: all passed in {:.0?}", started.elapsed());
    Ok(())
}

/// This program's path, for the tests that run `cargo xtask …`. The linted rebuild of xtask in
/// [`check_and_build`] replaces the file while this process runs: Linux then names the running one
/// `… (deleted)`, and the path without that suffix holds the new build of the same source.
fn xtask_exe() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(match exe.to_str().and_then(|p| p.strip_suffix(" (deleted)")) {
        Some(rebuilt) => PathBuf::from(rebuilt),
        None => exe,
    })
}

/// fmt, clippy, the web build and the release bundle: returns the bundle's folder.
fn check_and_build() -> Result<PathBuf> {
    run(cargo().args(["fmt", "--all", "--check"]))?;
    let lint_as_built = clippy_driver().map(|driver| LINT.set(driver).is_ok()).unwrap_or(false);
    // The web apps meanwhile: their link-time optimisation keeps one core busy for a minute or more.
    let apps = std::thread::spawn(dist::apps);
    let clippy = if lint_as_built {
        // Clippy runs as each crate of ours is compiled (see `LINT`), which leaves what no later step
        // compiles natively with its tests: xtask (built again here, linted, in its own profile) and
        // the Leptos apps (they build for the browser only), whose unit tests are built and run here —
        // in the dev profile, like xtask: nothing else natively needs Leptos, and its few tests need no
        // optimiser (the release build of it took minutes of a core the web build wanted).
        run(cargo().args(["build", "--package", "xtask", "--all-targets"])).and_then(|()| {
            run(cargo().args(["test"]).args([
                "--package",
                "minyi-web",
                "--package",
                "minyi-console",
                "--package",
                "minyi-client",
            ]))
        })
    } else {
        eprintln!("xtask: clippy-driver not found beside cargo; clippy checks the workspace on its own");
        // In the release profile, the one the tests build: the build scripts and proc macros clippy
        // compiles are then the ones the test build uses, not a second, debug copy.
        run(cargo().args(["clippy", "--release", "--workspace", "--all-targets", "--", "-D", "warnings"]))
    };
    let apps = apps.join().map_err(|_| anyhow::anyhow!("the web build panicked"))?;
    clippy?;
    apps?;
    dist::site()?;
    bundle::bundle()
}

/// When set (by `cargo xtask test`), every cargo run of xtask compiles the workspace's own crates
/// through this `clippy-driver` (`RUSTC_WORKSPACE_WRAPPER`, the way `cargo clippy` runs it, with
/// `-D warnings`): the lints run inside the one release build the tests use, instead of a separate
/// `cargo clippy` that type-checked every dependency a second time. Dependencies are not linted (cargo
/// caps their lints) and are compiled as without it, so only our crates differ from a plain build.
static LINT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The `clippy-driver` of the toolchain this checkout pins (`rust-toolchain.toml`), if installed.
fn clippy_driver() -> Option<PathBuf> {
    let out = Command::new("rustup").args(["which", "clippy-driver"]).current_dir(root()).output().ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    (out.status.success() && path.is_file()).then_some(path)
}

/// Whether `cargo nextest` runs here.
fn has_nextest() -> bool {
    cargo().args(["nextest", "--version"]).output().is_ok_and(|o| o.status.success())
}

/// `cargo xtask calendar`: every list already imported and the new ones, imported together; refuses to
/// lose a year the calendar has.
fn calendar(data: &Path, files: &[PathBuf], source: &str) -> Result<()> {
    let kept = data.join("chinese-days");
    let mut lists = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(&kept).with_context(|| format!("reading {}", kept.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|x| x == "json") {
            lists.insert(path.file_name().map(|n| n.to_owned()).unwrap_or_default(), std::fs::read_to_string(&path)?);
        }
    }
    for file in files {
        let name = file.file_name().with_context(|| format!("{} has no file name", file.display()))?;
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        lists.insert(name.to_owned(), text);
    }
    let all: Vec<&str> = lists.values().map(String::as_str).collect();
    let written = minyi_routing::calendar::import_chinese_days(&all, source)?;
    let before = minyi_routing::calendar::Calendar::parse(&std::fs::read_to_string(data.join("calendar-cn.toml"))?)?;
    let after = minyi_routing::calendar::Calendar::parse(&written)?;
    if let Some(lost) = before.years().find(|y| !after.covers(*y)) {
        bail!("the import would drop {lost}, which the calendar has");
    }
    for (name, text) in &lists {
        std::fs::write(kept.join(name), text)?;
    }
    std::fs::write(data.join("calendar-cn.toml"), &written)?;
    let years: Vec<String> = after.years().map(|y| y.to_string()).collect();
    eprintln!("calendar-cn.toml: {}", years.join(", "));
    if let Some(warning) = after.ending_warning(chrono::Utc::now().date_naive()) {
        eprintln!("warning: {warning}");
    }
    Ok(())
}

/// Runs a fuzz target for `runs` executions; libFuzzer prints the count it reached. The rule-set target
/// starts from the shipped rule sets as its seed corpus.
fn fuzz(target: &str, runs: u64) -> Result<()> {
    let crate_dir = match target {
        "validate" | "open311" => root().join("components/validation"),
        "rules" => root().join("components/routing"),
        other => bail!("unknown fuzz target {other:?}: use validate, open311 or rules"),
    };
    let has_fuzz = Command::new("cargo").args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success());
    if !has_fuzz {
        run(cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let corpus = crate_dir.join("fuzz/corpus").join(target);
    std::fs::create_dir_all(&corpus)?;
    if target == "rules" {
        for set in ["beijing.toml", "nyc311.toml"] {
            let mut seed = vec![0u8]; // selector 0: the whole input is a rule set
            seed.extend(std::fs::read(crate_dir.join("rulesets").join(set))?);
            std::fs::write(corpus.join(format!("seed-{set}")), seed)?;
        }
    }
    // No sanitizer: the cores are safe Rust, and libFuzzer's coverage instrumentation builds on the
    // stable toolchain (a sanitizer would need nightly).
    run(Command::new("cargo")
        .current_dir(&crate_dir)
        .args(["fuzz", "run", "--sanitizer", "none", "--release", target])
        .arg(&corpus)
        .args(["--", "-max_len=16384"])
        .arg(format!("-runs={runs}")))
}

/// `-p` for every default member of the workspace and for `minyi-bench`: one package selection, so
/// features unify the same way for the tests and the benches and wasmtime is compiled once for both.
pub(crate) fn test_selection() -> Result<Vec<String>> {
    let out = cargo().args(["metadata", "--no-deps", "--format-version", "1"]).output()?;
    if !out.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).context("reading cargo metadata")?;
    let members = meta["workspace_default_members"].as_array().context("no workspace_default_members")?;
    let name_of = |id: &serde_json::Value| {
        meta["packages"].as_array()?.iter().find(|p| p["id"] == *id)?["name"].as_str().map(str::to_owned)
    };
    let mut names: Vec<String> = members.iter().filter_map(name_of).collect();
    names.push("minyi-bench".to_owned());
    Ok(names.into_iter().flat_map(|n| ["--package".to_owned(), n]).collect())
}

/// The bytes of a built-in component: `minyi-artifacts` is built (in the release profile the tests
/// use, so nothing is built twice), which leaves every component under `<target dir>/components`.
pub(crate) fn component_bytes(name: &str) -> Result<Vec<u8>> {
    run(cargo().args(["build", "--release", "--quiet", "--package", "minyi-artifacts"]))?;
    let path = minyi_build_support::components_dir(&root()).join(format!("{name}.wasm"));
    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
}

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The cargo target dir (`$CARGO_TARGET_DIR`, else `<root>/target`): every output path hangs off it.
pub(crate) fn target_dir() -> PathBuf {
    minyi_build_support::target_dir(&root())
}

/// Where `cargo xtask dist` writes the web app and the transpiled component.
pub(crate) fn site_dir() -> PathBuf {
    target_dir().join("site")
}

/// A `cargo` command run at the workspace root, without the variables `cargo run` gave this process
/// (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`…): build scripts track some of them (ring's does), and a
/// value that differs from a shell's made every build from here and from a shell rebuild TLS and all
/// the host above it.
fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    for (key, _) in std::env::vars_os() {
        let given_by_cargo_run = key.to_str().is_some_and(|k| {
            k.starts_with("CARGO_PKG_")
                || k.starts_with("CARGO_MANIFEST_")
                || ["CARGO_CRATE_NAME", "CARGO_BIN_NAME", "CARGO_PRIMARY_PACKAGE"].contains(&k)
        });
        if given_by_cargo_run {
            cmd.env_remove(key);
        }
    }
    if let Some(driver) = LINT.get() {
        // `cargo clippy -- -D warnings` passes its arguments so, each followed by this separator.
        cmd.env("RUSTC_WORKSPACE_WRAPPER", driver).env("CLIPPY_ARGS", "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__");
    }
    cmd
}

/// Runs a command, failing with the command line when it fails.
fn run(cmd: &mut Command) -> Result<()> {
    // The program and its arguments, with the variables set for it (not the ones removed).
    let mut line: Vec<String> =
        cmd.get_envs().filter_map(|(k, v)| Some(format!("{}={:?}", k.to_string_lossy(), v?))).collect();
    line.push(format!("{:?}", cmd.get_program()));
    line.extend(cmd.get_args().map(|a| format!("{a:?}")));
    let line = line.join(" ");
    eprintln!("$ {line}");
    let status = cmd.status().with_context(|| format!("starting {line}"))?;
    if !status.success() {
        bail!("{line} failed: {status}");
    }
    Ok(())
}
