# SPDX-License-Identifier: GPL-2.0-only
"""Heap and page allocator invariants (heap_sim)."""
from pathlib import Path

import pytest
from hostprog import run_prog


@pytest.mark.parametrize("seed", [1, 12345, 0xdeadbeef, 2024])
def test_heap_sim(host_build: Path, seed: int) -> None:
    res = run_prog(host_build, "heap_sim", [seed, 50000], timeout=120)
    out = res.stdout.decode()
    assert res.stderr == b"", res.stderr.decode()
    assert res.returncode == 0, out
    assert "heap_sim: ok" in out
