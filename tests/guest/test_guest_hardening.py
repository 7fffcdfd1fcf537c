# SPDX-License-Identifier: GPL-2.0-only
"""Issue 11 hardening seen from the outside: ESC x q always detaches `vserial bind`, even
from a guest that reads nothing (halted, or with its UART interrupt masked), and a guest
reset leaves nothing of the previous boot in guest RAM.

The code under test is portable core (vserial, the guest console, the guest layout) and the
guest's UART is the same emulated PL011 everywhere, so two configurations run it: virt with
list registers and the Pi 3 with the emulated CPU interface (the other vGIC backend)."""

from __future__ import annotations

import re

import pytest

from mamoru.console import BANNER_RE
from mamoru.guest_platform import GuestPlatform
from mamoru.guestshell import DETACH, GuestShell
from mamoru.testing import Target

# Guest support needed: not parametrized over boards without it (board.toml guests).
pytestmark = [pytest.mark.configs("virt-gicv2", "rpi3"), pytest.mark.guests("arm64")]

GuestPair = tuple[Target, GuestShell]
RELOAD_TIMEOUT = 60.0
TYPED = "0123456789abcdefghijklmnopqrstuvwxyzABCD"     # 40 characters: more than the FIFO


def detach_after_typing(t: Target) -> str:
    """Types 40 characters and ESC x q at a bound console; the shell must come back."""
    c = t.console
    c.write(TYPED)
    c.write(DETACH)
    c.expect("[vserial: detached from guest0", 10, fail_on=[BANNER_RE])
    c.expect(c.prompt, 10, fail_on=[BANNER_RE])
    return c.before


def test_detach_from_a_halted_guest(guest: GuestPair) -> None:
    t, g = guest
    c = t.console
    assert c.command("guest halt guest0") == "guest0: halted by the user"
    mark = c.mark()
    c.send("vserial bind guest0")
    c.write("\r")
    c.expect("[vserial: attached to guest0 (halted)", 10, fail_on=[BANNER_RE])
    after = detach_after_typing(t)
    assert re.search(r"\d+ typed bytes dropped: guest0 did not read them", after), after
    # Binding said that the guest is not running.
    assert "guest0 is halted, not running: it reads nothing you type" in c.since(mark)
    assert "version: " in c.command("version")
    assert c.command("guest kick guest0", timeout=RELOAD_TIMEOUT) == "guest0: running"
    g.attach()
    assert g.run("echo back") == "back"


def test_detach_from_a_guest_that_masks_its_uart_interrupt(guest: GuestPair) -> None:
    t, g = guest
    p = GuestPlatform()
    g.attach()
    # GICD_ICENABLER1: the guest disables its own UART's SPI; from now on it never reads
    # its receive FIFO (nor finishes its output).
    g.write(f"devmem {p.gicd_base + 0x184:#x} 32 {1 << p.uart_spi:#x}")
    t.console.settle(quiet=1.0, timeout=10)
    detach_after_typing(t)
    g.attached = False
    assert "version: " in t.console.command("version")
    assert t.console.command("guest reset guest0", timeout=RELOAD_TIMEOUT) == "guest0: running"
    g.attach()
    assert g.run("echo back") == "back"


def ram_range(t: Target) -> tuple[int, int]:
    out = t.console.command("guest dumpmem guest0 0 1")
    m = re.search(r"RAM \((0x[0-9a-f]+)-(0x[0-9a-f]+)\)", out)
    assert m, out
    return int(m.group(1), 16), int(m.group(2), 16) + 1


def dump_is_zero(t: Target, addr: int, length: int) -> bool:
    out = t.console.command(f"guest dumpmem guest0 {addr:#x} {length}", timeout=30)
    data = [b for line in out.splitlines() if re.match(r"^[0-9a-f]{16}:", line)
            for b in line.split("  ")[0].split()[1:]]
    assert len(data) == length, out[-500:]
    return all(b == "00" for b in data)


def test_guest_ram_is_zeroed_on_reset(guest: GuestPair) -> None:
    """The previous boot's data at the top of guest RAM (Linux allocates from there early;
    the images end 2 MiB lower with the device tree) is gone after `guest reset`."""
    t, g = guest
    c = t.console
    _, end = ram_range(t)
    assert c.command("guest pause guest0") == "guest0: paused"
    pages = [end - 4096 * (i + 1) for i in range(8)]
    used = [a for a in pages if not dump_is_zero(t, a, 4096)]
    assert used, "the running guest left the top of its RAM untouched: nothing to check"
    assert c.command("guest reset guest0", timeout=RELOAD_TIMEOUT) == "guest0: loaded"
    for a in used:
        assert dump_is_zero(t, a, 4096), f"{a:#x} kept data of the previous boot"
    assert c.command("guest kick guest0", timeout=RELOAD_TIMEOUT) == "guest0: running"
    g.attach()
    assert g.run("echo back") == "back"
