# SPDX-License-Identifier: GPL-2.0-only
"""Guest boot-to-shell and CPU cost under Mamoru against the same kernel run directly by QEMU.

Boots Debian's arm64 cloud kernel + busybox initramfs (a) as guest0 under Mamoru on each
board configuration and (b) directly under QEMU -M virt at EL1 with the same initramfs, and
times boot to the shell prompt and a shell arithmetic loop inside the guest (one run each);
then where guest0's exits went (`guest stats`): during its boot, the loop, and idle.
The raspi machines cannot boot the cloud kernel directly (no Broadcom drivers in it), so the
direct baseline is virt's. Run through ./mamoru bench --only guest.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

from guestbench import CPU_LOOP, busybox_time, guest_under_mamoru

from mamoru import guest_assets, paths
from mamoru.boards import select_configs
from mamoru.cpio import read_cpio
from mamoru.guest_assets import GUEST_PROMPT
from mamoru.guest_stats import GuestStats
from mamoru.guest_stats import parse as parse_guest_stats
from mamoru.plainqemu import StdioQemu


def direct_qemu(initrd: Path) -> tuple[float, float]:
    """(boot-to-shell s, CPU loop s) of the kernel booted directly by QEMU."""
    kernel = guest_assets.cloud_kernel().image
    argv = ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-m", "256M",
            "-display", "none", "-monitor", "none", "-serial", "stdio", "-kernel", str(kernel),
            "-initrd", str(initrd), "-append", "console=ttyAMA0 rdinit=/init"]
    start = time.monotonic()
    with StdioQemu(argv) as q:
        q.send("")
        q.expect(re.escape(GUEST_PROMPT), 120)
        boot = time.monotonic() - start
        q.send(CPU_LOOP + '; echo @@"done"@@')
        end = q.expect("@@done@@", 300)
        return boot, busybox_time(end.string[: end.start()])   # the only `time` output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", action="append", default=[], metavar="NAME",
                        help="virt-gicv2, virt-gicv3, rpi4, rpi3 (repeatable; default all)")
    args = parser.parse_args()

    bundle = paths.BUILD / "guests" / "guests.cpio"
    initrd = next(e.data for e in read_cpio(bundle.read_bytes()) if e.name == "guest0/initrd")
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "initrd.cpio"
        f.write_bytes(initrd)
        base_boot, base_cpu = direct_qemu(f)
    print(f"{'where':<22} {'boot to shell s':>16} {'ratio':>6} {'cpu loop s':>11} {'ratio':>6}")
    direct = "direct QEMU virt (EL1)"
    print(f"{direct:<22} {base_boot:>16.2f} {1:>6.2f} {base_cpu:>11.2f} {1:>6.2f}")
    # Boards without guest support (versatilepb) have nothing to measure here.
    traps: dict[str, tuple[GuestStats, GuestStats, GuestStats]] = {}
    for config in [c for c in select_configs(args.board) if c.board.guests]:
        with guest_under_mamoru(config) as (q, g, boot):
            assert q.console is not None
            g.detach()
            booted = parse_guest_stats(q.console.command("guest stats --clear"))
            g.attach()
            cpu = busybox_time(g.run(CPU_LOOP, timeout=300))
            g.detach()
            busy = parse_guest_stats(q.console.command("guest stats --clear"))
            time.sleep(IDLE_SECONDS)
            idle = parse_guest_stats(q.console.command("guest stats"))
            traps[config.id] = (booted, busy, idle)
        print(f"{'Mamoru ' + config.id:<22} {boot:>16.2f} {boot / base_boot:>6.2f} "
              f"{cpu:>11.2f} {cpu / base_cpu:>6.2f}", flush=True)
    for config_id, (booted, busy, idle) in traps.items():
        print_traps(config_id, booted, busy, idle)
    return 0


IDLE_SECONDS = 5.0


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
