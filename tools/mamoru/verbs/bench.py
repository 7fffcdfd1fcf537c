# SPDX-License-Identifier: GPL-2.0-only
"""Run the benchmarks (tests/bench/bench_*.py) and print their numbers.

Sets up and builds every board (unless --no-build), then runs each script, or only
those named with --only (boot, guest, ids, ipi, irq, profile, smp, soak, v5, vmi).
Arguments after `--` go to the scripts, e.g. ./mamoru bench --only boot -- --runs 5 --board virt
The soak benchmark (guest0 busy for --minutes with `ids watch 1`) and v5 (the versatilepb
guest under Mamoru against bare QEMU, ~11 minutes) run only when named:
  ./mamoru bench --only soak --minutes 60
  ./mamoru bench --only v5
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from mamoru import paths
from mamoru.boards import BOARDS
from mamoru.verbs import build

PASSTHROUGH = "benchmark script arguments"
ON_REQUEST = {"soak", "v5"}    # long-running (v5: ~11 min): only with --only NAME


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-build", action="store_true", help="measure the existing images")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only bench_NAME.py (repeatable)")
    parser.add_argument("--minutes", type=float, default=None, metavar="N",
                        help="with --only soak: how long it runs (default 60)")


def main(args: argparse.Namespace) -> int:
    scripts = sorted((paths.ROOT / "tests" / "bench").glob("bench_*.py"))
    names = [s.stem.removeprefix("bench_") for s in scripts]
    unknown = [n for n in args.only if n not in names]
    if unknown:
        print(f"bench: no benchmark {', '.join(unknown)} (there are: {', '.join(names)})",
              file=sys.stderr)
        return 2
    rc = build.prepare(list(BOARDS), os.cpu_count() or 1, no_build=args.no_build)
    if rc:
        return rc
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    else:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") not in ON_REQUEST]
    if not scripts:
        print("bench: no tests/bench/bench_*.py scripts", file=sys.stderr)
        return 1
    env = dict(os.environ, PYTHONPATH=str(paths.ROOT / "tools"))
    worst = 0
    for script in scripts:
        print(f"bench: {script.relative_to(paths.ROOT)}", flush=True)
        extra = []
        if script.stem == "bench_soak" and args.minutes is not None:
            extra = ["--minutes", str(args.minutes)]
        r = subprocess.run([sys.executable, str(script), *extra, *args.passthrough], env=env,
                           check=False)
        worst = worst or r.returncode
    return worst
