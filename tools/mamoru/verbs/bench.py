"""Measure the images: size and boot-to-prompt time per board configuration.

Sets up and builds every board (unless --no-build), then runs each
tests/bench/bench_*.py script; arguments after the verb go to the scripts,
e.g. ./mamoru bench --runs 5 --board virt
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from mamoru import paths
from mamoru.boards import BOARDS
from mamoru.verbs import build, setup

PASSTHROUGH = "benchmark script arguments"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-build", action="store_true", help="measure the existing images")


def main(args: argparse.Namespace) -> int:
    rc = setup.ensure(quiet=True)
    if rc:
        return rc
    if not args.no_build:
        rc = build.build(list(BOARDS), os.cpu_count() or 1)
        if rc:
            return rc
    scripts = sorted((paths.ROOT / "tests" / "bench").glob("bench_*.py"))
    if not scripts:
        print("bench: no tests/bench/bench_*.py scripts", file=sys.stderr)
        return 1
    env = dict(os.environ, PYTHONPATH=str(paths.ROOT / "tools"))
    worst = 0
    for script in scripts:
        print(f"bench: {script.relative_to(paths.ROOT)}", flush=True)
        r = subprocess.run([sys.executable, str(script), *args.passthrough], env=env, check=False)
        worst = worst or r.returncode
    return worst
