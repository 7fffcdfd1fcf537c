# SPDX-License-Identifier: GPL-2.0-only
"""Cost of `ids plist` for 10, 100 and 1,000 guest processes, against the guest's own `ps`.

For each count, starts that many `sleep` processes in guest0 (under Mamoru), then times
`ids plist --json` as seen from the console (scan + printing) and the time the hypervisor
held the guest (its summary's stopped_us), and `time ps` inside the guest. Also the full
`ids check` and `ids syscall`. Then the kernel integrity scan (`ids integrity`: all of kernel
text and rodata against the bundle's Image), which is also what it adds to `ids check`.
One run; run through ./mamoru bench --only ids.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from guestbench import busybox_time, guest_under_mamoru

from mamoru.boards import select_configs
from mamoru.console import Console


def ids_scan(console: Console, cmd: str) -> tuple[float, float, int]:
    """(console seconds, guest-held seconds, process lines) for one ids command."""
    start = time.monotonic()
    out = console.command(f"{cmd} --json", timeout=300)
    wall = time.monotonic() - start
    objs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    summary = objs[-1]
    assert summary["type"] == "summary", out[-500:]
    return wall, summary["stopped_us"] / 1e6, sum(o["type"] == "process" for o in objs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", action="append", default=[], metavar="NAME",
                        help="board configs (default: virt-gicv2 and rpi4)")
    parser.add_argument("--counts", default="10,100,1000", help="process counts (10,100,1000)")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]

    print(f"{'config':<12} {'procs':>6} {'listed':>7} {'plist s':>8} {'held s':>8} "
          f"{'guest ps s':>11} {'check held s':>13} {'syscall held s':>15}")
    for config in select_configs(args.board or ["virt-gicv2", "rpi4"]):
        with guest_under_mamoru(config) as (q, g, _):
            assert q.console is not None
            g.run("dmesg -n 1")
            running = 0
            for n in counts:
                g.run(f"for i in $(seq {n - running}); do sleep 100000 & done", timeout=300)
                running = n
                ps = busybox_time(g.run("time ps > /dev/null", timeout=120))
                g.detach()
                wall, held, listed = ids_scan(q.console, "ids plist")
                _, check_held, _ = ids_scan(q.console, "ids check")
                _, sys_held, _ = ids_scan(q.console, "ids syscall")
                print(f"{config.id:<12} {n:>6} {listed:>7} {wall:>8.3f} {held:>8.3f} {ps:>11.3f} "
                      f"{check_held:>13.3f} {sys_held:>15.3f}", flush=True)
                g.attach()
            g.detach()
            integrity_cost(q.console, config.id)
    return 0


def integrity_cost(console: Console, config_id: str, runs: int = 3) -> None:
    """`ids integrity`: guest-held time (best of runs) and throughput, next to `ids check`."""
    held = []
    stats: dict = {}
    for _ in range(runs):
        out = console.command("ids integrity --json", timeout=300)
        objs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        assert objs and objs[-1]["type"] == "summary", out[-500:]
        stats = next(o for o in objs if o["type"] == "integrity_scan")
        held.append(objs[-1]["stopped_us"] / 1e6)
    _, check_held, _ = ids_scan(console, "ids check")
    size = stats["text_bytes"] + stats["rodata_bytes"]
    best = min(held)
    print(f"{config_id:<12} ids integrity: {size / 2**20:.1f} MiB ({stats['pages']} pages) in "
          f"{best:.3f} s held ({size / 2**20 / best:.0f} MiB/s); ids check (which includes "
          f"it) held {check_held:.3f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
