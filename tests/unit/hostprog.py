# SPDX-License-Identifier: GPL-2.0-only
"""Running the host programs of `scons host` (build/host/) under the sanitizers."""
import subprocess
from collections.abc import Iterable
from pathlib import Path

from mamoru.testing.hostcheck import SAN_ENV

ROOT = Path(__file__).resolve().parents[2]
HOST = ROOT / "build" / "host"
DATA = Path(__file__).resolve().parent / "data"


def run_prog(host: Path, name: str, args: Iterable[object] = (), stdin: bytes = b"",
             timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run([str(host / name), *map(str, args)], input=stdin,
                          capture_output=True, timeout=timeout, env=SAN_ENV)
