// Runs case forms through the transpiled validator and then the district's transpiled validation plugin
// in Node, with the loader the browser uses: core modules cut from the component bytes, the plugin's
// capabilities implemented from the grants the host served. Usage:
//   node plugin-differential.mjs SITE_DIR VALIDATOR POINTER_JSON PLUGIN_WASM PLUGIN_JS FORMS NOW
// Prints a JSON array: per form the base verdict and the plugin's issues, {"valid", "extra": [...] | null}
// (null: the plugin was not shown the form).
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [site, validatorPath, pointerPath, pluginPath, bindingsPath, formsPath, now] = process.argv.slice(2);
// The plugin's log lines go to stderr: stdout is the answer.
console.debug = (...args) => process.stderr.write(`${args.join(" ")}\n`);
const loader = await import(pathToFileURL(join(site, "minyi-components.js")).href);
const manifest = JSON.parse(await readFile(join(site, "components/validator/manifest.json"), "utf8"));
const validatorBindings = await import(pathToFileURL(join(site, "components/validator/validator.js")).href);
const validation = await loader.instantiateFrom(new Uint8Array(await readFile(validatorPath)), manifest, validatorBindings);
const pointer = JSON.parse(await readFile(pointerPath, "utf8"));
const pluginBindings = await import(pathToFileURL(bindingsPath).href);
const hook = await loader.instantiatePluginFrom(new Uint8Array(await readFile(pluginPath)), pointer, pluginBindings);
const forms = JSON.parse(await readFile(formsPath, "utf8"));
const out = forms.map((form) => {
  const result = JSON.parse(validation.validateJson(form, now));
  const extra = result.valid ? JSON.parse(loader.pluginIssuesJson(hook, JSON.stringify(result.normalized))) : null;
  return { valid: result.valid, extra };
});
process.stdout.write(JSON.stringify(out));
