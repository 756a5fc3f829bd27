//! What the component build scripts (`minyi-artifacts`, `minyi-test-artifacts`) and `cargo xtask`
//! share: where build output lives (honouring `CARGO_TARGET_DIR` everywhere), the one componentize-py
//! pin and its venv, the nested guest build for wasm32 with its exact `rerun-if-changed` lines, and the
//! core module → component step.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The target guests and the web app build for: zero imports, no WASI shim needed.
pub const TARGET: &str = "wasm32-unknown-unknown";

/// The componentize-py release the Python plugins are built with; `cargo xtask setup` installs this one.
pub const COMPONENTIZE_PY: &str = "0.25.1";

/// The componentize-js release (npm `@bytecodealliance/componentize-js`) the JS plugins are built with;
/// `cargo xtask setup` installs this one under the target dir ([`js_tools`]).
pub const COMPONENTIZE_JS: &str = "0.23.0";

/// componentize-js arguments that turn every WASI feature off, so a JS plugin imports only the Minyi
/// capabilities (and runs in the browser as the Rust ones do).
pub const COMPONENTIZE_JS_NO_WASI: &[&str] = &["--disable", "stdio", "random", "clocks", "http", "fetch-event"];

/// The PyPI `wasmtime` release (its component API) the bundle's Python example runs on; `cargo xtask
/// setup` installs it in the same venv.
pub const WASMTIME_PY: &str = "51.0.0";

/// A build step's error: what failed, in words that say what to do.
pub type Error = Box<dyn std::error::Error>;

/// The cargo target dir of a build rooted at `root`: `$CARGO_TARGET_DIR` (relative to `root` when
/// relative), else `root/target`. Every generated path hangs off this one.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .map(|p| if p.is_relative() { root.join(p) } else { p })
        .unwrap_or_else(|| root.join("target"))
}

/// The venv `cargo xtask setup` makes for componentize-py.
pub fn python_venv(root: &Path) -> PathBuf {
    target_dir(root).join("py")
}

/// The npm folder `cargo xtask setup` installs componentize-js into, under the target dir.
pub fn js_tools(root: &Path) -> PathBuf {
    target_dir(root).join("js-tools")
}

/// componentize-js as `cargo xtask setup` installs it.
pub fn componentize_js_bin(root: &Path) -> PathBuf {
    js_tools(root).join("node_modules/.bin/componentize-js")
}

/// Where the built-in components are copied for `cargo xtask` (which does not depend on the guest
/// build, so that it can do the set-up that build needs).
pub fn components_dir(root: &Path) -> PathBuf {
    target_dir(root).join("components")
}

/// Whether `tool --version` names `version`.
pub fn is_pinned(tool: &Path, version: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| {
        o.status.success() && String::from_utf8_lossy(&o.stdout).split_whitespace().any(|w| w == version)
    })
}

/// Whether `tool --version` names the pinned componentize-py.
pub fn is_pinned_componentize_py(tool: &Path) -> bool {
    is_pinned(tool, COMPONENTIZE_PY)
}

/// Where a build script of a crate two folders below the workspace root works.
#[derive(Debug)]
pub struct Paths {
    /// The workspace root.
    pub root: PathBuf,
    /// The build script's `OUT_DIR`.
    pub out_dir: PathBuf,
}

/// What every component build script does first: its paths, and the wasm target checked.
pub fn start() -> Result<Paths, Error> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir.join("../..").canonicalize()?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    preflight()?;
    Ok(Paths { root, out_dir })
}

/// Stops with the exact command to run when the wasm target is missing.
pub fn preflight() -> Result<(), Error> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).args(["--print", "target-libdir", "--target", TARGET]).output()?;
    let libdir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || !Path::new(&libdir).exists() {
        return Err(format!(
            "the Rust target {TARGET} is not installed: run `rustup target add {TARGET}` (or `cargo xtask test`, which does)"
        )
        .into());
    }
    Ok(())
}

/// Prints an exact `rerun-if-changed` line for the workspace manifests and every file below `dirs`
/// (relative to `root`).
pub fn rerun_if_changed(root: &Path, dirs: &[&str]) -> Result<(), Error> {
    println!("cargo::rerun-if-changed={}", root.join("Cargo.lock").display());
    println!("cargo::rerun-if-changed={}", root.join("Cargo.toml").display());
    println!("cargo::rerun-if-env-changed=CARGO_TARGET_DIR");
    for dir in dirs {
        for file in files(&root.join(dir))? {
            println!("cargo::rerun-if-changed={}", file.display());
        }
    }
    Ok(())
}

/// Every file below `dir` (skipping `__pycache__`), sorted.
fn files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "__pycache__") {
                    walk(&path, out)?;
                }
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// A digest (FNV-1a, hex) of every file below `dirs`, names and contents, and `salt`.
pub fn inputs_digest(dirs: &[&Path], salt: &str) -> Result<String, Error> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(salt.as_bytes());
    for dir in dirs {
        for path in files(dir)? {
            feed(path.to_string_lossy().as_bytes());
            feed(&std::fs::read(&path)?);
        }
    }
    Ok(format!("{hash:016x}"))
}

/// Builds guest `packages` for [`TARGET`] in the `guest` profile with a nested cargo in
/// `guest_target_dir` (the outer build's flags and wrappers removed), and returns each package's core
/// module path.
#[cfg(feature = "componentize")]
pub fn build_guests(root: &Path, guest_target_dir: &Path, packages: &[&str]) -> Result<Vec<PathBuf>, Error> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(["--profile", "guest", "--target", TARGET])
        .env("CARGO_TARGET_DIR", guest_target_dir);
    for package in packages {
        cmd.args(["--package", package]);
    }
    for var in ["CARGO_ENCODED_RUSTFLAGS", "RUSTFLAGS", "RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER", "CLIPPY_ARGS"] {
        cmd.env_remove(var);
    }
    let status = cmd.status()?;
    if !status.success() {
        return Err(format!("building the guest components failed ({status})").into());
    }
    Ok(packages
        .iter()
        .map(|p| guest_target_dir.join(TARGET).join("guest").join(format!("{}.wasm", p.replace('-', "_"))))
        .collect())
}

/// Turns the core module at `module_path` into a component (its WIT embedded by wit-bindgen).
#[cfg(feature = "componentize")]
pub fn componentize(name: &str, module_path: &Path) -> Result<Vec<u8>, Error> {
    let module = std::fs::read(module_path).map_err(|e| format!("{}: {e}", module_path.display()))?;
    Ok(wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .map_err(|e| format!("{name}: {e:#}"))?
        .encode()
        .map_err(|e| format!("{name}: {e:#}"))?)
}

/// Lines of generated Rust naming one artifact: `pub const {konst}: &str` (its path) and
/// `pub static {konst}_BYTES` (its bytes).
pub fn artifact_consts(name: &str, what: &str, konst: &str, path: &Path) -> String {
    let path = path.display().to_string();
    format!(
        "/// Path of the `{name}` {what}.\npub const {konst}: &str = {path:?};\n\
         /// Bytes of the `{name}` {what}.\npub static {konst}_BYTES: &[u8] = include_bytes!({path:?});\n"
    )
}

/// `foreach_{what}!`: calls `$mac!(name)` for every name, so a test file lacking a test per artifact
/// fails to compile.
pub fn foreach_macro(what: &str, names: &[&str]) -> String {
    let mut out = format!(
        "\n/// Calls `$mac!(name)` for every {what}, so a test suite can require a test per {what}.\n#[macro_export]\nmacro_rules! foreach_{what} {{\n    ($mac:ident) => {{\n"
    );
    for name in names {
        out.push_str(&format!("        $mac!({name});\n"));
    }
    out.push_str("    };\n}\n");
    out
}

/// componentize-py at the pinned release: `$MINYI_COMPONENTIZE_PY`, else the venv under the target
/// dir, else on PATH.
pub fn componentize_py(root: &Path) -> Result<PathBuf, Error> {
    let venv = python_venv(root);
    find_pinned(
        "MINYI_COMPONENTIZE_PY",
        &[venv.join("bin/componentize-py"), PathBuf::from("componentize-py")],
        COMPONENTIZE_PY,
        &format!(
            "componentize-py {COMPONENTIZE_PY} is needed for the Python test plugins: run `cargo xtask setup` (it \
             makes {venv}), or `python3 -m venv {venv} && {venv}/bin/pip install componentize-py=={COMPONENTIZE_PY}`, \
             or point MINYI_COMPONENTIZE_PY at one",
            venv = venv.display()
        ),
    )
}

/// componentize-js at the pinned release: `$MINYI_COMPONENTIZE_JS`, else where `cargo xtask setup`
/// installs it, else on PATH.
pub fn componentize_js(root: &Path) -> Result<PathBuf, Error> {
    find_pinned(
        "MINYI_COMPONENTIZE_JS",
        &[componentize_js_bin(root), PathBuf::from("componentize-js")],
        COMPONENTIZE_JS,
        &format!(
            "componentize-js {COMPONENTIZE_JS} is needed for the JS example plugin: run `cargo xtask setup` (it \
             installs it in {}), or point MINYI_COMPONENTIZE_JS at one",
            js_tools(root).display()
        ),
    )
}

/// The first of `$var` and `candidates` whose `--version` is `version`; `missing` when none is.
fn find_pinned(var: &str, candidates: &[PathBuf], version: &str, missing: &str) -> Result<PathBuf, Error> {
    println!("cargo::rerun-if-env-changed={var}");
    let given = std::env::var_os(var).map(PathBuf::from);
    given.iter().chain(candidates).find(|tool| is_pinned(tool, version)).cloned().ok_or_else(|| missing.into())
}
