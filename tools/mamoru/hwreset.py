# SPDX-License-Identifier: GPL-2.0-only
"""Restarting a real board for hardware-in-the-loop test runs (`--console DEVICE`).

A reset is done, in this order of preference, by
  1. the user's --reset-cmd: a shell command that power-cycles the board (a USB relay,
     a smart plug, `uhubctl` on the hub that powers it, ...);
  2. the hypervisor's own `reset` shell command, when its shell still answers;
  3. the person at the desk, asked on the terminal (only when there is one; under CI
     the run fails with a message saying to pass --reset-cmd).
Afterwards the console must show the hypervisor's banner, then its prompt.

Before a board counts as unresponsive it is sent the vserial detach sequence (ESC x q): a
console left bound to a guest answers for the guest, not with mamoru#. If the serial
device itself disappears while the board restarts (a USB hub that switches every port
also resets the adapter), that is said plainly and the device is opened again when it
comes back.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from mamoru.console import (
    BANNER_RE,
    Console,
    ConsoleClosed,
    ConsoleError,
    ConsoleGone,
    UnexpectedReset,
)

RESET_CMD_TIMEOUT = 60.0
BOOT_TIMEOUT = 90.0       # firmware + hypervisor on a real Pi: a few seconds; the user: more
ASK_TIMEOUT = 300.0
DEVICE_RETURN_TIMEOUT = 30.0   # a USB serial adapter re-enumerates within seconds


def _stderr(message: str) -> None:
    print(f"\n{message}", file=sys.__stderr__ or sys.stderr, flush=True)


class ResetError(ConsoleError):
    pass


@dataclass
class BoardReset:
    """How to restart the board on `console`.

    reset_cmd: --reset-cmd, or None.
    ask: shows a message to the user and returns True, or returns False when nobody can
      be asked (no terminal).
    say: tells the user something without waiting (default: stderr).
    """

    console: Console
    reset_cmd: str | None
    ask: Callable[[str], bool]
    boot_timeout: float = BOOT_TIMEOUT
    answer_timeout: float = 10.0    # how long a live shell may take to answer Enter
    device_timeout: float = DEVICE_RETURN_TIMEOUT
    say: Callable[[str], None] = _stderr

    def responsive(self) -> bool:
        """Whether the shell answers with a fresh prompt. A board that is booting just now
        (its banner shows up) is given the time to reach its prompt; a console bound to a
        guest is detached (ESC x q) before the board is given up on."""
        detached = False
        for _attempt in range(3):
            try:
                self.console.sync(timeout=self.answer_timeout)
                return True
            except UnexpectedReset:
                try:
                    self.console.wait_prompt(self.boot_timeout)
                except ConsoleError:
                    return False
            except ConsoleClosed:
                return False
            except ConsoleError:
                if detached:
                    return False
                try:
                    self.console.detach()
                except ConsoleClosed:
                    return False
                detached = True
        return False

    def ready(self) -> str:
        """Brings the board to a prompt: as it is if the shell answers, else by a reset.
        Returns the boot log if it had to reset, else ''."""
        if self.responsive():
            return ""
        return self.reset(shell_alive=False)

    def reset(self, *, shell_alive: bool = True) -> str:
        """Restarts the board; returns what it printed from the banner to the prompt."""
        c = self.console
        try:
            c.settle(quiet=0.1, timeout=5.0)
        except ConsoleError:
            pass          # a chatty board: the banner search below starts from here anyway
        mark = c.mark()
        timeout = self.boot_timeout
        if self.reset_cmd:
            r = subprocess.run(self.reset_cmd, shell=True, capture_output=True, text=True,
                               timeout=RESET_CMD_TIMEOUT, check=False)
            if r.returncode != 0:
                raise ResetError(f"--reset-cmd {self.reset_cmd!r} exited {r.returncode}:\n"
                                 f"{(r.stderr or r.stdout).strip()}")
        elif shell_alive and self.responsive():
            c.send("reset")
            c.write(b"\r", pace=False)
        else:
            if not self.ask(
                "mamoru: the board does not answer on the console. Power-cycle it now "
                f"(waiting {ASK_TIMEOUT:.0f} s for the Mamoru banner); next time, "
                "--reset-cmd '<command>' can do it."
            ):
                raise ResetError(
                    "the board does not answer and cannot be reset: pass --reset-cmd "
                    "'<shell command that power-cycles it>', or reset it by hand and rerun"
                )
            timeout = ASK_TIMEOUT
        try:
            c.expect(BANNER_RE, timeout)
            c.wait_prompt(30.0)
        except ConsoleGone as e:
            return self._after_device_loss(e, mark)
        except ConsoleError as e:
            raise ResetError(f"no Mamoru banner and prompt after the reset:\n{e}") from None
        return c.since(mark)

    def _after_device_loss(self, err: ConsoleGone, mark: int) -> str:
        """The serial device vanished during the reset: say so, wait for it to come back,
        then ask for the prompt (the banner may have passed while it was away)."""
        c = self.console
        first_line = str(err).splitlines()[0]
        self.say(f"mamoru: {first_line}. Waiting up to {self.device_timeout:.0f} s for "
                 f"{c.device} to come back.")
        if not c.reopen(self.device_timeout):
            raise ResetError(f"{first_line}\n{c.device} did not come back within "
                             f"{self.device_timeout:.0f} s") from None
        self.say(f"mamoru: {c.device} is back; output from while it was away is lost.")
        deadline = time.monotonic() + self.boot_timeout
        while not self.responsive():      # a banner arriving meanwhile is waited through
            if c.device_gone() or time.monotonic() >= deadline:
                raise ResetError(f"{first_line}\n{c.device} came back, but the board does "
                                 "not answer at its prompt") from None
        return c.since(mark)


def terminal_asker(config: pytest.Config) -> Callable[[str], bool]:
    """An `ask` for BoardReset that prints past pytest's output capture, when the run has a
    terminal; without one (CI) it returns False and the reset fails with advice."""

    def ask(message: str) -> bool:
        stdin = sys.__stdin__
        if stdin is None or not stdin.isatty():
            return False
        capman = config.pluginmanager.getplugin("capturemanager")
        if capman is None:
            print(f"\n{message}", file=sys.__stderr__, flush=True)
            return True
        with capman.global_and_fixture_disabled():
            print(f"\n{message}", flush=True)
        return True

    return ask
