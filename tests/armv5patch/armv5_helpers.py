# SPDX-License-Identifier: GPL-2.0-only
"""Helpers of the ARMv5 patcher tests: the cross binutils and assembling data/*.S."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
CROSS = "arm-linux-gnueabi-"


def cross(tool: str) -> str:
    path = shutil.which(CROSS + tool)
    if path is None:
        pytest.fail(f"{CROSS}{tool} is not installed (./mamoru setup installs it)",
                    pytrace=False)
    return path


def assemble(src: Path, out: Path) -> Path:
    subprocess.run([cross("gcc"), "-march=armv5te", "-marm", "-c", str(src), "-o", str(out)],
                   check=True, capture_output=True, text=True)
    return out
