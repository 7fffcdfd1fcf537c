# SPDX-License-Identifier: GPL-2.0-only
"""The `kconfig` marker: a test that needs a Kconfig option is skipped, with the reason
stated, on a board whose build has the option off (like U-Boot's buildconfigspec).

    @pytest.mark.kconfig("IDS_PROTECT")          # CONFIG_ prefix optional; all must be on

The options come from build/<board>/.config, the configuration the image was built with.
A test parametrized with `board_config` is judged on that board; any other test is skipped
when one of the selected boards has the option off.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from mamoru import paths


def config_path(board: str) -> Path:
    return paths.BUILD / board / ".config"


def parse_config(text: str) -> dict[str, str]:
    """CONFIG_X=value lines of a .config ('# CONFIG_X is not set' lines are simply absent)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("CONFIG_") and "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@functools.cache
def board_options(board: str) -> dict[str, str] | None:
    """The board's build configuration, None when it has not been built."""
    path = config_path(board)
    return parse_config(path.read_text()) if path.is_file() else None


def option_name(option: str) -> str:
    return option if option.startswith("CONFIG_") else f"CONFIG_{option}"


def missing(options: Iterable[str], values: dict[str, str]) -> list[str]:
    """The options (as CONFIG_ names) that are not on (=y or =m) in values."""
    return [n for n in map(option_name, options) if values.get(n) not in ("y", "m")]


def skip_reason(options: Iterable[str], boards: Iterable[str]) -> str | None:
    """Why a test needing options cannot run on these boards, or None when it can. A board
    that is not built yet is not judged (its test fails on the missing image instead)."""
    wanted = list(options)
    for board in boards:
        values = board_options(board)
        if values is None:
            continue
        off = missing(wanted, values)
        if off:
            return f"{', '.join(off)} is off in {config_path(board).relative_to(paths.ROOT)}"
    return None
