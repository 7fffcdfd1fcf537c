# SPDX-License-Identifier: GPL-2.0-only
"""Set up, build every board, then run the test suite (pytest on tests/).

Every argument after the verb goes to pytest, e.g.:
  ./mamoru test tests/target -k help --board virt
  ./mamoru test -- --help            (pytest's own help, with our options)
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
PYTEST_NO_TESTS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-build", action="store_true",
                        help="test the images already in build/ (setup still runs)")
    build.add_guests_argument(parser)


def main(args: argparse.Namespace) -> int:
    rc = build.prepare(list(BOARDS), os.cpu_count() or 1, no_build=args.no_build,
                       guests=args.guests)
    if rc:
        return rc
    argv = [sys.executable, "-m", "pytest", *args.passthrough]
    print(f"test: {' '.join(argv[1:])}", flush=True)
    rc = subprocess.run(argv, cwd=paths.ROOT, check=False).returncode
    if rc == PYTEST_NO_TESTS:
        print("test: pytest collected no tests; that is a failure", file=sys.stderr)
        return 1
    return rc
