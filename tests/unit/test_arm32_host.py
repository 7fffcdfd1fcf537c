# SPDX-License-Identifier: GPL-2.0-only
"""The ARMv5 port's pure logic on the host (tests/arch/host/arm32_check.c, under
ASan/UBSan): the fault status and load/store decoding of its crash reports, and the
identity map's tables (page 0 unmapped, text and rodata read-only, RAM write-back, I/O
uncached, the top 512 MiB unmapped but for the high vector page)."""
from pathlib import Path

import pytest
from hostprog import run_prog

from mamoru.testing.hostcheck import checks_passed


@pytest.mark.parametrize("section", ["faults", "mmu"])
def test_arm32_check(host_build: Path, section: str) -> None:
    checks_passed(run_prog(host_build / "arch", "arm32_check", [section]), section, 21)
