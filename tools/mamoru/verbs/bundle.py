# SPDX-License-Identifier: GPL-2.0-only
"""Write just a guest bundle (cpio): the guests of a TOML file, or a board's default guest.

  ./mamoru bundle --guests guests.toml -o guests.cpio
  ./mamoru bundle -o guests.cpio                  (the default guest: Debian's cloud kernel)
  ./mamoru bundle --board versatilepb             (its default guest, the patched versatile
                                                   kernel, into build/versatilepb/guests.cpio)

For people who build the hypervisor once and change guests often: QEMU loads the bundle with
-initrd, a Pi with `initramfs guests.cpio followkernel` in config.txt. The file format is in
README.md ("Your own guest"); every problem is reported in one line and leaves no file.
Without --guests the guest is the board's default_guest (board.toml); without -o the bundle
goes to build/<board>/guests.cpio, rebuilt only when an input changed, even for a board
that runs no guests yet (so the hypervisor work has its guest to load).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mamoru.boards import BOARDS, DEFAULT_BOARD, board_names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guests", type=Path, metavar="FILE", default=None,
                        help="guest description file (TOML); default: the board's default guest")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", default=None,
                        help="the bundle to write (default: build/<board>/guests.cpio, "
                             "with one --board)")
    parser.add_argument("--board", choices=board_names(), action="append", default=[],
                        help="whose default guest (without --guests); also check that the "
                             "guests fit this board's RAM (repeatable)")
    parser.add_argument("--kaslr", action="store_true",
                        help="without --guests: ask for a KASLR seed for the default guest")


def _fail(msg: str, code: int = 2) -> int:
    print(f"bundle: {msg}", file=sys.stderr)
    return code


def main(args: argparse.Namespace) -> int:
    from mamoru import bundle
    from mamoru.guestfile import GuestFileError

    boards: list[str] = list(dict.fromkeys(args.board))
    if args.output is None and (len(boards) != 1 or args.guests or args.kaslr):
        return _fail("give -o FILE (without it: one --board and its default guest, written "
                     "to build/<board>/guests.cpio)")
    kinds = {BOARDS[b].default_guest for b in boards or [DEFAULT_BOARD]}
    # A default guest is its kind, its disk and the devices it owns.
    defaults = {(BOARDS[b].default_guest, bundle.board_disk(b), BOARDS[b].default_passthrough)
                for b in boards or [DEFAULT_BOARD]}
    if args.guests is None and len(defaults) > 1:
        return _fail(f"boards {', '.join(boards)} have different default guests "
                     f"({', '.join(sorted(str(k) for k in kinds))}; disks, devices): one "
                     "bundle cannot hold both")
    if args.guests is not None and "versatile" in kinds:
        return _fail("guest files describe arm64 guests; the versatilepb guest is its default "
                     "one (./mamoru bundle --board versatilepb)")
    for b in boards:
        if not BOARDS[b].guests:
            print(f"bundle: note: {b} runs no guests yet (board.toml guests = false); the "
                  "bundle is written all the same", file=sys.stderr)
    try:
        if args.output is None:
            out = bundle.default_board_bundle(boards[0])
            what = f"{boards[0]}'s default guest ({BOARDS[boards[0]].default_guest})"
        elif args.guests is None:
            out = bundle.default_bundle(args.output, kaslr=args.kaslr,
                                        board=boards[0] if boards else None)
            what = "the default guest"
        else:
            if args.kaslr:
                return _fail("--kaslr is for the default guest; set kaslr in the file")
            out = bundle.guests_file_bundle(args.guests, args.output, boards)
            what = str(args.guests)
    except GuestFileError as e:
        return _fail(str(e), 1)
    except ValueError as e:
        return _fail(str(e), 2)
    except (OSError, RuntimeError) as e:
        return _fail(f"cannot write {args.output or 'the bundle'}: {e}", 1)
    print(f"bundle: {out} ({out.stat().st_size >> 20} MiB) from {what}")
    return 0
