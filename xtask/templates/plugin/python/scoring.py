"""{{name}}: a scoring plugin for district {{district}}. A case whose events carry the configured
`marker` (a test call to the hotline) is excluded from the three rates as invalid."""

from typing import Optional

from wit_world import exports
from wit_world.imports import district_config, log
from wit_world.imports.types import Exclusion, ExclusionReason


class ScoringHook(exports.ScoringHook):
    def review_case(self, case_events: str) -> Optional[Exclusion]:
        marker = (district_config.get("marker") or "").strip() or "测试诉求"
        if marker not in case_events:
            return None
        log.write(log.Level.INFO, f"a case marked {marker!r}: excluded")
        return Exclusion(
            reason=ExclusionReason.INVALID,
            reviewer="plugin:{{name}}",
            note=f"含“{marker}”：测试诉求，不计入考核 (a test demand: not scored)",
        )
