# SPDX-License-Identifier: GPL-2.0-only
"""GuestShell.hypervisor_view, what a test that lost its guest prints: against a scripted
console (a hypervisor shell with one guest, no QEMU), it asks each of its commands, says
whether the guest's shell answers a typed Enter, always leaves the console at the
hypervisor's prompt, and never raises, even when the console dies under it."""

from __future__ import annotations

import pytest

from mamoru.console import Console
from mamoru.guestshell import GuestShell

ANSWERS = {"guest list": "guest0  running", "cpus": "cpu 0 online",
           "guest regs guest0": "vcpu 0 pc 0xffff800008000000",
           "vserial dump guest0 1500": "last guest output", "ids plist guest0": "1 init"}


class ScriptedHypervisor:
    """The pyserial calls Console makes, answered like Mamoru's shell: echo, commands from
    ANSWERS, `vserial bind guest0` and ESC x q; bound, an Enter gets the guest's prompt
    (when guest_answers). dies_on: a command after which reads fail (a closed line)."""

    baudrate = 10_000_000

    def __init__(self, guest_answers: bool, dies_on: str | None = None) -> None:
        self.timeout: float | None = 0.05
        self.guest_answers = guest_answers
        self.dies_on = dies_on
        self.dead = False
        self.bound = False
        self.out = bytearray()
        self.line = ""
        self.typed: list[str] = []

    @property
    def in_waiting(self) -> int:
        if self.dead:
            raise OSError("the line closed")
        return len(self.out)

    def read(self, n: int) -> bytes:
        if self.dead:
            raise OSError("the line closed")
        data, self.out = bytes(self.out[:n]), self.out[n:]
        return data

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def write(self, data: bytes) -> int:
        text = data.decode()
        if self.bound:
            if "\x1bxq" in text:
                self.bound = False
                self.out += b"\r\n[vserial: detached from guest0]\r\nmamoru# "
            elif "\r" in text and self.guest_answers:
                self.out += b"\r\nguest# "
            return len(data)
        for ch in text:
            if ch == "\r":
                self._command(self.line)
                self.line = ""
            elif ch == "\x1b" or not ch.isprintable():
                self.line = ""
            else:
                self.line += ch
                self.out += ch.encode()
        return len(data)

    def _command(self, cmd: str) -> None:
        self.typed.append(cmd)
        if cmd == "vserial bind guest0":
            self.bound = True
            self.out += b"\r\n[vserial: attached to guest0 (running); type ESC x q to detach]\r\n"
            return
        self.out += f"\r\n{ANSWERS.get(cmd, '')}\r\nmamoru# ".encode()
        if cmd == self.dies_on:
            self.dead = True


def shell_on(port: ScriptedHypervisor) -> GuestShell:
    g = GuestShell(Console(port))   # type: ignore[arg-type]
    port.write(b"vserial bind guest0\r")     # the test had bound it, and lost the guest
    g.attached = True
    port.out.clear()
    return g


@pytest.mark.parametrize("answers", [True, False])
def test_the_view_asks_everything_and_leaves_the_hypervisor_prompt(answers: bool) -> None:
    port = ScriptedHypervisor(guest_answers=answers)
    g = shell_on(port)
    view = g.hypervisor_view()
    for cmd, answer in ANSWERS.items():
        assert f"mamoru# {cmd}\n{answer}" in view, view
    if answers:
        assert "(the guest's shell answered a typed Enter" in view, view
    else:
        assert "(the guest's shell did not answer a typed Enter within 5 s)" in view, view
    # The nudge bound the console once more and detached whatever the guest did.
    assert port.typed[-1] == "vserial bind guest0" and not port.bound and not g.attached


def test_a_console_that_dies_is_reported_not_raised() -> None:
    port = ScriptedHypervisor(guest_answers=True, dies_on="cpus")
    g = shell_on(port)
    view = g.hypervisor_view()
    assert "mamoru# guest list\nguest0  running" in view, view
    assert "(the hypervisor did not answer: console closed (the line closed)" in view, view
