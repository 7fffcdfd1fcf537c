# SPDX-License-Identifier: GPL-2.0-only
"""Running scons from a test: under the checkout's scons lock (paths.scons_lock), since the
suite's workers run in parallel and every build of the checkout shares one .sconsign."""

from __future__ import annotations

import subprocess
import sys

from mamoru import paths


def scons(*args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """scons -C <root> -Q ARGS (this Python's SCons), output captured; never raises on a
    failed build (the caller asserts on returncode with the output)."""
    argv = [sys.executable, "-m", "SCons", "-C", str(paths.ROOT), "-Q", *args]
    with paths.scons_lock():
        return subprocess.run(argv, capture_output=True, text=True, check=False,
                              timeout=timeout)
