// Loader glue (no domain logic): fetches the component bytes the server runs and instantiates the
// transpiled bindings with core modules cut from those very bytes. Every URL is relative to this
// file, so a page on another origin that embeds the widget loads them from the widget's host.
// `components/validator/manifest.json` (written by `cargo xtask dist`) gives each core module's byte
// range inside the component and the SHA-256 the page (Rust) checks before instantiating.
// Node (the differential test) uses `instantiateFrom` directly.

let validator = null;

/// Instantiates the transpiled `bindings` with the core modules found in `bytes` at the manifest's offsets.
export async function instantiateFrom(bytes, manifest, bindings) {
  const getCoreModule = (file) => {
    const range = manifest.core_modules[file];
    if (!range) throw new Error(`no core module ${file} in the manifest`);
    return WebAssembly.compile(bytes.subarray(range.offset, range.offset + range.length));
  };
  const instance = await bindings.instantiate(getCoreModule, {});
  return instance.validation ?? instance["minyi:casework/validation@0.1.0"];
}

async function ok(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

export async function fetchValidator() {
  const [bytes, manifest] = await Promise.all([
    ok(new URL("components/validator.wasm", import.meta.url)).then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b)),
    ok(new URL("components/validator/manifest.json", import.meta.url)).then((r) => r.json()),
  ]);
  return { bytes, manifest };
}

export async function instantiateValidator(bytes, manifest) {
  const bindings = await import(new URL("components/validator/validator.js", import.meta.url).href);
  validator = await instantiateFrom(bytes, manifest, bindings);
}

export function validateJson(formJson, now) {
  if (!validator) throw new Error("validator component not loaded");
  return validator.validateJson(formJson, now);
}
