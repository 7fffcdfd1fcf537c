# SPDX-License-Identifier: GPL-2.0-only
"""What the pytest command line asks for: which board configurations, QEMU or a real board."""

from __future__ import annotations

import pytest

from mamoru.boards import BoardConfig, select_configs


def selected_configs(config: pytest.Config) -> list[BoardConfig]:
    """The board configurations --board selects (one on real hardware)."""
    try:
        chosen = select_configs(config.getoption("--board"))
    except ValueError as e:
        raise pytest.UsageError(f"--board: {e}") from None
    if config.getoption("--console"):
        if not config.getoption("--board"):
            raise pytest.UsageError("--console needs --board (which board is on the line?)")
        chosen = chosen[:1]
    return chosen


def hardware(config: pytest.Config) -> bool:
    """Whether the run tests a real board (--console) instead of QEMU."""
    return config.getoption("--console") is not None
