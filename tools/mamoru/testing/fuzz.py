# SPDX-License-Identifier: GPL-2.0-only
"""How long each libFuzzer target of the suite runs.

The suite's fuzz runs are smoke runs (the corpus and the sanitizers catch regressions); a
long campaign is the same program run by hand with -max_total_time=600 or more. One knob for
all of them: MAMORU_FUZZ_SECONDS (default 10).
"""

from __future__ import annotations

import os

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
