# SPDX-License-Identifier: GPL-2.0-only
"""The `guests` marker (mamoru.testing.plugin): a test that needs guest support is
parametrized only over boards whose board.toml has guests, and `guests("arm64")` only over
those of that architecture (the tests of the arm64 Debian guest). A board left out gets no
such test at all: deselected, neither run nor reported as skipped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mamoru import paths

TEST_FILE = '''
import pytest

@pytest.mark.guests
def test_needs_guests(board_config):
    assert board_config.board.guests

@pytest.mark.guests("arm64")
def test_needs_arm64_guests(board_config):
    assert board_config.board.guests and board_config.board.arch.name == "arm64"

def test_any_board(board_config):
    pass
'''


def run(tmp_path: Path, *boards: str) -> str:
    (tmp_path / "test_g.py").write_text(TEST_FILE)
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n")
    env = dict(os.environ, PYTHONPATH=str(paths.ROOT / "tools"))
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "mamoru.testing.plugin", "-p", "no:cacheprovider",
         "-rs", "-v", *(a for b in boards for a in ("--board", b)), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    return out


def test_guest_tests_only_on_boards_of_their_architecture(tmp_path: Path) -> None:
    out = run(tmp_path, "virt-gicv2", "versatilepb")
    assert "test_needs_guests[virt-gicv2] PASSED" in out, out
    assert "test_needs_guests[versatilepb] PASSED" in out, out
    assert "test_needs_arm64_guests[virt-gicv2] PASSED" in out, out
    assert "test_needs_arm64_guests[versatilepb]" not in out, out
    assert "test_any_board[versatilepb] PASSED" in out, out
    assert "5 passed" in out and "skipped" not in out, out


def test_only_a_board_of_another_architecture_deselects(tmp_path: Path) -> None:
    out = run(tmp_path, "versatilepb")
    assert "test_any_board[versatilepb] PASSED" in out, out
    assert "test_needs_guests[versatilepb] PASSED" in out, out
    assert "test_needs_arm64_guests" not in out.split("short test summary")[0], out
    assert "2 passed, 1 deselected" in out and "skipped" not in out, out
