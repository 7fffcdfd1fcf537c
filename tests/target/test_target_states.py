# SPDX-License-Identifier: GPL-2.0-only
"""The test target itself (mamoru.testing.target): explicit states, reuse while clean, a
fresh boot once dirty or dead; and the real-board backends (--console socket://...) driving
the suite against a QEMU board, so the hardware path runs in CI without a board."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mamoru import paths
from mamoru.boards import BoardConfig, config_for
from mamoru.console import BANNER_RE
from mamoru.qemu import Qemu
from mamoru.testing import State, Target, qemu_target
from mamoru.testing.guest import bundle_for

pytestmark = [pytest.mark.qemu, pytest.mark.configs("virt-gicv2")]


@pytest.fixture
def states_target(request: pytest.FixtureRequest, board_config: BoardConfig) -> Target:
    t = qemu_target(board_config, initrd=bundle_for(board_config), guest_init=["dmesg -n 1"])
    request.addfinalizer(t.close)
    t.use(request.node)  # type: ignore[arg-type]
    return t


def test_states_reuse_and_dirty_reboot(states_target: Target) -> None:
    t = states_target
    assert t.state is State.OFF and t.boots == 0
    t.to_state(State.HYPERVISOR)
    assert t.state is State.HYPERVISOR and t.boots == 1 and BANNER_RE.search(t.boot_log)
    first = t.qemu
    t.to_state(State.HYPERVISOR)                       # clean and alive: no new boot
    assert t.boots == 1 and t.qemu is first
    t.to_state(State.GUEST)                            # waits for the guest's shell once
    assert t.state is State.GUEST and t.guest_up
    assert t.shell.run("echo in-guest") == "in-guest"
    t.to_state(State.HYPERVISOR)                       # detaches
    assert t.state is State.HYPERVISOR and t.boots == 1
    assert "version: " in t.console.command("version")
    t.ensure_guest()                                   # already up: stays at the prompt
    assert t.state is State.HYPERVISOR and t.boots == 1

    t.mark_dirty()                                     # a failed test: the next user reboots
    t.to_state(State.HYPERVISOR)
    assert t.boots == 2 and t.qemu is not first and not t.dirty and not t.guest_up
    assert first is not None and first.poll() is not None

    assert t.qemu is not None
    t.qemu.stop()                                      # died: a fresh boot as well
    t.to_state(State.HYPERVISOR)
    assert t.boots == 3 and t.state is State.HYPERVISOR

    t.to_state(State.OFF)
    assert t.state is State.OFF and t.qemu is not None and t.qemu.poll() is not None


def test_suite_runs_against_a_board_on_socket_console(board_config: BoardConfig) -> None:
    """`--console socket://...`: QEMU plays the real board (its serial console a TCP server);
    the tests run with the real-board backends (SerialLine, BoardPower): at the board's
    prompt as it is, the guest from its bundle, a reset through the hypervisor's `reset`."""
    config = config_for("virt", 2)
    # QEMU plays the board: its console a TCP server this QEMU holds (Qemu.listen waits
    # until QEMU says it listens, and tries another port if another process took it).
    board = Qemu(config, initrd=bundle_for(config), connect_timeout=30)
    try:
        port = board.listen()
        r = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "-v",
             "--board", "virt-gicv2", "--console", f"socket://127.0.0.1:{port}",
             "tests/target/test_commands.py", "tests/target/test_boot.py",
             "tests/guest/test_guest.py::test_guest_shell_runs_real_commands",
             "tests/guest/test_guest.py::test_guest_list_pause_resume"],
            cwd=paths.ROOT, env=dict(os.environ), capture_output=True, text=True,
            check=False, timeout=600)
        said = board.describe()
    finally:
        board.stop()
    out = r.stdout + r.stderr
    assert r.returncode == 0, f"{out[-6000:]}\n{said}"
    assert "on socket://127.0.0.1:" in out, out[:2000]          # the report header
    assert "test_reset_reboots[virt-gicv2] PASSED" in out, out[-6000:]
    assert "test_guest_shell_runs_real_commands[virt-gicv2] PASSED" in out, out[-6000:]
    assert "test_poweroff_stops_qemu[virt-gicv2] SKIPPED" in out, out[-6000:]
    assert " failed" not in out and " error" not in out, out[-6000:]
