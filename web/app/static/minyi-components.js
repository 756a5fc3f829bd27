// Loader glue (no domain logic): fetches the component bytes the server runs and instantiates the
// transpiled bindings with core modules cut from those very bytes. Every URL is relative to this
// file, so a page on another origin that embeds the widget loads them from the widget's host.
// `components/validator/manifest.json` (written by `cargo xtask dist`) gives each core module's byte
// range inside the component and the SHA-256 the page (Rust) checks before instantiating; a district's
// validation plugin comes with the same from `GET /api/plugins/{district}/browser`, plus what the
// district grants it, and gets JS implementations of exactly the capabilities it imports. The
// classifier (`components/classifier/manifest.json`) likewise, with the model from the API, fetched only
// when the citizen first types a demand: the first paint carries none of it.
// Node (the differential tests) uses `instantiateFrom`, `instantiatePluginFrom` and `pluginIssuesJson`.

let validator = null;
const plugins = new Map();

/// Instantiates the transpiled `bindings` with the core modules found in `bytes` at `coreModules`' offsets.
async function instantiateCore(bytes, coreModules, bindings, imports) {
  const getCoreModule = (file) => {
    const range = coreModules[file];
    if (!range) throw new Error(`no core module ${file} in the manifest`);
    return WebAssembly.compile(bytes.subarray(range.offset, range.offset + range.length));
  };
  return bindings.instantiate(getCoreModule, imports);
}

/// Instantiates the validator's `bindings` with the core modules found in `bytes` at the manifest's offsets.
export async function instantiateFrom(bytes, manifest, bindings) {
  const instance = await instantiateCore(bytes, manifest.core_modules, bindings, {});
  return instance.validation ?? instance["minyi:casework/validation@0.1.0"];
}

async function ok(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

const bytesOf = (response) => response.arrayBuffer().then((b) => new Uint8Array(b));

export async function fetchValidator() {
  const [bytes, manifest] = await Promise.all([
    ok(new URL("components/validator.wasm", import.meta.url)).then(bytesOf),
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

export function validateJsonWithSchema(schema, formJson, now) {
  if (!validator) throw new Error("validator component not loaded");
  return validator.validateJsonWithSchema(schema, formJson, now);
}

// ---- The classifier (智能分拨), fetched when the page first needs a suggestion -----------------------

let classifier = null;

/// The classifier component (the bytes the server runs, beside this loader) and the model the API at
/// `api` suggests with for `district` (its own when it deployed one): `{bytes, manifest, model}`, or
/// `null` when that service runs no model (503).
export async function fetchClassifier(api, district) {
  const model = await fetch(`${api}/api/suggest/model?district=${encodeURIComponent(district)}`);
  if (model.status === 503) return null;
  if (!model.ok) throw new Error(`${api}/api/suggest/model: HTTP ${model.status}`);
  const [bytes, manifest, modelBytes] = await Promise.all([
    ok(new URL("components/classifier.wasm", import.meta.url)).then(bytesOf),
    ok(new URL("components/classifier/manifest.json", import.meta.url)).then((r) => r.json()),
    bytesOf(model),
  ]);
  return { bytes, manifest, model: modelBytes };
}

/// Instantiates the classifier's bindings with the core modules cut from `bytes` and loads `model`
/// into it; the model's SHA-256, as the component computed it.
export async function instantiateClassifier(bytes, manifest, model) {
  const bindings = await import(new URL("components/classifier/classifier.js", import.meta.url).href);
  const instance = await instantiateCore(bytes, manifest.core_modules, bindings, {});
  const api = instance.classification ?? instance["minyi:classifier/classification@0.1.0"];
  classifier = api.Model.load(model);
  return classifier.info().sha256;
}

/// `model.suggest-json` with the model's own threshold: the suggestion document.
export function suggestJson(text) {
  if (!classifier) throw new Error("classifier component not loaded");
  return classifier.suggestJson(text, undefined);
}

// ---- District validation plugins ----------------------------------------------------------------

/// What the API at `api` (a base such as `https://host`, paths appended) says the district runs, and the
/// plugin's bytes when it runs in the browser: `{pointer, bytes}`, or `null` when the page runs none.
export async function fetchPlugin(api, district) {
  const answer = await ok(`${api}/api/plugins/${encodeURIComponent(district)}/browser`).then((r) => r.json());
  const pointer = answer.plugin;
  if (!pointer || !pointer.in_browser) return null;
  const bytes = await ok(`${api}${pointer.component}`).then(bytesOf);
  return { pointer, bytes };
}

/// Instantiates a plugin whose bytes the page has checked; `extraIssues` then runs it for `district`.
export async function instantiatePlugin(api, district, pointer, bytes) {
  const bindings = await import(new URL(`${api}${pointer.bindings}`, document.baseURI).href);
  plugins.set(district, await instantiatePluginFrom(bytes, pointer, bindings));
}

/// Forgets the district's plugin (it changed, or the district runs none now).
export function dropPlugin(district) {
  plugins.delete(district);
}

/// The district's plugin's extra issues for a normalised form (the public JSON), as JSON.
export function extraIssues(district, formJson) {
  const hook = plugins.get(district);
  if (!hook) throw new Error(`no plugin loaded for ${district}`);
  return pluginIssuesJson(hook, formJson);
}

/// The validation hook of the transpiled plugin `bindings`, instantiated with the capabilities the
/// pointer says it imports, implemented from what the district grants it.
export async function instantiatePluginFrom(bytes, pointer, bindings) {
  const instance = await instantiateCore(bytes, pointer.core_modules, bindings, capabilities(pointer));
  const hook = instance.validationHook ?? instance["minyi:casework/validation-hook@0.1.0"];
  if (!hook) throw new Error(`plugin ${pointer.name} exports no validation hook`);
  return hook;
}

/// `extra-issues` over the public JSON shapes: a case-form document in, an array of issues out.
export function pluginIssuesJson(hook, formJson) {
  return JSON.stringify(hook.extraIssues(caseFormRecord(JSON.parse(formJson))).map(issueJson));
}

/// Beijing's wall clock as RFC 3339 with its offset, to the second, as the server's clock gives it.
function beijingNow() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 19) + "+08:00";
}

/// Exactly the imports the plugin has, each from the district's grants; nothing else exists for it.
function capabilities(pointer) {
  const grants = pointer.grants ?? {};
  const wanted = new Set((pointer.imports ?? []).map((i) => i.replace(/@.*$/, "")));
  const imports = {};
  if (wanted.has("minyi:casework/clock")) {
    imports["minyi:casework/clock"] = { now: () => grants.now ?? beijingNow() };
  }
  if (wanted.has("minyi:casework/log")) {
    imports["minyi:casework/log"] = { write: (level, message) => console.debug(`[${pointer.name}] ${level}: ${message}`) };
  }
  if (wanted.has("minyi:casework/district-config")) {
    const config = grants.config ?? {};
    imports["minyi:casework/district-config"] = {
      district: () => grants.district,
      get: (key) => (Object.hasOwn(config, key) ? config[key] : undefined),
    };
  }
  if (wanted.has("minyi:casework/directory")) {
    const units = new Map();
    for (const u of grants.units ?? []) {
      if (!units.has(u.id)) {
        units.set(u.id, { id: u.id, name: u.name, unitType: u.unit_type, district: u.district ?? undefined });
      }
    }
    imports["minyi:casework/directory"] = { lookup: (id) => units.get(id) };
  }
  return imports;
}

// The public JSON shapes ↔ the bindings' records (camelCase fields, `undefined` for an absent option,
// a list of attributes where the JSON has a map, in the server's key order: by UTF-8 bytes).
const utf8 = new TextEncoder();
function byBytes(a, b) {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
const opt = (v) => (v === null ? undefined : v);

function caseFormRecord(f) {
  const r = f.reporter;
  return {
    district: f.district ?? "",
    street: opt(f.street),
    channel: f.channel,
    kind: f.kind,
    category: opt(f.category),
    title: f.title ?? "",
    description: f.description ?? "",
    address: f.address ?? "",
    location: f.location ? { lat: f.location.lat, lon: f.location.lon } : undefined,
    reporter: r
      ? { name: opt(r.name), phone: opt(r.phone), idNumber: opt(r.id_number), email: opt(r.email), anonymous: !!r.anonymous }
      : undefined,
    attributes: Object.keys(f.attributes ?? {})
      .sort(byBytes)
      .map((key) => ({ key, value: f.attributes[key] })),
    attachments: (f.attachments ?? []).map((a) => ({ name: a.name, mime: a.mime, bytes: BigInt(a.bytes) })),
    consent: !!f.consent,
    receivedAt: f.received_at,
  };
}

function issueJson(i) {
  return { field: i.field, code: i.code, severity: i.severity, message: { "zh-CN": i.message.zhCn, en: i.message.en } };
}
