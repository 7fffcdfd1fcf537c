# SPDX-License-Identifier: GPL-2.0-only
"""Reading a host test program's checks (tests/include/hostcheck.h): each failed check prints
"FAIL <file>:<line>: ..." and the program ends with "<section>: N checks, M failures", exit 1
on a failure. A sanitizer report (stderr, its own exit code) fails the test too."""

from __future__ import annotations

import re
import subprocess


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
