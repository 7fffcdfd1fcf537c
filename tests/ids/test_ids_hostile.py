# SPDX-License-Identifier: GPL-2.0-only
"""Hostile guest memory, end to end: the guest corrupts its own task list (a cycle that never
returns to init_task). The IDS fails closed: in bounded time it reports the corruption as a
finding (the verdict is ALERT, never "cannot check"), shows what it could read, and runs every
other check, while the hypervisor and its other commands keep working.
"""

from __future__ import annotations

import re
import time

import pytest

from mamoru.boards import BoardConfig
from mamoru.guest_module import GUEST_MODULE_PATH
from mamoru.guestshell import GuestShell
from mamoru.testing import Launcher
from mamoru.testing.ids import GUEST_BOOT_TIMEOUT, ids_bundle

# Guest support needed: not parametrized over boards without it (board.toml guests).
pytestmark = pytest.mark.guests("arm64")


@pytest.mark.qemu
def test_cyclic_task_list_gives_a_bounded_error(launch: Launcher,
                                                board_config: BoardConfig) -> None:
    t = launch.boot(board_config, initrd=ids_bundle(False))
    c = t.console
    g = GuestShell(c)
    g.attach(GUEST_BOOT_TIMEOUT)
    g.run("dmesg -n 1")
    victim = int(g.run("sleep 1000 & echo $!"))
    # The guest's own kernel may lock up soon after (its task list now loops): do not wait
    # for its shell, only for the module's word that the list is corrupted.
    g.run("dmesg -n 7")
    g.write(f"insmod {GUEST_MODULE_PATH} loop_pid={victim}")
    c.expect(f"task list now loops at pid {victim}", 60)
    g.detach()
    for cmd in ("ids plist", "ids plist --hidden", "ids check"):
        start = time.monotonic()
        out = c.command(cmd, timeout=30)
        assert time.monotonic() - start < 20, f"{cmd} took too long"
        assert "finding: task list: TAMPERED: walking the task list:" in out, out[-2000:]
        assert "error:" not in out, out[-2000:]
    # What was read before the loop is still shown, and the verdict is an alert.
    assert "init" in c.command("ids plist", timeout=30)
    assert c.command("ids check", timeout=30).splitlines()[-1].startswith("ids: ALERT (")
    c.command("ids watch 1")
    try:
        c.expect(re.compile(r"\[ids watch\] guest0: ALERT \(\d+ findings?\)"), 30)
    finally:
        c.sync()
        c.command("ids watch off")
    # What does not depend on the task list still works, and so does the hypervisor.
    assert c.command("ids banner").startswith("Linux version ")
    assert c.command("ids syscall --hooked") == "0 hooked entries"
    assert "version: " in c.command("version")
