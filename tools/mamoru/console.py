# SPDX-License-Identifier: GPL-2.0-only
"""Talking to Mamoru's shell over a serial line (QEMU's socket or pty, or a real UART).

Console wraps any pyserial object. Everything read is kept in `transcript`;
`expect` consumes the unread text up to a match, so successive expects walk
forward through the output like a reader would.
"""

from __future__ import annotations

import codecs
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

import serial

PROMPT = "mamoru# "
# The mini UART's receive FIFO holds 8 bytes: send no more before their echo is back.
CHUNK = 8
# `vserial bind` hands the console to a guest until ESC x q; a console left bound looks
# dead to anyone waiting for mamoru#.
DETACH = b"\x1bxq"
# The sign-on line the hypervisor prints at boot: seeing it again means a reset.
BANNER_RE = re.compile(r"^Mamoru v\S+", re.MULTILINE)

Pattern = str | re.Pattern[str]


class ConsoleError(Exception):
    """The console did not behave; the message carries the end of the transcript."""


class ConsoleTimeout(ConsoleError):
    pass


class UnexpectedReset(ConsoleError):
    pass


class ConsoleClosed(ConsoleError):
    pass


class ConsoleGone(ConsoleClosed):
    """The local serial device itself vanished (unplugged, or reset with its USB hub)."""


def _compile(pattern: Pattern) -> re.Pattern[str]:
    return pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))


def _describe(pattern: Pattern) -> str:
    return repr(pattern.pattern if isinstance(pattern, re.Pattern) else pattern)


class Console:
    """A line-oriented view of the hypervisor's serial console.

    port: an open pyserial object (serial.Serial, serial_for_url(...)).
    chunk_size: send() writes this many bytes at a time and waits for their echo,
      so a real UART's receive FIFO (8 bytes on the mini UART) is never overrun.
    """

    def __init__(
        self,
        port: serial.SerialBase,
        *,
        prompt: str = PROMPT,
        chunk_size: int = CHUNK,
        echo_timeout: float = 10.0,
        poll: float = 0.05,
    ) -> None:
        if not 1 <= chunk_size <= CHUNK:
            raise ValueError(f"chunk_size {chunk_size}: 1 to {CHUNK} bytes (the UART's FIFO)")
        self.port = port
        self.prompt = prompt
        self.chunk_size = chunk_size
        self.echo_timeout = echo_timeout
        self.port.timeout = poll
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._chunks: list[str] = []      # the whole transcript, in pieces
        self._length = 0
        self._pending = ""                 # read but not yet consumed by expect
        self.before = ""                   # text consumed before the last match
        self.closed_reason: str | None = None

    # -- reading ---------------------------------------------------------------

    @property
    def transcript(self) -> str:
        """Everything read from the console so far."""
        if len(self._chunks) > 1:
            self._chunks = ["".join(self._chunks)]
        return self._chunks[0] if self._chunks else ""

    def tail(self, chars: int = 3000) -> str:
        return self.transcript[-chars:]

    def mark(self) -> int:
        """A position in the transcript, for `since`."""
        return self._length

    def since(self, mark: int) -> str:
        return self.transcript[mark:]

    def _read_some(self) -> bool:
        """Reads what arrives within one poll interval; True if anything came."""
        try:
            waiting = self.port.in_waiting
            if waiting > 0:
                # Take everything already there in one go (pyserial's socket:// reports
                # just 1 for "readable"): byte-by-byte reads make long output quadratic.
                timeout = self.port.timeout
                self.port.timeout = 0
                try:
                    data = self.port.read(max(waiting, 65536))
                finally:
                    self.port.timeout = timeout
            else:
                data = self.port.read(1)
        except (serial.SerialException, OSError) as e:
            self.closed_reason = str(e)
            self._raise_gone(e)
            raise ConsoleClosed(
                self._failure(f"console closed ({e}); did the target stop?")
            ) from e
        if not data:
            return False
        text = self._decoder.decode(data)
        self._chunks.append(text)
        self._length += len(text)
        self._pending += text
        return True

    # -- the local serial device --------------------------------------------------

    @property
    def device(self) -> str | None:
        """The local serial device's path (/dev/ttyUSB0), None for URLs and sockets."""
        name = getattr(self.port, "port", None)
        return name if isinstance(name, str) and name.startswith("/") else None

    def device_gone(self) -> bool:
        path = self.device
        return path is not None and not os.path.exists(path)

    def _raise_gone(self, err: BaseException) -> None:
        if self.device_gone():
            raise ConsoleGone(self._failure(
                f"the serial device {self.device} disappeared ({err}): the USB serial "
                "adapter was unplugged or lost power. A USB hub that switches all its ports "
                "off in a power cycle resets the adapter too: plug the adapter into a port "
                "the reset does not switch"
            )) from err

    def reopen(self, timeout: float = 15.0) -> bool:
        """Waits for a vanished serial device to come back and opens it again with the
        same settings; True if it did within timeout."""
        path = self.device
        if path is None:
            return False
        try:
            self.port.close()
        except Exception:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(path):
                try:
                    self.port.open()
                except (serial.SerialException, OSError):
                    pass      # the node exists before its driver is ready
                else:
                    self.closed_reason = None
                    return True
            time.sleep(0.1)
        return False

    def _failure(self, what: str) -> str:
        return f"{what}\n----- last 3000 characters of the console -----\n{self.tail()}"

    def expect(
        self,
        pattern: Pattern,
        timeout: float = 10.0,
        *,
        fail_on: Iterable[Pattern] = (),
    ) -> re.Match[str]:
        """Waits for pattern (a string is literal) in the unread output and consumes
        up to the end of the match; the text before it is left in `self.before`.

        fail_on: patterns that must not show up first (e.g. BANNER_RE).
        """
        want = _compile(pattern)
        bad = [_compile(p) for p in fail_on]
        deadline = time.monotonic() + timeout
        while True:
            m = want.search(self._pending)
            for b in bad:
                f = b.search(self._pending)
                if f and (m is None or f.start() < m.start()):
                    end = time.monotonic() + 0.5   # let the offending line arrive
                    while "\n" not in self._pending[f.start() :] and time.monotonic() < end:
                        if not self._read_some():
                            break
                    line_end = self._pending.find("\n", f.start())
                    line = self._pending[f.start() : line_end if line_end >= 0 else None]
                    cls = UnexpectedReset if b is BANNER_RE else ConsoleError
                    raise cls(
                        self._failure(
                            f"unexpected {line.strip()!r} while waiting for {_describe(pattern)}"
                            + (" (the target reset)" if cls is UnexpectedReset else "")
                        )
                    )
            if m:
                self.before = self._pending[: m.start()]
                self._pending = self._pending[m.end() :]
                return m
            if time.monotonic() >= deadline:
                raise ConsoleTimeout(
                    self._failure(f"timed out after {timeout:g} s waiting for {_describe(pattern)}")
                )
            self._read_some()

    def wait_until(self, done: Callable[[str], bool], what: str, timeout: float = 10.0) -> str:
        """Reads until done(text read since the call) is true; consumes and returns that text."""
        deadline = time.monotonic() + timeout
        text = self._pending
        while not done(text):
            if time.monotonic() >= deadline:
                raise ConsoleTimeout(
                    self._failure(f"timed out after {timeout:g} s waiting for {what}")
                )
            self._read_some()
            text = self._pending
        self._pending = ""
        return text

    def wait_for_all(self, needles: Iterable[str], timeout: float = 10.0) -> str:
        """Reads until every needle has appeared; consumes and returns the text."""
        items = list(needles)
        return self.wait_until(
            lambda t: all(n in t for n in items), f"all of {items!r}", timeout
        )

    def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> str:
        """Reads until the line has been quiet for `quiet` seconds; consumes and returns it."""
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() - last < quiet:
            if time.monotonic() >= deadline:
                raise ConsoleTimeout(self._failure(f"output did not stop within {timeout:g} s"))
            if self._read_some():
                last = time.monotonic()
        text, self._pending = self._pending, ""
        return text

    def assert_absent(self, pattern: Pattern, duration: float) -> str:
        """Reads for `duration` seconds and fails if pattern shows up; returns the text."""
        want = _compile(pattern)
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline:
            if want.search(self._pending):
                raise ConsoleError(self._failure(f"{_describe(pattern)} appeared but must not"))
            try:
                self._read_some()
            except ConsoleClosed:
                break
        if want.search(self._pending):
            raise ConsoleError(self._failure(f"{_describe(pattern)} appeared but must not"))
        text, self._pending = self._pending, ""
        return text

    # -- writing ---------------------------------------------------------------

    def write(self, data: bytes | str, *, pace: bool = True) -> None:
        """Sends raw bytes without waiting for any echo (control keys, garbage).

        With pace, writes chunk_size bytes at a time and gives the target the
        time a UART needs for them, reading (keeping) its output meanwhile.
        """
        raw = data.encode() if isinstance(data, str) else data
        step = self.chunk_size if pace else max(len(raw), 1)
        for i in range(0, len(raw), step):
            piece = raw[i : i + step]
            self._write(piece)
            if pace:
                baud = getattr(self.port, "baudrate", 115200) or 115200
                end = time.monotonic() + len(piece) * 10 / baud + 0.01
                while time.monotonic() < end:
                    try:
                        self._read_some()
                    except ConsoleClosed:
                        # The target may end the line itself (poweroff); the
                        # next read reports it if anyone still cares.
                        return

    def _write(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except (serial.SerialException, OSError) as e:
            self._raise_gone(e)
            raise ConsoleClosed(self._failure(f"console write failed ({e})")) from e

    def send(self, text: str, *, echo: bool = True) -> None:
        """Types text in chunks, waiting for each chunk's echo (text must be printable)."""
        if not echo:
            self.write(text)
            return
        for i in range(0, len(text), self.chunk_size):
            piece = text[i : i + self.chunk_size]
            self._write(piece.encode())
            self.expect(piece, self.echo_timeout, fail_on=[BANNER_RE])

    def wait_prompt(self, timeout: float = 10.0) -> str:
        """Waits for the prompt; returns what came before it."""
        self.expect(self.prompt, timeout)
        return self.before

    def enter(self, timeout: float = 10.0) -> str:
        """Presses Enter and returns the output up to the next prompt (no \\r, without
        the line break that ends the echoed line). Fails on an unexpected reset."""
        self._write(b"\r")
        self.expect(self.prompt, timeout, fail_on=[BANNER_RE])
        out = self.before.replace("\r", "")
        if out.startswith("\n"):
            out = out[1:]
        return out.rstrip("\n")

    def command(self, cmd: str, timeout: float = 10.0) -> str:
        """Runs one shell command; returns its output (lines joined by \\n)."""
        self.send(cmd)
        return self.enter(timeout)

    def sync(self, timeout: float = 5.0) -> None:
        """Brings the shell to a fresh, empty line: Ctrl-U, Enter, prompt."""
        self.settle(quiet=0.1, timeout=timeout)   # drop anything still queued
        self._write(b"\x15\r")
        self.expect(self.prompt, timeout, fail_on=[BANNER_RE])

    def detach(self, timeout: float = 2.0) -> str:
        """Sends the vserial detach sequence (ESC x q): a console bound to a guest goes
        back to the hypervisor's shell, which then prompts. At the shell itself the keys
        are harmless (sync's Ctrl-U clears them). Returns what came back."""
        self._write(DETACH)
        try:
            return self.settle(quiet=0.3, timeout=timeout)
        except ConsoleTimeout:
            return self._pending   # a chatty line: sync decides whether the shell answers

    def close(self) -> None:
        try:
            self.port.close()
        except Exception:
            pass


def open_device(url: str, baud: int = 115200, **kw: Any) -> serial.SerialBase:
    """Opens a serial device path or pyserial URL (socket://host:port, rfc2217://...)."""
    return serial.serial_for_url(url, baudrate=baud, timeout=0.05, **kw)
