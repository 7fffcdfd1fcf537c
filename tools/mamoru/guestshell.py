# SPDX-License-Identifier: GPL-2.0-only
"""Talking to a guest's shell through the hypervisor: `vserial bind`, commands, ESC x q.

Used by the tests and benchmarks; works over any Console (QEMU or a real board).
"""

from __future__ import annotations

import itertools
import re

from mamoru.console import BANNER_RE, Console
from mamoru.guest_assets import GUEST_PROMPT

DETACH = b"\x1bxq"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_marks = itertools.count(1)


def clean(text: str) -> str:
    """Guest output without carriage returns and terminal escape sequences."""
    return _ANSI.sub("", text).replace("\r", "")


def octal_escaped(data: bytes) -> str:
    """data as a printf format of octal escapes (\\ooo for every byte: no quote, percent sign
    or backslash of the data reaches the shell or printf as itself)."""
    return "".join(f"\\{b:03o}" for b in data)


class GuestShell:
    """The busybox shell of a guest, reached with `vserial bind <guest>`."""

    def __init__(self, console: Console, guest: str = "guest0") -> None:
        self.console = console
        self.guest = guest
        self.attached = False

    def attach(self, timeout: float = 60.0) -> None:
        """Binds the console to the guest and waits for its shell prompt."""
        c = self.console
        c.send(f"vserial bind {self.guest}")
        c.write("\r")
        c.expect("[vserial: attached", 10, fail_on=[BANNER_RE])
        self.attached = True
        c.write("\r")
        c.expect(GUEST_PROMPT, timeout, fail_on=[BANNER_RE])
        c.settle(quiet=0.2)

    def run(self, cmd: str, timeout: float = 30.0) -> str:
        """Runs cmd in the guest shell; returns its output (cleaned, without the echo).

        The output is framed by two markers the shell prints before and after cmd. They
        are typed with quotes ("@@"beg1@@), so the echoed command line, however the
        guest's line editor wraps it, never contains them as printed (@@beg1@@).
        """
        n = next(_marks)
        c = self.console
        sep = " " if cmd.rstrip().endswith("&") else "; "
        c.write(f'echo "@@"beg{n}@@; {cmd}{sep}echo "@@"end{n}@@\r')
        c.expect(re.compile(f"@@beg{n}@@\r?\n"), timeout, fail_on=[BANNER_RE])
        c.expect(f"@@end{n}@@", timeout, fail_on=[BANNER_RE])
        out = clean(c.before)
        c.expect(GUEST_PROMPT, 10, fail_on=[BANNER_RE])
        return "\n".join(line for line in out.split("\n") if line.strip()).strip("\n")

    def put_file(self, path: str, data: bytes, chunk: int = 96) -> None:
        """Writes data to path in the guest through its shell (no file transfer needed: the
        shell's printf with an octal escape per byte), then checks the size it got."""
        self.run(f": > {path}")
        for i in range(0, len(data), chunk):
            self.run(f"printf '{octal_escaped(data[i:i + chunk])}' >> {path}")
        got = self.run(f"wc -c < {path}").strip()
        if got != str(len(data)):
            raise AssertionError(f"{path} in the guest has {got!r} bytes, not {len(data)}")

    def write(self, cmd: str) -> None:
        """Types cmd and Enter without waiting for anything (e.g. poweroff, panic)."""
        self.console.write(cmd + "\r")

    def detach(self, timeout: float = 10.0) -> None:
        """ESC x q: back to the hypervisor's prompt."""
        c = self.console
        c.write(DETACH)
        c.expect("[vserial: detached", timeout, fail_on=[BANNER_RE])
        c.expect(c.prompt, timeout, fail_on=[BANNER_RE])
        self.attached = False
