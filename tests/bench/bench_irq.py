# SPDX-License-Identifier: GPL-2.0-only
"""Interrupt cost per board: timer wake-up latency seen by the guest and traps per interrupt.

Inside guest0, 200 `usleep 1000` calls each need one timer interrupt; their average
overshoot over 1 ms is the wake-up latency (interrupt delivery through the vGIC plus the
guest's own path). From `guest regs` before and after, the number of device-emulation traps
(MMIO exits) per guest timer interrupt shows the cost of the GIC CPU interface: about zero
with list registers (Pi 4, virt GICv2), a few per interrupt with the emulated interface
(Pi 3, virt GICv3). One run; ./mamoru bench --only irq.
"""

from __future__ import annotations

import argparse
import re
import sys

from guestbench import busybox_time, guest_under_mamoru

from mamoru.boards import select_configs
from mamoru.console import Console

SLEEPS = 200


def counters(console: Console) -> dict[str, int | str]:
    regs = console.command("guest regs guest0")
    m = re.search(r"exits: sync (\d+) irq (\d+) mmio (\d+) hvc (\d+) wfi (\d+)", regs)
    assert m, regs
    irq = console.command("irqstat")
    vt = re.search(r"^\s*\d+\s+(\d+) guest virtual timer", irq, re.M)
    backend = re.search(r"^guest interrupts: (.+)$", irq, re.M)
    assert vt and backend, irq
    return {"mmio": int(m.group(3)), "wfi": int(m.group(5)), "vtimer": int(vt.group(1)),
            "backend": backend.group(1)}  # type: ignore[dict-item]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", action="append", default=[], metavar="NAME",
                        help="board configs (repeatable; default all)")
    args = parser.parse_args()
    print(f"{'config':<12} {'backend':<10} {'wake-up overshoot us':>21} {'vtimer irqs':>12} "
          f"{'traps per irq':>14}")
    loop = f"time sh -c 'for i in $(seq {SLEEPS}); do usleep 1000; done'"
    # Boards without guest support (versatilepb) have nothing to measure here.
    for config in [c for c in select_configs(args.board) if c.board.guests]:
        with guest_under_mamoru(config) as (q, g, _):
            assert q.console is not None
            g.run("true")
            g.detach()
            before = counters(q.console)
            g.attach()
            secs = busybox_time(g.run(loop, timeout=300))
            g.detach()
            after = counters(q.console)
            irqs = max(int(after["vtimer"]) - int(before["vtimer"]), 1)
            traps = (int(after["mmio"]) - int(before["mmio"])) / irqs
            backend = "list regs" if "list" in str(after["backend"]) else "emulated"
            over_us = (secs / SLEEPS - 0.001) * 1e6
            print(f"{config.id:<12} {backend:<10} {over_us:>21.0f} {irqs:>12} {traps:>14.1f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
