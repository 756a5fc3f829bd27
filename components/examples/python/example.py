"""Minyi from Python: validates a case form, routes it with the Beijing rule set and scores a month,
through the bundle's components in wasmtime (PyPI ``wasmtime``, its component API) -- the bytes the
Rust host runs, checked against SHA256SUMS first. Prints the three answers (JSON), one per line.

    python examples/python/example.py [FORM.json] [EVENTS.jsonl] [NOW] [MONTH]
"""

import hashlib
import json
import re
import sys
from pathlib import Path

from wasmtime import Engine, Store
from wasmtime.component import Component, Linker, Record

BUNDLE = Path(__file__).resolve().parent.parent.parent
VERSION = re.search(r"^package minyi:casework@([0-9.]+);", (BUNDLE / "wit/casework.wit").read_text(), re.M)[1]


class InputError(Exception):
    """The component's `input-error`: a stable code and what is wrong."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class Exports:
    """One component instance and the functions of one of its exported interfaces."""

    def __init__(self, engine, name, interface):
        path = BUNDLE / "components" / f"{name}.wasm"
        data = path.read_bytes()
        sums = dict(reversed(line.split("  ", 1)) for line in (BUNDLE / "SHA256SUMS").read_text().splitlines())
        if hashlib.sha256(data).hexdigest() != sums[f"components/{name}.wasm"]:
            raise RuntimeError(f"{path}: not the bytes SHA256SUMS names")
        self.store = Store(engine)
        self.instance = Linker(engine).instantiate(self.store, Component(engine, data))
        self.interface = self.instance.get_export_index(self.store, f"minyi:casework/{interface}@{VERSION}")

    def __call__(self, func, *args):
        index = self.instance.get_export_index(self.store, func, self.interface)
        f = self.instance.get_func(self.store, index)
        result = f(self.store, *args)
        f.post_return(self.store)
        if isinstance(result, Record):  # only an `input-error` comes back as a record here
            raise InputError(result.code, result.message)
        return result


def by_case(text):
    """The events grouped by case, in order of first appearance, each case's lines in file order --
    how `minyi score` reads an events file (`minyi_server::scores::by_case`)."""
    cases = {}
    for line in text.split("\n"):
        if line.strip():
            case_id = json.loads(line)["case_id"]
            cases[case_id] = cases.get(case_id, "") + line + "\n"
    return list(cases.values())


def main(argv):
    inputs = BUNDLE / "examples" / "inputs"
    defaults = [inputs / "form.json", inputs / "month-2026-11.jsonl", "2026-11-29T10:05:00+08:00", "2026-11"]
    form_path, events_path, now, month = (argv + defaults[len(argv):])[:4]
    form = Path(form_path).read_text(encoding="utf-8")
    rules = (BUNDLE / "rulesets" / "beijing.toml").read_text(encoding="utf-8")
    events = Path(events_path).read_text(encoding="utf-8")
    sys.stdout.reconfigure(encoding="utf-8")  # the answers carry Chinese text, whatever the locale
    engine = Engine()

    validation = Exports(engine, "validator", "validation")
    print(validation("validate-json", form, now))

    routing = Exports(engine, "router", "routing")
    context = Record()
    setattr(context, "repeat-count", 0)
    print(routing("route-once-json", rules, form, context))

    scoring = Exports(engine, "scorer", "scoring")
    board = scoring("[static]scoreboard.open", json.dumps({"month": month}))
    scoring("[method]scoreboard.add-cases-json", board, by_case(events))
    print(scoring("[method]scoreboard.ranking-json", board))


if __name__ == "__main__":
    main(sys.argv[1:])
