# SPDX-License-Identifier: GPL-2.0-only
"""Guest boot-to-shell and CPU cost under Mamoru against the same kernel run directly by QEMU.

Boots Debian's arm64 cloud kernel + busybox initramfs (a) as guest0 under Mamoru on each
board configuration and (b) directly under QEMU -M virt at EL1 with the same initramfs, and
times boot to the shell prompt and a shell arithmetic loop inside the guest (by the host's
clock, and by the guest's own `time`), in --rounds rounds that take turns so a busy spell of
the machine hits one round of each; the best round is the result. Then where guest0's exits
went (`guest stats`, last round): during its boot, the loop, and idle. The baseline runs as
virt's board.toml runs QEMU (one TCG thread) with the guest's CPU count (--vcpus, default
one; with 4, guest0 has a vCPU pinned on each core and the baseline gets -smp 4).
The raspi machines cannot boot the cloud kernel directly (no Broadcom drivers in it), so the
direct baseline is virt's. Run through ./mamoru bench --only guest.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from guestbench import (
    CPU_LOOP,
    INIT_STAMP,
    busybox_time,
    guest_under_mamoru,
    init_stamp,
    smp_bundle,
)

from mamoru import guest_assets
from mamoru.boards import BoardConfig, select_configs
from mamoru.cpio import read_cpio
from mamoru.guest_assets import GUEST_PROMPT
from mamoru.guest_stats import GuestStats
from mamoru.guest_stats import parse as parse_guest_stats
from mamoru.plainqemu import StdioQemu

# The options of virt's board.toml that change how fast QEMU runs a guest: the direct
# baseline gets them too (one TCG thread), with the guest's own CPU count, one.
DIRECT_ACCEL = ["-accel", "tcg,thread=single"]


# The loop between two markers the shell prints, so the host's clock leaves out the typing
# of the command and its echo (which go through the emulated UART under Mamoru).
BEGIN, END = "@@loop-begin@@", "@@loop-end@@"
TIMED_LOOP = f'echo "@@"loop-begin@@; {CPU_LOOP}; echo "@@"loop-end@@'


def timed_loop(expect: Callable[[str], str]) -> tuple[float, float]:
    """(host wall seconds, the guest's own `time`) of TIMED_LOOP, typed already: expect(p)
    waits for p and returns the output before it."""
    expect(BEGIN)
    start = time.monotonic()
    out = expect(END)
    return time.monotonic() - start, busybox_time(out)


def direct_qemu(initrd: Path, vcpus: int) -> tuple[float, float, float, float]:
    """(boot-to-shell s, the kernel's own clock at /init, CPU loop wall s, CPU loop guest s)
    of the kernel booted directly by QEMU with vcpus CPUs."""
    image = guest_assets.cloud_kernel().image
    argv = ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-m", "256M",
            "-smp", str(vcpus), *DIRECT_ACCEL,
            "-display", "none", "-monitor", "none", "-serial", "stdio",
            "-kernel", str(image), "-initrd", str(initrd),
            "-append", "console=ttyAMA0 rdinit=/init"]
    start = time.monotonic()
    with StdioQemu(argv) as q:
        q.send("")
        q.expect(re.escape(GUEST_PROMPT), 120)
        boot = time.monotonic() - start
        q.send(INIT_STAMP)
        m = q.expect(re.escape(GUEST_PROMPT), 30)
        kernel = init_stamp(m.string[: m.start()])    # its last /init line: dmesg's
        q.send(TIMED_LOOP)

        def expect(pattern: str) -> str:
            m = q.expect(re.escape(pattern), 300)
            return m.string[: m.start()]        # all output so far: one `time` in it
        return (boot, kernel, *timed_loop(expect))


@dataclass
class Runs:
    """Each round's seconds: boot to shell, the kernel's own clock at /init, CPU loop by the
    host's clock and the guest's."""

    boot: list[float] = field(default_factory=list)
    kernel: list[float] = field(default_factory=list)
    loop: list[float] = field(default_factory=list)
    guest_loop: list[float] = field(default_factory=list)

    def add(self, boot: float, kernel: float, loop: float, guest_loop: float) -> None:
        self.boot.append(boot)
        self.kernel.append(kernel)
        self.loop.append(loop)
        self.guest_loop.append(guest_loop)


def under_mamoru(config: BoardConfig, runs: Runs, vcpus: int
                 ) -> tuple[GuestStats, GuestStats, GuestStats]:
    """One round under Mamoru: boot, loop, idle; guest0's exits in each."""
    # The bundle the baseline's initramfs comes from (the cloud kernel), on every board:
    # the Pis' own default guest runs the generic kernel.
    with guest_under_mamoru(config, smp_bundle(vcpus)) as (q, g, boot):
        assert q.console is not None
        g.detach()
        booted = parse_guest_stats(q.console.command("guest stats --clear"))
        g.attach()
        kernel = init_stamp(g.run(INIT_STAMP))      # after the boot's exits are counted
        q.console.write(TIMED_LOOP + "\r")

        def expect(pattern: str) -> str:
            q.console.expect(pattern, 300)
            return q.console.before
        loop = timed_loop(expect)
        q.console.expect(GUEST_PROMPT, 10)
        g.detach()
        busy = parse_guest_stats(q.console.command("guest stats --clear"))
        time.sleep(IDLE_SECONDS)
        idle = parse_guest_stats(q.console.command("guest stats"))
    runs.add(boot, kernel, *loop)
    return booted, busy, idle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", action="append", default=[], metavar="NAME",
                        help="virt-gicv2, virt-gicv3, rpi4, rpi3 (repeatable; default all)")
    parser.add_argument("--rounds", type=int, default=3, metavar="N",
                        help="rounds, each booting every configuration and the direct "
                        "baseline once, in turn (default 3); the table gives the best round")
    parser.add_argument("--vcpus", type=int, choices=(1, 4), default=1,
                        help="guest0's vCPUs under Mamoru and the baseline's CPUs (default 1)")
    args = parser.parse_args()
    bundle = smp_bundle(args.vcpus)     # the baseline gets as many CPUs
    initrd = next(e.data for e in read_cpio(bundle.read_bytes()) if e.name == "guest0/initrd")
    # The arm64 boards: the baseline is an arm64 kernel (versatilepb's guest has its own
    # benchmark, --only v5).
    configs = [c for c in select_configs(args.board)
               if c.board.guests and c.board.arch.name == "arm64"]
    direct = "direct QEMU virt (EL1)"
    runs: dict[str, Runs] = {direct: Runs(), **{c.id: Runs() for c in configs}}
    traps: dict[str, tuple[GuestStats, GuestStats, GuestStats]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "initrd.cpio"
        f.write_bytes(initrd)
        # Rounds alternate the baseline and each configuration, so that a busy spell of
        # the machine slows one round of each rather than all runs of one.
        for r in range(args.rounds):
            runs[direct].add(*direct_qemu(f, args.vcpus))
            for config in configs:
                traps[config.id] = under_mamoru(config, runs[config.id], args.vcpus)
            print(f"bench: round {r + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    base = runs[direct]
    print(f"{args.vcpus} vCPU(s), best of {args.rounds} rounds (median in brackets). Boot: "
          "QEMU's start to the shell's prompt (host clock), and the kernel's own clock at "
          "'Run /init' (its printk time: from its timer's start early in its boot, so "
          "without QEMU's loading, Mamoru's start or the kernel's first steps). CPU loop: "
          "host clock, and the guest's own `time`")
    print(f"{'where':<22} {'boot to shell s':>16} {'ratio':>6} {'kernel /init s':>16} "
          f"{'ratio':>6} {'cpu loop s':>16} {'ratio':>6} {'guest time s':>13}")
    for name, r in runs.items():
        label = name if name == direct else "Mamoru " + name
        print(f"{label:<22} {cell(r.boot)} {min(r.boot) / min(base.boot):>6.2f} "
              f"{cell(r.kernel)} {min(r.kernel) / min(base.kernel):>6.2f} "
              f"{cell(r.loop)} {min(r.loop) / min(base.loop):>6.2f} "
              f"{min(r.guest_loop):>13.2f}", flush=True)
    for config_id, (booted, busy, idle) in traps.items():
        print_traps(config_id, booted, busy, idle)
    return 0


IDLE_SECONDS = 5.0


def cell(values: list[float]) -> str:
    """The best of values and their median in brackets."""
    return f"{min(values):>7.2f} [{median(values):>6.2f}]"


def print_traps(config_id: str, booted: GuestStats, busy: GuestStats, idle: GuestStats) -> None:
    """Where the exits go (`guest stats`): during the boot to the shell (count), the CPU loop
    and idle at the shell (per second), by kind and by emulated device."""
    print(f"\nexits of guest0 on {config_id}: boot {booted.seconds:.1f} s, "
          f"busy {busy.seconds:.1f} s, idle {idle.seconds:.1f} s; in the guest "
          f"{booted.in_guest:.1f}, {busy.in_guest:.1f}, {idle.in_guest:.1f} s")
    print(f"  {'kind':<22} {'boot':>10} {'busy /s':>10} {'idle /s':>10}")
    rows = [("total", booted.total, busy.total, idle.total)]
    rows += [(k, booted.kinds[k], busy.kinds.get(k, 0), idle.kinds.get(k, 0))
             for k in booted.kinds]
    rows += [(f"{d} r+w", sum(booted.devices[d]), sum(busy.devices.get(d, (0, 0))),
              sum(idle.devices.get(d, (0, 0)))) for d in booted.devices]
    for name, b, u, i in rows:
        print(f"  {name:<22} {b:>10} {busy.per_second(u):>10.0f} {idle.per_second(i):>10.0f}")


if __name__ == "__main__":
    sys.exit(main())
