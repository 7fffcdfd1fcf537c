# SPDX-License-Identifier: GPL-2.0-only
"""Mamoru on every core (issue 16, first step; docs/smp.md): the boot CPU brings each core
of the device tree into the hypervisor (PSCI CPU_ON on virt, the spin table on the Pis),
each answers IPIs (smp_call: GICv2/GICv3 SGIs, the BCM2836 mailboxes on the Pi 3).

All four arm64 configurations have four cores: the banner's `cpus:` line says 4 online,
`cpus` lists them online, `cpus ping` reaches each one (and the call runs on that core)."""

from __future__ import annotations

import re
import time

import pytest

from mamoru.testing import Target

pytestmark = [pytest.mark.configs("virt-gicv2", "virt-gicv3", "rpi3", "rpi4")]

CPUS = 4
METHOD = {"virt": "psci", "rpi3": "spin-table", "rpi4": "spin-table"}
ROW = re.compile(r"^\s*(\d+)\s+0x([0-9a-f]+)\s+(online|starting|did not come|refused|absent)"
                 r"\s+(\d+)\s+(\d+)", re.M)
PING = re.compile(r"^cpu (\d+): (\d+)/(\d+) answered, round trip us: min ([\d.]+) avg ([\d.]+) "
                  r"max ([\d.]+)$", re.M)


def rows(target: Target) -> dict[int, tuple[int, str, int, int]]:
    out = target.console.command("cpus")
    return {int(m[1]): (int(m[2], 16), m[3], int(m[4]), int(m[5])) for m in ROW.finditer(out)}


def test_banner_says_every_cpu_online(shell: Target) -> None:
    method = METHOD[shell.board.name]
    line = f"cpus: {CPUS} in the device tree, {CPUS} online ({method})\n"
    assert line in shell.boot_log.replace("\r\n", "\n"), shell.boot_log


def test_cpus_lists_every_core_online(shell: Target) -> None:
    table = rows(shell)
    assert sorted(table) == list(range(CPUS)), table
    assert all(state == "online" for _, state, _, _ in table.values()), table
    assert sorted(mpidr & 0xff for mpidr, _, _, _ in table.values()) == list(range(CPUS)), table


def test_cpus_ping_reaches_each_core(shell: Target) -> None:
    before = rows(shell)
    out = shell.console.command("cpus ping 50")
    pings = {int(m[1]): m for m in PING.finditer(out)}
    assert sorted(pings) == list(range(1, CPUS)), out
    for m in pings.values():
        assert m[2] == m[3] == "50", out
        assert 0 < float(m[4]) <= float(m[5]) <= float(m[6]), out
    after = rows(shell)
    for cpu in range(1, CPUS):
        # Each call was an IPI the core took and a call it ran.
        assert after[cpu][3] - before[cpu][3] == 50, (before, after)
        assert after[cpu][2] - before[cpu][2] >= 50, (before, after)


def test_cpus_ping_usage(shell: Target) -> None:
    for bad in ("cpus ping 0", "cpus ping x", "cpus pong", "cpus ping 1 2"):
        assert "usage: cpus" in shell.console.command(bad), bad


def test_a_cpu_that_does_not_answer_is_reported_not_waited_for(shell: Target) -> None:
    """CPU 1 busy with interrupts masked for 1.5 s: smp_call gives up on it after its deadline
    (200 ms to answer, 200 ms more once it took the call), the next call finds its slot
    still busy, the others answer meanwhile, and CPU 1 answers again once it is done."""
    c = shell.console
    out = c.command("cpus stall 1 1500")
    m = re.search(r"^cpu 1: took the call but did not finish after (\d+) ms$", out, re.M)
    assert m and 350 <= int(m[1]) < 1400, out
    out = c.command("cpus ping 5")
    assert re.search(r"^cpu 1: busy \(an earlier call never finished\) after 0 answers$", out,
                     re.M), out
    assert {int(x) for x in re.findall(r"^cpu (\d+): 5/5 answered", out, re.M)} == {2, 3}, out
    time.sleep(1.5)
    out = c.command("cpus ping 5")
    assert {int(x) for x in re.findall(r"^cpu (\d+): 5/5 answered", out, re.M)} == {1, 2, 3}, out


def test_cpus_stall_usage(shell: Target) -> None:
    assert "usage: cpus" in shell.console.command("cpus stall 1 99999")
    assert "is this one or not there" in shell.console.command("cpus stall 0 10")
    assert "is this one or not there" in shell.console.command("cpus stall 9 10")
