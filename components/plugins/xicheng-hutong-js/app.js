// 西城区 hutong construction routing: a `routing-plugin` component written in JavaScript (see README.md).
import { get } from "minyi:casework/district-config@0.1.0";
import { lookup } from "minyi:casework/directory@0.1.0";
import { write } from "minyi:casework/log@0.1.0";

/** The rule id this plugin writes into the explanation. */
const RULE = "plugin:xicheng-hutong";
const TAG = "hutong-heritage";

/** A comma-separated configuration value as a list, or `fallback` when it is not set. */
function list(key, fallback) {
  const items = (get(key) ?? fallback).split(",").map((s) => s.trim()).filter((s) => s !== "");
  return items.length > 0 ? items : fallback.split(",");
}

export const routingHook = {
  amendRoute(form, base) {
    const category = form.category ?? "";
    const categories = list("categories", "urban.construction");
    if (!categories.some((p) => category === p || category.startsWith(p + "."))) return undefined;
    const text = `${form.address} ${form.title} ${form.description}`;
    const keyword = list("keywords", "胡同,四合院,大杂院").find((k) => text.includes(k));
    const street = form.street;
    if (keyword === undefined || street === undefined) return undefined;
    const unit = lookup(street);
    const name = unit?.name ?? street;
    if (base.lead !== street && !base.coHandlers.includes(street)) base.coHandlers.push(street);
    if (!base.tags.includes(TAG)) base.tags.push(TAG);
    base.explanation.fired.push({
      rule: RULE,
      why: `历史文化街区（“${keyword}”）施工诉求，${name}协办 (construction in a hutong area: ${street} co-handles)`,
    });
    write("info", `hutong construction (${keyword}): ${street} co-handles`);
    return base;
  },
};
