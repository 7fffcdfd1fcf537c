# SPDX-License-Identifier: GPL-2.0-only
"""Device passthrough on the Raspberry Pis under QEMU raspi3b and raspi4b
(docs/passthrough.md): the guest owns the SD host (Arasan SDHCI, mmc@7e300000 = 0x3f300000
on the Pi 3, 0xfe300000 on the Pi 4; PIO in QEMU) and the SD card behind it.

One boot: QEMU's SD card (`-drive if=sd`) is a scratch image with an MBR and one ext4
partition (mke2fs -d) holding a file. The bundle's guest0 runs Debian's generic arm64
kernel (the cloud kernel has no MMC drivers) and asks for the SD host; the hypervisor
passes its page and its interrupt (on the Pi 3 through the emulated CPU interface over the
BCM2836/2835 controllers, on the Pi 4 through the GIC-400's list registers; there the line
is shared with EMMC2, which nobody drives and which is silenced first), gives it a fixed
clock with the rate the firmware reports, and the guest's /init loads sdhci-iproc and ext4
and mounts the partition at /data. The guest reads the host's file and writes one, which
the host reads back with debugfs after halting the guest (the halt also resets the SD
host: `guest list` reads its clocks off, where they ran before); started again, the guest
finds its file on the card. The IDS watches this kernel with its own profile (made from
the generic kernel's -dbg System.map) meanwhile. guest0 also asks for the hypervisor's
console UART, the board's other SD controller and a path that does not exist: each is
refused in one boot line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamoru import guest_assets, guest_disk
from mamoru.boards import BoardConfig
from mamoru.bundle import kernel_guest, write_bundle
from mamoru.guest_platform import GuestPlatform
from mamoru.guestshell import GuestShell
from mamoru.testing import Target, hardware, in_guest
from mamoru.testing.guest import booted_guest, mbr_card
from mamoru.testing.guest_irqs import irq_line

pytestmark = [pytest.mark.configs("rpi3", "rpi4"), pytest.mark.guests("arm64")]

SDHCI = "/soc/mmc@7e300000"
CARD_SIZE = 64 << 20                 # QEMU wants an SD card of a power-of-2 size
PART_START = 1 << 20                 # the partition from sector 2048, to the card's end
HOST_FILE = b"MAMORU-SD-FROM-THE-HOST-" + bytes(range(0x41, 0x5b)) + b"\n"
GUEST_FILE = "WRITTEN-BY-THE-GUEST-ON-THE-SD-CARD"
# Per board: the SD host's interrupt at the host, its node in the guest's tree (the unit
# address of its CPU physical address, under the bus node that carries the host's soc bus's
# dma-ranges), the end of the RAM its 1:1 guest RAM must fit in (the board's RAM and the soc
# bus's DMA window: Pi 3 below 0x3f000000, Pi 4 the low 1 GiB).
BOARDS = {
    "rpi3": (126, "passthrough-bus-0/mmc@3f300000", 0x3c00_0000),  # GPU interrupt 62
    "rpi4": (158, "passthrough-bus-0/mmc@fe300000", 0x4000_0000),  # SPI 126
}
# What guest0 asks for besides the SD host, each refused in one boot line (the board's
# console is the mini UART; its page: 0x3f215000 on the Pi 3, 0xfe215000 on the Pi 4).
REFUSED = {
    "/soc/serial@7e215040": "its page at 0x{peri:x}215000 is shared with the hypervisor's "
                            "console UART",
    "/no/such/node": "no such node in the host's device tree",
}
# The board's other SD controller (Pi 3: sdhost; Pi 4: EMMC2, which shares the SD host's
# interrupt line): not on the allowlist.
OTHER_SD = {"rpi3": "/soc/mmc@7e202000", "rpi4": "/emmc2bus/mmc@7e340000"}
NOT_ALLOWED = "not on this board's passthrough allowlist"
PERIPHERALS = {"rpi3": 0x3f, "rpi4": 0xfe}


def sd_image(out: Path, files: dict[str, bytes]) -> Path:
    """A card image: an MBR with one Linux partition (type 0x83) from PART_START to the end,
    ext4 made by mke2fs -d holding files."""
    part = guest_disk.make_disk(out.with_name("part.img"), size=CARD_SIZE - PART_START,
                                files=files)
    mbr_card(out, CARD_SIZE, [(0x83, PART_START, CARD_SIZE - PART_START, part.read_bytes())])
    part.unlink()
    return out


def read_back(card: Path, path: str) -> bytes:
    """A file of the card's partition, read on the host with debugfs."""
    part = card.with_name("readback.img")
    with open(card, "rb") as f:
        f.seek(PART_START)
        part.write_bytes(f.read())
    return guest_disk.read_file(part, path)


class Pi3Sd:
    def __init__(self, target: Target, card: Path, board: str) -> None:
        self.target = target
        self.card = card
        self.board = board
        self.host_irq, self.node, self.ram_end = BOARDS[board]
        self.boot_log = target.boot_log
        self.shell: GuestShell = target.shell


@pytest.fixture(scope="module")
def pi(request: pytest.FixtureRequest, board_config: BoardConfig,
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pi3Sd]:
    if hardware(request.config):
        pytest.skip("QEMU's SD card (on the board, the SD host drives the WiFi chip)")
    tmp = tmp_path_factory.mktemp("pi3-sd")
    card = sd_image(tmp / "card.img", {"from-host.txt": HOST_FILE})
    bundle = tmp / "guests.cpio"
    write_bundle(bundle, [kernel_guest(guest_assets.generic_kernel(),
                                       GuestPlatform(passthrough=(
                                           SDHCI, *REFUSED,
                                           OTHER_SD[board_config.board.name])))])
    with booted_guest(request.node, board_config, initrd=bundle,  # type: ignore[arg-type]
                      sd_card=card) as t:
        yield Pi3Sd(t, card, board_config.board.name)


def test_the_guest_owns_the_sd_card(pi: Pi3Sd) -> None:
    log = pi.boot_log
    m = re.search(rf"guest0: passthrough mmc@7e300000 \(brcm,bcm2835-sdhci\) irq {pi.host_irq} "
                  r"-> (\d+)", log)
    assert m, log
    virq = int(m.group(1))
    assert 32 <= virq < 64
    peri = PERIPHERALS[pi.board]
    for path, why in {**REFUSED, OTHER_SD[pi.board]: NOT_ALLOWED}.items():
        line = f"guest0: passthrough {path} refused: {why.format(peri=peri)}; the guest runs " \
               "without it"
        assert line in log, (line, log)
    # Pi 4: EMMC2 shares the SD host's line; it is silenced (its interrupt enables cleared,
    # read back) before the line goes to the guest. Nothing shares it on the Pi 3.
    silenced = f"passthrough: mmc@7e340000 silenced (it shares interrupt {pi.host_irq})"
    assert (silenced in log) == (pi.board == "rpi4"), log
    # Its RAM is placed 1:1, inside the board's RAM.
    ram = re.search(r"guest0: 256 MiB RAM at 0x([0-9a-f]+)", log)
    assert ram, log
    base = int(ram.group(1), 16)
    assert base % (2 << 20) == 0 and base + (256 << 20) <= pi.ram_end, hex(base)
    c = pi.target.console
    with in_guest(pi.target, 30):
        g = pi.shell
        # Its tree: the SD host at its host address with a fixed clock of the firmware's
        # rate (QEMU's EMMC clock: 50 MHz), no pin control or power sequencing of the host's.
        dt = "/sys/firmware/devicetree/base"
        nodes = g.run(f"ls {dt}/ {dt}/{pi.node}/")
        assert f"{dt}/{pi.node}/:" in nodes and "passthrough-clock-0" in nodes, nodes
        assert "pinctrl-0" not in nodes and "mmc-pwrseq" not in nodes, nodes
        rate = g.run(f"hexdump -v -e '1/1 \"%02x\"' {dt}/passthrough-clock-0/clock-frequency"
                     "; echo")
        assert int(rate, 16) == 50_000_000, rate
        # /init loaded the driver and mounted the card's partition at /data.
        mounts = g.run("grep ' /data ' /proc/mounts")
        assert mounts.startswith("/dev/mmcblk0p1 /data ext4"), mounts
        assert g.run("cat /data/from-host.txt") == HOST_FILE.decode().strip()
        irqs = g.run("grep mmc0 /proc/interrupts")
        mmc = irq_line(irqs, "mmc0")
        assert mmc and mmc.chip == "GIC-0" and mmc.total > 0 and mmc.hwirq == virq, irqs
        out = g.run(f"echo {GUEST_FILE} > /data/from-guest.txt && sync && echo done",
                    timeout=30)
        assert out.endswith("done"), out
        version = g.run("cat /proc/version")
    # The IDS reads this kernel with its own profile: its banner, its modules (the SD host's
    # driver among them), and nothing amiss.
    assert c.command("ids banner") == version.strip()
    assert "sdhci_iproc" in c.command("ids lsmod", timeout=60)
    assert c.command("ids check", timeout=60).splitlines()[-1] == "ids: OK"
    out = c.command("irqstat")
    m3 = re.search(rf"^\s*{pi.host_irq}\s+(\d+) guest0's mmc@7e300000$", out, re.M)
    assert m3 and int(m3.group(1)) > 0, out
    # `guest list` reads the SD host's Clock Control register when it lists it: the guest's
    # driver runs the card's clock.
    listing = c.command("guest list")
    assert "(masked)" not in listing, listing
    assert re.search(r"passthrough mmc@7e300000 .*: SD clock on$", listing, re.M), listing
    # Halted: its interrupt masked at the host, the SD host reset (Software Reset for All:
    # its clocks read off again); the card is the host's to read now.
    c.command("guest halt guest0")
    listing = c.command("guest list")
    assert re.search(r"^guest0\s+halted", listing, re.M), listing
    assert "(masked)" in listing, listing
    assert re.search(r"passthrough mmc@7e300000 .*\(masked\): clocks off$", listing,
                     re.M), listing
    assert read_back(pi.card, "/from-guest.txt") == f"{GUEST_FILE}\n".encode()
    assert read_back(pi.card, "/from-host.txt") == HOST_FILE
    # Started again: the new boot finds the SD host reset and idle, and the card as left.
    c.command("guest kick guest0")
    with in_guest(pi.target, 60):
        assert pi.shell.run("cat /data/from-guest.txt") == GUEST_FILE
    assert "(masked)" not in c.command("guest list")
