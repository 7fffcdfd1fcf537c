# SPDX-License-Identifier: GPL-2.0-only
"""The shell's commands: help, version, meminfo, uptime, irqstat."""

from __future__ import annotations

import re
import time

from mamoru.testing import Target

REQUIRED_COMMANDS = {"help", "version", "meminfo", "reset", "poweroff", "uptime", "irqstat"}
HELP_LINE = re.compile(r"^  (\S+)  +(\S.*)$")


def help_listing(target: Target) -> dict[str, str]:
    out = target.console.command("help")
    listed = {m.group(1): m.group(2) for m in map(HELP_LINE.match, out.splitlines()) if m}
    assert listed, f"no '  <name>  <summary>' lines in help:\n{out}"
    return listed


def test_help_lists_commands(shell: Target) -> None:
    listed = help_listing(shell)
    missing = REQUIRED_COMMANDS - listed.keys()
    assert not missing, f"help does not list {sorted(missing)}: {sorted(listed)}"


def test_help_for_each_command_gives_usage(shell: Target) -> None:
    for name in help_listing(shell):
        out = shell.console.command(f"help {name}")
        assert any(line.startswith(f"usage: {name}") for line in out.splitlines()), (
            f"'help {name}' gives no 'usage: {name}' line:\n{out}"
        )


def test_help_version(shell: Target) -> None:
    lines = [line for line in shell.console.command("help version").splitlines() if line.strip()]
    assert lines and lines[0].startswith("usage: version"), lines
    assert len(lines) >= 2, f"no description after the usage line: {lines}"


def test_help_unknown_command(shell: Target) -> None:
    out = shell.console.command("help nosuch")
    assert any(line.startswith("error:") for line in out.splitlines()), out


def fields(out: str) -> dict[str, str]:
    result = {}
    for line in out.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            result[key.strip()] = value.strip()
    return result


# The level the hypervisor runs at: EL2 on arm64, SVC mode on ARMv5 (which has no EL2).
LEVEL = {"arm64": "EL2", "arm32": "SVC"}


def test_version(shell: Target) -> None:
    out = shell.console.command("version")
    f = fields(out)
    assert re.fullmatch(r"\d+\.\d+\.\d+", f.get("version", "")), out
    assert f.get("git"), out
    assert f.get("board") == shell.board.title, out
    assert f.get("built"), out
    assert f.get("level") == LEVEL[shell.board.arch.name], out


def test_meminfo(shell: Target) -> None:
    out = shell.console.command("meminfo")
    numbers = {}
    for key, pattern in {
        "image": r"^image: (\d+) bytes\b",
        "heap used": r"^heap used: (\d+)\b",
        "heap free": r"^heap free: (\d+)\b",
        "pages free": r"^pages free: (\d+)\b",
    }.items():
        m = re.search(pattern, out, re.MULTILINE)
        assert m, f"no '{key}' line in meminfo:\n{out}"
        numbers[key] = int(m.group(1))
    assert numbers["image"] >= 4096, out
    assert numbers["heap free"] > 0, out
    assert numbers["pages free"] > 0, out


UPTIME = re.compile(r"^uptime: (\d+)\.(\d{3}) s, ticks: (\d+)$", re.MULTILINE)


def uptime(target: Target) -> tuple[float, int]:
    out = target.console.command("uptime")
    m = UPTIME.search(out)
    assert m, f"not 'uptime: <s>.<ms> s, ticks: <n>':\n{out}"
    return int(m.group(1)) + int(m.group(2)) / 1000, int(m.group(3))


def test_uptime_advances_with_timer_ticks(shell: Target) -> None:
    t1, ticks1 = uptime(shell)
    time.sleep(1)
    t2, ticks2 = uptime(shell)
    assert 0.8 <= t2 - t1 <= 10, f"uptime went from {t1} to {t2} s in about 1 s"
    assert ticks2 - ticks1 >= 5, f"ticks went from {ticks1} to {ticks2} in about 1 s"


IRQ_LINE = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\S.*?)\s*$")
TIMER_NAME = re.compile(r"timer|tick|cnt|clock", re.IGNORECASE)


def irqstat(target: Target) -> dict[int, tuple[int, str]]:
    """The '<irq> <count> <name>' lines (other lines, e.g. a summary, are allowed)."""
    out = target.console.command("irqstat")
    rows = {}
    for line in out.splitlines():
        if not re.match(r"\s*\d", line):
            continue
        m = IRQ_LINE.match(line)
        assert m, f"irqstat line {line!r} is not '<irq> <count> <name>'"
        rows[int(m.group(1))] = (int(m.group(2)), m.group(3))
    assert rows, "irqstat lists no interrupts"
    return rows


def test_irqstat_lists_interrupts(shell: Target) -> None:
    rows = irqstat(shell)
    assert any(TIMER_NAME.search(name) and count > 0 for count, name in rows.values()), (
        f"no timer interrupt has fired: {rows}"
    )


def test_console_input_is_interrupt_driven(shell: Target) -> None:
    before = irqstat(shell)
    typed = 5
    for _ in range(typed):
        shell.console.command("version")
    after = irqstat(shell)
    # Each command is at least two writes (text, Enter) the shell had to wait for.
    grown = {
        irq: after[irq][0] - before.get(irq, (0, ""))[0]
        for irq in after
        if not TIMER_NAME.search(after[irq][1])
    }
    assert grown and max(grown.values()) >= 2 * typed, (
        f"no console UART interrupt count grew by {2 * typed}; before {before}, after {after}"
    )


def test_typing_after_idle(shell: Target) -> None:
    time.sleep(2)
    out = shell.console.command("version", timeout=5)
    assert fields(out).get("level") == LEVEL[shell.board.arch.name], out
