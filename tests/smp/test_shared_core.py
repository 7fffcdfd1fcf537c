# SPDX-License-Identifier: GPL-2.0-only
"""Two guests on one core (issue 16, docs/smp.md "Turns on a shared core"): guest0 and guest1
have two vCPUs each, so vCPU 1 of both runs on core 1, taking turns. guest0 holds its CPU 1
with interrupts masked (the attack module's hog: a kernel thread bound to it, no timer of its
own), which never leaves the guest by itself: the core's own timer must end its turns, or
guest1's CPU 1 gets no time until the hypervisor next stops the cores.

The measure is guest1's own accounting: the CPU time its kernel charged to a busy loop pinned
to its CPU 1 (/proc/stat, from timer ticks it takes only while that vCPU runs). Alone on the
core the loop has all of it; beside the hog, with turns, a good share; without, none.
One boot per configuration: the GICv3 redistributor's per-core timer interrupt (virt-gicv3)
and the Pi 3's per-core local timer source (rpi3); a GICv2 enables it as it enables the
virtual timer's, which every guest test uses."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamoru import bundle, guest_assets, paths
from mamoru.boards import BoardConfig
from mamoru.guest_module import attack_initramfs_files, insmod_command
from mamoru.guest_platform import GuestPlatform
from mamoru.guestshell import GuestShell
from mamoru.testing import Target, hardware, in_guest, new_target
from mamoru.testing.ids import protection_off, require_attack_module
from mamoru.testing.target import State, at_state

pytestmark = [pytest.mark.configs("virt-gicv3", "rpi3"), pytest.mark.guests("arm64")]

HOG_MS = 10000
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
    if hardware(request.config):
        pytest.skip("the board runs the bundle on its SD card, not these test guests")
    t = new_target(request, board_config, initrd=shared_core_bundle,
                   label=f"{board_config.id} two guests on one core",
                   guest_init=["dmesg -n 1"], after_guest=[protection_off])
    try:
        yield t
    finally:
        t.close()


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
        assert g1.run("grep -c ^processor /proc/cpuinfo") == "2"
        loop = int(g1.run(LOOP))
        a, b = cpu1_ticks(g1, f"sleep {WINDOW_S}")
        alone = b - a
    finally:
        g1.detach()
    # Alone on core 1 (guest0's CPU 1 idles), the loop has the CPU: /proc/stat counts in
    # hundredths of a second, about 100 a second.
    assert alone >= 50 * WINDOW_S, alone
    turns_before = turns(t, 1)

    with in_guest(t, 60) as g0:
        require_attack_module(g0)
        # insmod returns once the module's thread holds CPU 1.
        assert g0.run(insmod_command(hog_cpu=1, hog_ms=HOG_MS) + " && echo loaded") == "loaded"
        hog_started = time.monotonic()
    g1.attach(60)
    try:
        a, b = cpu1_ticks(g1, f"sleep {WINDOW_S}")
        window_end = time.monotonic()
        shared = b - a
    finally:
        g1.detach()
    assert window_end - hog_started < HOG_MS / 1000 - 1, (
        f"guest1's measurement ended {window_end - hog_started:.1f} s after the hog started, "
        f"not within its {HOG_MS} ms hold")
    ended = turns(t, 1) - turns_before
    # Core 1's timer ended turns (every 10 ms, TIMER_HZ 100, while two vCPUs are there).
    assert ended >= 50 * WINDOW_S, ended
    # With turns the loop got about a third of the CPU (the hog's turns are 10 ms, the
    # loop's end at its own next tick, every 4 ms); without, none: (310, 0, 0) on virt-gicv3.
    assert shared >= alone // 10, (alone, shared, ended)

    # The hog held its CPU for all of HOG_MS, and both guests go on.
    time.sleep(max(0.0, hog_started + HOG_MS / 1000 - time.monotonic()))
    with in_guest(t, 60) as g0:
        log = g0.run("for i in $(seq 30); do dmesg | grep 'mamoru_attack: held cpu' && break; "
                     "sleep 1; done", timeout=60)
        m = re.search(r"held cpu 1 for (\d+) ms", log)
        assert m and int(m[1]) >= HOG_MS, log
    g1.attach(60)
    try:
        assert g1.run("echo alive") == "alive"
        g1.kill(loop)
    finally:
        g1.detach()
