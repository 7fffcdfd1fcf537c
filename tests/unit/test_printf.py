# SPDX-License-Identifier: GPL-2.0-only
"""m_snprintf against the host snprintf, and parse_u64 (printf_check)."""
from pathlib import Path

from hostprog import run_prog

from mamoru.testing.hostcheck import checks_passed


def test_printf_matches_host(host_build: Path) -> None:
    checks_passed(run_prog(host_build, "printf_check"), "printf_check", 200, only=True)
