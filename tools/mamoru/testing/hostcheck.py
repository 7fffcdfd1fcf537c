# SPDX-License-Identifier: GPL-2.0-only
"""The host test programs (scons host, under ASan/UBSan): building them (build_host),
running one with the sanitizers' settings (SAN_ENV, run_host), and reading its checks
(tests/include/hostcheck.h): each failed check prints "FAIL <file>:<line>: ..." and the
program ends with "<section>: N checks, M failures", exit 1 on a failure. A sanitizer
report (stderr, its own exit code) fails the test too."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from mamoru import paths
from mamoru.testing.scons import scons

HOST = paths.BUILD / "host"

# Sanitizer reports go to stderr with their own exit codes, so they never pass for a
# program's own "exit 1".
SAN_ENV = dict(os.environ, ASAN_OPTIONS="exitcode=99:detect_leaks=1",
               UBSAN_OPTIONS="exitcode=98:print_stacktrace=1:halt_on_error=1")


_built = False


def build_host(subdir: str = "") -> Path:
    """Builds the host programs (scons host), once per test process: the sources do not
    change during a run, and scons takes 2 s to say so (profile_dump's callers asked for
    every lookup). Returns build/host/<subdir>. Asserts that the build worked, with scons's
    output."""
    global _built
    if not _built:
        r = scons("-j2", "host")
        assert r.returncode == 0, f"scons host failed:\n{r.stdout}\n{r.stderr}"
        _built = True
    return HOST / subdir


def run_host(argv: Sequence[object], ok: Sequence[int] = (0,), timeout: float = 10
             ) -> subprocess.CompletedProcess[str]:
    """Runs a host program under the sanitizers' settings; asserts its exit code is one of ok."""
    cmd = [str(a) for a in argv]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=SAN_ENV,
                       check=False)
    assert r.returncode in ok, f"{cmd}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def _text(stream: str | bytes | None) -> str:
    if isinstance(stream, bytes):
        return stream.decode(errors="replace")
    return stream or ""


def checks_passed(r: subprocess.CompletedProcess, section: str, least: int = 1,
                  only: bool = False) -> int:
    """Asserts that the run ended with "<section>: N checks, 0 failures", exit 0, nothing on
    stderr and N >= least (the checks ran); with only, that this line is all it printed.
    Returns N."""
    out, err = _text(r.stdout), _text(r.stderr)
    assert err == "", f"exit {r.returncode}, stderr:\n{err[-3000:]}\n{out[-3000:]}"
    lines = out.strip().splitlines()
    m = re.fullmatch(rf"{re.escape(section)}: (\d+) checks, (\d+) failures",
                     lines[-1] if lines else "")
    assert m and m.group(2) == "0" and r.returncode == 0, \
        f"exit {r.returncode}:\n{out[-3000:]}"
    assert int(m.group(1)) >= least, f"only {m.group(1)} checks ran:\n{out[-3000:]}"
    assert not only or len(lines) == 1, out[-3000:]
    return int(m.group(1))
