# SPDX-License-Identifier: GPL-2.0-only
"""The guest's network card and disk on QEMU's command line (board.toml net_device,
disk_device): virt has both on virtio-mmio transports 0 and 8; the Pis have none."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamoru.boards import BOARDS, config_for
from mamoru.qemu import Chardev, QemuError, device_args, qemu_argv


def test_virt_devices_on_transports_0_and_8(tmp_path: Path) -> None:
    disk = tmp_path / "a,b.img"
    disk.write_bytes(b"")
    argv = device_args(BOARDS["virt"], net_port=2323, disk=disk)
    assert argv == [
        "-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:2323-:23",
        "-device", "virtio-net-device,bus=virtio-mmio-bus.0,netdev=net0",
        "-drive", f"if=none,file={tmp_path}/a,,b.img,format=raw,id=disk0",
        "-device", "virtio-blk-device,bus=virtio-mmio-bus.8,drive=disk0",
    ]
    full = qemu_argv(config_for("virt"), Chardev("stdio"), image=disk, net_port=2323,
                     disk=disk)
    assert full[-len(argv):] == argv
    assert "-netdev" not in qemu_argv(config_for("virt"), Chardev("stdio"), image=disk)


def test_boards_without_devices_refuse_them(tmp_path: Path) -> None:
    for name in ("rpi3", "rpi4", "versatilepb"):
        b = BOARDS[name]
        assert b.net_device is None and b.disk_device is None
        with pytest.raises(QemuError, match="no network device"):
            device_args(b, net_port=2323)
        with pytest.raises(QemuError, match="no disk device"):
            device_args(b, disk=tmp_path)


def test_missing_disk_image_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(QemuError, match="missing"):
        device_args(BOARDS["virt"], disk=tmp_path / "none.img")
