# SPDX-License-Identifier: GPL-2.0-only
"""Any set of test folders collects on its own (issue 11): every folder alone and a few
pairs, with `pytest --collect-only` in a fresh process, without errors. Tests import shared
helpers from the mamoru.testing package, never from a conftest (`from conftest import ...`
picks whichever conftest was imported first and fails for other folder sets)."""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from mamoru import paths

TESTS = paths.ROOT / "tests"
FOLDERS = sorted(p.name for p in TESTS.iterdir()
                 if p.is_dir() and any(p.glob("test_*.py")))
PAIRS = [("vmi", "ids"), ("ids", "vmi"), ("guest", "ids"), ("target", "sdcard"),
         ("unit", "vmi"), ("assets", "guest")]


def collect(*folders: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         *(f"tests/{f}" for f in folders)],
        cwd=paths.ROOT, capture_output=True, text=True, check=False, timeout=300)


@pytest.fixture(scope="module")
def collected() -> dict[tuple[str, ...], subprocess.CompletedProcess[str]]:
    sets = [(f,) for f in FOLDERS] + PAIRS
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(sets, pool.map(lambda s: collect(*s), sets), strict=True))


def test_every_folder_is_covered() -> None:
    assert {"guest", "ids", "sdcard", "target", "unit", "vmi"} <= set(FOLDERS), FOLDERS
    assert all(a in FOLDERS and b in FOLDERS for a, b in PAIRS)


@pytest.mark.parametrize("folders", [(f,) for f in FOLDERS] + PAIRS,
                         ids=["+".join(s) for s in [(f,) for f in FOLDERS] + PAIRS])
def test_folders_collect_on_their_own(
        collected: dict[tuple[str, ...], subprocess.CompletedProcess[str]],
        folders: tuple[str, ...]) -> None:
    r = collected[folders]
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    m = re.search(r"(\d+) tests? collected", out)
    assert m and int(m.group(1)) > 0, out[-2000:]
    assert "error" not in out.lower().split("collected")[-1], out[-2000:]
    for f in folders:
        assert f"tests/{f}/" in r.stdout, f"nothing collected from tests/{f}:\n{out[-2000:]}"


def test_no_test_module_imports_a_conftest() -> None:
    offenders = [str(p.relative_to(paths.ROOT)) for p in TESTS.rglob("*.py")
                 if re.search(r"^\s*(from conftest import|import conftest)", p.read_text(),
                              re.M)]
    assert not offenders, offenders
