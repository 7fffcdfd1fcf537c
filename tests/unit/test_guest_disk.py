# SPDX-License-Identifier: GPL-2.0-only
"""mamoru.guest_disk: the guest's ext4 disk image, made and read back without root."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mamoru import guest_disk

pytestmark = pytest.mark.skipif(
    shutil.which("mke2fs", path="/usr/sbin:/sbin:/usr/bin:/bin") is None,
    reason="needs e2fsprogs")


def test_make_read_and_keep(tmp_path: Path) -> None:
    img = tmp_path / "disk.img"
    guest_disk.make_disk(img, files={"hello": b"world\n"})
    assert img.stat().st_size == guest_disk.DISK_SIZE
    assert guest_disk.read_file(img, "/hello") == b"world\n"
    assert guest_disk.read_file(img, "/README") == guest_disk.README
    with pytest.raises(guest_disk.GuestDiskError, match="not found"):
        guest_disk.read_file(img, "/nothing")
    # ensure_disk never overwrites the device's storage, unless asked to.
    assert not guest_disk.ensure_disk(img)
    assert guest_disk.read_file(img, "/hello") == b"world\n"
    assert guest_disk.ensure_disk(img, fresh=True)
    with pytest.raises(guest_disk.GuestDiskError):
        guest_disk.read_file(img, "/hello")
    assert guest_disk.ensure_disk(tmp_path / "new.img")
