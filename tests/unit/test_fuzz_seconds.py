# SPDX-License-Identifier: GPL-2.0-only
"""MAMORU_FUZZ_SECONDS: one knob for every fuzz target of the suite, checked."""

from __future__ import annotations

import pytest

from mamoru.testing.fuzz import DEFAULT_SECONDS, fuzz_seconds


def test_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAMORU_FUZZ_SECONDS", raising=False)
    assert fuzz_seconds() == DEFAULT_SECONDS
    monkeypatch.setenv("MAMORU_FUZZ_SECONDS", "600")
    assert fuzz_seconds() == 600


@pytest.mark.parametrize("bad", ["ten", "0", "-5", "1.5"])
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("MAMORU_FUZZ_SECONDS", bad)
    with pytest.raises(ValueError, match="MAMORU_FUZZ_SECONDS"):
        fuzz_seconds()
