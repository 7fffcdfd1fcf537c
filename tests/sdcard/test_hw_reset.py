# SPDX-License-Identifier: GPL-2.0-only
"""Board resets for hardware-in-the-loop runs (--reset-cmd, the hypervisor's `reset`, the
user), against a fake board behind a pty that pyserial opens like /dev/ttyUSB0: a console
left bound to a guest, an 8-byte receive FIFO, and a serial device that vanishes and comes
back during a power cycle."""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import serial

from mamoru.console import CHUNK, DETACH, Console
from mamoru.hwreset import BoardReset, ResetError

BANNER = b"\r\nMamoru v0.1.0 (fake) on Fake Board\r\n  console fake\r\nmamoru# "


class FakeBoard:
    """A shell on the master side of a pty: echoes, answers Enter with a prompt, and
    reboots (banner, prompt) on `reset` or when the power file appears. A hung board
    ignores its input until it is power-cycled. A bound one hands its input to a guest
    (whose prompt is "# ") until ESC x q. Bytes beyond the mini UART's 8-byte FIFO in
    one burst are lost (counted in overruns). With unplug_on_power, a power cycle also
    takes the serial device away for a moment, like a USB hub switching every port:
    `path` is a symlink that points at a new pty afterwards."""

    def __init__(self, power_file: Path) -> None:
        self.path = str(power_file.with_name("ttyFAKE0"))
        self._open_pty()
        self.power_file = power_file
        self.hung = False
        self.bound = False
        self.unplug_on_power = False
        self.unplugged_for = 0.5
        self.overruns = 0
        self.boots = 0
        self._esc = b""
        self._line = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _open_pty(self) -> None:
        self.master, self.slave = os.openpty()
        tmp = self.path + ".new"
        os.symlink(os.ttyname(self.slave), tmp)
        os.replace(tmp, self.path)

    def _unplug(self) -> None:
        os.unlink(self.path)
        os.close(self.master)
        os.close(self.slave)
        time.sleep(self.unplugged_for)
        self._open_pty()

    def power_cycle(self) -> None:
        self.power_file.touch()

    def _boot(self) -> None:
        time.sleep(0.05)
        self.hung = False
        self.boots += 1
        self._line = b""
        os.write(self.master, BANNER)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.power_file.exists():
                self.power_file.unlink()
                if self.unplug_on_power:
                    self._unplug()
                self._boot()
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if not ready:
                continue
            try:
                data = os.read(self.master, 256)
            except OSError:
                return
            if self.hung:
                continue
            if len(data) > CHUNK:
                self.overruns += len(data) - CHUNK
                data = data[:CHUNK]
            for b in data:
                c = bytes((b,))
                if self.bound:
                    self._guest_input(c)
                    continue
                if c == b"\x15":
                    self._line = b""
                elif c == b"\r":
                    if self._line == b"reset":
                        os.write(self.master, b"\r\n")
                        self._boot()
                    else:
                        self._line = b""
                        os.write(self.master, b"\r\nmamoru# ")
                else:
                    self._line += c
                    os.write(self.master, c)

    def _guest_input(self, c: bytes) -> None:
        self._esc = (self._esc + c) if DETACH.startswith(self._esc + c) else b""
        if self._esc == DETACH:
            self._esc = b""
            self.bound = False
            os.write(self.master, b"\r\nmamoru# ")
        elif c == b"\r":
            os.write(self.master, b"\r\n# ")
        elif not self._esc:
            os.write(self.master, c)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass      # already closed by an unplug


@pytest.fixture
def board(tmp_path: Path) -> Iterator[FakeBoard]:
    b = FakeBoard(tmp_path / "power")
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def console(board: FakeBoard) -> Iterator[Console]:
    c = Console(serial.Serial(board.path, 115200))
    try:
        yield c
    finally:
        c.close()


def never_ask(message: str) -> bool:
    return False


def fast(console: Console, reset_cmd: str | None,
         ask: Callable[[str], bool] = never_ask) -> BoardReset:
    return BoardReset(console, reset_cmd, ask, boot_timeout=5.0, answer_timeout=1.0)


def test_live_board_is_left_alone(board: FakeBoard, console: Console) -> None:
    assert fast(console, None).ready() == ""
    assert board.boots == 0


def test_reset_through_the_shell(board: FakeBoard, console: Console) -> None:
    log = fast(console, None).reset()
    assert board.boots == 1
    assert "Mamoru v0.1.0 (fake)" in log and log.rstrip().endswith("mamoru#")
    assert console.command("x") == ""  # the shell answers afterwards


def test_hung_board_reset_by_command(board: FakeBoard, console: Console) -> None:
    board.hung = True
    log = fast(console, f"touch {board.power_file}").ready()
    assert board.boots == 1 and "Mamoru v0.1.0 (fake)" in log


def test_hung_board_without_reset_cmd_or_terminal_fails_clearly(
    board: FakeBoard, console: Console
) -> None:
    board.hung = True
    with pytest.raises(ResetError, match="--reset-cmd"):
        fast(console, None).ready()


def test_hung_board_reset_by_the_user(board: FakeBoard, console: Console) -> None:
    board.hung = True
    asked: list[str] = []

    def ask(message: str) -> bool:
        asked.append(message)
        threading.Timer(0.3, board.power_cycle).start()   # the user pulls the plug
        return True

    log = fast(console, None, ask).ready()
    assert asked and "Power-cycle" in asked[0]
    assert "Mamoru v0.1.0 (fake)" in log


def test_failing_reset_cmd_is_reported(board: FakeBoard, console: Console) -> None:
    board.hung = True
    with pytest.raises(ResetError, match="exited 3"):
        fast(console, "echo relay offline >&2; exit 3").ready()


def test_console_paces_for_an_8_byte_fifo(board: FakeBoard, console: Console) -> None:
    assert console.chunk_size <= 8
    line = "guest list with a line much longer than the mini UART's FIFO"
    console.sync()
    console.send(line)
    assert console.enter() == ""
    assert board.overruns == 0
    assert line in console.transcript
    with pytest.raises(ValueError, match="FIFO"):
        Console(console.port, chunk_size=16)


def test_bound_console_is_detached_not_reset(board: FakeBoard, console: Console) -> None:
    """A console left in `vserial bind` answers Enter with the guest's prompt: the reset
    logic sends ESC x q and finds the shell, without restarting the board."""
    board.bound = True
    assert fast(console, None).ready() == ""
    assert board.boots == 0 and not board.bound
    assert "\x1bxq" not in console.transcript   # the guest swallowed the sequence
    assert console.command("x") == ""


def test_device_vanishing_in_a_power_cycle_is_reported_and_survived(
    board: FakeBoard, console: Console
) -> None:
    board.hung = True
    board.unplug_on_power = True
    said: list[str] = []
    reset = BoardReset(console, f"touch {board.power_file}", never_ask, boot_timeout=5.0,
                       answer_timeout=1.0, device_timeout=5.0, say=said.append)
    log = reset.ready()
    assert board.boots == 1
    assert said and f"the serial device {board.path} disappeared" in said[0]
    assert "USB hub" in said[0]
    assert any("is back" in m for m in said)
    assert log.rstrip().endswith("mamoru#")
    assert console.command("x") == ""


def test_device_that_does_not_come_back_fails_clearly(board: FakeBoard,
                                                      console: Console) -> None:
    board.hung = True
    board.unplug_on_power = True
    board.unplugged_for = 2.0
    reset = BoardReset(console, f"touch {board.power_file}", never_ask, boot_timeout=3.0,
                       answer_timeout=1.0, device_timeout=0.5, say=lambda m: None)
    with pytest.raises(ResetError, match="disappeared") as e:
        reset.ready()
    assert "did not come back within" in str(e.value)
