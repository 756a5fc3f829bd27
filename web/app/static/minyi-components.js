// Loader glue (no domain logic): fetches the component bytes the server runs, hashes them, and
// instantiates the transpiled bindings with core modules cut from those very bytes.
// `/components/validator/manifest.json` (written by `cargo xtask dist`) gives each core module's
// byte range inside the component. Node (the differential test) uses `instantiateFrom` directly.

let validator = null;

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

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

export async function loadValidator() {
  const [bytes, manifest] = await Promise.all([
    fetch("/components/validator.wasm").then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b)),
    fetch("/components/validator/manifest.json").then((r) => r.json()),
  ]);
  const hash = await sha256Hex(bytes);
  validator = await instantiateFrom(bytes, manifest, await import("/components/validator/validator.js"));
  window.minyiComponentSha256 = hash;
  return hash;
}

export function validateJson(formJson, now) {
  if (!validator) throw new Error("validator component not loaded");
  return validator.validateJson(formJson, now);
}
