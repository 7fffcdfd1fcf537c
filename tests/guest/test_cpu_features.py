# SPDX-License-Identifier: GPL-2.0-only
"""Issue 11: what CPU features guest0 sees on newer CPUs.

The guest gets the ID registers with every feature masked out that Mamoru
does not switch between guests (SVE, SME, MTE, pointer authentication, PMU,
...; docs/architecture.md "CPU features and PMU/debug"). Before, a guest on
a CPU with pointer authentication or SVE was halted at its first use of
them. Each CPU model here is one boot of QEMU virt (about a minute under
TCG), so only the GICv2 configuration runs it, on two models: neoverse-n1
(Armv8.2, the class of the Pi 5's Cortex-A76) and max (everything QEMU has:
SVE, SME, MTE, PAuth, ...). Every other guest test boots cortex-a72.
"""

from __future__ import annotations

import re

import pytest

from mamoru import paths
from mamoru.boards import BoardConfig
from mamoru.guestshell import GuestShell
from mamoru.testing import Launcher

pytestmark = [pytest.mark.configs("virt-gicv2"), pytest.mark.qemu]

GUEST_BOOT_TIMEOUT = 120.0

# hwcaps the guest must never be offered (their state is not switched).
HIDDEN = {"sve", "sve2", "sme", "sme2", "mte", "mte3", "paca", "pacg", "wfxt", "mops"}


def features(cpuinfo: str) -> set[str]:
    m = re.search(r"^Features\s*:(.*)$", cpuinfo, re.M)
    assert m, cpuinfo
    return set(m.group(1).split())


@pytest.mark.parametrize("cpu", ["neoverse-n1", "max"])
def test_guest_boots_and_sees_only_offered_features(launch: Launcher, board_config: BoardConfig,
                                                    cpu: str) -> None:
    bundle = paths.BUILD / board_config.board.name / "guests.cpio"
    if not bundle.is_file():
        pytest.fail(f"{bundle} is missing: ./mamoru build --board {board_config.board.name}")
    t = launch.boot(board_config, initrd=bundle, cpu=cpu)
    g = GuestShell(t.console)
    g.attach(GUEST_BOOT_TIMEOUT)
    cpuinfo = g.run("cat /proc/cpuinfo")
    feats = features(cpuinfo)
    assert {"fp", "asimd"} <= feats, cpuinfo
    assert not feats & HIDDEN, f"{cpu}: guest offered {sorted(feats & HIDDEN)}"
    # Nothing the kernel touched at boot (ID, debug and OS lock registers, all emulated now)
    # gave it an exception it did not expect.
    dmesg = g.run("dmesg | grep -E 'hw-breakpoint|Internal error|Oops|undefined instruction"
                  "|Unhandled|BUG:'")
    assert "hw-breakpoint: found" in dmesg, dmesg
    bad = [ln for ln in dmesg.splitlines() if "hw-breakpoint" not in ln]
    assert not bad, bad
    # The guest's shell still works after its kernel used the CPU for a while.
    assert g.run("echo $((6 * 7))").strip().endswith("42")
    g.detach()
    row = t.console.command("guest list")
    assert re.search(r"^guest0\s+running", row, re.M), row
