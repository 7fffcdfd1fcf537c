# SPDX-License-Identifier: GPL-2.0-only
"""Guests of one and of four vCPUs (docs/smp.md), side by side, per board configuration.

For guest0 (Debian's cloud kernel, the busybox initramfs) with 1 and with 4 vCPUs: boot to
the shell prompt, one CPU-bound loop, four of them at once (one pinned per CPU with 4 vCPUs),
the IDS's `ids plist` with 100 extra processes (console seconds and the time the guest was
held, its summary's stopped_us), and the guest's exits per second while idle, by kind.
With four vCPUs each is pinned to a core of its own (Kconfig VCPU_PIN). QEMU runs the
four cores in one TCG thread here (`-accel tcg,thread=single`), so four loops still take
about four times one in wall time: the numbers show what Mamoru adds to a guest of four
vCPUs (exits, stop-the-world time), not the parallel speed-up real cores give.
One run; ./mamoru bench --only smp [-- --board virt-gicv2].
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from guestbench import CPU_LOOP, busybox_time, guest_under_mamoru, smp_bundle

from mamoru.boards import select_configs
from mamoru.guest_stats import parse as parse_guest_stats
from mamoru.guestshell import GuestShell

IDLE_SECONDS = 5
LOOP = "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done"


def parallel_loops(g: GuestShell, vcpus: int) -> float:
    """Seconds for four loops at once (pinned one per CPU when there are four)."""
    pin = [f"taskset -c {c} " if vcpus == 4 else "" for c in range(4)]
    loop = LOOP.replace("$", "\\$")           # inside the outer double quotes
    jobs = " ".join(f"{pin[c]}sh -c '{loop}' &" for c in range(4))
    return busybox_time(g.run(f"time sh -c \"{jobs} wait\"", timeout=600))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", action="append", default=[], metavar="NAME",
                        help="virt-gicv2, virt-gicv3, rpi4, rpi3 (repeatable; default all)")
    args = parser.parse_args()
    print(f"{'config':<12} {'vcpus':>5} {'boot s':>7} {'1 loop s':>9} {'4 loops s':>10} "
          f"{'plist s':>8} {'held s':>7} {'idle exits/s':>13}  idle exits by kind")
    # The arm64 boards (versatilepb's guest is another kernel, with one CPU).
    configs = [c for c in select_configs(args.board)
               if c.board.guests and c.board.arch.name == "arm64"]
    for config in configs:
        for vcpus in (1, 4):
            with guest_under_mamoru(config, smp_bundle(vcpus)) as (q, g, boot):
                assert q.console is not None
                g.run("dmesg -n 1")
                one = busybox_time(g.run(CPU_LOOP, timeout=300))
                four = parallel_loops(g, vcpus)
                g.run("for i in $(seq 100); do sleep 100000 & done", timeout=120)
                g.detach()
                start = time.monotonic()
                out = q.console.command("ids plist --json", timeout=300)
                wall = time.monotonic() - start
                objs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
                assert objs and objs[-1]["type"] == "summary", out[-500:]
                held = objs[-1]["stopped_us"] / 1e6
                q.console.command("guest stats --clear")
                time.sleep(IDLE_SECONDS)
                idle = parse_guest_stats(q.console.command("guest stats"))
            rate = idle.per_second(idle.total)
            kinds = ", ".join(f"{k} {idle.per_second(v):.0f}" for k, v in idle.kinds.items() if v)
            print(f"{config.id:<12} {vcpus:>5} {boot:>7.2f} {one:>9.2f} {four:>10.2f} "
                  f"{wall:>8.3f} {held:>7.3f} {rate:>13.0f}  {kinds}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
