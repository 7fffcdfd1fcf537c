# SPDX-License-Identifier: GPL-2.0-only
"""How a guest asks for devices (no QEMU): the `passthrough` key of guest description files
and GuestPlatform.passthrough, written to /chosen/mamoru,passthrough of the guest's tree
(absent: the board's default; empty: none)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mamoru.guest_platform import GuestPlatform, device_tree_blob
from mamoru.guestfile import GuestFileError, load
from mamoru.testing.guest import guest_file


def chosen(p: GuestPlatform, tmp: Path) -> str:
    f = tmp / "g.dtb"
    f.write_bytes(device_tree_blob(p))
    out = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(f)], check=True,
                         capture_output=True, text=True).stdout
    return out[out.index("chosen {"):out.index("};", out.index("chosen {"))]


def test_the_property_in_the_guest_tree(tmp_path: Path) -> None:
    assert "mamoru,passthrough" not in chosen(GuestPlatform(), tmp_path)
    assert "mamoru,passthrough;" in chosen(GuestPlatform(passthrough=()), tmp_path)
    two = chosen(GuestPlatform(passthrough=("/virtio_mmio@a000000", "/soc/eth@1")), tmp_path)
    assert 'mamoru,passthrough = "/virtio_mmio@a000000\\0/soc/eth@1";' in two
    for bad in ("virtio", '/a"b', "/a\\b"):
        with pytest.raises(ValueError):
            device_tree_blob(GuestPlatform(passthrough=(bad,)))


def test_guest_files(tmp_path: Path) -> None:
    (e,) = load(guest_file(tmp_path, ""))
    assert e.passthrough is None and e.platform.passthrough is None
    (e,) = load(guest_file(tmp_path, "passthrough = []\n"))
    assert e.platform.passthrough == ()
    (e,) = load(guest_file(tmp_path, 'passthrough = ["/virtio_mmio@a001000"]\n'))
    assert e.platform.passthrough == ("/virtio_mmio@a001000",)
    for bad, want in (('"/x"', "must be a list of device-tree paths"),
                      ('["x"]', "must be a list of device-tree paths"),
                      ("[1]", "must be a list of device-tree paths"),
                      ('["/a", "/a"]', "names a device twice")):
        with pytest.raises(GuestFileError) as err:
            load(guest_file(tmp_path, f"passthrough = {bad}\n"))
        assert want in str(err.value) and "\n" not in str(err.value)

