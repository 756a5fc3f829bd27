//! The web build: the Leptos app through wasm-bindgen (as a library), and the validator component
//! transpiled to JS by js-component-bindgen, with a manifest locating each core module inside the
//! component bytes so that the browser instantiates exactly the bytes the server runs.

use anyhow::{Context as _, Result, bail};
use js_component_bindgen::{InstantiationMode, TranspileOpts};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Serialize)]
struct Range {
    offset: usize,
    length: usize,
}

#[derive(Serialize)]
struct Manifest {
    component: &'static str,
    sha256: String,
    core_modules: BTreeMap<String, Range>,
}

/// Builds the site (`<target dir>/site`): index.html, style, loader, the Leptos app under `pkg/`, the transpiled component.
pub fn web() -> Result<()> {
    let root = crate::root();
    let out = crate::site_dir();
    let started = std::time::Instant::now();
    crate::run(crate::cargo().args([
        "build",
        "--package",
        "minyi-web",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "web",
    ]))?;
    let wasm = crate::target_dir().join("wasm32-unknown-unknown/web/minyi_web.wasm");
    std::fs::create_dir_all(out.join("pkg"))?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .omit_default_module_path(false)
        .typescript(false)
        // The function-name section is half the module and only serves debuggers: the browser downloads none.
        .remove_name_section(true)
        .remove_producers_section(true)
        .generate(out.join("pkg"))
        .context("wasm-bindgen")?;
    for entry in std::fs::read_dir(root.join("web/app/static"))? {
        let entry = entry?;
        std::fs::copy(entry.path(), out.join(entry.file_name()))?;
    }
    // ES modules for Node too (the differential test imports the loader and the bindings).
    std::fs::write(out.join("package.json"), "{\"type\": \"module\"}\n")?;
    let validator = crate::component_bytes("validator")?;
    transpile("validator", &validator, &out.join("components/validator"))?;
    eprintln!("xtask dist: web app in {} ({:.1?})", out.display(), started.elapsed());
    Ok(())
}

/// Transpiles a component to ES-module JS; core modules are not written out but located in the bytes.
fn transpile(name: &'static str, component: &[u8], dir: &Path) -> Result<()> {
    let opts = TranspileOpts {
        name: name.to_owned(),
        no_typescript: true,
        instantiation_mode: Some(InstantiationMode::Async),
        nodejs_compat_disabled: true,
        base64_cutoff: 0,
        ..TranspileOpts::default()
    };
    let transpiled = js_component_bindgen::transpile(component, opts).with_context(|| format!("transpiling {name}"))?;
    std::fs::create_dir_all(dir)?;
    let mut core_modules = BTreeMap::new();
    for (file, bytes) in transpiled.files {
        if file.ends_with(".wasm") {
            let Some(offset) = component.windows(bytes.len()).position(|w| w == bytes.as_slice()) else {
                bail!("core module {file} of {name} is not a verbatim slice of the component bytes");
            };
            core_modules.insert(file, Range { offset, length: bytes.len() });
        } else {
            std::fs::write(dir.join(&file), bytes)?;
        }
    }
    let manifest = Manifest { component: name, sha256: sha256(component), core_modules };
    std::fs::write(dir.join("manifest.json"), serde_json::to_vec_pretty(&manifest)?)?;
    Ok(())
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
