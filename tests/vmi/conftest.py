# SPDX-License-Identifier: GPL-2.0-only
"""Fixtures for the guest-kernel profile tests (tests/vmi/test_profile*.py).

Marker `debian`: the test needs Debian's arm64 cloud kernel and its -dbg files (fetched and
cached by mamoru.guest_assets, ~280 MB on a fresh machine); deselect with -m "not debian".

Fixtures:
  debian_kernel     GuestKernel with image, config, System.map and vmlinux (session)
  debian_profiles   both input paths run through `./mamoru profile -v` once per session:
                    {"image": Run, "elf": Run, "elf_noconfig": Run}
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mamoru.testing import Run, mamoru_cli

if TYPE_CHECKING:
    from mamoru.guest_assets import GuestKernel



def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "debian: needs Debian's arm64 cloud kernel and its -dbg package (cached)")


@pytest.fixture(scope="session")
def debian_kernel() -> GuestKernel:
    from mamoru import guest_assets

    try:
        k = guest_assets.debug_files(guest_assets.cloud_kernel())
    except guest_assets.GuestAssetError as e:
        pytest.fail(f"Debian cloud kernel files unavailable: {e}", pytrace=False)
    if k.system_map is None or k.vmlinux is None or k.config is None:
        pytest.fail(f"guest_assets gave no System.map/vmlinux/config: {k}", pytrace=False)
    return k


@pytest.fixture(scope="session")
def debian_profiles(debian_kernel: GuestKernel, tmp_path_factory: pytest.TempPathFactory
                    ) -> dict[str, Run]:
    k = debian_kernel
    out = tmp_path_factory.mktemp("profiles")
    runs: dict[str, Run] = {}
    jobs: dict[str, list[str | Path]] = {
        "image": [k.image, "--system-map", k.system_map or "", "--config", k.config or ""],
        "elf": [k.vmlinux or "", "--config", k.config or ""],
    }
    # A name without a config-<release> sibling: the constants must be derived.
    bare = out / "vmlinux"
    bare.symlink_to(k.vmlinux or "")
    jobs["elf_noconfig"] = [bare]
    for name, args in jobs.items():
        path = out / f"{name}.profile"
        t0 = time.monotonic()
        r = mamoru_cli("profile", *args, "-o", path, "-v")
        runs[name] = Run(path, r.stdout + r.stderr, time.monotonic() - t0)
        sys.stderr.write(f"\n[profile {name}] {runs[name].seconds:.2f}s\n{runs[name].output}")
    return runs
