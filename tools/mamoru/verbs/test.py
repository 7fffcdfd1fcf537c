# SPDX-License-Identifier: GPL-2.0-only
"""Set up, build every board, then run the test suite (pytest on tests/).

Every argument after the verb goes to pytest, e.g.:
  ./mamoru test tests/target -k help --board virt
  ./mamoru test -- --help            (pytest's own help, with our options)
The tests run on one pytest-xdist worker per CPU (at most 4; --workers N, 1 for a plain
pytest in one process); each test module stays on one worker (mamoru.testing.parallel).
With --console (a real board) they run in one process.
With --guests FILE every board's build/<board>/guests.cpio holds the guests of that TOML file,
so the tests that boot the board's bundle (tests/guest, the SD card's) run the user's guests.
Exit code: pytest's; "no tests collected" counts as a failure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from mamoru import paths
from mamoru.boards import BOARDS
from mamoru.verbs import build

PASSTHROUGH = "pytest arguments"
MAX_WORKERS = 4       # more parallel QEMUs than this gains little and costs RAM
PYTEST_NO_TESTS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-build", action="store_true",
                        help="test the images already in build/ (setup still runs)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="pytest workers in parallel (default: one per CPU, at most "
                        f"{MAX_WORKERS}; 1: one process)")
    build.add_guests_argument(parser)


def worker_args(workers: int | None, passthrough: list[str]) -> list[str]:
    """pytest-xdist's arguments for the run: none on one worker, against a real board (one
    board, one console) or when the pytest arguments choose for themselves."""
    n = max(1, min(os.cpu_count() or 1, MAX_WORKERS)) if workers is None else workers
    own = ("--numprocesses", "--dist", "--console", "--pdb")
    if n <= 1 or "no:xdist" in passthrough or any(
            a.startswith("-n") or a.split("=", 1)[0] in own for a in passthrough):
        return []
    return ["-n", str(n), "--dist", "loadgroup"]


def main(args: argparse.Namespace) -> int:
    rc = build.prepare(list(BOARDS), os.cpu_count() or 1, no_build=args.no_build,
                       guests=args.guests)
    if rc:
        return rc
    if args.workers is not None and args.workers < 1:
        raise SystemExit("test: --workers needs 1 or more")
    argv = [sys.executable, "-m", "pytest", *worker_args(args.workers, args.passthrough),
            *args.passthrough]
    print(f"test: {' '.join(argv[1:])}", flush=True)
    rc = subprocess.run(argv, cwd=paths.ROOT, check=False).returncode
    if rc == PYTEST_NO_TESTS:
        print("test: pytest collected no tests; that is a failure", file=sys.stderr)
        return 1
    return rc
