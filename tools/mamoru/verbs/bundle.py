# SPDX-License-Identifier: GPL-2.0-only
"""Write just a guest bundle (cpio): the guests of a TOML file, or the default guest.

  ./mamoru bundle --guests guests.toml -o guests.cpio
  ./mamoru bundle -o guests.cpio                  (the default guest: Debian's cloud kernel)

For people who build the hypervisor once and change guests often: QEMU loads the bundle with
-initrd, a Pi with `initramfs guests.cpio followkernel` in config.txt. The file format is in
README.md ("Your own guest"); every problem is reported in one line and leaves no file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mamoru.boards import guest_boards


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guests", type=Path, metavar="FILE", default=None,
                        help="guest description file (TOML); default: the default guest")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", required=True,
                        help="the bundle to write")
    parser.add_argument("--board", choices=guest_boards(), action="append", default=[],
                        help="also check that the guests fit this board's RAM (repeatable)")
    parser.add_argument("--kaslr", action="store_true",
                        help="without --guests: ask for a KASLR seed for the default guest")


def main(args: argparse.Namespace) -> int:
    from mamoru import bundle
    from mamoru.guestfile import GuestFileError

    try:
        if args.guests is None:
            bundle.default_bundle(args.output, kaslr=args.kaslr)
            what = "the default guest"
        else:
            if args.kaslr:
                print("bundle: --kaslr is for the default guest; set kaslr in the file",
                      file=sys.stderr)
                return 2
            bundle.guests_file_bundle(args.guests, args.output, args.board)
            what = str(args.guests)
    except GuestFileError as e:
        print(f"bundle: {e}", file=sys.stderr)
        return 1
    except (OSError, RuntimeError) as e:
        print(f"bundle: cannot write {args.output}: {e}", file=sys.stderr)
        return 1
    print(f"bundle: {args.output} ({args.output.stat().st_size >> 20} MiB) from {what}")
    return 0
