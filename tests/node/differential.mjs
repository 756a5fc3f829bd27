// Runs case forms through the transpiled validator in Node, with core modules cut from the component
// bytes by the same loader the browser uses. Usage: node differential.mjs SITE_DIR COMPONENT FORMS NOW
// Prints a JSON array: {"ok": "<validation-result JSON>"} or {"err": {...input-error}} per form.
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [site, componentPath, formsPath, now] = process.argv.slice(2);
const bytes = new Uint8Array(await readFile(componentPath));
const manifest = JSON.parse(await readFile(join(site, "components/validator/manifest.json"), "utf8"));
const { instantiateFrom } = await import(pathToFileURL(join(site, "minyi-components.js")).href);
const bindings = await import(pathToFileURL(join(site, "components/validator/validator.js")).href);
const validation = await instantiateFrom(bytes, manifest, bindings);
const forms = JSON.parse(await readFile(formsPath, "utf8"));
const out = forms.map((form) => {
  try {
    return { ok: validation.validateJson(form, now) };
  } catch (e) {
    return { err: e.payload ?? String(e) };
  }
});
process.stdout.write(JSON.stringify(out));
