// {{name}}: a routing plugin for district {{district}}. A demand in one of the configured `categories`
// gets the configured `tag`, so the district reviews it; the decision says why.
import { get } from "minyi:casework/district-config@0.1.0";
import { write } from "minyi:casework/log@0.1.0";

const configList = (key) =>
  (get(key) ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "");

export const routingHook = {
  amendRoute(form, base) {
    const category = form.category ?? "";
    if (!configList("categories").some((p) => category === p || category.startsWith(p + "."))) {
      return undefined; // the city's decision stands
    }
    const tag = (get("tag") ?? "").trim() || "district-review";
    if (!base.tags.includes(tag)) base.tags.push(tag);
    const why = `${category} 由区里复核，标记 ${tag} (the district reviews ${category}: tagged ${tag})`;
    base.explanation.fired.push({ rule: "plugin:{{name}}", why });
    write("info", `${category}: tagged ${tag}`);
    return base;
  },
};
