# SPDX-License-Identifier: GPL-2.0-only
"""The console's pins under QEMU raspi4b / raspi3b: Mamoru sets GPIO 14/15 to the
function the console node's pinctrl-0 names in the DTB, whatever the firmware left.

The card's own files are booted (as in test_boot_card.py) behind a 40-instruction stub
that first puts GPIO 14/15 where the firmware may have left them (on the other UART),
the way the firmware would, then enters mamoru.img. Afterwards the GPIO function select
register is read through QEMU's monitor (QMP `xp`).

What QEMU shows and what it cannot: its BCM2835/BCM2711 GPIO models keep the GPFSEL
registers (so the read-back is real) but route only the SD card pins by them; both UARTs
reach their chardevs whatever the pins say (the control case below shows the mini UART
talking with its pins on ALT0). So QEMU proves that Mamoru picks the UART the DTB names
and programs the pins from the DTB; that the signal then reaches header pins 8/10, the
mini UART's divisor and its receive interrupt (IER bit 2) only a real board can show.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sdcard_helpers import Card, mtools, read_mbr
from test_boot_card import wait_for_prompt

from mamoru import sdcard, sdcard_dtb
from mamoru.boards import UartName, config_for
from mamoru.console import BANNER_RE
from mamoru.qemu import Qemu
from mamoru.testing import watch

pytestmark = pytest.mark.qemu

CROSS = "aarch64-linux-gnu-"
GPIO = {"rpi4": 0xFE200000, "rpi3": 0x3F200000}
GPFSEL1 = 0x04
ALT0, ALT5 = 4, 2
PAYLOAD = 0x10000      # mamoru.img's offset behind the stub (4 KiB aligned for its adrp)
BOOT_TIMEOUT = 40.0

# An arm64 Image that writes one word to an MMIO register, then enters the Image PAYLOAD
# bytes further on with x0-x3 (the DTB address in x0) untouched.
STUB = """\
\t.text
head:\tb\t1f
\t.long\t0
\t.quad\t0x80000, 0x1000000, 0xa, 0, 0, 0
\t.ascii\t"ARM\\x64"
\t.long\t0
1:\tldr\tx5, addr
\tldr\tw6, value
\tstr\tw6, [x5]
\tdsb\tsy
\tadr\tx4, head
\tadd\tx4, x4, #{payload_pages}, lsl #12
\tbr\tx4
\t.balign 8
addr:\t.quad\t{addr:#x}
value:\t.long\t{value:#x}
"""


def fsel(pin: int, func: int) -> int:
    return func << ((pin % 10) * 3)


def pins_14_15(func: int) -> int:
    return fsel(14, func) | fsel(15, func)


def preset_image(tmp: Path, image: Path, addr: int, value: int) -> Path:
    """image behind a stub that first writes value to addr."""
    for tool in ("gcc", "objcopy"):
        if shutil.which(CROSS + tool) is None:
            pytest.fail(f"{CROSS}{tool} is missing: ./mamoru setup", pytrace=False)
    src = tmp / "stub.S"
    src.write_text(STUB.format(addr=addr, value=value, payload_pages=PAYLOAD >> 12))
    subprocess.run([CROSS + "gcc", "-c", str(src), "-o", str(tmp / "stub.o")], check=True)
    subprocess.run([CROSS + "objcopy", "-O", "binary", str(tmp / "stub.o"),
                    str(tmp / "stub.bin")], check=True)
    stub = (tmp / "stub.bin").read_bytes()
    assert len(stub) < PAYLOAD
    out = tmp / "preset.img"
    out.write_bytes(stub.ljust(PAYLOAD, b"\0") + image.read_bytes())
    return out


def fdt(tool: str, dtb: Path, *args: str) -> str:
    r = subprocess.run([tool, str(dtb), *args], capture_output=True, text=True, check=False)
    assert r.returncode == 0, f"{tool} {' '.join(args)}: {r.stderr}"
    return r.stdout.strip()


def pl011_card_files(board: str, tmp: Path) -> dict[str, Path]:
    """The files of a card built with --console pl011, read back out of its image."""
    image = tmp / "pl011.img"
    sdcard.build_card(board, image, console="pl011")
    drive = f"{image}@@{read_mbr(image)[1][0].start * 512}"
    names = [n.removeprefix("::/") for n in mtools("mdir", "-b", "-i", drive, "::/").split()]
    out = tmp / "pl011-card"
    out.mkdir()
    mtools("mcopy", "-n", "-i", drive, *(f"::/{n}" for n in names), str(out))
    return {n: out / n for n in names}


def no_pinctrl_dtb(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    fdt("fdtput", dst, "-d", sdcard.CONSOLE_NODE, "pinctrl-0")


def bad_pinctrl_dtb(src: Path, dst: Path) -> None:
    """pinctrl-0 names a phandle no node has."""
    shutil.copyfile(src, dst)
    unused = max(sdcard_dtb.phandles(dst)) + 1
    fdt("fdtput", dst, "-t", "x", sdcard.CONSOLE_NODE, "pinctrl-0", f"{unused:x}")


class Qmp:
    """QEMU's machine protocol on a unix socket, for the human monitor's `xp`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def hmp(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(self.path))
            f = s.makefile("rw")
            json.loads(f.readline())                       # greeting
            for msg in ({"execute": "qmp_capabilities"},
                        {"execute": "human-monitor-command",
                         "arguments": {"command-line": command}}):
                f.write(json.dumps(msg) + "\n")
                f.flush()
                while True:
                    reply = json.loads(f.readline())
                    if "event" not in reply:
                        break
            assert "return" in reply, reply
            return str(reply["return"])

    def read32(self, addr: int) -> int:
        out = self.hmp(f"xp /1wx {addr:#x}")
        m = re.search(r":\s*(0x[0-9a-f]+)", out)
        assert m, out
        return int(m.group(1), 16)


@dataclass(frozen=True)
class Case:
    name: str
    firmware_left: int     # GPFSEL1's pins 14/15 before Mamoru starts
    expect: int            # ... and after
    uart: UartName         # QEMU serial port the prompt must come on
    driver: str            # the banner's console driver
    pins_line: str | None  # the banner's pins line (a regular expression)


CASES = [
    # The card as built: the DTB names the mini UART; the firmware left the pins on
    # the PL011 (ALT0, as with dtoverlay=disable-bt or no enable_uart).
    Case("mini-uart", pins_14_15(ALT0), pins_14_15(ALT5), "mini", "bcm2835-aux",
         r"pins uart1_gpio14 \(from the device tree\)"),
    # A card built with --console pl011: its DTB gives the PL011 the console and
    # uart0_gpio14; the firmware left the pins on the mini UART.
    Case("pl011", pins_14_15(ALT5), pins_14_15(ALT0), "pl011", "pl011",
         r"pins uart0_gpio14 \(from the device tree\)"),
    # Control: no pinctrl-0 on the console node: the pins stay as the firmware left them,
    # and QEMU's mini UART talks anyway (its pins are not modelled).
    Case("no-pinctrl", pins_14_15(ALT0), pins_14_15(ALT0), "mini", "bcm2835-aux", None),
    # A broken pinctrl-0: said in the banner, the pins left alone, the console still up.
    Case("bad-pinctrl", pins_14_15(ALT0), pins_14_15(ALT0), "mini", "bcm2835-aux",
         r"pins not set \(not found at serial@7e215040\): left as the firmware set them"),
]


@pytest.fixture(params=CASES, ids=[c.name for c in CASES])
def booted(request: pytest.FixtureRequest, card: Card, card_files: dict[str, Path],
           tmp_path: Path) -> Iterator[tuple[Case, Qemu, Qmp]]:
    case: Case = request.param
    spec = sdcard.CARDS[card.board]
    dtb = card_files[spec.dtb]
    append: str | None = card_files["cmdline.txt"].read_text().strip() or None
    if case.name == "pl011":
        files = pl011_card_files(card.board, tmp_path)
        dtb = files[spec.dtb]
        # QEMU's pl011 wiring adds console=serial0 in front: the same node (the DTB's
        # alias) as the card's console=/soc/serial@7e201000, which test_image checks.
        append = files["cmdline.txt"].read_text().strip()
    elif case.name == "no-pinctrl":
        no_pinctrl_dtb(dtb, tmp_path / "nopins.dtb")
        dtb = tmp_path / "nopins.dtb"
    elif case.name == "bad-pinctrl":
        bad_pinctrl_dtb(dtb, tmp_path / "badpins.dtb")
        dtb = tmp_path / "badpins.dtb"
    gpio = GPIO[card.board]
    image = preset_image(tmp_path, card_files["mamoru.img"], gpio + GPFSEL1, case.firmware_left)
    qmp_path = tmp_path / "qmp.sock"
    q = Qemu(config_for(card.board), chardev="pty", image=image, dtb=dtb,
             console_uart=case.uart,
             initrd=card_files.get("guests.cpio"), append=append,
             extra=["-qmp", f"unix:{qmp_path},server=on,wait=off"])
    try:
        q.start()
        assert q.console is not None
        watch(request.node, f"{card.board} console pins ({case.name})", q.console, q)
        wait_for_prompt(q, BOOT_TIMEOUT)
        yield case, q, Qmp(qmp_path)
    finally:
        q.stop()


def test_pins_follow_the_dtb(booted: tuple[Case, Qemu, Qmp], card: Card) -> None:
    case, q, qmp = booted
    assert q.console is not None
    out = q.console.command("version")
    assert "level: EL2" in out, out
    value = qmp.read32(GPIO[card.board] + GPFSEL1)
    assert value & pins_14_15(7) == case.expect, (
        f"GPFSEL1 {value:#010x}: pins 14/15 should be {case.expect:#x} ({case.name})")
    assert value & ~pins_14_15(7) == 0, f"GPFSEL1 {value:#010x}: other pins were touched"


def test_banner_names_uart_clock_and_pins(booted: tuple[Case, Qemu, Qmp]) -> None:
    """The banner, when the pty caught it (it can pass before the pty is opened)."""
    case, q, _ = booted
    assert q.console is not None
    q.console.send("reset")             # boot again: now the pty is open for the banner
    q.console.write("\r")
    q.console.expect(BANNER_RE, BOOT_TIMEOUT)
    q.console.wait_prompt(BOOT_TIMEOUT)
    log = q.console.before
    assert re.search(rf"^  console {case.driver} at 0x", log, re.MULTILINE), log
    if case.driver == "bcm2835-aux":
        # QEMU's firmware model reports a 350 MHz core clock: divisor 379 for 115200.
        assert "    core clock 350 MHz (firmware), divisor 379" in log, log
    if case.pins_line:
        assert re.search(rf"^    {case.pins_line}\r?$", log, re.MULTILINE), log
    else:
        assert "    pins" not in log, log
