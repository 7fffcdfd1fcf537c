# SPDX-License-Identifier: GPL-2.0-only
"""The AArch64 trap logic on the host (tests/arch/host/arm64_check.c, under ASan/UBSan):
syndrome decoding, the register side of emulated loads and stores, the system
register emulation (ID register masking, debug registers, what is UNDEFINED)
and the PSCI function ids."""
from pathlib import Path

import pytest
from hostprog import run_prog

from mamoru.testing.hostcheck import checks_passed


@pytest.mark.parametrize("section", ["decode", "mmio", "sysreg", "psci"])
def test_arm64_check(host_build: Path, section: str) -> None:
    checks_passed(run_prog(host_build / "arch", "arm64_check", [section]), section, 11)
