# SPDX-License-Identifier: GPL-2.0-only
"""smp_call's call slot (core/lib/smp_slot.c, smp_slot_check): each step of the protocol,
and a caller and a target thread racing, calls withdrawn at random moments."""
from pathlib import Path

import pytest
from hostprog import run_prog


@pytest.mark.parametrize("seed", [1, 7, 2024])
def test_smp_slot(host_build: Path, seed: int) -> None:
    res = run_prog(host_build, "smp_slot_check", [seed], timeout=120)
    out = res.stdout.decode()
    assert res.stderr == b"", res.stderr.decode()
    assert res.returncode == 0, out
    assert "smp_slot_check: ok" in out, out
