"""{{name}}: a routing plugin for district {{district}}. A demand in one of the configured `categories`
gets the configured `tag`, so the district reviews it; the decision says why."""

from typing import List, Optional

from wit_world import exports
from wit_world.imports import district_config, log
from wit_world.imports.types import CaseForm, FiredRule, RoutingDecision


def _config_list(key: str) -> List[str]:
    return [p.strip() for p in (district_config.get(key) or "").split(",") if p.strip()]


class RoutingHook(exports.RoutingHook):
    def amend_route(self, form: CaseForm, base: RoutingDecision) -> Optional[RoutingDecision]:
        category = form.category or ""
        if not any(category == p or category.startswith(p + ".") for p in _config_list("categories")):
            return None
        tag = (district_config.get("tag") or "").strip() or "district-review"
        if tag not in base.tags:
            base.tags.append(tag)
        why = f"{category} 由区里复核，标记 {tag} (the district reviews {category}: tagged {tag})"
        base.explanation.fired.append(FiredRule(rule="plugin:{{name}}", why=why))
        log.write(log.Level.INFO, f"{category}: tagged {tag}")
        return base
