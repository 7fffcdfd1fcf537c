# SPDX-License-Identifier: GPL-2.0-only
"""How long each libFuzzer target of the suite runs.

The suite's fuzz runs are smoke runs (the corpus and the sanitizers catch regressions); a
long campaign is the same program run by hand with -max_total_time=600 or more. One knob for
all of them: MAMORU_FUZZ_SECONDS (default 10).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

DEFAULT_SECONDS = 10


def fuzz_seconds() -> int:
    """Seconds per fuzz target, from MAMORU_FUZZ_SECONDS (a positive integer) or the default."""
    raw = os.environ.get("MAMORU_FUZZ_SECONDS", "")
    if not raw:
        return DEFAULT_SECONDS
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"MAMORU_FUZZ_SECONDS={raw!r}: not an integer") from None
    if value <= 0:
        raise ValueError(f"MAMORU_FUZZ_SECONDS={raw!r}: must be positive")
    return value


def run_fuzzer(prog: Path, tmp_path: Path, seeds: Iterable[bytes], *options: str,
               env: Mapping[str, str] | None = None) -> None:
    """A smoke run of one libFuzzer target (fuzz_seconds() long) from a corpus of seeds in
    tmp_path/corpus, crash artifacts in tmp_path; asserts it found nothing and really ran."""
    assert prog.exists(), f"{prog.name} was not built (clang present?)"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, seed in enumerate(seeds):
        (corpus / f"seed{i}").write_bytes(seed)
    seconds = fuzz_seconds()
    argv = [str(prog), str(corpus), f"-max_total_time={seconds}", *options,
            "-print_final_stats=1", f"-artifact_prefix={tmp_path}/"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120, check=False,
                       env=env)
    tail = "\n".join(r.stderr.splitlines()[-30:])
    assert r.returncode == 0, f"{prog.name} found a problem (exit {r.returncode}):\n{tail}"
    assert "stat::number_of_executed_units" in r.stderr, tail
