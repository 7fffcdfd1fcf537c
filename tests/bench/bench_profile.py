# SPDX-License-Identifier: GPL-2.0-only
"""Time and peak memory of `./mamoru profile` on Debian's arm64 cloud kernel, per input path.

Paths: the raw Image + System.map (types from its BTF), and the -dbg vmlinux (DWARF), each
with and without the kernel .config. Median wall time of --runs runs; peak RSS of the process.
The kernel files come from mamoru.guest_assets (fetched and cached on first use).
Run through ./mamoru bench, or with PYTHONPATH=tools.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mamoru import guest_assets, paths


def measure(args: list[str | Path]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in KiB and stdout of one run."""
    t0 = time.monotonic()
    p = subprocess.Popen([str(paths.ROOT / "mamoru"), "profile", *map(str, args)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert p.stdout is not None
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - t0
    if p.returncode != 0:
        raise SystemExit(f"bench_profile: ./mamoru profile failed:\n{out}")
    return seconds, usage.ru_maxrss, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per input path (3)")
    args, _ = parser.parse_known_args()     # ./mamoru bench passes other scripts' options too
    try:
        k = guest_assets.debug_files(guest_assets.cloud_kernel())
    except guest_assets.GuestAssetError as e:
        print(f"bench_profile: no Debian kernel: {e}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "vmlinux"                     # no config-<release> next to it
        bare.symlink_to(k.vmlinux or "")
        out = Path(tmp) / "p.profile"
        cases: dict[str, list[str | Path]] = {
            "Image+System.map (BTF)": [k.image, "--system-map", k.system_map or "",
                                       "--config", k.config or ""],
            "vmlinux (DWARF)": [k.vmlinux or "", "--config", k.config or ""],
            "vmlinux (DWARF), no .config": [bare],
        }
        print(f"kernel {k.version}")
        print(f"{'input':<30} {'s (median)':>11} {'min':>7} {'peak RSS MiB':>13} {'bytes':>9}")
        for name, case in cases.items():
            results = [measure([*case, "-o", out]) for _ in range(max(1, args.runs))]
            times = [r[0] for r in results]
            rss = max(r[1] for r in results) / 1024
            print(f"{name:<30} {statistics.median(times):>11.2f} {min(times):>7.2f} "
                  f"{rss:>13.0f} {out.stat().st_size:>9}", flush=True)
        _, _, verbose = measure([*cases["vmlinux (DWARF)"], "-o", out, "-v"])
        print(verbose.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
