# SPDX-License-Identifier: GPL-2.0-only
"""Talking to a guest's shell through the hypervisor: `vserial bind`, commands, ESC x q.

Used by the tests and benchmarks; works over any Console (QEMU or a real board).
"""

from __future__ import annotations

import base64
import itertools
import re
import time
from collections.abc import Iterable

from mamoru.console import BANNER_RE, Console, ConsoleTimeout
from mamoru.guest_assets import GUEST_PROMPT

DETACH = b"\x1bxq"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_marks = itertools.count(1)


def clean(text: str) -> str:
    """Guest output without carriage returns and terminal escape sequences."""
    return _ANSI.sub("", text).replace("\r", "")


def put_file_commands(path: str, data: bytes, chunk: int = 384) -> list[str]:
    """The shell commands that write data to path: base64 in lines of chunk characters
    appended to path.b64 (the base64 alphabet needs no quoting), then `base64 -d`."""
    text = base64.b64encode(data).decode()
    tmp = f"{path}.b64"
    return [f": > {tmp}",
            *(f"echo {text[i:i + chunk]} >> {tmp}" for i in range(0, len(text), chunk)),
            f"base64 -d {tmp} > {path} && rm {tmp}"]


def kill_command(pids: Iterable[int | str]) -> str:
    """The shell command that kills background jobs pids and reaps them (GuestShell.kill)."""
    ids = " ".join(str(p) for p in pids)
    return f"kill {ids}; wait {ids} 2>/dev/null; true"


class GuestShell:
    """The busybox shell of a guest, reached with `vserial bind <guest>`."""

    def __init__(self, console: Console, guest: str = "guest0") -> None:
        self.console = console
        self.guest = guest
        self.attached = False
        # How long a command may take by default (a slow guest raises it: the ARMv5 guest
        # under software virtualization on a loaded host stalls for tens of seconds).
        self.command_timeout = 30.0

    def _bind(self) -> None:
        """`vserial bind`: the console goes to the guest (its prompt not waited for)."""
        c = self.console
        c.send(f"vserial bind {self.guest}")
        c.write("\r")
        c.expect("[vserial: attached", 10, fail_on=[BANNER_RE])
        self.attached = True

    def attach(self, timeout: float = 60.0) -> float:
        """Binds the console to the guest and waits for its shell prompt; returns the
        time.monotonic() at which the prompt showed (the benchmarks time boots by it: the
        settling after it is not the guest's)."""
        c = self.console
        self._bind()
        c.write("\r")
        try:
            c.expect(GUEST_PROMPT, timeout, fail_on=[BANNER_RE])
        except ConsoleTimeout as e:
            raise ConsoleTimeout(f"{e}\n{self.hypervisor_view()}") from None
        shown = time.monotonic()
        c.settle(quiet=0.2)
        return shown

    def hypervisor_view(self) -> str:
        """What the hypervisor says of a guest that does not answer: detaches and asks
        `guest list`, `cpus` and the end of the guest's console output (for a failure's
        message; never raises)."""
        c = self.console
        lines = ["----- the hypervisor's view -----"]
        try:
            self.detach()
            for cmd in ("guest list", "cpus", f"guest regs {self.guest}",
                        f"vserial dump {self.guest} 1500", f"ids plist {self.guest}"):
                lines += [f"mamoru# {cmd}", c.command(cmd, timeout=20)]
            lines.append(self._nudge())
        except Exception as e:  # a failure's message must not fail
            first = (str(e).splitlines() or [type(e).__name__])[0]
            lines.append(f"(the hypervisor did not answer: {first})")
        return "\n".join(lines)

    def _nudge(self) -> str:
        """Whether the guest's shell answers a plain Enter now (a guest that does is
        stuck on an event that any new one unsticks: a lost wake-up)."""
        c = self.console
        self._bind()
        try:
            c.write("\r")
            c.expect(GUEST_PROMPT, 5, fail_on=[BANNER_RE])
            answer = f"the guest's shell answered a typed Enter: {clean(c.before)[-300:]!r}"
        except ConsoleTimeout:
            answer = "the guest's shell did not answer a typed Enter within 5 s"
        finally:
            self.detach()      # whatever happened: the caller's next command is the hypervisor's
        return f"({answer})"

    def run(self, cmd: str, timeout: float | None = None) -> str:
        """Runs cmd in the guest shell; returns its output (cleaned, without the echo).
        timeout: seconds for cmd (default: command_timeout).

        The output is framed by two markers the shell prints before and after cmd. They
        are typed with quotes ("@@"beg1@@), so the echoed command line, however the
        guest's line editor wraps it, never contains them as printed (@@beg1@@).
        """
        timeout = self.command_timeout if timeout is None else timeout
        n = next(_marks)
        c = self.console
        sep = " " if cmd.rstrip().endswith("&") else "; "
        c.write(f'echo "@@"beg{n}@@; {cmd}{sep}echo "@@"end{n}@@\r')
        try:
            c.expect(re.compile(f"@@beg{n}@@\r?\n"), timeout, fail_on=[BANNER_RE])
            c.expect(f"@@end{n}@@", timeout, fail_on=[BANNER_RE])
            out = clean(c.before)
            c.expect(GUEST_PROMPT, 10, fail_on=[BANNER_RE])
        except ConsoleTimeout as e:
            # The guest stopped answering: what the hypervisor says of it (detaches).
            raise ConsoleTimeout(f"{e}\n{self.hypervisor_view()}") from None
        return "\n".join(line for line in out.split("\n") if line.strip()).strip("\n")

    def put_file(self, path: str, data: bytes, chunk: int = 384) -> None:
        """Writes data to path in the guest through its shell (no file transfer needed):
        base64 lines (put_file_commands), decoded by the guest's `base64 -d` (busybox), then
        checks the size it got. Every typed character costs the guest traps: base64 is the
        densest text the shell takes without quoting."""
        for cmd in put_file_commands(path, data, chunk):
            self.run(cmd)
        got = self.run(f"wc -c < {path}").strip()
        if got != str(len(data)):
            raise AssertionError(f"{path} in the guest has {got!r} bytes, not {len(data)}")

    def kill(self, *pids: int | str) -> None:
        """Kills background jobs of the shell and reaps them in the same command line.

        Killing and leaving them to die loses the shell's next prompt now and then: the
        busybox shell catches SIGCHLD without SA_RESTART, so a child dying on another CPU
        just as the shell writes its prompt fails that write with EINTR, and the C
        library's stdio drops what it held. The shell then waits for input with no
        prompt shown (it prints the prompt again at the next Enter). `wait` takes every
        SIGCHLD while the command still runs."""
        self.run(kill_command(pids))

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
