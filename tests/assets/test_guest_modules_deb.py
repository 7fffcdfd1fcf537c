# SPDX-License-Identifier: GPL-2.0-only
"""The virtio modules of the default guest, from the cloud kernel's real -unsigned package."""

from __future__ import annotations

import shutil

import pytest

from mamoru import guest_assets, guest_modules
from mamoru.guest_modules import LOAD_LIST, parse_modinfo

pytestmark = [
    pytest.mark.assets,
    pytest.mark.skipif(
        not (shutil.which("apt-get") and shutil.which("dpkg-deb")),
        reason="the guest assets come from Debian's archive: needs apt-get and dpkg-deb",
    ),
]


def test_cloud_kernel_virtio_modules_in_dependency_order() -> None:
    k = guest_assets.cloud_kernel()
    s = guest_modules.guest_modules(k)
    assert set(guest_modules.DEFAULT_MODULES) <= set(s.names)
    assert {"virtio", "virtio_ring", "failover", "net_failover"} <= set(s.names)
    for i, (name, path) in enumerate(s.files().items()):
        info = parse_modinfo(path)
        assert info["name"] == name
        assert info["vermagic"].startswith(f"{k.version} ")
        assert set(guest_modules.depends_of(info)) <= set(s.names[:i]), name
    files = s.initramfs_files()
    assert isinstance(files[LOAD_LIST], bytes)
    assert f"lib/modules/{k.version}/modules.dep" in files
