// {{name}}: a scoring plugin for district {{district}}. A case whose events carry the configured
// `marker` (a test call to the hotline) is excluded from the three rates as invalid.
import { get } from "minyi:casework/district-config@0.1.0";
import { write } from "minyi:casework/log@0.1.0";

export const scoringHook = {
  reviewCase(caseEvents) {
    const marker = (get("marker") ?? "").trim() || "测试诉求";
    if (!caseEvents.includes(marker)) return undefined;
    write("info", `a case marked ${JSON.stringify(marker)}: excluded`);
    return {
      reason: "invalid",
      reviewer: "plugin:{{name}}",
      note: `含“${marker}”：测试诉求，不计入考核 (a test demand: not scored)`,
    };
  },
};
