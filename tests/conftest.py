# SPDX-License-Identifier: GPL-2.0-only
"""The suite's pytest plugin (options, markers, reports: mamoru.testing.plugin) and the
fixtures of the hypervisor's states. Each fixture is a Target (mamoru.testing.target) in a
state; the same fixture runs under QEMU and on a real board (--console).

  board_config    the configuration under test (tests using it run once per config)
  target          a fresh boot per test, at the hypervisor's prompt (on hardware: the board
                  as it is, at a fresh prompt): .console, .board, .config, .qemu, .boot_log
  shell           a target shared by a module's tests (per config), at a fresh prompt per
                  test; a failed test makes the next one boot afresh
  launch          a factory for QEMU targets with special options (wrong EL, no DTB, ...)
  hardware_console, board_reset   the real board's console and reset (--console only)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mamoru.boards import BoardConfig
from mamoru.console import Console
from mamoru.hwreset import BoardReset
from mamoru.testing import (
    Launcher,
    State,
    Target,
    at_state,
    failed,
    hardware,
    module_target,
    new_target,
)
from mamoru.testing.backends import BoardPower, SerialLine

pytest_plugins = ["mamoru.testing.plugin"]


@pytest.fixture
def launch(request: pytest.FixtureRequest) -> Iterator[Launcher]:
    if hardware(request.config):
        pytest.skip("needs QEMU; testing real hardware (--console)")
    launcher = Launcher(request.node, request.config)  # type: ignore[arg-type]
    try:
        yield launcher
    finally:
        launcher.close()


@pytest.fixture(scope="session")
def hardware_console(board_backends: tuple[SerialLine, BoardPower]) -> Console:
    """Real hardware only: the board's console (--console)."""
    return board_backends[0].console()


@pytest.fixture(scope="session")
def board_reset(board_backends: tuple[SerialLine, BoardPower]) -> BoardReset:
    """Real hardware only: restarts the board (--reset-cmd, its `reset`, or the user)."""
    return board_backends[1].reset


@pytest.fixture
def target(request: pytest.FixtureRequest, board_config: BoardConfig) -> Iterator[Target]:
    """A fresh boot per test (on hardware: the board as it is, at a fresh prompt)."""
    t = new_target(request, board_config)
    t.use(request.node)  # type: ignore[arg-type]
    try:
        yield t.to_state(State.HYPERVISOR)
        if failed(request.node):  # type: ignore[arg-type]
            t.mark_dirty()       # a real board: the next test starts from a fresh boot
    finally:
        t.close()


@pytest.fixture(scope="module")
def shell_target(request: pytest.FixtureRequest, board_config: BoardConfig) -> Iterator[Target]:
    """The target the module's `shell` tests share (switched on by its first user)."""
    with module_target(request, board_config) as t:
        yield t


@pytest.fixture
def shell(request: pytest.FixtureRequest, shell_target: Target) -> Iterator[Target]:
    """A target at a fresh prompt, shared with the module's other tests."""
    with at_state(shell_target, request.node) as t:  # type: ignore[arg-type]
        yield t
