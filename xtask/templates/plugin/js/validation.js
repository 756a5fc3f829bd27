// {{name}}: a validation plugin for district {{district}}. A demand in one of the configured
// `categories` must describe the problem in at least `min_chars` characters.
import { get } from "minyi:casework/district-config@0.1.0";
import { write } from "minyi:casework/log@0.1.0";

const configList = (key) =>
  (get(key) ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "");

const categoryIn = (category, prefixes) =>
  prefixes.some((p) => category === p || category.startsWith(p + "."));

export const validationHook = {
  extraIssues(form) {
    const category = form.category ?? "";
    if (!categoryIn(category, configList("categories"))) return [];
    const min = Number.parseInt(get("min_chars") ?? "15", 10) || 15;
    const length = [...form.description].length; // characters, not UTF-16 units
    if (length >= min) return [];
    write("info", `${category}: a description of ${length} characters, ${min} wanted`);
    return [{
      field: "description",
      code: "description.too_short",
      severity: "error",
      message: {
        zhCn: `请把问题描述得更具体一些：时间、地点、情况，至少 ${min} 个字。`,
        en: `Please say more — when, where, what happens — in at least ${min} characters.`,
      },
    }];
  },
};
