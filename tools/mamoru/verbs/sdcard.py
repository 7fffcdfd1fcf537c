# SPDX-License-Identifier: GPL-2.0-only
"""Build the Raspberry Pi SD card image; flash it, or update the files on a flashed card.

  ./mamoru sdcard --board rpi4                       build/rpi4/mamoru-rpi4.img
  ./mamoru sdcard --board rpi4 --flash /dev/sdX      ... and write it to the card
  ./mamoru sdcard --board rpi4 --update /dev/sdX     copy mamoru.img and guests.cpio onto
                                                     a flashed card (disk or partition,
                                                     not mounted), or
  ./mamoru sdcard --board rpi4 --update /media/$USER/MAMORU   onto a mounted one
  ./mamoru sdcard --board rpi4 --debug-boot          config.txt also has uart_2ndstage=1
                                                     and dtdebug=1: the firmware logs its
                                                     own boot on the console
  ./mamoru sdcard --board rpi4 --console pl011       the console on the PL011 instead of
                                                     the mini UART (the card's DTB gives
                                                     it GPIO 14/15; Bluetooth loses it)

--board is needed (rpi3 or rpi4; the boards whose board.toml has an [sdcard] table).
The image: MBR, one FAT32 partition (type 0x0c) of 256 MiB at 4 MiB with the Pi
firmware from Debian's raspi-firmware, the board's DTB, config.txt, cmdline.txt,
mamoru.img and guests.cpio. Builds the board first (unless --no-build); no root needed
except to write a card. With --guests FILE the card's guests.cpio holds the guests of that
TOML file (README.md, "Your own guest"). Wiring and first steps: docs/sdcard.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from mamoru import flash, sdcard
from mamoru.verbs import build, setup


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", choices=list(sdcard.CARDS), default=None,
                        help="the Raspberry Pi: needed (no default: the firmware and device "
                        "tree on a card fit one model only, and the project's default board "
                        "has no SD card), except with --image")
    parser.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                        help="image file (default: build/<board>/mamoru-<board>.img)")
    parser.add_argument("--no-build", action="store_true",
                        help="use build/<board>/mamoru.img and guests.cpio as they are")
    parser.add_argument("--image", type=Path, default=None, metavar="FILE",
                        help="--flash/--update from this card image built before (e.g. "
                        "build/rpi4/mamoru-rpi4.img): no setup, no build, nothing downloaded "
                        "(for running the write step alone with sudo)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="parallel compile jobs for the build")
    build.add_guests_argument(parser)
    act = parser.add_mutually_exclusive_group()
    act.add_argument("--flash", type=Path, metavar="DEVICE",
                     help="write the image to this whole-disk block device (e.g. /dev/sdb, "
                     "/dev/mmcblk0) after safety checks and a typed confirmation")
    act.add_argument("--update", type=Path, metavar="TARGET",
                     help="copy the new files onto an already flashed card: its disk or "
                     "partition device (not mounted), an image file, or the mounted "
                     "boot partition's directory")
    parser.add_argument("--all", action="store_true",
                        help="--update: all the card's files (firmware, DTB, config.txt, "
                        "cmdline.txt too), not only mamoru.img and guests.cpio")
    parser.add_argument("--debug-boot", action="store_true",
                        help="config.txt with uart_2ndstage=1 and dtdebug=1: the firmware "
                        "logs its own boot on the console pins, so 'firmware ran' can be "
                        "told from 'Mamoru did not start' (with --update: needs --all)")
    parser.add_argument("--console", choices=list(sdcard.CONSOLES), default="mini",
                        help="the UART on GPIO 14/15: mini (default, the mini UART) or pl011 "
                        "(the card's DTB is changed to give the PL011 the pins and the "
                        "console; with --update: needs --all)")
    parser.add_argument("-y", "--yes", action="store_true",
                        help="--flash: do not ask for confirmation (for scripts)")
    parser.add_argument("--force", action="store_true",
                        help="--flash: accept a device larger than 256 GiB or not on USB/SD; "
                        "--update: a directory that does not look like a Pi boot partition")
    parser.add_argument("--verify", action="store_true",
                        help="--flash: read the card back and compare")


def _say(msg: str) -> None:
    print(f"sdcard: {msg}", flush=True)


def _fail(msg: str) -> int:
    print(f"sdcard: {msg}", file=sys.stderr, flush=True)
    return 1


def main(args: argparse.Namespace) -> int:
    if (args.yes or args.verify) and not args.flash:
        return _fail("--yes and --verify go with --flash")
    if args.all and not args.update:
        return _fail("--all goes with --update")
    for flag, used in (("--debug-boot", args.debug_boot),
                       ("--console", args.console != "mini")):
        if used and (args.image or (args.update and not args.all)):
            return _fail(f"{flag} changes the card's configuration files: it goes with "
                         "building a card, or with --update --all (not with --image)")
    if args.image and not (args.flash or args.update):
        return _fail("--image goes with --flash or --update")
    if args.image and not args.image.is_file():
        return _fail(f"{args.image} does not exist")
    if args.image and args.guests:
        return _fail("--image writes a card image built before; --guests does not apply")
    if args.board is None and not args.image:
        return _fail(f"which Raspberry Pi? --board {' or '.join(sdcard.CARDS)} (a card's "
                     "firmware and device tree fit one model only)")
    if args.flash:   # refuse a wrong device before spending time on the build
        size = (args.image.stat().st_size if args.image
                else sdcard.card_spec(args.board).disk_size)
        try:
            disk = flash.BlockHost().inspect(args.flash, size)
        except flash.FlashError as e:
            return _fail(f"will not flash: {e}")
        if _refuse(disk, args.force):
            return 1
    if args.image:
        try:
            if args.update:
                return update(args)
            with open(args.image, "rb") as f:
                if sdcard.fat_offset(f.read(sdcard.SECTOR)) == 0:
                    return _fail(f"{args.image} is a bare FAT file system, not a card image")
        except (sdcard.CardError, flash.FlashError, OSError) as e:
            return _fail(f"{args.image}: {e}")
        return flash_card(args.image, args)
    rc = setup.ensure(quiet=True)
    if rc:
        return rc
    if not args.no_build:
        rc = build.build([args.board], args.jobs, guests=args.guests)
        if rc:
            return rc
    elif args.guests:
        rc = build.bundles([args.board], args.guests)
        if rc:
            return rc
    try:
        if args.update:
            return update(args)
        out = args.output or sdcard.card_path(args.board)
        contents = sdcard.build_card(args.board, out, debug_boot=args.debug_boot,
                                     console=args.console)
    except (sdcard.CardError, flash.FlashError, OSError) as e:
        return _fail(str(e))
    if not contents.bundle:
        _say(f"warning: no guest bundle ({sdcard.bundle_path(args.board)}): the card boots "
             "the hypervisor without guests")
    _say(f"{out} ({sdcard.card_spec(args.board).disk_size >> 20} MiB): "
         f"{', '.join(contents.files)}")
    if args.debug_boot:
        _say("config.txt has uart_2ndstage=1 and dtdebug=1: the firmware's boot log comes "
             "first on the console (docs/sdcard.md, \"When nothing appears\")")
    if args.flash:
        return flash_card(out, args)
    return 0


def _refuse(disk: flash.Disk, force: bool) -> bool:
    refusals = disk.refusals(force)
    for p in refusals:
        print(f"sdcard: will not flash: {p.message}"
              + (" (--force overrides this)" if p.forceable else ""), file=sys.stderr)
    return bool(refusals)


def flash_card(image: Path, args: argparse.Namespace) -> int:
    host = flash.BlockHost()
    try:
        disk = host.inspect(args.flash, image.stat().st_size)
    except flash.FlashError as e:
        return _fail(f"will not flash: {e}")
    if _refuse(disk, args.force):
        return 1
    for p in disk.problems:   # forced past these
        _say(f"warning: {p.message} (forced)")
    if not args.yes:
        if not sys.stdin.isatty():
            return _fail("will not flash without confirmation: stdin is no terminal (--yes)")
        if not flash.confirm(disk, image):
            return _fail("stopped; nothing was written")
    try:
        report = flash.write_image(image, disk.path, verify=args.verify,
                                   progress=flash.progress_printer())
    except flash.FlashError as e:
        return _fail(str(e))
    _say(report.summary(disk.path))
    _say("the card can be removed; wiring and first steps: docs/sdcard.md")
    return 0


def update(args: argparse.Namespace) -> int:
    target: Path = args.update
    with tempfile.TemporaryDirectory(prefix="mamoru-update-") as tmp:
        if args.image:
            files = sdcard.files_of_image(args.image, args.all, Path(tmp))
        else:
            files = sdcard.update_files(args.board, args.all, Path(tmp),
                                        debug_boot=args.debug_boot, console=args.console)
        if sdcard.BUNDLE not in files and not args.all:
            where = args.image or sdcard.bundle_path(args.board)
            _say(f"warning: no guest bundle ({where}) to copy")
        if target.is_dir():
            sdcard.update_directory(target, files, force=args.force)
            where = str(target)
        else:
            host = flash.BlockHost()
            if not target.is_file():   # a block device: it must not be mounted
                name = host.block_name(target)
                busy = host.users(name)
                if busy:
                    return _fail(f"will not update: {'; '.join(busy)} (unmount it, or give "
                                 "the mount point directory instead)")
                system = host.system_disks()
                if any(d in system for d in host.base_disks(name)):
                    return _fail(f"will not update: {target} holds the running system")
            offset = sdcard.update_image(target, files)
            where = f"{target} (FAT at byte {offset})"
    _say(f"updated {', '.join(files)} on {where}")
    return 0
