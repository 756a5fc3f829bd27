//! The release bundle (`<target dir>/dist`) for vendors who do not write Rust: the four components,
//! the WIT packages with their semver, one ES-module package per component (the bindings with their
//! TypeScript declarations and a loader that checks the bytes' SHA-256 before compiling the core
//! modules cut from them), the Beijing rule set, the HTTP API's OpenAPI document and JSON Schemas,
//! the Node and Python examples with their inputs, the docs, and `SHA256SUMS` over all of it.

use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};

/// The built-in components, each with the interface the examples call.
const COMPONENTS: [&str; 4] = ["validator", "router", "scorer", "classifier"];

/// Writes the bundle; returns its folder.
pub fn bundle() -> Result<PathBuf> {
    let root = crate::root();
    let out = crate::target_dir().join("dist");
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("clearing {}", out.display()))?;
    }
    let version = wit_version(&std::fs::read_to_string(root.join("wit/casework.wit"))?)?;
    for name in COMPONENTS {
        let bytes = crate::component_bytes(name)?;
        write(&out.join(format!("components/{name}.wasm")), &bytes)?;
        package(name, &bytes, &version, &out.join("js").join(name))?;
    }
    copy(&root.join("wit/casework.wit"), &out.join("wit/casework.wit"))?;
    copy(&root.join("wit/classifier/classifier.wit"), &out.join("wit/classifier/classifier.wit"))?;
    copy(&root.join("components/routing/rulesets/beijing.toml"), &out.join("rulesets/beijing.toml"))?;
    copy_tree(&root.join("host/server/api"), &out.join("api"))?;
    copy_tree(&root.join("components/examples"), &out.join("examples"))?;
    copy_tree(&root.join("host/server/docs"), &out.join("docs"))?;
    // The month the examples score: the hand-checked one `minyi score`'s tests use.
    copy(&root.join("host/server/tests/data/month-2026-11.jsonl"), &out.join("examples/inputs/month-2026-11.jsonl"))?;
    std::fs::rename(out.join("examples/README.md"), out.join("README.md"))?;
    let sums = sha256sums(&out)?;
    write(&out.join("SHA256SUMS"), sums.as_bytes())?;
    eprintln!("xtask dist: release bundle {version} in {} ({} files)", out.display(), sums.lines().count());
    Ok(out)
}

/// `package minyi:casework@X.Y.Z;` → `X.Y.Z`.
fn wit_version(wit: &str) -> Result<String> {
    let line = wit.lines().find_map(|l| l.trim().strip_prefix("package minyi:casework@"));
    match line.and_then(|v| v.strip_suffix(';')) {
        Some(v) if v.split('.').count() == 3 && v.split('.').all(|p| p.parse::<u32>().is_ok()) => Ok(v.to_owned()),
        _ => bail!("wit/casework.wit: no `package minyi:casework@X.Y.Z;` line"),
    }
}

/// One component's ES-module package: its bytes, the bindings and declarations, and `index.js`.
fn package(name: &str, bytes: &[u8], version: &str, dir: &Path) -> Result<()> {
    let transpiled = minyi_transpile::transpile_typed(name, bytes)?;
    for (file, text) in &transpiled.files {
        write(&dir.join(file), text)?;
    }
    write(&dir.join(format!("{name}.wasm")), bytes)?;
    let manifest = serde_json::to_string(&transpiled.manifest)?;
    write(&dir.join("index.js"), LOADER.replace("{name}", name).replace("{manifest}", &manifest).as_bytes())?;
    write(&dir.join("index.d.ts"), LOADER_TYPES.replace("{name}", name).as_bytes())?;
    let package = serde_json::json!({
        "name": format!("@minyi/{name}"),
        "version": version,
        "description": format!("The Minyi {name} component as an ES module: the same bytes the server runs."),
        "license": "Apache-2.0",
        "type": "module",
        "main": "index.js",
        "types": "index.d.ts",
        "exports": {".": {"types": "./index.d.ts", "default": "./index.js"}},
        "sideEffects": false,
    });
    write(&dir.join("package.json"), format!("{}\n", serde_json::to_string_pretty(&package)?).as_bytes())
}

/// The loader of a package: `load()` reads `<name>.wasm` beside it (the file system in Node, `fetch`
/// elsewhere), refuses bytes whose SHA-256 is not the manifest's, and instantiates the bindings with
/// the core modules cut from those bytes. Glue only: every answer comes from the component.
const LOADER: &str = r#"// @minyi/{name}: loads the {name} component — `{name}.wasm` beside this file, the bytes the server
// runs — after checking their SHA-256, and instantiates the bindings with the core modules cut from them.
import { instantiate } from "./{name}.js";

const MANIFEST = {manifest};

async function read(file) {
  const url = new URL(file, import.meta.url);
  if (url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    return new Uint8Array(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/// The component's exports. `bytes`: the component, when the caller has them; else `{name}.wasm` is read.
export async function load(bytes) {
  bytes ??= await read("{name}.wasm");
  if (!globalThis.crypto?.subtle) throw new Error("{name}: SHA-256 needs Web Crypto (Node 20+, or a secure context)");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  if (sha256 !== MANIFEST.sha256) {
    throw new Error(`{name}: the bytes' SHA-256 is ${sha256}, not ${MANIFEST.sha256}: refusing to run them`);
  }
  const getCoreModule = (file) => {
    const range = MANIFEST.core_modules[file];
    if (!range) throw new Error(`{name}: no core module ${file} in the manifest`);
    return WebAssembly.compile(bytes.subarray(range.offset, range.offset + range.length));
  };
  return instantiate(getCoreModule, {});
}

export const sha256 = MANIFEST.sha256;
"#;

const LOADER_TYPES: &str = r#"import type { instantiate } from "./{name}.js";

/** The component's exports; `bytes` when the caller has them, else `{name}.wasm` beside this file is read. Rejects bytes whose SHA-256 is not `sha256`. */
export function load(bytes?: Uint8Array): ReturnType<typeof instantiate>;

/** SHA-256 (hex) of the component bytes this package runs. */
export const sha256: string;
"#;

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    write(to, &std::fs::read(from).with_context(|| format!("reading {}", from.display()))?)
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            copy(&entry.path(), &target)?;
        }
    }
    Ok(())
}

/// `sha256sum`'s format over every file of the bundle, sorted by path.
fn sha256sums(dir: &Path) -> Result<String> {
    use sha2::Digest as _;
    fn files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() { files(&path, out)? } else { out.push(path) }
        }
        Ok(())
    }
    let mut all = Vec::new();
    files(dir, &mut all)?;
    let mut lines: Vec<String> = all
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap_or(p).to_string_lossy().replace('\\', "/");
            Ok(format!("{}  {rel}", hex::encode(sha2::Sha256::digest(std::fs::read(p)?))))
        })
        .collect::<Result<_>>()?;
    lines.sort_by(|a, b| a.get(66..).cmp(&b.get(66..)));
    Ok(lines.join("\n") + "\n")
}
