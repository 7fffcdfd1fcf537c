# SPDX-License-Identifier: GPL-2.0-only
"""The AArch64 trap logic on the host (tests/arch/host/arm64_check.c, under ASan/UBSan):
syndrome decoding, the register side of emulated loads and stores, the system
register emulation (ID register masking, debug registers, what is UNDEFINED)
and the PSCI function ids."""
from pathlib import Path

import pytest
from hostprog import run_prog


@pytest.mark.parametrize("section", ["decode", "mmio", "sysreg", "psci"])
def test_arm64_check(host_build: Path, section: str) -> None:
    res = run_prog(host_build / "arch", "arm64_check", [section])
    out = res.stdout.decode()
    assert res.stderr == b"", res.stderr.decode()
    assert res.returncode == 0, out
    m = out.strip().splitlines()[-1]
    assert m.startswith(f"{section}: ") and m.endswith(" 0 failures"), out
    assert int(m.split()[1]) > 10, out     # the checks ran
