# SPDX-License-Identifier: GPL-2.0-only
"""The `kconfig` marker (mamoru.testing.kconfig): a test needing a Kconfig option is skipped,
with the reason stated, where the board's build/<board>/.config has the option off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mamoru import paths
from mamoru.testing import kconfig

DOT_CONFIG = """\
CONFIG_BOARD_QEMU_VIRT=y
# CONFIG_BOARD_RPI4 is not set
CONFIG_HEAP_SIZE_KB=256
CONFIG_SHELL_PROMPT="mamoru# "
CONFIG_MODULE_THING=m
# CONFIG_CMD_FAULT is not set
"""


def test_parse_and_missing() -> None:
    values = kconfig.parse_config(DOT_CONFIG)
    assert values["CONFIG_BOARD_QEMU_VIRT"] == "y" and values["CONFIG_HEAP_SIZE_KB"] == "256"
    assert "CONFIG_BOARD_RPI4" not in values and "CONFIG_CMD_FAULT" not in values
    assert kconfig.missing(["BOARD_QEMU_VIRT", "CONFIG_MODULE_THING"], values) == []
    assert kconfig.missing(["CMD_FAULT", "BOARD_QEMU_VIRT", "CONFIG_NOPE"], values) == [
        "CONFIG_CMD_FAULT", "CONFIG_NOPE"]
    assert kconfig.missing(["HEAP_SIZE_KB"], values) == ["CONFIG_HEAP_SIZE_KB"]  # not a bool


TEST_FILE = '''
import pytest

@pytest.mark.kconfig("CPU_ARM64")
def test_on(board_config):
    pass

@pytest.mark.kconfig("CONFIG_MAMORU_NEVER_SET")
def test_off(board_config):
    raise AssertionError("must be skipped")

@pytest.mark.kconfig("CPU_ARM64", "MAMORU_NEVER_SET")
def test_one_of_two_off():
    raise AssertionError("must be skipped")
'''


def test_marker_skips_with_the_reason(tmp_path: Path) -> None:
    if not kconfig.config_path("virt").is_file():
        pytest.fail("build/virt/.config is missing: ./mamoru build --board virt")
    (tmp_path / "test_k.py").write_text(TEST_FILE)
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n")
    env = dict(os.environ, PYTHONPATH=str(paths.ROOT / "tools"))
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "mamoru.testing.plugin", "-p", "no:cacheprovider",
         "-rs", "-v", "--board", "virt-gicv2", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "test_on[virt-gicv2] PASSED" in out, out
    assert "test_off[virt-gicv2] SKIPPED" in out and "test_one_of_two_off SKIPPED" in out, out
    assert "CONFIG_MAMORU_NEVER_SET is off in build/virt/.config" in out, out
    assert "1 passed, 2 skipped" in out, out
