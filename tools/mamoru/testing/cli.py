# SPDX-License-Identifier: GPL-2.0-only
"""The front door, run as a user would: ./mamoru with arguments."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from mamoru import paths


@dataclass
class Run:
    """One `./mamoru profile` run: the profile file, its --verbose output and wall time."""

    path: Path
    output: str
    seconds: float


def mamoru_cli(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs ./mamoru with args; raises AssertionError with its output when it fails (check)."""
    r = subprocess.run([str(paths.ROOT / "mamoru"), *map(str, args)], cwd=paths.ROOT,
                       capture_output=True, text=True, check=False)
    if check and r.returncode != 0:
        raise AssertionError(f"./mamoru {' '.join(map(str, args))} failed ({r.returncode}):\n"
                             f"{r.stdout}\n{r.stderr}")
    return r
