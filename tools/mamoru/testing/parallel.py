# SPDX-License-Identifier: GPL-2.0-only
"""The suite on several workers (pytest-xdist; `./mamoru test` starts one per CPU, at most
four): what keeps parallel tests out of each other's way.

- Grouping: each test module runs whole on one worker (its shared targets boot once); a
  module may name a group (`pytest.mark.xdist_group("name")`) to share one worker with
  other modules, e.g. those that use one session-wide pool of booted guests.
- `exclusive` marker: a test that changes what build/ holds for the others (a board's
  bundle) runs while no other test does. Every test holds build/.tests.lock shared; an
  exclusive one holds it exclusively (the other workers wait between two tests).
- Boot costs: each worker's QEMU starts and boots travel to the controller, which prints
  the summary for the whole run.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from mamoru import paths

LOCK = ".tests.lock"
GATE = ".tests.gate"


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def group_by_module(items: list[pytest.Item]) -> None:
    """Under --dist loadgroup: each test without a group joins its module's group."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


@contextmanager
def test_lock(exclusive: bool) -> Iterator[None]:
    """build/.tests.lock, shared or exclusive, for one test's setup, call and teardown.

    flock gives a waiting exclusive lock no priority over new shared ones, so a turnstile
    (build/.tests.gate) comes first: an exclusive test holds the gate while it waits for
    and holds the lock; an ordinary test passes the gate (shared, at once released) before
    taking the lock shared, so no new test starts while an exclusive one waits."""
    paths.BUILD.mkdir(parents=True, exist_ok=True)
    gate = os.open(paths.BUILD / GATE, os.O_RDWR | os.O_CREAT, 0o644)
    fd = os.open(paths.BUILD / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(gate, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        if not exclusive:
            fcntl.flock(gate, fcntl.LOCK_UN)
        yield
    finally:
        os.close(fd)                                # closing releases the locks
        os.close(gate)
