# SPDX-License-Identifier: GPL-2.0-only
"""Edit a board's configuration interactively (scons board=<board> menuconfig).

The configuration lives in build/<board>/.config, or in DIR/.config with --out DIR (a
second configuration of the same board, built with ./mamoru build --board B --out DIR).
"""

from __future__ import annotations

import argparse
import subprocess

from mamoru.boards import BOARDS, DEFAULT_BOARD
from mamoru.verbs.build import scons_argv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--board", choices=list(BOARDS), default=DEFAULT_BOARD,
        help=f"board whose configuration to edit (default: {DEFAULT_BOARD})",
    )
    parser.add_argument("--out", metavar="DIR", help="the configuration's output folder")


def main(args: argparse.Namespace) -> int:
    argv = scons_argv(args.board, "menuconfig", out=args.out)
    print(f"menuconfig: {' '.join(argv)}", flush=True)
    return subprocess.run(argv, check=False).returncode
