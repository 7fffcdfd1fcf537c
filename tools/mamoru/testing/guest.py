# SPDX-License-Identifier: GPL-2.0-only
"""Guest helpers for tests: the board's guest bundle and targets that run guest0."""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from mamoru import paths
from mamoru.boards import BoardConfig
from mamoru.guestshell import GuestShell
from mamoru.testing.target import GUEST_BOOT_TIMEOUT, Launcher, Target, qemu_target

__all__ = ["GUEST_BOOT_TIMEOUT", "boot_with_guest", "booted_guest", "bundle_for", "guest_file",
           "mbr_card"]


def bundle_for(config: BoardConfig) -> Path:
    """build/<board>/guests.cpio (fails the test when it has not been built)."""
    bundle = paths.BUILD / config.board.name / "guests.cpio"
    if not bundle.is_file():
        pytest.fail(f"{bundle} is missing: ./mamoru build --board {config.board.name}",
                    pytrace=False)
    return bundle


def boot_with_guest(launcher: Launcher, config: BoardConfig,
                    initrd: Path | None = None) -> tuple[Target, GuestShell]:
    """Boots Mamoru with the guest bundle (default: the board's) and waits for guest0's
    shell, back at the hypervisor's prompt."""
    t = launcher.boot(config, initrd=initrd or bundle_for(config))
    t.ensure_guest()
    return t, t.shell


@contextmanager
def booted_guest(node: pytest.Item, config: BoardConfig, *, initrd: Path,
                 sd_card: Path | None = None, extra: Sequence[str] = (), guest: bool = True,
                 **options: object) -> Iterator[Target]:
    """A QEMU target of its own (qemu_target's options) with initrd, and sd_card as QEMU's
    SD card (`-drive if=sd`) when given: booted, guest0 at its shell (unless guest is False:
    then only the hypervisor's boot is waited for) and the hypervisor at its prompt; closed
    (QEMU stopped) on every path."""
    extra = list(extra)
    if sd_card is not None:
        extra += ["-drive", f"if=sd,format=raw,file={str(sd_card).replace(',', ',,')}"]
    t = qemu_target(config, initrd=initrd, extra=extra, **options)
    t.use(node)
    try:
        t.boot()
        if guest:
            t.ensure_guest()
        yield t
    finally:
        t.close()


def mbr_card(out: Path, size: int, partitions: Sequence[tuple[int, int, int, bytes]]) -> Path:
    """An SD card image of size bytes at out: an MBR whose entries are partitions (type,
    start, size in bytes, each a multiple of 512) and each partition's bytes written at its
    start (shorter than the partition: the rest is zeros)."""
    mbr = bytearray(512)
    for i, (ptype, start, psize, _) in enumerate(partitions):
        # Entry i (0x1be + 16 i): status, CHS (unused: 0xfe 0xff 0xff), type, CHS, LBA, count.
        mbr[0x1BE + 16 * i:0x1CE + 16 * i] = struct.pack(
            "<B3sB3sII", 0, b"\xfe\xff\xff", ptype, b"\xfe\xff\xff", start // 512, psize // 512)
    mbr[0x1FE:0x200] = b"\x55\xaa"
    with open(out, "wb") as f:
        f.write(mbr)
        for _, start, _, data in partitions:
            f.seek(start)
            f.write(data)
        f.truncate(size)
    return out


def guest_file(tmp: Path, extra: str) -> Path:
    """A guest description file in tmp naming one guest "g" with a stand-in kernel (64
    bytes, an arm64 Image header's magic), and extra (TOML lines) in its [[guest]] table."""
    head = bytearray(64)
    head[56:60] = b"ARM\x64"
    (tmp / "Image").write_bytes(bytes(head))
    f = tmp / "guests.toml"
    f.write_text(f'[[guest]]\nname = "g"\nkernel = "Image"\n{extra}')
    return f
