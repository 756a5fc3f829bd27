//! `cargo xtask new-plugin NAME --district CODE [--hook …] [--lang …]`: a district plugin project from
//! `xtask/templates/plugin` — the hook's code, `plugin.toml` (grants and limits), `tests/cases.json`
//! with forms of that district — that `minyi plugin build` and `minyi plugin test` take as made.

use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};

/// What to make.
pub struct NewPlugin {
    /// Plugin (and crate) name: lower-case letters, digits and `-`.
    pub name: String,
    /// The district's code.
    pub district: String,
    /// `validation`, `routing` or `scoring`.
    pub hook: String,
    /// `rust`, `python` or `js`.
    pub lang: String,
    /// Where (default: `./NAME`).
    pub out: Option<PathBuf>,
}

/// Writes the project; returns its folder.
pub fn create(spec: &NewPlugin) -> Result<PathBuf> {
    let NewPlugin { name, district, hook, lang, out } = spec;
    let valid_name = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_name {
        bail!("NAME {name:?}: lower-case letters, digits and `-`, starting with a letter (e.g. noise-hours)");
    }
    let Some(d) = minyi_model::divisions::district(district).filter(|d| d.code == district) else {
        bail!("--district {district:?} is not the code of one of Beijing's 16 districts (e.g. 110105)");
    };
    let street = d.streets.first().with_context(|| format!("district {district} has no streets"))?;
    if !["validation", "routing", "scoring"].contains(&hook.as_str()) {
        bail!("--hook {hook:?}: one of validation, routing, scoring");
    }
    let (config, what) = match hook.as_str() {
        "validation" => (
            "categories = \"environment.noise\"\nmin_chars = \"15\"",
            "A demand in one of the configured `categories` must describe the problem in at least `min_chars` characters.",
        ),
        "routing" => (
            "categories = \"environment.noise\"\ntag = \"district-review\"",
            "A demand in one of the configured `categories` gets the configured `tag`; the decision says why.",
        ),
        _ => (
            "marker = \"测试诉求\"",
            "A case whose events carry the configured `marker` (a test call) is excluded from the three rates.",
        ),
    };
    let templates = crate::root().join("xtask/templates/plugin");
    let sdk = crate::root().join("components/plugin-sdk");
    let language = match lang.as_str() {
        "rust" => "Rust",
        "python" => "Python (componentize-py)",
        "js" => "JavaScript (componentize-js)",
        other => bail!("--lang {other:?}: one of rust, python, js"),
    };
    let dir = out.clone().unwrap_or_else(|| PathBuf::from(name));
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        bail!("{} exists and is not empty: choose another --out", dir.display());
    }
    let sign_config: Vec<String> = config
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| format!("--config {k}={}", v.trim_matches('"')))
        .collect();
    // A language runtime (CPython, SpiderMonkey) needs more memory than the host's 32 MiB default.
    let limits = match lang.as_str() {
        "rust" => "# fuel = 100000000\n# memory_mib = 32\n# output_bytes = 262144",
        _ => "# fuel = 100000000\nmemory_mib = 64\n# output_bytes = 262144",
    };
    let fill = |text: String| {
        text.replace("{{name}}", name)
            .replace("{{district}}", district)
            .replace("{{district_name}}", d.name)
            .replace("{{street}}", street.code)
            .replace("{{address}}", &format!("{}{}", d.name, street.name))
            .replace("{{hook}}", hook)
            .replace("{{lang}}", lang)
            .replace("{{language}}", language)
            .replace("{{config}}", config)
            .replace("{{limits}}", limits)
            .replace("{{what}}", what)
            .replace("{{sign_config}}", &sign_config.join(" "))
            .replace("{{sdk}}", &sdk.to_string_lossy())
    };
    let read = |rel: &str| {
        let path = templates.join(rel);
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    };
    let mut files: Vec<(String, String)> = vec![
        ("plugin.toml".into(), read("plugin.toml")?),
        ("README.md".into(), read("README.md")?),
        ("tests/cases.json".into(), read(&format!("cases/{hook}.json"))?),
    ];
    match lang.as_str() {
        "rust" => {
            files.push(("Cargo.toml".into(), read("rust/Cargo.toml")?));
            files.push(("src/lib.rs".into(), read(&format!("rust/src/{hook}.rs"))?));
            files.push((".gitignore".into(), "/target\n/plugin.wasm\nCargo.lock\n".into()));
        }
        "python" => {
            files.push(("app.py".into(), read(&format!("python/{hook}.py"))?));
            files.push((".gitignore".into(), "/target\n/plugin.wasm\n__pycache__/\n".into()));
        }
        _ => {
            files.push(("app.js".into(), read(&format!("js/{hook}.js"))?));
            files.push((".gitignore".into(), "/target\n/plugin.wasm\n".into()));
        }
    }
    for (rel, text) in files {
        write(&dir.join(rel), &fill(text))?;
    }
    eprintln!("xtask new-plugin: {name} ({lang}, {hook} hook, district {district}) in {}", dir.display());
    eprintln!("  minyi plugin build {0} && minyi plugin test {0}", dir.display());
    Ok(dir)
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
