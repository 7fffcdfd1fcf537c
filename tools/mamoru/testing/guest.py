# SPDX-License-Identifier: GPL-2.0-only
"""Guest helpers for tests: the board's guest bundle and targets that run guest0."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamoru import paths
from mamoru.boards import BoardConfig
from mamoru.guestshell import GuestShell
from mamoru.testing.target import GUEST_BOOT_TIMEOUT, Launcher, Target

__all__ = ["GUEST_BOOT_TIMEOUT", "boot_with_guest", "bundle_for"]


def bundle_for(config: BoardConfig) -> Path:
    """build/<board>/guests.cpio (fails the test when it has not been built)."""
    bundle = paths.BUILD / config.board.name / "guests.cpio"
    if not bundle.is_file():
        pytest.fail(f"{bundle} is missing: ./mamoru build --board {config.board.name}",
                    pytrace=False)
    return bundle


def boot_with_guest(launcher: Launcher, config: BoardConfig,
                    initrd: Path | None = None) -> tuple[Target, GuestShell]:
    """Boots Mamoru with the guest bundle (default: the board's) and waits for guest0's
    shell, back at the hypervisor's prompt."""
    t = launcher.boot(config, initrd=initrd or bundle_for(config))
    t.ensure_guest()
    return t, t.shell
