# SPDX-License-Identifier: GPL-2.0-only
"""Build the hypervisor for a board: build/<board>/mamoru.elf, mamoru.img and guests.cpio.

Runs SCons from the virtualenv: scons -C <repo> board=<board> -j<N>. The guest bundle holds
the board's default guest (Debian's arm64 cloud kernel on virt, its generic kernel on the
Pis, busybox, its IDS profile; the patched ARMv5 kernel on versatilepb), or with
--guests FILE the guests a TOML file describes (README.md, "Your own guest").
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from mamoru import paths
from mamoru.boards import BOARDS, DEFAULT_BOARD


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--board",
        choices=[*BOARDS, "all"],
        default=DEFAULT_BOARD,
        help=f"board to build, or all of them (default: {DEFAULT_BOARD}, boards/boards.toml)",
    )
    parser.add_argument(
        "-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
        help="parallel compile jobs (default: number of CPUs)",
    )
    parser.add_argument(
        "--out", metavar="DIR",
        help="build one board's configuration in DIR instead of build/<board> (side by side)",
    )
    parser.add_argument(
        "--no-bundle", action="store_true",
        help="skip the guest bundle (build/<board>/guests.cpio: Debian kernel, initramfs, profile)",
    )
    add_guests_argument(parser)


def add_guests_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--guests", type=Path, metavar="FILE", default=None,
        help="guest description file (TOML, [[guest]] tables) for build/<board>/guests.cpio "
        "instead of the default guest",
    )


def scons() -> str:
    venv = paths.venv_bin("scons")
    if venv.exists():
        return str(venv)
    found = shutil.which("scons")
    if found is None:
        raise SystemExit("build: scons not found; run ./mamoru (it installs requirements.txt)")
    return found


def scons_argv(board: str, *targets: str, jobs: int | None = None,
               out: str | None = None) -> list[str]:
    argv = [scons(), "-C", str(paths.ROOT), f"board={board}"]
    if out:
        argv.append(f"out={out}")
    if jobs:
        argv.append(f"-j{jobs}")
    return [*argv, *targets]


def bundles(boards: list[str], guests: Path | None = None) -> int:
    """Writes the guest bundle (default guest or a guest file) of each board that runs
    guests (board.toml guests; the others get none); 0 on success."""
    from mamoru.bundle import ensure_board_bundles
    from mamoru.guestfile import GuestFileError

    boards = [b for b in boards if BOARDS[b].guests]
    if not boards:
        return 0
    try:
        ensure_board_bundles(boards, guests)
    except GuestFileError as e:
        print(f"build: {e}", file=sys.stderr)
        return 1
    except (OSError, RuntimeError) as e:
        print(f"build: cannot make the guest bundle: {e}", file=sys.stderr)
        return 1
    return 0


def build(boards: list[str], jobs: int, *, bundle: bool = True,
          guests: Path | None = None) -> int:
    """Builds each board's image and guest bundle; 0 when all exist afterwards."""
    if guests is not None and bundle:   # a bad guest file fails before the long part
        from mamoru.guestfile import GuestFileError, load

        try:
            load(guests)
        except GuestFileError as e:
            print(f"build: {e}", file=sys.stderr)
            return 1
    for board in boards:
        argv = scons_argv(board, jobs=jobs)
        print(f"build: {board}: {' '.join(argv)}", flush=True)
        with paths.scons_lock():
            r = subprocess.run(argv, check=False)
        if r.returncode != 0:
            print(f"build: {board} failed (scons exit code {r.returncode})", file=sys.stderr)
            return r.returncode
        image = paths.image_path(board)
        if not image.is_file():
            print(f"build: {board}: scons succeeded but {image} is missing", file=sys.stderr)
            return 1
    return bundles(boards, guests) if bundle else 0


def prepare(boards: list[str], jobs: int, *, no_build: bool = False, bundle: bool = True,
            guests: Path | None = None) -> int:
    """What test, bench and run do first: set the host up, then build (unless no_build).

    With a guest file the bundles are written from it even with no_build."""
    from mamoru.verbs import setup

    rc = setup.ensure(quiet=True)
    if rc:
        return rc
    if no_build:
        return bundles(boards, guests) if guests is not None and bundle else 0
    return build(boards, jobs, bundle=bundle, guests=guests)


def boards_of(choice: str) -> list[str]:
    return list(BOARDS) if choice == "all" else [choice]


def main(args: argparse.Namespace) -> int:
    if args.out:
        if args.board == "all":
            raise SystemExit("build: --out takes one board")
        if args.guests:
            raise SystemExit("build: --guests writes build/<board>/guests.cpio; not with --out")
        argv = scons_argv(args.board, jobs=args.jobs, out=args.out)
        print(f"build: {args.board} in {args.out}: {' '.join(argv)}", flush=True)
        with paths.scons_lock():
            return subprocess.run(argv, check=False).returncode
    if args.guests and args.no_bundle:
        raise SystemExit("build: --guests and --no-bundle contradict each other")
    return build(boards_of(args.board), args.jobs, bundle=not args.no_bundle, guests=args.guests)
