# SPDX-License-Identifier: GPL-2.0-only
"""tests/bench/guestbench.py, the guest benchmarks' helpers, without QEMU: guest_under_mamoru
is a context manager (the benchmarks use it in `with`) and smp_bundle gives a bundle file
with that many vCPUs (its decorator once sat on the wrong function and broke them all)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

from mamoru.boards import config_for
from mamoru.cpio import read_cpio

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def guestbench() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        import guestbench as module  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(BENCH))
    return module


def test_guest_under_mamoru_is_a_context_manager(guestbench: ModuleType) -> None:
    cm = guestbench.guest_under_mamoru(config_for("virt", 2))   # not entered: no QEMU
    assert hasattr(cm, "__enter__") and hasattr(cm, "__exit__")


def test_smp_bundle_is_a_bundle_of_that_many_vcpus(guestbench: ModuleType) -> None:
    path = guestbench.smp_bundle(4)
    assert isinstance(path, Path) and path.is_file()
    entries = {e.name: e.data for e in read_cpio(path.read_bytes())}
    assert {"guest0/kernel", "guest0/initrd", "guest0/dtb"} <= entries.keys(), entries.keys()
    assert entries["guest0/dtb"].count(b"cpu@") == 4        # one node per vCPU
