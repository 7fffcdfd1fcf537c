# SPDX-License-Identifier: GPL-2.0-only
"""The raw images carry the arm64 Linux Image header loaders rely on.

QEMU's -kernel and the Raspberry Pi firmware start build/<board>/mamoru.img like a Linux
kernel; the firmware also places the guest bundle right after the file, so the file must
cover everything the image uses (image_size, .bss included).
"""

import struct
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("board", ["virt", "rpi4", "rpi3"])
def test_image_header(board: str) -> None:
    image = ROOT / "build" / board / "mamoru.img"
    if not image.is_file():
        pytest.fail(f"{image} is missing: ./mamoru build --board {board}", pytrace=False)
    data = image.read_bytes()
    code0, _code1, text_offset, image_size, flags, _r2, _r3, _r4, magic = struct.unpack_from(
        "<IIQQQQQQ4s", data)
    assert magic == b"ARM\x64"
    assert code0 >> 26 == 0b000101, "code0 must be a branch (b primary_entry)"
    assert text_offset == 0x80000
    assert flags == 0xA, "little-endian, 4 KiB pages, may be placed anywhere in RAM"
    assert image_size == len(data), "the file must cover .bss (image_size)"
    assert image_size % 4096 == 0

    # The ELF next to it agrees with the header.
    nm = subprocess.run(["aarch64-linux-gnu-nm", str(image.with_suffix(".elf"))],
                        capture_output=True, text=True, check=True).stdout
    symbols = {f[2]: int(f[0], 16) for f in (line.split() for line in nm.splitlines())
               if len(f) == 3}
    assert symbols["__image_end"] - symbols["__image_start"] == image_size
    assert symbols["__bss_end"] <= symbols["__image_end"]
