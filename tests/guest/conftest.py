# SPDX-License-Identifier: GPL-2.0-only
"""Fixtures for tests that need guest0 (Debian's kernel + busybox) running under Mamoru.

  guest        (Target, GuestShell): guest0 up, the hypervisor at a fresh prompt; shared by
               the module's tests (on a real board: the SD card's guest0)
  fresh_guest  the same on a boot of its own, for tests that break or stop the guest
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mamoru.boards import BoardConfig
from mamoru.guestshell import GuestShell
from mamoru.testing import State, Target, at_state, hardware, new_target
from mamoru.testing.guest import bundle_for


def _guest_target(request: pytest.FixtureRequest, config: BoardConfig) -> Target:
    return new_target(request, config, initrd=lambda: bundle_for(config))


@pytest.fixture(scope="module")
def guest_target(request: pytest.FixtureRequest, board_config: BoardConfig) -> Iterator[Target]:
    t = _guest_target(request, board_config)
    try:
        yield t
    finally:
        t.close()


@pytest.fixture
def guest(request: pytest.FixtureRequest,
          guest_target: Target) -> Iterator[tuple[Target, GuestShell]]:
    """Mamoru at its prompt with guest0 at its shell (shared by the module's tests)."""
    with at_state(guest_target, request.node, State.HYPERVISOR, guest=True) as t:  # type: ignore[arg-type]
        yield t, t.shell


@pytest.fixture
def fresh_guest(request: pytest.FixtureRequest,
                board_config: BoardConfig) -> Iterator[tuple[Target, GuestShell]]:
    """A boot of its own, for tests that break or stop the guest."""
    if hardware(request.config):
        pytest.skip("stops or crashes the guest; run under QEMU")
    t = _guest_target(request, board_config)
    t.use(request.node)  # type: ignore[arg-type]
    try:
        t.ensure_guest()
        yield t, t.shell
    finally:
        t.close()
