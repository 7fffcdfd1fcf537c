"""Edit a board's configuration interactively (scons board=<board> menuconfig)."""

from __future__ import annotations

import argparse
import subprocess

from mamoru.boards import BOARDS
from mamoru.verbs.build import scons_argv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--board", choices=list(BOARDS), default="rpi4",
        help="board whose configuration to edit (default: rpi4)",
    )


def main(args: argparse.Namespace) -> int:
    argv = scons_argv(args.board, "menuconfig")
    print(f"menuconfig: {' '.join(argv)}", flush=True)
    return subprocess.run(argv, check=False).returncode
