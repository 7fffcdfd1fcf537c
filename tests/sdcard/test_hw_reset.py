"""Board resets for hardware-in-the-loop runs (--reset-cmd, the hypervisor's `reset`, the
user), against a fake board behind a pty that pyserial opens like /dev/ttyUSB0."""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import serial

from mamoru.console import Console
from mamoru.hwreset import BoardReset, ResetError

BANNER = b"\r\nMamoru v0.1.0 (fake) on Fake Board\r\n  console fake\r\nmamoru# "


class FakeBoard:
    """A shell on the master side of a pty: echoes, answers Enter with a prompt, and
    reboots (banner, prompt) on `reset` or when the power file appears. A hung board
    ignores its input until it is power-cycled."""

    def __init__(self, power_file: Path) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.power_file = power_file
        self.hung = False
        self.boots = 0
        self._line = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

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
            for b in data:
                c = bytes((b,))
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

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self.master)
        os.close(self.slave)


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
