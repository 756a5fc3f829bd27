"""{{name}}: a validation plugin for district {{district}}. A demand in one of the configured
`categories` must describe the problem in at least `min_chars` characters."""

from typing import List

from wit_world import exports
from wit_world.imports import district_config, log
from wit_world.imports.types import CaseForm, Issue, Message, Severity


def _config_list(key: str) -> List[str]:
    return [p.strip() for p in (district_config.get(key) or "").split(",") if p.strip()]


def _category_in(category: str, prefixes: List[str]) -> bool:
    return any(category == p or category.startswith(p + ".") for p in prefixes)


class ValidationHook(exports.ValidationHook):
    def extra_issues(self, form: CaseForm) -> List[Issue]:
        category = form.category or ""
        if not _category_in(category, _config_list("categories")):
            return []
        try:
            minimum = int(district_config.get("min_chars") or "15")
        except ValueError:
            minimum = 15
        length = len(form.description)
        if length >= minimum:
            return []
        log.write(log.Level.INFO, f"{category}: a description of {length} characters, {minimum} wanted")
        message = Message(
            zh_cn=f"请把问题描述得更具体一些：时间、地点、情况，至少 {minimum} 个字。",
            en=f"Please say more — when, where, what happens — in at least {minimum} characters.",
        )
        return [Issue(field="description", code="description.too_short", severity=Severity.ERROR, message=message)]
