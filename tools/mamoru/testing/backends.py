# SPDX-License-Identifier: GPL-2.0-only
"""How a Target is switched on and talked to: power and console backends.

Like labgrid's drivers under a strategy, a Target (target.py) only asks its backends to
switch the board on (again) and for the console; it never knows whether that is QEMU or a
Raspberry Pi on a serial adapter.

Power backends
  QemuPower    a QEMU process; every power-on is a new process (a fresh boot).
  BoardPower   a real board: switching it "on" takes the board as it is when its shell
               answers; a fresh boot resets it (--reset-cmd, its `reset`, or the user:
               hwreset.BoardReset).
Console backends
  QemuSerial   QEMU's serial console (a TCP socket per QEMU process).
  SerialLine   a serial device or pyserial URL (/dev/ttyUSB0, socket://host:port), opened
               once per session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mamoru.boards import BoardConfig
from mamoru.console import Console, open_device
from mamoru.hwreset import BoardReset
from mamoru.qemu import Qemu


class PowerBackend(Protocol):
    label: str

    @property
    def qemu(self) -> Qemu | None: ...

    def on(self, *, fresh: bool) -> str | None:
        """Switches the target on. fresh: restart it even if it runs. Returns the boot log
        when the backend waited for the prompt itself, None when the caller must."""
        ...

    def alive(self) -> bool: ...

    def off(self) -> None: ...

    def mark_dirty(self) -> None:
        """A test failed on it: the next power-on must be a fresh boot (shared boards)."""
        ...


class ConsoleBackend(Protocol):
    def console(self) -> Console:
        """The console of the target as it runs now."""
        ...

    def close(self) -> None: ...


@dataclass
class QemuPower:
    """A QEMU process running the board's image; options are Qemu's (initrd, no_dtb, ...)."""

    config: BoardConfig
    options: dict[str, Any] = field(default_factory=dict)
    label: str = "QEMU"
    process: Qemu | None = None

    @property
    def qemu(self) -> Qemu | None:
        return self.process

    def on(self, *, fresh: bool = True) -> str | None:
        self.off()
        q = Qemu(self.config, **self.options)
        self.process = q
        q.start()
        return None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def off(self) -> None:
        if self.process is not None:
            self.process.stop()     # the object stays for reports (describe())

    def mark_dirty(self) -> None:
        pass                        # every power-on is a new process anyway


@dataclass
class QemuSerial:
    """QEMU's console: the socket of whatever process `power` runs now."""

    power: QemuPower

    def console(self) -> Console:
        q = self.power.process
        if q is None or q.console is None:
            raise RuntimeError("QEMU is not running: switch the target on first")
        return q.console

    def close(self) -> None:
        pass                        # closed with the QEMU process


@dataclass
class SerialLine:
    """A serial device path or pyserial URL, opened on first use and kept for the session."""

    device: str
    baud: int = 115200
    _console: Console | None = None

    def console(self) -> Console:
        if self._console is None:
            self._console = Console(open_device(self.device, self.baud))
        return self._console

    def close(self) -> None:
        if self._console is not None:
            self._console.close()
            self._console = None


@dataclass
class BoardPower:
    """A real board on `line`: on() brings it to its prompt as it is (reset only when it does
    not answer); on(fresh=True) restarts it."""

    line: SerialLine
    reset_cmd: str | None
    ask: Callable[[str], bool]
    label: str = "board"
    dirty: bool = False             # one board, many Targets: a failure on any resets it
    _reset: BoardReset | None = None

    @property
    def qemu(self) -> Qemu | None:
        return None

    @property
    def reset(self) -> BoardReset:
        if self._reset is None:
            self._reset = BoardReset(self.line.console(), self.reset_cmd, self.ask)
        return self._reset

    def on(self, *, fresh: bool = False) -> str | None:
        fresh, self.dirty = fresh or self.dirty, False
        return self.reset.reset() if fresh else self.reset.ready()

    def alive(self) -> bool:
        return True                 # a board that stopped answering is found out by sync()

    def off(self) -> None:
        pass                        # a real board stays on between tests

    def mark_dirty(self) -> None:
        self.dirty = True


def qemu_backends(config: BoardConfig, *, initrd: Path | None = None,
                  **options: Any) -> tuple[QemuPower, QemuSerial]:
    if initrd is not None:
        options["initrd"] = initrd
    power = QemuPower(config, options)
    return power, QemuSerial(power)
