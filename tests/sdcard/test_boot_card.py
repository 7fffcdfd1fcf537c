# SPDX-License-Identifier: GPL-2.0-only
"""Boot what is on the SD card, as the Pi firmware would, under QEMU raspi4b / raspi3b.

The kernel, DTB, guest bundle and command line are the files read back out of the card
image's FAT partition (not build/): -kernel mamoru.img, -dtb <board dtb>, -initrd
guests.cpio, -append <cmdline.txt>. The console is a pty that pyserial opens as a serial
device with termios at 115200 baud, just as it would open /dev/ttyUSB0 on real hardware,
on the UART config.txt and cmdline.txt chose (the mini UART: QEMU's second serial port).
The card image itself is QEMU's SD card (`-drive if=sd`, padded to the power-of-2 size QEMU
wants): the hypervisor finds it and gives the default guest its partition 2 as a disk. On
the Pi 3, whose default guest owns the USB controller, QEMU's usb-net hangs on it (the
board's Ethernet): the guest, on its card root, gets a DHCP address and the host reaches its
telnetd.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial
from sdcard_helpers import Card, read_mbr

from mamoru import guest_disk, sdcard
from mamoru.boards import config_for
from mamoru.console import BANNER_RE, ConsoleError, ConsoleTimeout
from mamoru.guest_assets import GUEST_PROMPT, NET_UP, ROOT_MARKER, ROOT_MARKER_TEXT
from mamoru.guestshell import GuestShell
from mamoru.qemu import Qemu
from mamoru.testing import watch
from mamoru.testing.telnet import TelnetShell

pytestmark = pytest.mark.qemu

BOOT_TIMEOUT = 30.0
GUEST_TIMEOUT = 120.0
GUEST_FILE = "WRITTEN-BY-THE-GUEST-ON-ITS-ROOT"
USB = "/soc/usb@7e980000"


def wait_for_prompt(q: Qemu, timeout: float) -> str:
    """The pty drops what the UART sends before it is opened, and input the hypervisor
    is not yet listening for: press Enter once a second until the prompt answers."""
    assert q.console is not None
    deadline = time.monotonic() + timeout
    while True:
        q.console.write(b"\r", pace=False)
        try:
            q.console.expect(q.console.prompt, 1.0)
            return q.console.transcript
        except ConsoleTimeout:
            if q.poll() is not None:
                raise AssertionError(f"QEMU exited:\n{q.describe()}") from None
            if time.monotonic() >= deadline:
                raise


def sd_drive(card: Card, dest: Path) -> Path:
    """A copy of the card image as QEMU's SD card: padded to the next power of 2."""
    shutil.copyfile(card.image, dest)
    size = dest.stat().st_size
    with open(dest, "r+b") as f:
        f.truncate(1 << (size - 1).bit_length())
    return dest


def card_board_devices(card: Card) -> tuple[str, ...]:
    """The devices the card's board gives its default guest (board.toml)."""
    return config_for(card.board).board.default_passthrough or ()


@pytest.fixture(scope="module")
def drive(card: Card, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """QEMU's SD card: a copy of the card image."""
    return sd_drive(card, tmp_path_factory.mktemp(f"sd-{card.board}") / "card.img")


@pytest.fixture(scope="module")
def booted(card: Card, card_files: dict[str, Path], drive: Path) -> Iterator[Qemu]:
    """QEMU running the card's files with the card in its SD slot, at the prompt (stopped
    on every path)."""
    spec = sdcard.CARDS[card.board]
    cmdline = card_files["cmdline.txt"].read_text().strip()
    config = config_for(card.board)
    # A board whose default guest owns the USB controller (the Pi 3: its Ethernet is
    # there) gets QEMU's usb-net on it, the guest's telnet port forwarded.
    net = USB in card_board_devices(card)
    if net:
        config = dataclasses.replace(
            config, board=dataclasses.replace(config.board, net_device="usb-net"))
    q = Qemu(
        config,
        net=net,
        chardev="pty",
        baud=115200,
        image=card_files["mamoru.img"],
        dtb=card_files[spec.dtb],
        initrd=card_files.get("guests.cpio"),
        append=cmdline or None,
        extra=["-drive", f"if=sd,format=raw,file={str(drive).replace(',', ',,')}"],
    )
    try:
        q.start()
        wait_for_prompt(q, BOOT_TIMEOUT)
        yield q
    finally:
        q.stop()


@pytest.fixture
def pi(request: pytest.FixtureRequest, booted: Qemu) -> Qemu:
    """The booted card at a fresh prompt; its transcript goes into failure reports."""
    assert booted.console is not None
    watch(request.node, f"{booted.config.id} SD card", booted.console, booted,
          booted.console.mark())
    booted.console.sync()
    return booted


def test_console_is_a_serial_pty(pi: Qemu) -> None:
    assert pi.pty is not None and re.fullmatch(r"/dev/pts/\d+", pi.pty), pi.pty
    assert isinstance(pi.port, serial.Serial), type(pi.port)
    attrs = termios.tcgetattr(pi.port.fileno())
    assert attrs[4] == attrs[5] == termios.B115200, "pyserial set 115200 baud via termios"
    assert pi.argv[pi.argv.index("-kernel") + 1].endswith("/mamoru.img")
    assert "read-back" in pi.argv[pi.argv.index("-kernel") + 1], "boots the card's copy"


def test_boot_banner_names_the_mini_uart(pi: Qemu) -> None:
    assert pi.console is not None
    log = pi.console.transcript
    if not BANNER_RE.search(log):
        pytest.skip("the banner came before the pty was opened")
    assert re.search(r"console bcm2835-aux at 0x[0-9a-f]*215040", log), log


def test_help(pi: Qemu) -> None:
    assert pi.console is not None
    out = pi.console.command("help")
    for name in ("help", "version", "guest", "reset"):
        assert re.search(rf"^  {name}\s", out, re.MULTILINE), f"help lacks {name}:\n{out}"


def test_version(pi: Qemu) -> None:
    assert pi.console is not None
    out = pi.console.command("version")
    assert f"board: {pi.config.board.title}" in out, out
    assert "level: EL2" in out, out


def test_guest_running(pi: Qemu, card: Card) -> None:
    if not card.contents.bundle:
        pytest.skip("the card has no guest bundle")
    assert pi.console is not None
    deadline = time.monotonic() + 10
    while True:
        out = pi.console.command("guest list")
        if re.search(r"^guest0\s+running\b", out, re.MULTILINE):
            break
        if time.monotonic() > deadline:
            raise ConsoleError(f"guest0 is not running:\n{out}")
        time.sleep(0.5)
    # Its disk: the card's partition 2 (the data partition ./mamoru sdcard made).
    assert re.search(r"^\s+disk sd:2 \(64 MiB\) at 0x9001000: \d+ requests, 0 failed$", out,
                     re.MULTILINE), out


# The card's controller: sdhost on the Pi 3 (as on a real Pi 3: GPIO 48-53 set to ALT0 from
# its pinctrl-0, which moves QEMU's card there), the Arasan SD host on the Pi 4.
CARD_CONTROLLER = {"rpi3": "mmc@7e202000", "rpi4": "mmc@7e300000"}


def test_the_card_is_found_on_the_boards_controller(pi: Qemu, card: Card) -> None:
    if not card.contents.bundle:
        pytest.skip("the card has no guest bundle")
    assert pi.console is not None
    log = pi.console.transcript
    if not BANNER_RE.search(log):
        pytest.skip("the banner came before the pty was opened")
    assert f"sd: {CARD_CONTROLLER[card.board]}: card found" in log, log


def test_guest_root_is_the_cards_partition(pi: Qemu, card: Card, drive: Path,
                                           tmp_path: Path) -> None:
    """The default guest's root file system is the card's partition 2 (through the disk the
    hypervisor gives it): its initramfs switched to it, and what the guest writes under /
    is on the card afterwards (read back with debugfs once the guest is halted)."""
    if not card.contents.bundle:
        pytest.skip("the card has no guest bundle")
    assert pi.console is not None
    g = GuestShell(pi.console)
    g.attach(GUEST_TIMEOUT)
    try:
        mounts = g.run("grep ' / ' /proc/mounts")
        assert mounts.startswith("/dev/vda / ext4 "), mounts
        assert g.run(f"cat /{ROOT_MARKER}") == ROOT_MARKER_TEXT.decode().strip()
        assert (pi.net_port is not None) == (USB in card_board_devices(card)), pi.argv
        if pi.net_port is not None:
            # The card's own /sbin/init, run after the switch, brought the network behind
            # the USB controller up (in the background) with a DHCP address.
            up = g.run(f"for i in $(seq 300); do dmesg | grep '{NET_UP}' && break; "
                       "usleep 100000; done", timeout=60)
            assert re.search(rf"{NET_UP} (eth0|usb0): 10\.0\.2\.15 \(dhcp\)", up), \
                g.run("dmesg | tail -30")
        out = g.run(f"echo {GUEST_FILE} > /root/from-guest.txt && sync && echo done",
                    timeout=30)
        assert out.endswith("done"), out
    finally:
        g.detach()
    if pi.net_port is not None:
        # From the host, through the forwarded port: the shell on the card's root.
        with TelnetShell("127.0.0.1", pi.net_port, GUEST_PROMPT, timeout=60) as t:
            assert t.run(f"cat /{ROOT_MARKER}") == ROOT_MARKER_TEXT.decode().strip()
    pi.console.command("guest halt guest0")
    try:
        _, entries = read_mbr(drive)
        part = tmp_path / "p2.img"
        with open(drive, "rb") as f:
            f.seek(entries[1].start * 512)
            part.write_bytes(f.read(entries[1].sectors * 512))
        assert guest_disk.read_file(part, "/root/from-guest.txt") == f"{GUEST_FILE}\n".encode()
    finally:
        pi.console.command("guest kick guest0")
