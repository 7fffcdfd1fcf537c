# SPDX-License-Identifier: GPL-2.0-only
"""pytest imports test files by their base name (rootdir-relative, no packages): two test
files of one name in different folders stop the whole suite at collection ("import file
mismatch"), as tests/assets and tests/unit once did."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_files_share_a_name() -> None:
    by_name: defaultdict[str, list[str]] = defaultdict(list)
    for p in TESTS.rglob("test_*.py"):
        by_name[p.name].append(str(p.relative_to(TESTS)))
    clashes = {n: sorted(ps) for n, ps in by_name.items() if len(ps) > 1}
    assert not clashes, clashes
