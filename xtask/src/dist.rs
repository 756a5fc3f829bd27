//! The web build: the Leptos apps (the widget at the root, the staff console under `console/`) through
//! wasm-bindgen (as a library), and the validator and classifier components
//! transpiled to JS by js-component-bindgen, with a manifest locating each core module inside the
//! component bytes so that the browser instantiates exactly the bytes the server runs.

use anyhow::{Context as _, Result};
use std::path::Path;

/// Builds the site (`<target dir>/site`): index.html, style, loader, the Leptos app under `pkg/`, the transpiled component.
pub fn web() -> Result<()> {
    apps()?;
    site()
}

/// The Leptos apps, built for the browser and bound by wasm-bindgen into the site, with their static
/// files. It uses no build dir of the host's (`wasm32-unknown-unknown/web`, and `web` for its build
/// scripts and macros), so `cargo xtask test` runs it beside clippy without either waiting for a lock.
pub fn apps() -> Result<()> {
    let root = crate::root();
    let out = crate::site_dir();
    let started = std::time::Instant::now();
    // Both apps in one cargo run: their crates compile side by side on the machine's cores.
    crate::run(crate::cargo().args([
        "build",
        "--package",
        "minyi-web",
        "--package",
        "minyi-console",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "web",
    ]))?;
    bind("minyi-web", &out.join("pkg"))?;
    for entry in std::fs::read_dir(root.join("web/app/static"))? {
        let entry = entry?;
        std::fs::copy(entry.path(), out.join(entry.file_name()))?;
    }
    console(&out.join("console"))?;
    eprintln!("xtask dist: the web apps in {} ({:.1?})", out.display(), started.elapsed());
    Ok(())
}

/// The rest of the site: the validator and the classifier transpiled to JS, and a package.json for Node.
pub fn site() -> Result<()> {
    let out = crate::site_dir();
    // ES modules for Node too (the differential test imports the loader and the bindings).
    std::fs::write(out.join("package.json"), "{\"type\": \"module\"}\n")?;
    for name in ["validator", "classifier"] {
        let bytes = crate::component_bytes(name)?;
        transpile(name, &bytes, &out.join(format!("components/{name}")))?;
    }
    eprintln!("xtask dist: web app in {}", out.display());
    Ok(())
}

/// The staff console (`/console`): its own Leptos app, so the citizen widget downloads none of it.
fn console(out: &Path) -> Result<()> {
    bind("minyi-console", &out.join("pkg"))?;
    for entry in std::fs::read_dir(crate::root().join("web/console/static"))? {
        let entry = entry?;
        std::fs::copy(entry.path(), out.join(entry.file_name()))?;
    }
    Ok(())
}

/// A Leptos app crate, built for the browser (profile `web`), bound by wasm-bindgen into `pkg`.
fn bind(package: &str, pkg: &Path) -> Result<()> {
    let wasm = crate::target_dir().join(format!("wasm32-unknown-unknown/web/{}.wasm", package.replace('-', "_")));
    std::fs::create_dir_all(pkg)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .omit_default_module_path(false)
        .typescript(false)
        // The function-name section is half the module and only serves debuggers: the browser downloads none.
        .remove_name_section(true)
        .remove_producers_section(true)
        .generate(pkg)
        .with_context(|| format!("wasm-bindgen ({package})"))
}

/// Transpiles a component to ES-module JS (the bindings and a manifest; core modules stay in the bytes).
fn transpile(name: &'static str, component: &[u8], dir: &Path) -> Result<()> {
    let transpiled = minyi_transpile::transpile(name, component)?;
    std::fs::create_dir_all(dir)?;
    for (file, bytes) in &transpiled.files {
        std::fs::write(dir.join(file), bytes)?;
    }
    std::fs::write(dir.join("manifest.json"), serde_json::to_vec_pretty(&transpiled.manifest)?)?;
    Ok(())
}
