# SPDX-License-Identifier: GPL-2.0-only
"""Two guests on one core (issue 16, docs/smp.md "Pinned vCPUs", turns): guest0 and guest1
have two vCPUs each, so vCPU 1 of both runs on core 1, taking turns. guest0 holds its CPU 1
with interrupts masked (the attack module's hog: a kernel thread bound to it, no timer of its
own), which never leaves the guest by itself: the core's own timer must end its turns, or
guest1's CPU 1 gets no time until the hypervisor next stops the cores.

The measure is guest1's own accounting: the CPU time its kernel charged to a busy loop pinned
to its CPU 1 (/proc/stat, from timer ticks it takes only while that vCPU runs). Alone on the
core the loop has all of it (3.07-3.10 s in 3 s); beside the hog, with timed turns, about
half (1.51-1.53 s; a third, 1.00-1.04 s, when any interrupt ended a turn and its own timer's
came every 4 ms); without turns, none (0 in a build without them). The hold begins and ends on
the test's writes to the module's `hog_hold`, so it covers guest1's window however slow the
host (an earlier hold of fixed length, begun at the load, ended before the window on a busy
CI machine).
One boot per configuration: the GICv3 redistributor's per-core timer interrupt (virt-gicv3)
and the Pi 3's per-core local timer source (rpi3); a GICv2 enables it as it enables the
virtual timer's, which every guest test uses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamoru import bundle, guest_assets, paths
from mamoru.boards import BoardConfig
from mamoru.guest_module import attack_initramfs_files, insmod_command
from mamoru.guest_platform import GuestPlatform
from mamoru.guestshell import GuestShell
from mamoru.testing import Target, in_guest, module_target
from mamoru.testing.ids import protection_off, require_attack_module
from mamoru.testing.target import State, at_state

pytestmark = [pytest.mark.configs("virt-gicv3", "rpi3"), pytest.mark.guests("arm64")]

HOG_MS = 60000                  # the hold's limit, if the test stops before it releases it
HOG_HOLD = "/sys/module/mamoru_attack/parameters/hog_hold"
WINDOW_S = 3
LOOP = "taskset -c 1 sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $!"


def shared_core_bundle() -> Path:
    """build/test-bundles/shared-core.cpio: guest0 (two vCPUs, the attack module) and guest1
    (two vCPUs), cached."""
    out = paths.BUILD / "test-bundles" / "shared-core.cpio"
    kernel = guest_assets.cloud_kernel()
    extra = attack_initramfs_files()
    module_files = [p for p in extra.values() if isinstance(p, Path)]
    if bundle.stale(out, [*bundle.bundle_inputs(kernel), *module_files]):
        bundle.write_bundle(out, [
            bundle.kernel_guest(kernel, GuestPlatform(vcpus=2), extra),
            bundle.kernel_guest(kernel, GuestPlatform(name="guest1", ram_size=128 << 20,
                                                      vcpus=2), profile=False)])
    return out


@pytest.fixture(scope="module")
def two_target(request: pytest.FixtureRequest, board_config: BoardConfig) -> Iterator[Target]:
    with module_target(request, board_config,
                       qemu_only="the board runs the bundle on its SD card, not these test guests",
                       initrd=shared_core_bundle, label=f"{board_config.id} two guests on one core",
                       guest_init=["dmesg -n 1"], after_guest=[protection_off]) as t:
        yield t


@pytest.fixture
def two(request: pytest.FixtureRequest, two_target: Target) -> Iterator[Target]:
    """The module's target with both guests up, at a fresh hypervisor prompt."""
    with at_state(two_target, request.node, State.HYPERVISOR, guest=True):  # type: ignore[arg-type]
        yield two_target


def cpu1_ticks(g: GuestShell, cmd: str = "") -> tuple[int, int]:
    """user + system ticks the guest's kernel charged to its CPU 1 before and after cmd (all
    three on its CPU 0)."""
    out = g.run(f"taskset -c 0 sh -c \"grep '^cpu1 ' /proc/stat; {cmd}; grep '^cpu1 ' /proc/stat\"")
    rows = re.findall(r"^cpu1 (\d+) \d+ (\d+) ", out, re.M)
    assert len(rows) == 2, out
    before, after = (int(u) + int(s) for u, s in rows)
    return before, after


def turns(t: Target, core: int) -> int:
    """The `turns` column of the hypervisor's `cpus` for core."""
    out = t.console.command("cpus")
    m = re.search(rf"^ *{core} +0x[0-9a-f]+ +online(?: +\d+){{4}} +(\d+)", out, re.M)
    assert m, out
    return int(m[1])


def test_a_vcpu_that_never_exits_shares_its_core(two: Target) -> None:
    t = two
    g1 = GuestShell(t.console, "guest1")
    g1.attach(120)
    try:
        g1.run("dmesg -n 1")
        g1.run("taskset -p 1 $$ >/dev/null")     # the shell on CPU 0: core 1 is contested
        assert g1.run("grep -c ^processor /proc/cpuinfo") == "2"
        g1.run(LOOP)
    finally:
        g1.detach()
    turns_before = turns(t, 1)

    with in_guest(t, 60) as g0:
        require_attack_module(g0)
        g0.run("taskset -p 1 $$ >/dev/null")     # the shell on CPU 0, away from the hold
        # Unbound kernel work (the tty's input among it) on CPU 0 too: queued to the held
        # CPU it would wait there, and the shell would not read the release (measured: typed
        # input sat 17 s, until the guest's RCU stall report).
        g0.run("echo 1 > /sys/devices/virtual/workqueue/cpumask")
        g0.run(insmod_command(hog_cpu=1, hog_ms=HOG_MS))
        # The hold begins on this write (not at the load: the end of a load waits for every
        # CPU) and lasts until the next, so it covers guest1's window however slow the host.
        log = g0.run(f"echo 1 > {HOG_HOLD}; for i in $(seq 30); do "
                     "dmesg | grep 'mamoru_attack: holding cpu 1' && break; sleep 1; done",
                     timeout=60)
        assert "holding cpu 1" in log, log
    g1.attach(60)
    try:
        a, b = cpu1_ticks(g1, f"sleep {WINDOW_S}")
        shared = b - a
    finally:
        g1.detach()
    ended = turns(t, 1) - turns_before
    with in_guest(t, 60) as g0:
        log = g0.run(f"echo 0 > {HOG_HOLD}; for i in $(seq 30); do "
                     "dmesg | grep 'mamoru_attack: held cpu 1' && break; sleep 1; done",
                     timeout=60)
    # Released by the write, not ended by its limit: the hold went on all through guest1's
    # window (with no turns, guest1's CPU 1 gets no time and its kernel waits for it).
    m = re.search(r"held cpu 1 for (\d+) ms \((released|time limit)\)", log)
    assert m, log
    assert m[2] == "released", f"the hold ended at its limit ({HOG_MS} ms), not released: {log}"
    # Core 1's timer ended turns (10 ms each, TIMER_HZ 100, while two vCPUs are there).
    assert ended >= 50 * WINDOW_S, ended
    # /proc/stat counts hundredths of a second: alone the loop gets about 100 a second.
    # Beside the hog, with timed turns, about half: 151-153 in 3 s. When its own timer's
    # interrupt (every 4 ms) ended its turns and the hog's went 10 ms, a third (100-104);
    # without turns, none. The share depends on the host: a turn is measured on the
    # core's clock, hypervisor work included (on the Pi 3 each of guest1's timer
    # interrupts also costs trapped CPU-interface accesses). One machine gave 151-154 and
    # another 102-116 on rpi3 and 113 on virt-gicv3 with the same code (docs/smp.md,
    # "Not done yet"), so the test asks for a quarter, which no build without turns reaches.
    assert shared >= 25 * WINDOW_S, (shared, ended)
