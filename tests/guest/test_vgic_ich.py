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


def timer_count(interrupts: str) -> int:
    """The guest's arch timer interrupts so far (its /proc/interrupts line, all CPUs)."""
    for line in interrupts.splitlines():
        if "arch_timer" in line:
            return sum(int(f) for f in line.split()[1:] if f.isdigit())
    raise AssertionError(f"no arch_timer in /proc/interrupts:\n{interrupts}")


def test_busy_guest_takes_interrupts_without_gic_cpu_interface_traps(guest: GuestPair) -> None:
    """The guest's GIC cost in exits: its boot set the distributor and redistributors up
    with some 100 accesses (the trapped GICv2 CPU interface alone took 1300-2800,
    docs/performance.md), and while busy it takes timer interrupts (counted in its own
    /proc/interrupts) with no GIC register access at all: acknowledge, EOI and priority
    drop go to the virtual CPU interface without a trap."""
    t, g = guest
    boot = parse_guest_stats(t.console.command("guest stats guest0"))
    print("boot:", boot)
    assert not any(d.startswith("gicv2-cpu") for d in boot.devices), boot.devices
    boot_gic = sum(r + w for d, (r, w) in boot.devices.items() if d.startswith("gicv3"))
    assert 0 < boot_gic < 400, boot

    t.console.command("guest stats guest0 --clear")
    g.attach()
    try:
        before = timer_count(g.run("cat /proc/interrupts"))
        start = time.monotonic()
        out = g.run("i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo $i", timeout=120)
        busy = time.monotonic() - start
        after = timer_count(g.run("cat /proc/interrupts"))
    finally:
        g.detach()
    s = parse_guest_stats(t.console.command("guest stats guest0"))
    print("busy:", s, busy, after - before)
    assert out.strip() == "30000", out
    # HZ 250: a second busy is some 250 timer interrupts, each delivered through a list
    # register and completed by the guest with no exit.
    assert after - before >= 100 * busy, (before, after, busy)
    gic = sum(r + w for d, (r, w) in s.devices.items() if d.startswith("gic"))
    assert gic < 20, s
    # No trapped CPU interface: the exits that are not the console's (the shell's
    # output) stay far below the emulated interface's 960-1050 a second.
    uart = sum(r + w for d, (r, w) in s.devices.items() if d.startswith("pl011"))
    assert s.per_second(s.total - uart) < 500, s
