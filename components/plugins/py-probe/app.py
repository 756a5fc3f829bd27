"""Test only: a Python plugin that looks for everything the empty WASI surface must not give it.

A `validation-plugin` component built with componentize-py. For every form it returns one issue per
probe — environment, arguments, the filesystem, a TCP connection, a name lookup, the clock — with
`code` "probe.allowed" or "probe.denied" and what it saw in `message.en`. It prints to stdout and
stderr (which the host captures into the call's log). A form titled "raise" makes it raise, which
the host sees as a trap; one titled "sleep" makes it sleep for an hour, which the host's call deadline
ends.
"""

import os
import socket
import sys
import time
from typing import List

from wit_world import exports
from wit_world.imports.types import CaseForm, Issue, Message, Severity


def _probe(name: str, attempt) -> Issue:
    try:
        seen = attempt()
        code = "probe.allowed"
    except BaseException as e:  # noqa: BLE001 - every refusal is the answer
        seen = f"{type(e).__name__}: {e}"
        code = "probe.denied"
    return Issue(field=name, code=code, severity=Severity.WARNING, message=Message(zh_cn=str(seen), en=str(seen)))


def _connect() -> str:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("127.0.0.1", 80))
    return "connected"


def _listen() -> str:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return "listening"


def _read_file() -> str:
    with open("/etc/passwd") as f:
        return f.read(64)


class ValidationHook(exports.ValidationHook):
    def extra_issues(self, form: CaseForm) -> List[Issue]:
        if form.title == "raise":
            raise ValueError("the probe was told to raise")
        if form.title == "sleep":
            # An hour in wasi:io/poll: the host's call deadline must end it.
            time.sleep(3600)
        print("probe: stdout line")
        print("probe: stderr line", file=sys.stderr)
        env = dict(os.environ)
        return [
            Issue(field="environment", code="probe.allowed" if env else "probe.denied", severity=Severity.WARNING,
                  message=Message(zh_cn=repr(sorted(env)), en=repr(sorted(env)))),
            Issue(field="arguments", code="probe.allowed" if sys.argv[1:] else "probe.denied",
                  severity=Severity.WARNING, message=Message(zh_cn=repr(sys.argv), en=repr(sys.argv))),
            _probe("filesystem.list", lambda: os.listdir("/")),
            _probe("filesystem.read", _read_file),
            _probe("filesystem.write", lambda: open("/tmp/probe.txt", "w").write("x")),
            _probe("network.connect", _connect),
            _probe("network.listen", _listen),
            _probe("network.lookup", lambda: socket.getaddrinfo(b"localhost", 80)),
            _probe("clock", lambda: str(int(time.time()))),
        ]
