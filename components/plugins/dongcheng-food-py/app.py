"""东城区 extra validation, written in Python: a food-safety complaint must name the shop.

A `validation-plugin` component built with componentize-py (see README.md). It reads which category
prefixes need a shop name from the district's read-only configuration (`shop_categories`, comma
separated; default `market.food`) and logs through the host's logger. It imports nothing else from
Minyi; the host gives its Python runtime an empty WASI surface.
"""

from typing import List

from wit_world import exports
from wit_world.imports import district_config, log
from wit_world.imports.types import CaseForm, Issue, Message, Severity

DEFAULT_PREFIXES = "market.food"
MIN_NAME = 2


def _prefixes() -> List[str]:
    raw = district_config.get("shop_categories") or DEFAULT_PREFIXES
    return [p.strip() for p in raw.split(",") if p.strip()]


def _in_scope(category: str, prefix: str) -> bool:
    return category == prefix or category.startswith(prefix + ".")


class ValidationHook(exports.ValidationHook):
    def extra_issues(self, form: CaseForm) -> List[Issue]:
        category = form.category or ""
        if not any(_in_scope(category, p) for p in _prefixes()):
            return []
        shop = next((a.value.strip() for a in form.attributes if a.key == "shop_name"), "")
        if len(shop) >= MIN_NAME:
            log.write(log.Level.DEBUG, f"shop named for {category}")
            return []
        log.write(log.Level.INFO, f"{category}: no shop name")
        if shop:
            message = Message(
                zh_cn=f"商户名称“{shop}”太短，请填写招牌上的完整名称。",
                en=f"The shop name {shop!r} is too short: give the full name on the shop sign.",
            )
            code = "shop_name.too_short"
        else:
            message = Message(
                zh_cn="东城区食品安全类诉求请填写商户名称（招牌上的名称），便于市场监管所核查。",
                en="Dongcheng: food-safety complaints need the shop's name (as on its sign), so the market "
                "regulation office can inspect it.",
            )
            code = "shop_name.required"
        return [Issue(field="attributes.shop_name", code=code, severity=Severity.ERROR, message=message)]
