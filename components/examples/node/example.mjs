// Minyi from Node: validates a case form, routes it with the Beijing rule set and scores a month,
// through the bundle's ES-module packages — the component bytes the Rust host runs, checked against
// their SHA-256 before they are compiled. Prints the three answers (JSON), one per line.
//
//   node examples/node/example.mjs [FORM.json] [EVENTS.jsonl] [NOW] [MONTH]
import { readFile } from "node:fs/promises";
import { load as loadValidator } from "../../js/validator/index.js";
import { load as loadRouter } from "../../js/router/index.js";
import { load as loadScorer } from "../../js/scorer/index.js";

const bundle = (path) => new URL(`../../${path}`, import.meta.url);
const [
  formPath = bundle("examples/inputs/form.json"),
  eventsPath = bundle("examples/inputs/month-2026-11.jsonl"),
  now = "2026-11-29T10:05:00+08:00",
  month = "2026-11",
] = process.argv.slice(2);

const form = await readFile(formPath, "utf8");
const rules = await readFile(bundle("rulesets/beijing.toml"), "utf8");
const events = await readFile(eventsPath, "utf8");

// validation.validate-json: the validation result, or an input-error (thrown) for a body that is no form.
const { validation } = await loadValidator();
console.log(validation.validateJson(form, now));

// routing.route-once-json: the rule set compiled and the form routed, the explanation included.
const { routing } = await loadRouter();
console.log(routing.routeOnceJson(rules, form, { repeatCount: 0 }));

// scoring.scoreboard: opened for the month, fed each case's events, ranked (三率).
const { scoring } = await loadScorer();
const board = scoring.Scoreboard.open(JSON.stringify({ month }));
board.addCasesJson(byCase(events));
console.log(board.rankingJson());

/// The events grouped by case, in order of first appearance, each case's lines in file order — how
/// `minyi score` reads an events file (`minyi_server::scores::by_case`).
function byCase(text) {
  const cases = new Map();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const id = JSON.parse(line).case_id;
    cases.set(id, (cases.get(id) ?? "") + line + "\n");
  }
  return [...cases.values()];
}
