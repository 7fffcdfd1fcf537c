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


def test_versatilepb_image_is_raw_at_its_link_address() -> None:
    """ARMv5 has no image header: QEMU's -kernel copies the file to 0x00010000 and jumps to
    its first byte, so the file must be the ELF's loaded bytes from the entry point on, with
    the vector page in it (eight `ldr pc, [pc, #24]`)."""
    image = ROOT / "build" / "versatilepb" / "mamoru.img"
    if not image.is_file():
        pytest.fail(f"{image} is missing: ./mamoru build --board versatilepb", pytrace=False)
    data = image.read_bytes()
    elf = image.with_suffix(".elf")
    header = subprocess.run(["arm-linux-gnueabi-readelf", "-hl", str(elf)], capture_output=True,
                            text=True, check=True).stdout
    assert "ARM" in header and "ELF32" in header, header
    entry = int(next(line.split()[-1] for line in header.splitlines() if "Entry point" in line), 16)
    nm = subprocess.run(["arm-linux-gnueabi-nm", str(elf)], capture_output=True, text=True,
                        check=True).stdout
    symbols = {f[2]: int(f[0], 16) for f in (line.split() for line in nm.splitlines())
               if len(f) == 3}
    assert entry == symbols["_start"] == symbols["__image_start"] == 0x10000
    assert b"ARM\x64" not in data[:64], "no arm64 Image header"
    # The file ends with .data (.bss is not in it, and lies inside __image_end).
    assert entry + len(data) <= symbols["__bss_start"] < symbols["__image_end"] <= 0x100000
    vectors = symbols["__vectors_start"] - entry
    assert vectors % 4096 == 0
    assert struct.unpack_from("<8I", data, vectors) == (0xE59FF018,) * 8
    objdump = subprocess.run(["arm-linux-gnueabi-objdump", "-d", "--start-address",
                              hex(entry), "--stop-address", hex(entry + 4), str(elf)],
                             capture_output=True, text=True, check=True).stdout
    first = struct.unpack_from("<I", data)[0]
    assert f"{first:08x}" in objdump, objdump


def test_versatilepb_dtb_is_built() -> None:
    """The build writes the device tree QEMU boots versatilepb with (board.toml dts)."""
    dtb = ROOT / "build" / "versatilepb" / "versatilepb.dtb"
    if not dtb.is_file():
        pytest.fail(f"{dtb} is missing: ./mamoru build --board versatilepb", pytrace=False)
    data = dtb.read_bytes()
    assert struct.unpack_from(">II", data) == (0xD00DFEED, len(data))
    assert b"arm,versatile-pb\0" in data and b"arm,pl190-vic\0" in data and b"arm,sp804\0" in data
