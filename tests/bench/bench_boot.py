# SPDX-License-Identifier: GPL-2.0-only
"""Image size and boot-to-prompt time of every board configuration.

Boot time: from starting QEMU to the shell prompt on the console (median of
--runs boots). Run through ./mamoru bench, or with PYTHONPATH=tools.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from mamoru import paths
from mamoru.boards import BoardConfig, select_configs
from mamoru.console import ConsoleError
from mamoru.qemu import Qemu, QemuError


def boot_seconds(config: BoardConfig, timeout: float) -> float:
    with Qemu(config) as q:
        assert q.console is not None
        q.console.wait_prompt(timeout)
        return time.monotonic() - q.started_at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="boots per configuration (3)")
    parser.add_argument("--board", action="append", default=[], metavar="NAME",
                        help="virt, virt-gicv2, virt-gicv3, rpi4, rpi3 (repeatable; default all)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to the prompt")
    args = parser.parse_args()

    print(f"{'config':<12} {'image bytes':>12} {'boot s (median)':>16} {'min':>7} {'max':>7}")
    status = 0
    for config in select_configs(args.board):
        image = paths.image_path(config.board.name)
        if not image.is_file():
            print(f"{config.id:<12} {'missing':>12}")
            status = 1
            continue
        size = image.stat().st_size
        try:
            times = [boot_seconds(config, args.timeout) for _ in range(args.runs)]
        except (ConsoleError, QemuError) as e:
            first = str(e).splitlines()[0]
            print(f"{config.id:<12} {size:>12} {'failed':>16}  {first}")
            status = 1
            continue
        print(
            f"{config.id:<12} {size:>12} {statistics.median(times):>16.3f} "
            f"{min(times):>7.3f} {max(times):>7.3f}",
            flush=True,
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
