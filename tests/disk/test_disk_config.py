# SPDX-License-Identifier: GPL-2.0-only
"""How a guest asks for a disk (no QEMU): GuestPlatform.disk and the `disk` key of guest
description files make a virtio-mmio node with mamoru,disk in the guest's tree; the Pis'
default bundle asks for partition 2 of the SD card, virt's for nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mamoru import bundle
from mamoru.guest_platform import GuestPlatform, device_tree_blob
from mamoru.guestfile import GuestFileError, load
from mamoru.testing.guest import guest_file


def dts(p: GuestPlatform, tmp: Path) -> str:
    f = tmp / "g.dtb"
    f.write_bytes(device_tree_blob(p))
    return subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(f)], check=True,
                          capture_output=True, text=True).stdout


def test_the_disk_node(tmp_path: Path) -> None:
    assert "virtio" not in dts(GuestPlatform(), tmp_path)
    tree = dts(GuestPlatform(disk="sd:2"), tmp_path)
    node = tree[tree.index("virtio_mmio@9001000 {"):]
    node = node[:node.index("};")]
    for line in ('compatible = "virtio,mmio";', "reg = <0x00 0x9001000 0x00 0x200>;",
                 "interrupts = <0x00 0x02 0x04>;", "dma-coherent;",
                 'mamoru,disk = "sd:2";'):
        assert line in node, node
    for bad in ("sd:0", "sd:5", "sd:2x", "mmc:1", 'sd:"'):
        with pytest.raises(ValueError):
            device_tree_blob(GuestPlatform(disk=bad))


def test_guest_files(tmp_path: Path) -> None:
    (e,) = load(guest_file(tmp_path, ""))
    assert e.platform.disk is None
    (e,) = load(guest_file(tmp_path, 'disk = "sd:2"\n'))
    assert e.platform.disk == "sd:2"
    for bad in ('"sd:9"', '"/dev/mmcblk0p2"', "2", '["sd:2"]'):
        with pytest.raises(GuestFileError) as err:
            load(guest_file(tmp_path, f"disk = {bad}\n"))
        assert 'disk must be "sd:1" to "sd:4"' in str(err.value), err.value
        assert "\n" not in str(err.value)


def test_board_defaults() -> None:
    assert bundle.board_disk("rpi3") == bundle.board_disk("rpi4") == "sd:2"
    assert bundle.board_disk("virt") is None
