# SPDX-License-Identifier: GPL-2.0-only
"""The shell's line editor and its handling of bad input."""

from __future__ import annotations

import random
import re

import pytest

from mamoru.testing import Target

VERSION_OUT = re.compile(r"^version: \d+\.\d+\.\d+$", re.MULTILINE)


def assert_ran_version(out: str) -> None:
    assert VERSION_OUT.search(out), f"'version' did not run:\n{out}"
    assert "error" not in out, out


def test_unknown_command(shell: Target) -> None:
    out = shell.console.command("frobnicate")
    assert "error: unknown command 'frobnicate' (try 'help')" in out.splitlines(), out


def test_wrong_arguments_print_usage(shell: Target) -> None:
    out = shell.console.command("version extra")
    assert any(line.startswith("usage: version") for line in out.splitlines()), out


def test_line_too_long(shell: Target) -> None:
    c = shell.console
    c.write("a" * 300)
    c.write("\r")
    c.expect(re.compile(r"^error: line too long", re.MULTILINE), 10)
    c.settle()
    assert_ran_version(c.command("version"))


def test_control_characters_are_rejected(shell: Target) -> None:
    c = shell.console
    c.write(b"ver\x01\x02sion")
    c.settle()
    out = c.enter()
    assert any(line.startswith("error:") for line in out.splitlines()), out


def test_binary_garbage_then_command(shell: Target) -> None:
    c = shell.console
    rng = random.Random(1234)
    garbage = bytes(rng.choice([0, *range(0x80, 0x100)]) for _ in range(200))
    c.write(garbage)
    c.write("\r")
    c.settle(quiet=0.5)
    assert_ran_version(c.command("version"))


def test_ctrl_c_abandons_line(shell: Target) -> None:
    c = shell.console
    c.send("frob")
    c.write(b"\x03")
    after = c.settle()
    out = c.command("version")
    assert "frob" not in out and "error" not in after, after + out
    assert_ran_version(out)


@pytest.mark.parametrize("key", [b"\x7f", b"\x08"], ids=["DEL", "BS"])
def test_backspace(shell: Target, key: bytes) -> None:
    c = shell.console
    c.send("versionx")
    c.write(key)
    c.settle()
    assert_ran_version(c.enter())


def test_ctrl_u_clears_line(shell: Target) -> None:
    c = shell.console
    c.send("frobnicate")
    c.write(b"\x15")
    c.settle()
    c.send("version")
    assert_ran_version(c.enter())


def test_cursor_left_and_insert(shell: Target) -> None:
    c = shell.console
    c.send("vrsion")
    c.write(b"\x1b[D" * 5)
    c.write("e")
    c.settle()
    assert_ran_version(c.enter())


def test_history_recalls_previous_line(shell: Target) -> None:
    c = shell.console
    assert_ran_version(c.command("version"))
    c.write(b"\x1b[A")
    shown = c.settle()
    assert "version" in shown, f"Up arrow did not bring back 'version': {shown!r}"
    assert_ran_version(c.enter())
