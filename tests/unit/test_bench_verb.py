# SPDX-License-Identifier: GPL-2.0-only
"""`./mamoru bench`: its help names every benchmark, and an unknown --only name is an error
that lists them (before any setup or build)."""

from __future__ import annotations

import subprocess

from mamoru import paths

BENCHES = sorted(p.stem.removeprefix("bench_")
                 for p in (paths.ROOT / "tests" / "bench").glob("bench_*.py"))


def mamoru(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(paths.ROOT / "mamoru"), *args], text=True,
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL, check=False)


def test_help_names_every_benchmark() -> None:
    r = mamoru("bench", "--help")
    assert r.returncode == 0, r.stderr
    listed = r.stdout.split("--only (", 1)[1].split(")", 1)[0].replace("\n", " ")
    assert sorted(n.strip() for n in listed.split(",")) == BENCHES, r.stdout


def test_unknown_benchmark_is_an_error() -> None:
    r = mamoru("bench", "--only", "nope", "--no-build")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "no benchmark nope" in r.stderr and ", ".join(BENCHES) in r.stderr, r.stderr
    assert "bench: tests/bench" not in r.stdout      # nothing ran
