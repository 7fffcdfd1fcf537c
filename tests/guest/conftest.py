# SPDX-License-Identifier: GPL-2.0-only
"""Fixtures for tests that need guest0 (Debian's kernel + busybox) running under Mamoru."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mamoru import paths
from mamoru.boards import BoardConfig
from mamoru.guestshell import GuestShell
from mamoru.testing import Launcher, Target, failed, hardware, watch

GUEST_BOOT_TIMEOUT = 90.0


def bundle_for(config: BoardConfig) -> paths.Path:
    bundle = paths.BUILD / config.board.name / "guests.cpio"
    if not bundle.is_file():
        pytest.fail(f"{bundle} is missing: ./mamoru build --board {config.board.name}",
                    pytrace=False)
    return bundle


def boot_with_guest(launcher: Launcher, config: BoardConfig) -> tuple[Target, GuestShell]:
    """Boots Mamoru with the guest bundle and waits for guest0's shell (then detaches)."""
    t = launcher.boot(config, initrd=bundle_for(config))
    g = GuestShell(t.console)
    g.attach(GUEST_BOOT_TIMEOUT)
    g.detach()
    return t, g


class GuestSession:
    """One boot with guest0 shared by a module's tests; rebooted after a failure."""

    def __init__(self, request: pytest.FixtureRequest, config: BoardConfig) -> None:
        self.config = config
        self.launcher = Launcher(None, request.config)
        self.current: tuple[Target, GuestShell] | None = None
        self.dirty = True

    def get(self, node: pytest.Item) -> tuple[Target, GuestShell]:
        if self.current is not None and not self.dirty:
            t, g = self.current
            if t.qemu is not None and t.qemu.poll() is None:
                mark = t.console.mark()
                try:
                    t.console.sync()
                    watch(node, self.config.id, t.console, t.qemu, mark)
                    return t, g
                except Exception:
                    pass
        self.launcher.close()
        self.current = boot_with_guest(self.launcher, self.config)
        t = self.current[0]
        watch(node, self.config.id, t.console, t.qemu)
        self.dirty = False
        return self.current


@pytest.fixture(scope="module")
def _guest_session(request: pytest.FixtureRequest,
                   board_config: BoardConfig) -> Iterator[GuestSession | None]:
    if hardware(request.config):
        yield None
        return
    session = GuestSession(request, board_config)
    try:
        yield session
    finally:
        session.launcher.close()


@pytest.fixture
def guest(request: pytest.FixtureRequest, board_config: BoardConfig,
          _guest_session: GuestSession | None) -> Iterator[tuple[Target, GuestShell]]:
    """Mamoru at its prompt with guest0 at its shell (shared by the module's tests)."""
    node: pytest.Item = request.node  # type: ignore[assignment]
    if _guest_session is None:
        # A real board: the guest bundle is on its SD card and guest0 runs.
        console = request.getfixturevalue("hardware_console")
        watch(node, board_config.id, console, None, console.mark())
        console.sync(timeout=10)
        yield Target(board_config, console, None), GuestShell(console)
        return
    pair = _guest_session.get(node)
    yield pair
    if pair[1].attached:
        try:
            pair[1].detach()
        except Exception:
            _guest_session.dirty = True
    if failed(node):
        _guest_session.dirty = True


@pytest.fixture
def fresh_guest(request: pytest.FixtureRequest,
                board_config: BoardConfig) -> Iterator[tuple[Target, GuestShell]]:
    """A boot of its own, for tests that break or stop the guest."""
    if hardware(request.config):
        pytest.skip("stops or crashes the guest; run under QEMU")
    launcher = Launcher(request.node, request.config)  # type: ignore[arg-type]
    try:
        yield boot_with_guest(launcher, board_config)
    finally:
        launcher.close()
