# SPDX-License-Identifier: GPL-2.0-only
"""Issue 16: on a GICv3 host the guest sees a GICv3 and acknowledges and completes its
interrupts through the GICv3 virtual CPU interface (ICH list registers), without a trap.

Before it (the emulated GICv2 CPU interface), a booting guest made 1300-2800 accesses to
the GIC CPU interface page, each a trap, and a busy one some 600 more exits a second
(docs/performance.md). Now its tree names an `arm,gic-v3` with the distributor and the
redistributors only (no CPU interface page: there is none to trap on), its kernel runs the
GICv3 driver, and while a busy guest takes timer interrupts its only GIC exits are the
distributor/redistributor accesses of enabling or routing something (none in steady state).
"""

from __future__ import annotations

import re
import time

import pytest

from mamoru.guest_stats import parse as parse_guest_stats
from mamoru.guestshell import GuestShell
from mamoru.testing import Target

pytestmark = [pytest.mark.qemu, pytest.mark.guests("arm64"), pytest.mark.configs("virt-gicv3")]

GuestPair = tuple[Target, GuestShell]


def test_guest_sees_a_gicv3_on_the_list_registers(guest: GuestPair) -> None:
    t, g = guest
    # The boot banner and `guest list` name the backend.
    assert "vgic: gicv3 list registers (ich)" in t.boot_log, t.boot_log[-3000:]
    listing = t.console.command("guest list")
    assert "gicv3 list registers (ich)" in listing, listing
    g.attach()
    try:
        interrupts = g.run("cat /proc/interrupts")
        dmesg = g.run("dmesg | grep -i gic")
        compat = g.run("cat /proc/device-tree/intc@8000000/compatible /proc/device-tree/"
                       "interrupt-controller@8000000/compatible 2>/dev/null | tr '\\0' ' '")
        cpuinfo = g.run("cat /proc/cpuinfo")
    finally:
        g.detach()
    # The kernel's irqchip is "GICv3" for every interrupt it lists (the arch timer, the
    # console UART, the virtio devices).
    assert re.search(r"\bGICv3\b", interrupts) and "GIC-0" not in interrupts, interrupts
    assert "GICv3" in dmesg and "GICv2" not in dmesg, dmesg
    assert "arm,gic-v3" in compat and "cortex-a15-gic" not in compat, compat
    # Its four vCPUs each found their redistributor.
    cpus = len(re.findall(r"^processor", cpuinfo, re.M))
    assert len(re.findall(r"CPU\d+: found redistributor", dmesg)) == cpus or cpus == 1, dmesg


def test_busy_guest_takes_interrupts_without_gic_cpu_interface_traps(guest: GuestPair) -> None:
    """A guest busy for two seconds takes some 2 x 250 timer interrupts (HZ 250) and its
    console's: with the trapped GICv2 CPU interface each cost an acknowledge and an EOI
    exit. Here the guest has no GIC CPU interface device at all, its distributor and
    redistributors see (almost) nothing, and its exits per second stay far below the
    emulated interface's 960-1050 (docs/performance.md)."""
    t, g = guest

    def stats():  # type: ignore[no-untyped-def]
        return parse_guest_stats(t.console.command("guest stats guest0"))

    t.console.command("guest stats guest0 --clear")
    g.attach()
    try:
        start = time.monotonic()
        out = g.run("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo $i", timeout=120)
        busy = time.monotonic() - start
    finally:
        g.detach()
    assert out.strip() == "20000", out
    s = stats()
    assert not any(d.startswith("gicv2-cpu") for d in s.devices), s.devices
    gic = {d: rw for d, rw in s.devices.items() if d.startswith("gicv3")}
    gic_accesses = sum(r + w for r, w in gic.values())
    # The timer interrupts happened (the guest's jiffies moved: it counted for `busy`
    # seconds) but cost no GIC register access each: a few at most, for the whole run.
    assert busy > 0.5, busy
    assert gic_accesses < 50, (gic, s)
    # And no trapped CPU interface exits: the few sysreg exits are SGIs (ICC_SGI1R_EL1).
    assert s.per_second(s.total) < 600, s
