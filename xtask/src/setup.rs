//! Set-up on a fresh machine: the wasm target through rustup; componentize-py (PyPI) in a venv under
//! the target dir for the Python test plugins (python3-venv from apt when missing), and PyPI `wasmtime`
//! in it for the bundle's Python example; Node (apt) for the
//! differential test; Chromium, ChromeDriver and a CJK font (apt) for the browser tests, with axe-core
//! (npm) for their accessibility check and ajv (npm, `ajv-dist`) for the browser validation bench;
//! componentize-js (npm) for JS plugins; and a PostgreSQL server (apt) started on loopback for the
//! multi-node tests.

use anyhow::{Result, bail};
use std::path::Path;
use std::process::Command;

const TARGETS: &[&str] = &["wasm32-unknown-unknown"];

use minyi_build_support::COMPONENTIZE_PY;
/// The loopback port of the test PostgreSQL server.
const PG_PORT: u16 = 54329;

/// Everything building and the tests need; returns the URL of the test PostgreSQL server.
pub fn all() -> Result<String> {
    build_tools()?;
    test_services()
}

/// What the build needs (the test plugins are built by build scripts): the wasm target, componentize-py
/// and PyPI `wasmtime`, Node, componentize-js, axe-core and ajv (npm, beside them).
pub fn build_tools() -> Result<()> {
    targets()?;
    componentize_py()?;
    wasmtime_py()?;
    node()?;
    axe_core()?;
    ajv()?;
    componentize_js()
}

/// What only running the tests needs: Chromium, ChromeDriver, a CJK font and PostgreSQL, Debian's
/// packages installed in one apt run, and the test server started. `cargo xtask test` does this while
/// it builds: it is mostly network and disk. Returns the URL of the test PostgreSQL server.
pub fn test_services() -> Result<String> {
    let mut missing: Vec<&str> = Vec::new();
    if chromium_path().is_err() || !Path::new("/usr/bin/chromedriver").exists() {
        missing.extend(["chromium", "chromium-driver"]);
    }
    if !Path::new(CJK_FONT).exists() {
        // Without one, headless Chromium draws every Chinese character as a box (screenshots).
        missing.push("fonts-noto-cjk");
    }
    if std::env::var_os("MINYI_TEST_PG").is_none() && postgres_bin().is_none() {
        missing.push("postgresql");
    }
    if Command::new("openssl").arg("version").output().is_err() {
        missing.push("openssl");
    }
    if !missing.is_empty() {
        if !is_root() {
            bail!(
                "the browser and multi-node tests need Debian's packages: run `sudo apt-get update && sudo apt-get install -y {}`, then `cargo xtask test` again (or set MINYI_TEST_PG=postgres://user@host:port/db for PostgreSQL)",
                missing.join(" ")
            );
        }
        apt_install(&missing)?;
    }
    postgres()
}

/// The font [`test_services`] installs.
const CJK_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

/// The axe-core release the browser tests inject (npm, into `<target>/node`).
pub const AXE_CORE: &str = "4.10.3";

/// axe-core from npm into `<target>/node/node_modules/axe-core`.
fn axe_core() -> Result<()> {
    npm_install(&crate::target_dir().join("node"), "axe-core", AXE_CORE, "the browser tests")
}

/// The ajv release the browser bench compares the validator with: ajv 8 as its own browser bundles.
pub const AJV_DIST: &str = "8.17.1";

/// ajv's browser bundles from npm into `<target>/ajv/node_modules/ajv-dist` (a prefix of its own: an
/// `npm install --no-save` prunes what an earlier one put in the same prefix).
fn ajv() -> Result<()> {
    npm_install(&crate::target_dir().join("ajv"), "ajv-dist", AJV_DIST, "the browser bench")
}

/// componentize-js from npm into `<target>/js-tools`, for JS plugins (`minyi plugin build`, the example).
pub fn componentize_js() -> Result<()> {
    npm_install(
        &minyi_build_support::js_tools(&crate::root()),
        "@bytecodealliance/componentize-js",
        minyi_build_support::COMPONENTIZE_JS,
        "JS plugins",
    )
}

/// `package@version` from npm into `prefix/node_modules` unless that version is there (npm from apt
/// when missing).
fn npm_install(prefix: &Path, package: &str, version: &str, what: &str) -> Result<()> {
    let manifest = prefix.join("node_modules").join(package).join("package.json");
    let installed =
        std::fs::read_to_string(&manifest).is_ok_and(|p| p.contains(&format!("\"version\": \"{version}\"")));
    if installed {
        return Ok(());
    }
    if !Command::new("npm").arg("--version").output().is_ok_and(|o| o.status.success()) {
        if !is_root() {
            bail!("npm is needed to install {package} for {what}: run `sudo apt-get install -y npm`");
        }
        apt_install(&["npm"])?;
    }
    std::fs::create_dir_all(prefix)?;
    crate::run(
        Command::new("npm")
            .args(["install", "--no-save", "--no-audit", "--no-fund", "--prefix"])
            .arg(prefix)
            .arg(format!("{package}@{version}")),
    )
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false)
}

fn apt_install(packages: &[&str]) -> Result<()> {
    crate::run(Command::new("apt-get").args(["update", "-q"]))?;
    crate::run(
        Command::new("apt-get").args(["install", "-y", "-q"]).args(packages).env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// componentize-py in the target dir's `py` venv, for building the Python test plugins.
pub fn componentize_py() -> Result<()> {
    let venv = minyi_build_support::python_venv(&crate::root());
    let tool = venv.join("bin/componentize-py");
    if minyi_build_support::is_pinned_componentize_py(&tool) {
        return Ok(());
    }
    let has_venv = Command::new("python3").args(["-c", "import ensurepip, venv"]).status().is_ok_and(|s| s.success());
    if !has_venv {
        if !is_root() {
            bail!(
                "python3 with venv is needed for the Python test plugins: run `sudo apt-get install -y python3-venv`"
            );
        }
        apt_install(&["python3-venv"])?;
    }
    crate::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    crate::run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "--disable-pip-version-check"])
            .arg(format!("componentize-py=={COMPONENTIZE_PY}")),
    )?;
    if !minyi_build_support::is_pinned_componentize_py(&tool) {
        bail!("componentize-py {COMPONENTIZE_PY} did not install into {}", venv.display());
    }
    Ok(())
}

/// PyPI `wasmtime` at the pinned release in the same venv, for the bundle's Python example and its test.
pub fn wasmtime_py() -> Result<()> {
    use minyi_build_support::WASMTIME_PY;
    let python = minyi_build_support::python_venv(&crate::root()).join("bin/python");
    let pinned = || {
        Command::new(&python)
            .args(["-c", "import importlib.metadata as m; print(m.version('wasmtime'))"])
            .output()
            .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == WASMTIME_PY)
    };
    if pinned() {
        return Ok(());
    }
    crate::run(
        Command::new(&python)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .arg(format!("wasmtime=={WASMTIME_PY}")),
    )?;
    if !pinned() {
        bail!("wasmtime {WASMTIME_PY} (PyPI) did not install into {}", python.display());
    }
    Ok(())
}

/// Node, for the differential test (the transpiled component in Node against wasmtime).
fn node() -> Result<()> {
    if Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Ok(());
    }
    if !is_root() {
        bail!("Node is needed for the differential test: run `sudo apt-get install -y nodejs`");
    }
    apt_install(&["nodejs"])
}

/// A PostgreSQL server for the tests: `MINYI_TEST_PG` when given; else (as root) Debian's server,
/// installed when missing, with its own cluster in `/tmp/minyi-pg-54329`, started on 127.0.0.1:54329
/// with trust authentication for local connections. Returns its URL.
pub fn postgres() -> Result<String> {
    if let Ok(url) = std::env::var("MINYI_TEST_PG") {
        return Ok(url);
    }
    let url = format!("postgres://postgres@127.0.0.1:{PG_PORT}/postgres");
    if !is_root() {
        bail!(
            "the multi-node tests need PostgreSQL: run `cargo xtask test` as root (it installs and starts one), or set MINYI_TEST_PG=postgres://user@host:port/db"
        );
    }
    if postgres_bin().is_none() {
        apt_install(&["postgresql"])?;
    }
    let Some(bin) = postgres_bin() else { bail!("PostgreSQL installed, but no pg_ctl under /usr/lib/postgresql") };
    let data = format!("/tmp/minyi-pg-{PG_PORT}");
    let as_postgres = |args: &str| {
        Command::new("runuser").args(["-u", "postgres", "--", "sh", "-c", args]).status().is_ok_and(|s| s.success())
    };
    let pg_ctl = bin.join("pg_ctl").display().to_string();
    let options = format!("-p {PG_PORT} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on");
    if as_postgres(&format!("{pg_ctl} -D {data} status >/dev/null 2>&1")) {
        if Path::new(PG_CA).exists() {
            return Ok(url);
        }
        // Running from before it served TLS: a certificate, and a restart to take it.
        postgres_certificate(&data, &as_postgres)?;
        if !as_postgres(&format!("{pg_ctl} -D {data} -o '{options}' -l {data}.log -w -t 60 restart")) {
            bail!("PostgreSQL did not restart: see {data}.log");
        }
        return Ok(url);
    }
    if !Path::new(&data).join("PG_VERSION").exists() {
        let _ = std::fs::remove_dir_all(&data);
        crate::run(Command::new("install").args(["-d", "-o", "postgres", "-g", "postgres", "-m", "700", &data]))?;
        let initdb = bin.join("initdb").display().to_string();
        if !as_postgres(&format!("{initdb} -D {data} -U postgres -A trust -E UTF8 --no-locale >{data}.initdb.log 2>&1"))
        {
            bail!("initdb failed: see {data}.initdb.log");
        }
    }
    postgres_certificate(&data, &as_postgres)?;
    if !as_postgres(&format!("{pg_ctl} -D {data} -o '{options}' -l {data}.log -w -t 60 start")) {
        bail!("PostgreSQL did not start: see {data}.log");
    }
    eprintln!("xtask: PostgreSQL serving on 127.0.0.1:{PG_PORT}");
    Ok(url)
}

/// The newest of Debian's PostgreSQL servers' `bin` folders, if one is installed.
fn postgres_bin() -> Option<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

/// The CA that signed the test server's TLS certificate (which names 127.0.0.1 and localhost),
/// readable by the tests: `MINYI_TEST_PG_CA`.
pub const PG_CA: &str = "/tmp/minyi-pg-54329-ca.pem";

/// Makes a test CA and the server's key and certificate signed by it in the server's data folder
/// (once: a self-signed certificate will not do, verifiers refuse a CA as the end entity), and
/// publishes the CA at [`PG_CA`].
fn postgres_certificate(data: &str, as_postgres: &dyn Fn(&str) -> bool) -> Result<()> {
    if Command::new("openssl").arg("version").output().is_err() {
        apt_install(&["openssl"])?;
    }
    let ca = format!("{data}/minyi-test-ca.crt");
    if !Path::new(&ca).exists()
        && !as_postgres(&format!(
            "cd {data} && exec >{data}.tls.log 2>&1 && \
             openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=Minyi test CA' \
               -keyout minyi-test-ca.key -out minyi-test-ca.crt.new && \
             openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr && \
             printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >server.ext && \
             openssl x509 -req -in server.csr -CA minyi-test-ca.crt.new -CAkey minyi-test-ca.key \
               -CAcreateserial -days 3650 -extfile server.ext -out server.crt && \
             chmod 600 server.key minyi-test-ca.key && mv minyi-test-ca.crt.new minyi-test-ca.crt"
        ))
    {
        bail!("could not make the test server's TLS certificate: see {data}.tls.log");
    }
    std::fs::copy(&ca, PG_CA)?;
    Ok(())
}

/// Adds the Rust targets the guests and the web app build for.
pub fn targets() -> Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output()?;
    let installed = String::from_utf8_lossy(&installed.stdout);
    for target in TARGETS {
        if !installed.lines().any(|l| l.trim() == *target) {
            crate::run(Command::new("rustup").args(["target", "add", target]))?;
        }
    }
    Ok(())
}

/// Path of the Chromium binary.
pub fn chromium_path() -> Result<&'static str> {
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).exists() {
            return Ok(p);
        }
    }
    bail!("Chromium is not installed: run `sudo apt-get update && sudo apt-get install -y chromium chromium-driver`")
}
