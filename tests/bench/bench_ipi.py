# SPDX-License-Identifier: GPL-2.0-only
"""IPI round trip per board: `cpus ping` from the boot CPU to each other core.

Boots Mamoru alone (no guest) on each arm64 configuration and makes --calls smp_call
round trips to every other online core (an IPI, the call run in its interrupt handler, the
answer seen by the caller): min/avg/max microseconds per core, and the worst core's average.
Run through ./mamoru bench --only ipi.
"""

from __future__ import annotations

import argparse
import re
import sys

from mamoru.boards import select_configs
from mamoru.qemu import Qemu

PING = re.compile(r"^cpu (\d+): (\d+)/(\d+) answered, round trip us: min ([\d.]+) avg ([\d.]+) "
                  r"max ([\d.]+)$", re.M)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", action="append", default=[], metavar="NAME",
                        help="board configs (repeatable; default all with several cores)")
    parser.add_argument("--calls", type=int, default=1000, help="round trips per core (1000)")
    args = parser.parse_args()
    print(f"{'config':<12} {'cpu':>4} {'calls':>6} {'min us':>8} {'avg us':>8} {'max us':>9}")
    status = 0
    # versatilepb's ARM926 has one core: nothing to measure there.
    for config in [c for c in select_configs(args.board) if c.board.arch.name == "arm64"]:
        with Qemu(config, initrd=None) as q:
            assert q.console is not None
            q.console.wait_prompt(60)
            out = q.console.command(f"cpus ping {args.calls}", timeout=120)
        pings = list(PING.finditer(out))
        if not pings:
            print(f"{config.id:<12} no answers:\n{out}", flush=True)
            status = 1
            continue
        for m in pings:
            print(f"{config.id:<12} {m[1]:>4} {m[2]:>6} {float(m[4]):>8.1f} {float(m[5]):>8.1f} "
                  f"{float(m[6]):>9.1f}", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
