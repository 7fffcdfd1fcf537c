# SPDX-License-Identifier: GPL-2.0-only
"""The IDS's two reporters on the host (commands/ids/report_{text,json}.c through
tests/vmi/host/report_check.c, sanitizers on): every record type with hostile guest text in
every string field. JSON stays valid and gives the bytes back; text lets no control byte reach
the operator's terminal."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess

import pytest
from vmi_pt import host_program

SAN_ENV = dict(os.environ, ASAN_OPTIONS="exitcode=99:detect_leaks=1",
               UBSAN_OPTIONS="exitcode=98:print_stacktrace=1:halt_on_error=1")

HOSTILE = {
    "plain": b"init",
    "quotes": b'a"b"\\"c',
    "backslashes": b"\\\\x41\\u0041\\",
    "control": bytes(range(1, 0x20)) + b"\x7f",
    "terminal": b"\x1b[2J\x1b]0;owned\x07evil",
    "invalid utf-8": b"\xc3(\xa0\xa1\xff\xfe\xe2\x28\xa1\xf0\x28\x8c\x28",
    "valid utf-8": "bösartig→".encode(),
    "long": b"n" * 6000 + b"\x1b" + b'"' * 500,
}
# The fixed strings of the records report_check emits (not the hostile one).
FIXED = {"type", "table", "kind", "region", "addr", "task", "base", "object", "kaslr_slide",
         "scan", "state", "proto", "local_addr", "remote_addr", "sk"}
TYPES = ["banner", "process", "process", "syscall", "syscall", "module", "hook", "socket",
         "socket", "integrity", "finding", "elided", "note", "error", "warning",
         "integrity_scan", "summary", "summary", "summary", "summary", "summary"]


@functools.cache
def program() -> str:
    return str(host_program("report_check"))


def report(mode: str, text: bytes) -> bytes:
    r = subprocess.run([program(), mode, text], capture_output=True,
                       env=SAN_ENV, timeout=60, check=False)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout


def terminal_escape(text: bytes) -> str:
    """str_escape: printable ASCII as is, a backslash doubled, every other byte as \\xNN."""
    return "".join("\\\\" if b == 0x5C else chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}"
                   for b in text)


def desc_escape(text: bytes) -> str:
    """A description's escaping: as terminal_escape, but a backslash stays single."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}" for b in text)


@pytest.mark.parametrize("name", HOSTILE)
def test_json_is_valid_and_gives_the_bytes_back(name: str) -> None:
    text = HOSTILE[name]
    out = report("json", text)
    assert all(b < 0x80 for b in out), "JSON output is ASCII"
    objs = [json.loads(line) for line in out.decode("ascii").splitlines()]
    assert [o["type"] for o in objs] == TYPES
    strings = 0
    for o in objs:
        for key, value in o.items():
            if isinstance(value, str) and key not in FIXED:
                # One \u00NN per byte: latin-1 turns the code points back into the bytes.
                assert value.encode("latin-1") == text, (o["type"], key)
                strings += 1
    assert strings >= 25
    assert objs[-5]["scan"] == "integrity" and objs[-1]["findings"] == 9
    # A remark on a socket that is no finding; a partial check: a warning and a count.
    sock = [o for o in objs if o["type"] == "socket"]
    assert sock[0]["flagged"] and "info" not in sock[0], sock[0]
    assert not sock[1]["flagged"] and "finding" not in sock[1], sock[1]
    assert [o["partial"] for o in objs if o["type"] == "summary"] == [0, 1, 2, 1, 0]


@pytest.mark.parametrize("mode", ["text", "check"])
@pytest.mark.parametrize("name", HOSTILE)
def test_text_reaches_the_terminal_escaped(name: str, mode: str) -> None:
    text = HOSTILE[name]
    out = report(mode, text)
    bad = [b for b in out if (b < 0x20 and b != 0x0A) or b >= 0x7F]
    assert not bad, f"raw bytes reach the terminal: {bytes(bad)[:40]!r}"
    lines = out.decode("ascii").splitlines()
    escaped = terminal_escape(text)
    # Raw guest strings (a process name) are escaped with backslashes doubled.
    row = next(x for x in lines if re.match(r"\s+42\s+1\s+0 S\s+", x))
    assert row.endswith(escaped), row
    if mode == "check":
        assert any(x.startswith("finding: syscall   61 0x") for x in lines), lines
        assert any(x.startswith("finding: kprobe: ") for x in lines), lines
    else:
        assert any(x.startswith("  61 0xffff800001000000 ") for x in lines), lines
        assert any(x.startswith("kprobe  ") for x in lines), lines
        assert any(x.startswith("PROTO LOCAL ") for x in lines), lines
    # The socket's owner (a raw name) and why it may be hidden (a description).
    row = next(x for x in lines if "0.0.0.0:23 " in x)
    assert row.startswith("finding: net: tcp   " if mode == "check" else "tcp   "), row
    assert f" LISTEN      77/{escaped}  " in row, row
    # The remark on a socket that is no finding, after its row as a finding's text would be.
    row = next(x for x in lines if ":::24 " in x)
    assert row.endswith(f" LISTEN      78/{escaped}  {desc_escape(text)}"), row
    assert row.startswith("note: net: tcp6  " if mode == "check" else "tcp6  "), row
    warning = next(x for x in lines if x.startswith("warning: "))
    assert warning == f"warning: {desc_escape(text)}: {desc_escape(text)}", warning
    assert lines[-5] == "9 integrity findings (4 KiB of text, 8 KiB of rodata checked)"
    assert lines[-4] == "2 sockets, 1 finding (partially checked)"
    assert lines[-3] == "ids: PARTIAL (2 warnings: not everything was checked)"
    assert lines[-2] == "ids: ALERT (9 findings), partially checked"
    assert lines[-1] == "ids: ALERT (9 findings)"
