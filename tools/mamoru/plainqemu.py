# SPDX-License-Identifier: GPL-2.0-only
"""QEMU with a kernel's serial console on stdin/stdout, for booting a guest kernel directly
(without Mamoru): the assets tests and the benchmarks' baseline use it.

A reader thread keeps everything QEMU prints (the transcript, for failure messages);
expect() waits for a regular expression with a timeout and says what it waited for.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time

ANSI_CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class StdioQemuError(AssertionError):
    """A wait that failed: the message carries the console transcript."""


class StdioQemu:
    """One QEMU process; close() (or the context manager) kills it on every path.

    deadline: an overall time.monotonic() limit no single wait may pass (None: none).
    """

    def __init__(self, argv: list[str], deadline: float | None = None) -> None:
        self.deadline = deadline
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._eof = False
        self._pos = 0  # where the next expect() starts looking
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := self.proc.stdout.read1(4096):
            with self._cond:
                self._buf += chunk
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    @property
    def transcript(self) -> str:
        with self._cond:
            text = self._buf.decode(errors="replace")
        return ANSI_CSI.sub("", text).replace("\r", "")

    def fail(self, what: str) -> StdioQemuError:
        return StdioQemuError(f"{what}\n----- console -----\n{self.transcript}")

    def expect(self, pattern: str, timeout: float) -> re.Match[str]:
        """Waits for pattern (a regex, MULTILINE) after the previous match."""
        rx = re.compile(pattern, re.MULTILINE)
        end = time.monotonic() + timeout
        if self.deadline is not None:
            end = min(end, self.deadline)
        with self._cond:
            while True:
                m = rx.search(self._buf.decode(errors="replace"), self._pos)
                if m:
                    self._pos = m.end()
                    return m
                left = end - time.monotonic()
                if self._eof or left <= 0:
                    why = "QEMU exited" if self._eof else "timed out"
                    raise self.fail(f"{why} waiting for {pattern!r}")
                self._cond.wait(min(left, 0.5))

    def send(self, line: str) -> None:
        """Types line and Enter."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\r")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self._reader.join(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()

    def __enter__(self) -> StdioQemu:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
