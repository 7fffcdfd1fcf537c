# SPDX-License-Identifier: GPL-2.0-only
"""Console transcripts in failure reports, and whether a test has failed so far."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mamoru.console import Console
from mamoru.qemu import Qemu

TRANSCRIPT_LIMIT = 20000


@dataclass
class _Watched:
    label: str
    console: Console
    qemu: Qemu | None
    mark: int = 0


WATCHED = pytest.StashKey[list[_Watched]]()
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def watch(item: pytest.Item, label: str, console: Console, qemu: Qemu | None,
          mark: int = 0) -> None:
    """Puts this console's transcript (from mark on) into item's report if it fails."""
    item.stash.setdefault(WATCHED, []).append(_Watched(label, console, qemu, mark))


def failed(item: pytest.Item) -> bool:
    """Whether any phase of item's run so far failed (reports kept by the plugin)."""
    return any(r.failed for r in item.stash.get(REPORTS, {}).values())


def printable(text: str) -> str:
    """Console text for a report: no \\r, other control characters as \\xNN."""
    return "".join(
        c if c in "\n\t" or (c >= " " and c != "\x7f") else f"\\x{ord(c):02x}"
        for c in text.replace("\r\n", "\n")
    )


def transcript_section(item: pytest.Item) -> str:
    parts = []
    for w in item.stash.get(WATCHED, []):
        text = printable(w.console.since(w.mark))
        if len(text) > TRANSCRIPT_LIMIT:
            text = f"[... {len(text) - TRANSCRIPT_LIMIT} characters left out ...]\n" + text[
                -TRANSCRIPT_LIMIT:
            ]
        parts.append(f"===== {w.label} =====\n{text}")
        if w.qemu is not None:
            parts.append(f"----- QEMU -----\n{w.qemu.describe()}")
    return "\n".join(parts)
