# SPDX-License-Identifier: GPL-2.0-only
"""Boot Mamoru under QEMU with this terminal as its console, guest0 running.

Sets up the host and builds first (unless --no-build), including the guest
bundle (Debian's arm64 kernel + busybox), which QEMU loads like an initrd.
`vserial bind guest0` reaches the guest's shell; ESC x q comes back.
With --guests FILE the bundle holds the guests of that TOML file (README.md, "Your own guest").
On virt QEMU also has guest0's network card (user networking; its telnetd forwarded from
127.0.0.1:2323, or a free port if that one is taken: printed) and its disk,
build/virt/disk.img (made once and kept; --fresh-disk makes it anew). On the Pis QEMU's SD
slot holds the card `./mamoru sdcard` writes, build/<board>/qemu-sd.img (made once and
kept; --fresh-disk makes it anew): the hypervisor gives guest0 its partition 2, the
guest's root file system.
Arguments after `--` go to QEMU as they are, e.g.: ./mamoru run --board rpi4 -- -s -S
Quit QEMU with Ctrl-A x.
"""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

from mamoru import guest_disk, paths, sdcard
from mamoru.boards import (
    BOARDS,
    CONFIGS,
    DEFAULT_BOARD,
    UART_NAMES,
    BoardConfig,
    config_for,
    gic_versions,
)
from mamoru.qemu import Chardev, QemuError, free_port, qemu_argv
from mamoru.verbs import build

PASSTHROUGH = "QEMU arguments"
TELNET_PORT = 2323      # the host port forwarded to guest0's telnetd, when it is free


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--board", choices=list(BOARDS), default=DEFAULT_BOARD,
        help=f"board to boot (default: {DEFAULT_BOARD}, the QEMU demo)",
    )
    gics = sorted({c.gic for c in CONFIGS if c.gic is not None})
    parser.add_argument(
        "--gic", type=int, choices=gics, default=None,
        help="GIC version, on boards that have a choice ("
        + "; ".join(f"{b}: {' or '.join(map(str, gic_versions(b)))}, default {config_for(b).gic}"
                    for b in BOARDS if gic_versions(b)) + ")",
    )
    parser.add_argument(
        "--console-uart", choices=(*UART_NAMES, "both"), default=None,
        help="the UART for the console (default: the board's, from its DTB; the Pis: the "
        "mini UART; 'both' multiplexes all of the board's UARTs)",
    )
    parser.add_argument("--dtb", type=Path, default=None, help="boot with this device tree")
    parser.add_argument("--no-build", action="store_true", help="boot the existing image")
    parser.add_argument("--no-guest", action="store_true",
                        help="boot the hypervisor alone, without the guest bundle")
    parser.add_argument("--fresh-disk", action="store_true",
                        help="make the guest's disk (build/<board>/disk.img; the Pis: the SD "
                        "card, build/<board>/qemu-sd.img) anew: its files are lost")
    build.add_guests_argument(parser)
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="parallel compile jobs for the build")


def main(args: argparse.Namespace) -> int:
    if args.gic and args.gic not in gic_versions(args.board):
        raise SystemExit(f"run: {args.board} has no GICv{args.gic} configuration")
    config: BoardConfig = config_for(args.board, args.gic)
    if args.guests and args.no_guest:
        raise SystemExit("run: --guests and --no-guest contradict each other")
    if not config.board.guests:
        if args.guests:
            raise SystemExit(f"run: {args.board} runs no guests yet")
        args.no_guest = True    # nothing to bundle: the hypervisor boots alone
    rc = build.prepare([args.board], args.jobs, no_build=args.no_build, bundle=not args.no_guest,
                       guests=args.guests)
    if rc:
        return rc
    board = config.board
    net_port = None
    disk = None
    if not args.no_guest and board.net_device is not None:
        net_port = TELNET_PORT if port_free(TELNET_PORT) else free_port()
    if not args.no_guest and board.disk_device is not None:
        disk = guest_disk.disk_path(board.name)
        try:
            if guest_disk.ensure_disk(disk, fresh=args.fresh_disk):
                print(f"run: made the guest's disk {disk} (ext4, /data in the guest)",
                      flush=True)
        except guest_disk.GuestDiskError as e:
            raise SystemExit(f"run: {e}") from None
    elif not args.no_guest and board.sdcard is not None:
        # The Pis: the SD card ./mamoru sdcard writes, in QEMU's SD slot; the hypervisor
        # gives guest0 its partition 2 (the guest's root file system).
        try:
            card, made = sdcard.ensure_qemu_card(board.name, fresh=args.fresh_disk)
        except sdcard.CardError as e:
            raise SystemExit(f"run: {e}") from None
        if made:
            print(f"run: made the SD card {card} (./mamoru sdcard's image)", flush=True)
        args.passthrough = ["-drive", f"if=sd,format=raw,file={str(card).replace(',', ',,')}",
                            *args.passthrough]
    elif args.fresh_disk:
        raise SystemExit(f"run: {args.board} gives the guest no disk")
    try:
        argv = qemu_argv(
            config,
            Chardev("stdio"),
            gic=args.gic,
            console_uart=args.console_uart,
            dtb=args.dtb,
            initrd=None if args.no_guest else paths.BUILD / args.board / "guests.cpio",
            net_port=net_port,
            disk=disk,
            extra=args.passthrough,
        )
    except QemuError as e:
        raise SystemExit(f"run: {e}") from None
    first = "guest0"
    if args.guests:
        from mamoru.guestfile import load

        first = load(args.guests)[0].name
    print(f"Mamoru on {args.board} under QEMU; quit with Ctrl-A x"
          + ("" if args.no_guest else
             f"; 'vserial bind {first}' for the guest, ESC x q to return"),
          flush=True)
    if net_port is not None:
        print(f"{first} telnet: telnet 127.0.0.1 {net_port}", flush=True)
    if disk is not None:
        print(f"{first} disk: {disk} (/data in the guest)", flush=True)
    elif not args.no_guest and board.sdcard is not None:
        print(f"SD card: {sdcard.qemu_card_path(board.name)} (guest0's root: partition 2)",
              flush=True)
    os.execvp(argv[0], argv)


def port_free(port: int) -> bool:
    """Whether a TCP port on 127.0.0.1 can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
