# SPDX-License-Identifier: GPL-2.0-only
"""The demo guest's disk: a raw ext4 image QEMU gives it as a virtio-blk device.

build/<board>/disk.img is the device's persistent storage: made once (64 MiB, ext4 made
without root by `mke2fs -d`, holding only a README), never overwritten by a build or a
run (`./mamoru run --fresh-disk` makes it anew). The guest's /init mounts it at /data.
Tests make their own copy in a temporary directory. `read_file` reads a file back from
the image on the host with debugfs (e2fsprogs, no root, no mount).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from mamoru import paths

DISK_SIZE = 64 << 20
DISK_LABEL = "mamoru-data"
README = b"""Mamoru demo guest's disk (ext4, mounted at /data in the guest).
Made by ./mamoru build; kept across runs (./mamoru run --fresh-disk makes it anew).
"""


class GuestDiskError(RuntimeError):
    """mke2fs or debugfs failed, or is missing."""


def disk_path(board: str) -> Path:
    """build/<board>/disk.img."""
    return paths.BUILD / board / "disk.img"


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        raise GuestDiskError(f"{name} is missing: apt-get install e2fsprogs")
    return found


def make_disk(out: Path, *, size: int = DISK_SIZE,
              files: dict[str, bytes] | None = None) -> Path:
    """Writes a fresh ext4 image of size bytes to out (replacing it), holding README and
    files ("name" -> contents, at the root); returns out."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".disk-", dir=out.parent) as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        for name, data in {"README": README, **(files or {})}.items():
            (root / name).write_bytes(data)
        img = Path(tmp) / "disk.img"
        with open(img, "wb") as f:
            f.truncate(size)
        r = subprocess.run(
            [_tool("mke2fs"), "-q", "-F", "-t", "ext4", "-L", DISK_LABEL,
             "-E", "root_owner=0:0", "-d", str(root), str(img)],
            capture_output=True, text=True, check=False,
        )
        if r.returncode != 0:
            raise GuestDiskError(f"mke2fs failed: {(r.stdout + r.stderr).strip()}")
        os.replace(img, out)
    return out


def ensure_disk(out: Path, *, fresh: bool = False) -> bool:
    """Makes out unless it exists (or anew with fresh); True if it was made."""
    if out.is_file() and not fresh:
        return False
    make_disk(out)
    return True


def read_file(image: Path, path: str) -> bytes:
    """A file's contents from the ext4 image (debugfs -R 'cat <path>'); GuestDiskError if
    debugfs fails or the file is not there."""
    r = subprocess.run([_tool("debugfs"), "-R", f"cat {path}", str(image)],
                       capture_output=True, check=False)
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0 or "not found" in err:
        raise GuestDiskError(f"debugfs cannot read {path} in {image}: {err.strip()}")
    return r.stdout
