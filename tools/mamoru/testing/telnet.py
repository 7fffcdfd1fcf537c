# SPDX-License-Identifier: GPL-2.0-only
"""A minimal telnet client for the guest's busybox telnetd, on a plain socket.

Python's telnetlib is gone (3.13). The negotiation here is the least a server accepts: every
option the server offers (WILL) or asks for (DO) is refused (DONT / WONT), subnegotiations
are skipped, an escaped IAC is a data byte. The server's shell then echoes as a terminal
does; commands are framed by markers like GuestShell.run's, typed with quotes so the echo
never matches them.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import socket
import time

from mamoru.guestshell import clean

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240

_marks = itertools.count(1)


class TelnetError(AssertionError):
    """The connection failed, closed, or did not show what was waited for."""


class TelnetFilter:
    """Separates telnet commands from data; negotiation replies accumulate in `replies`."""

    def __init__(self) -> None:
        self._state = "data"
        self._verb = 0
        self.replies = bytearray()

    def feed(self, chunk: bytes) -> bytes:
        out = bytearray()
        for b in chunk:
            st = self._state
            if st == "data":
                if b == IAC:
                    self._state = "iac"
                else:
                    out.append(b)
            elif st == "iac":
                if b == IAC:
                    out.append(IAC)
                    self._state = "data"
                elif b in (DO, DONT, WILL, WONT):
                    self._verb = b
                    self._state = "option"
                elif b == SB:
                    self._state = "sb"
                else:           # NOP, GA, ...: nothing to do
                    self._state = "data"
            elif st == "option":
                if self._verb == DO:
                    self.replies += bytes([IAC, WONT, b])
                elif self._verb == WILL:
                    self.replies += bytes([IAC, DONT, b])
                self._state = "data"
            elif st == "sb":
                if b == IAC:
                    self._state = "sb-iac"
            elif st == "sb-iac":
                self._state = "data" if b == SE else "sb"
        return bytes(out)


class TelnetShell:
    """A shell over telnet at host:port, prompt `prompt` (the default guest's)."""

    def __init__(self, host: str, port: int, prompt: str = "# ",
                 timeout: float = 30.0) -> None:
        """Connects (retrying while the forwarded port has no server behind it yet: QEMU's
        user network accepts, then closes) until the shell's prompt shows."""
        self.prompt = prompt
        self.transcript = ""
        self._buf = ""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                self._connect(host, port)
                self.write("\r\n")
                self.expect(re.escape(prompt), min(5.0, max(0.5, deadline - time.monotonic())))
                return
            except (OSError, TelnetError) as e:
                last = e
                self.close()
                time.sleep(0.3)
        raise TelnetError(f"no shell at telnet {host}:{port} within {timeout:g} s: {last}")

    def _connect(self, host: str, port: int) -> None:
        self._sock = socket.create_connection((host, port), timeout=5)
        self._filter = TelnetFilter()
        self._buf = ""

    def close(self) -> None:
        sock = getattr(self, "_sock", None)
        if sock is not None:
            sock.close()
            self._sock = None

    def __enter__(self) -> TelnetShell:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write(self, text: str) -> None:
        self._sock.sendall(text.encode())

    def _receive(self, timeout: float) -> bool:
        """Reads what arrives within timeout; False on end of connection."""
        self._sock.settimeout(max(0.01, timeout))
        try:
            chunk = self._sock.recv(4096)
        except TimeoutError:
            return True
        if not chunk:
            return False
        data = self._filter.feed(chunk)
        if self._filter.replies:
            self._sock.sendall(bytes(self._filter.replies))
            self._filter.replies.clear()
        text = data.decode(errors="replace")
        self._buf += text
        self.transcript += text
        return True

    def expect(self, pattern: str, timeout: float) -> str:
        """Waits for pattern (a regex) in what arrived since the last match; returns the
        text before it and consumes through it."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self._buf)
            if m:
                before = self._buf[:m.start()]
                self._buf = self._buf[m.end():]
                return before
            left = end - time.monotonic()
            if left <= 0:
                raise TelnetError(f"timed out waiting for {pattern!r}; got:\n{self._buf}")
            if not self._receive(min(left, 0.5)):
                raise TelnetError(f"connection closed waiting for {pattern!r}; got:\n{self._buf}")

    def run(self, cmd: str, timeout: float = 30.0) -> str:
        """Runs cmd in the shell; returns its output (cleaned, blank lines dropped)."""
        n = next(_marks)
        self.write(f'echo "%%"beg{n}%%; {cmd}; echo "%%"end{n}%%\r\n')
        self.expect(f"%%beg{n}%%\r?\n", timeout)
        out = clean(self.expect(f"%%end{n}%%", timeout))
        self.expect(re.escape(self.prompt), 10)
        return "\n".join(line for line in out.split("\n") if line.strip())

    def put_file(self, path: str, data: bytes, line: int = 760) -> None:
        """Writes data to path through the shell and checks its MD5 sum in the guest.

        One stream, not a command per chunk (every round trip costs the guest interrupts):
        with the terminal's echo off, `base64 -d > path` reads base64 lines typed as they
        are, up to an end of file (Ctrl-D at the start of a line)."""
        text = base64.b64encode(data).decode()
        self.run("stty -echo")
        try:
            self.write(f"base64 -d > {path}\r\n")
            self.write("".join(f"{text[i:i + line]}\n" for i in range(0, len(text), line)))
            self.write("\x04")
            self.expect(re.escape(self.prompt), 60)
        finally:
            self.run("stty echo")
        got = self.run(f"md5sum < {path}").split()[:1]
        if got != [hashlib.md5(data).hexdigest()]:
            raise TelnetError(f"{path} in the guest is not what was sent (md5sum {got})")
