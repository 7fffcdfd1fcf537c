# SPDX-License-Identifier: GPL-2.0-only
"""m_snprintf against the host snprintf, and parse_u64 (printf_check)."""
from pathlib import Path

from hostprog import run_prog


def test_printf_matches_host(host_build: Path) -> None:
    res = run_prog(host_build, "printf_check")
    out = res.stdout.decode()
    assert res.stderr == b"", res.stderr.decode()
    assert res.returncode == 0, out
    assert "0 failures" in out
