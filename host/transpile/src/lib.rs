//! Components to ES-module JS: js-component-bindgen writes the bindings, and each core module it would
//! write out is instead located inside the component bytes (a byte range in the manifest), so that a
//! browser or Node compiles exactly the bytes the server runs and checks their SHA-256 first.
//! `cargo xtask dist` transpiles the validator with it; the server transpiles district plugins.

use js_component_bindgen::{InstantiationMode, TranspileOpts};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A byte range inside the component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Range {
    /// First byte.
    pub offset: usize,
    /// Number of bytes.
    pub length: usize,
}

/// What a loader needs besides the bindings: the component's hash and where its core modules are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The component's name (the bindings' file is `<name>.js`).
    pub component: String,
    /// SHA-256 of the component bytes, lower-case hex.
    pub sha256: String,
    /// Each core module file the bindings ask for, as a range of the component bytes.
    pub core_modules: BTreeMap<String, Range>,
}

/// A transpiled component.
#[derive(Debug, Clone)]
pub struct Transpiled {
    /// The JS files (no core modules), by name; the entry is `<name>.js`.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Where the core modules are.
    pub manifest: Manifest,
    /// The interfaces the component imports, e.g. `minyi:casework/clock@0.1.0`.
    pub imports: Vec<String>,
}

/// Why a component could not be transpiled.
#[derive(Debug, thiserror::Error)]
pub enum TranspileError {
    /// js-component-bindgen refused it (not a component, an unsupported feature).
    #[error("transpiling {name}: {reason}")]
    Bindgen {
        /// The component's name.
        name: String,
        /// What js-component-bindgen said.
        reason: String,
    },
    /// A core module is not a verbatim slice of the component: the bytes could not be shared.
    #[error("core module {file} of {name} is not a verbatim slice of the component bytes")]
    NotASlice {
        /// The component's name.
        name: String,
        /// The core module's file name.
        file: String,
    },
}

/// Transpiles `component` to ES-module JS (async instantiation, no Node-only code, no TypeScript).
pub fn transpile(name: &str, component: &[u8]) -> Result<Transpiled, TranspileError> {
    bindgen(name, component, false)
}

/// The same bindings with their TypeScript declarations (`<name>.d.ts`, `interfaces/*.d.ts`), for the
/// release bundle's packages.
pub fn transpile_typed(name: &str, component: &[u8]) -> Result<Transpiled, TranspileError> {
    bindgen(name, component, true)
}

fn bindgen(name: &str, component: &[u8], typescript: bool) -> Result<Transpiled, TranspileError> {
    let opts = TranspileOpts {
        name: name.to_owned(),
        no_typescript: !typescript,
        instantiation_mode: Some(InstantiationMode::Async),
        nodejs_compat_disabled: true,
        base64_cutoff: 0,
        ..TranspileOpts::default()
    };
    let transpiled = js_component_bindgen::transpile(component, opts)
        .map_err(|e| TranspileError::Bindgen { name: name.to_owned(), reason: format!("{e:#}") })?;
    let mut files = BTreeMap::new();
    let mut core_modules = BTreeMap::new();
    for (file, bytes) in transpiled.files {
        if file.ends_with(".wasm") {
            let offset = find(component, &bytes)
                .ok_or_else(|| TranspileError::NotASlice { name: name.to_owned(), file: file.clone() })?;
            core_modules.insert(file, Range { offset, length: bytes.len() });
        } else {
            files.insert(file, bytes);
        }
    }
    let manifest = Manifest { component: name.to_owned(), sha256: sha256(component), core_modules };
    Ok(Transpiled { files, manifest, imports: transpiled.imports })
}

/// The first position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_validator_core_modules_are_slices_of_its_bytes() {
        let t = transpile("validator", minyi_artifacts::VALIDATOR_BYTES).expect("transpiles");
        assert!(t.files.contains_key("validator.js"), "{:?}", t.files.keys());
        assert!(!t.manifest.core_modules.is_empty());
        for r in t.manifest.core_modules.values() {
            assert!(r.offset + r.length <= minyi_artifacts::VALIDATOR_BYTES.len());
            assert_eq!(
                &minyi_artifacts::VALIDATOR_BYTES[r.offset..r.offset + 8],
                b"\0asm\x01\0\0\0",
                "a core module starts there"
            );
        }
        assert!(t.imports.is_empty(), "the validator imports nothing: {:?}", t.imports);
        assert_eq!(t.manifest.sha256, sha256(minyi_artifacts::VALIDATOR_BYTES));
        assert!(!t.files.keys().any(|f| f.ends_with(".d.ts")), "no TypeScript for the browser");
        let typed = transpile_typed("validator", minyi_artifacts::VALIDATOR_BYTES).expect("transpiles");
        assert!(typed.files.contains_key("validator.d.ts"), "{:?}", typed.files.keys());
        assert_eq!(typed.files.get("validator.js"), t.files.get("validator.js"), "the same bindings");
        assert_eq!(typed.manifest, t.manifest);
    }

    #[test]
    fn a_plugin_lists_its_imports() {
        let plugin = |name: &str| {
            let (_, _, bytes) =
                minyi_test_artifacts::PLUGINS.iter().find(|(n, _, _)| *n == name).expect("plugin built");
            transpile("plugin", bytes).expect("transpiles")
        };
        let chaoyang = plugin("chaoyang_heating");
        assert_eq!(chaoyang.imports, ["minyi:casework/district-config", "minyi:casework/log"]);
        assert!(chaoyang.files.contains_key("plugin.js"));
        // What it calls is what it imports: 海淀's plugin uses every capability, no WASI.
        assert_eq!(
            plugin("haidian_building").imports,
            [
                "minyi:casework/clock",
                "minyi:casework/directory",
                "minyi:casework/district-config",
                "minyi:casework/log"
            ]
        );
        assert!(plugin("py_probe").imports.iter().any(|i| i.starts_with("wasi:")));
    }

    #[test]
    fn bytes_that_are_no_component_are_refused() {
        assert!(matches!(transpile("x", b"not wasm"), Err(TranspileError::Bindgen { .. })));
    }
}
