# SPDX-License-Identifier: GPL-2.0-only
"""The board's SD card driven by the hypervisor, one partition of it the guest's virtio disk
(docs/sdcard.md, "The guest's disk"), under QEMU raspi3b and raspi4b.

One boot per board: QEMU's SD card (`-drive if=sd`) is an image with an MBR, partition 1 a
fixed byte pattern (the boot files' place on a real card) and partition 2 ext4 (mke2fs -d)
holding a file, the file system 1 MiB shorter than the partition. On the Pi 3 the hypervisor
drives the card on sdhost, as on a real Pi 3: it sets GPIO 48-53 to ALT0 from sdhost's
pinctrl-0, which moves QEMU's card there from the Arasan SD host; on the Pi 4 on the Arasan
(EMMC2, tried first, has no card). The bundle's guest0 is the default cloud kernel with
`disk = "sd:2"`; it also asks for the card's controller itself, and so does guest1: both
are refused, the controller is the hypervisor's; guest1 asks for sd:1, the card's
boot partition, and is refused it. guest0's /init loads virtio_mmio
and virtio_blk and mounts /dev/vda at /data: it reads the host's file, writes one, writes
the last sector of /dev/vda and fails to write the one after it. Halted, the card is read
back on the host: the guest's file in partition 2, its last sector, and partition 1's bytes
unchanged.
Started again (`guest kick`), the new boot finds its file on the disk."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mamoru import guest_assets, guest_disk, paths
from mamoru.boards import BoardConfig
from mamoru.bundle import kernel_guest, write_bundle
from mamoru.guest_platform import GuestPlatform
from mamoru.guestshell import GuestShell
from mamoru.testing import Target, hardware, in_guest
from mamoru.testing.guest import booted_guest, bundle_for, mbr_card
from mamoru.testing.target import qemu_target

pytestmark = [pytest.mark.configs("rpi3", "rpi4"), pytest.mark.guests("arm64")]

# The controller that holds the card: its path, node name and page.
CARD_CONTROLLER = {"rpi3": ("/soc/mmc@7e202000", "mmc@7e202000", 0x3F20_2000),   # sdhost
                   "rpi4": ("/soc/mmc@7e300000", "mmc@7e300000", 0xFE30_0000)}   # the Arasan
CARD_SIZE = 64 << 20                 # QEMU wants an SD card of a power-of-2 size
P1_START, P1_SIZE = 1 << 20, 8 << 20
P2_START = P1_START + P1_SIZE
P2_SIZE = CARD_SIZE - P2_START       # 55 MiB: to the card's end
FS_SIZE = P2_SIZE - (1 << 20)        # the ext4 leaves the partition's last MiB alone
P2_SECTORS = P2_SIZE // 512
HOST_FILE = b"MAMORU-SD-DISK-FROM-THE-HOST-" + bytes(range(0x41, 0x5b)) + b"\n"
GUEST_FILE = "WRITTEN-BY-THE-GUEST-ON-ITS-VIRTIO-DISK"
LAST_SECTOR = b"LAST-SECTOR-OF-SD2-" * 26 + b"ENDS"        # 498 bytes, padded below


def p1_pattern() -> bytes:
    """Partition 1's bytes: a fixed pattern, not all one value."""
    return hashlib.sha256(b"mamoru-p1").digest() * (P1_SIZE // 32)


def card_image(out: Path) -> Path:
    part = guest_disk.make_disk(out.with_name("p2.img"), size=FS_SIZE,
                                files={"from-host.txt": HOST_FILE})
    mbr_card(out, CARD_SIZE, [(0x0C, P1_START, P1_SIZE, p1_pattern()),
                              (0x83, P2_START, P2_SIZE, part.read_bytes())])
    part.unlink()
    return out


def card_bytes(card: Path, start: int, size: int) -> bytes:
    with open(card, "rb") as f:
        f.seek(start)
        return f.read(size)


class SdDisk:
    def __init__(self, target: Target, card: Path, board: str) -> None:
        self.target = target
        self.card = card
        self.board = board
        self.boot_log = target.boot_log
        self.shell: GuestShell = target.shell


@pytest.fixture(scope="module")
def sd(request: pytest.FixtureRequest, board_config: BoardConfig,
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[SdDisk]:
    if hardware(request.config):
        pytest.skip("QEMU's SD card (a board's card holds the hypervisor's boot files)")
    tmp = tmp_path_factory.mktemp("sd-disk")
    card = card_image(tmp / "card.img")
    bundle = tmp / "guests.cpio"
    kernel = guest_assets.cloud_kernel()
    ctrl = CARD_CONTROLLER[board_config.board.name][0]
    write_bundle(bundle, [kernel_guest(kernel, GuestPlatform(disk="sd:2", passthrough=(ctrl,))),
                          kernel_guest(kernel, GuestPlatform(name="guest1", ram_size=128 << 20,
                                                             disk="sd:1", passthrough=(ctrl,)),
                                       profile=False)])
    with booted_guest(request.node, board_config, initrd=bundle,  # type: ignore[arg-type]
                      sd_card=card) as t:
        yield SdDisk(t, card, board_config.board.name)


def test_the_guest_gets_partition_2(sd: SdDisk) -> None:
    log = sd.boot_log
    path, node, page = CARD_CONTROLLER[sd.board]
    if sd.board == "rpi3":
        # sdhost's pins from the tree (GPIO 48-53 to ALT0): the card moved there.
        assert "sd: mmc@7e202000: pins sdhost_gpio48 (from the device tree)" in log, log
    assert f"sd: {node}: card found" in log, log
    assert "sd: 64 MiB SDSC card, base clock " in log, log
    assert f"guest0: disk sd:2 ({P2_SIZE >> 20} MiB) at 0x9001000" in log, log
    # The card's controller is the hypervisor's now: the guest's request for it is refused.
    for guest in ("guest0", "guest1"):
        refused = (f"{guest}: passthrough {path} refused: its page at {page:#x} is shared "
                   "with the hypervisor's SD card (a guest's disk); the guest runs without it")
        assert refused in log, log
    # Partition 1 (type FAT, the first: what a Pi's firmware boots from, the hypervisor's
    # own files on Mamoru's cards) is no guest's.
    assert ("guest1: disk sd:1 refused: it is the card's boot partition (the firmware's and "
            "the hypervisor's files); the guest runs without it") in log, log
    # No passed device: the guest's RAM stays where its tree puts it.
    assert "guest0: 256 MiB RAM at 0x40000000," in log, log
    p1_before = hashlib.sha256(card_bytes(sd.card, P1_START, P1_SIZE)).hexdigest()
    c = sd.target.console
    with in_guest(sd.target, 30):
        g = sd.shell
        mounts = g.run("grep ' /data ' /proc/mounts")
        assert mounts.startswith("/dev/vda /data ext4"), mounts
        assert g.run("cat /sys/block/vda/size") == str(P2_SECTORS)
        assert g.run("cat /data/from-host.txt") == HOST_FILE.decode().strip()
        out = g.run(f"echo {GUEST_FILE} > /data/from-guest.txt && sync && echo done",
                    timeout=30)
        assert out.endswith("done"), out
        # The last sector of the disk, written raw; the one after it is not there.
        pattern = LAST_SECTOR.ljust(512, b".").decode()
        out = g.run(f"printf '{pattern}' > /tmp/s && dd if=/tmp/s of=/dev/vda bs=512 "
                    f"seek={P2_SECTORS - 1} count=1 conv=fsync 2>&1 && echo written",
                    timeout=30)
        assert out.endswith("written"), out
        out = g.run(f"dd if=/tmp/s of=/dev/vda bs=512 seek={P2_SECTORS} count=1 conv=fsync "
                    "2>&1; echo rc=$?", timeout=30)
        assert out.splitlines()[-1] != "rc=0", out
    listing = c.command("guest list")
    m = re.search(rf"disk sd:2 \({P2_SIZE >> 20} MiB\) at 0x9001000: (\d+) requests, 0 failed$",
                  listing, re.M)
    assert m and int(m.group(1)) > 0, listing
    c.command("guest halt guest0")
    assert re.search(r"^guest0\s+halted", c.command("guest list"), re.M)
    # The host reads the card back: the guest's file and its last sector in partition 2,
    # partition 1 exactly as it was.
    part = sd.card.with_name("p2-readback.img")
    part.write_bytes(card_bytes(sd.card, P2_START, P2_SIZE))
    assert guest_disk.read_file(part, "/from-guest.txt") == f"{GUEST_FILE}\n".encode()
    assert guest_disk.read_file(part, "/from-host.txt") == HOST_FILE
    assert card_bytes(sd.card, CARD_SIZE - 512, 512) == LAST_SECTOR.ljust(512, b".")
    assert hashlib.sha256(card_bytes(sd.card, P1_START, P1_SIZE)).hexdigest() == p1_before
    assert card_bytes(sd.card, P1_START, P1_SIZE) == p1_pattern()
    # Started again: the new boot finds the disk reset and its file on it.
    c.command("guest kick guest0")
    with in_guest(sd.target, 60):
        assert sd.shell.run("cat /data/from-guest.txt") == GUEST_FILE


def test_a_hostile_driver_gets_a_device_that_needs_a_reset(sd: SdDisk) -> None:
    """The guest unbinds its driver and programs the transport itself (busybox devmem): a
    64-bit register access is refused (an abort: devmem dies), rings outside its RAM make
    the device need a reset (one hypervisor line; `guest list` says so), the hypervisor
    carries on; a guest reset gives the next boot a fresh device and its disk back."""
    c = sd.target.console
    base = 0x0900_1000
    with in_guest(sd.target, 60):
        g = sd.shell
        out = g.run("umount /data && rmmod virtio_blk && rmmod virtio_mmio && echo unbound",
                    timeout=30)
        assert out.endswith("unbound"), out
        assert g.run(f"devmem {base:#x} 32; devmem {base + 8:#x} 32") == "0x74726976\n0x00000002"
        assert g.run(f"devmem {base:#x} 64 >/dev/null 2>&1; echo rc=$?") != "rc=0"
        writes = [(0x070, 0), (0x070, 3), (0x024, 1), (0x020, 1), (0x070, 0xB), (0x030, 0),
                  (0x038, 8), (0x080, 0xFFFFF000), (0x084, 0xFFFFFFFF), (0x090, 0x4F001000),
                  (0x094, 0), (0x0A0, 0x4F002000), (0x0A4, 0), (0x044, 1)]
        g.run("; ".join(f"devmem {base + off:#x} 32 {val:#x}" for off, val in writes))
        status = int(g.run(f"devmem {base + 0x70:#x} 32"), 16)
        assert status & 0x40 and status & 0x8, hex(status)     # NEEDS_RESET, FEATURES_OK
        assert g.run(f"devmem {base + 0x44:#x} 32") == "0x00000000"   # the queue not ready
    assert ("guest0: disk sd:2: a ring is outside the guest's RAM: the device needs a reset"
            in c.transcript), c.transcript[-3000:]
    listing = c.command("guest list")
    assert re.search(r"disk sd:2 .*\(needs reset\)$", listing, re.M), listing
    c.command("guest reset guest0", timeout=60)
    with in_guest(sd.target, 60):
        assert sd.shell.run("cat /data/from-guest.txt") == GUEST_FILE
    assert "(needs reset)" not in c.command("guest list")


def test_without_a_card_the_guest_runs_without_its_disk(
        request: pytest.FixtureRequest, board_config: BoardConfig) -> None:
    """The board's default bundle (what `./mamoru sdcard` puts on the card) asks for sd:2;
    booted without -drive if=sd, as the rest of the suite boots the Pis, the guest runs
    without its disk, with one boot line saying why."""
    if hardware(request.config):
        pytest.skip("a board's card is there")
    t = qemu_target(board_config, initrd=bundle_for(board_config))
    t.use(request.node)  # type: ignore[arg-type]
    try:
        t.boot()
        log = t.boot_log.replace("\r\n", "\n")
        lines = [x for x in log.splitlines() if x.startswith("guest0: disk")]
        assert len(lines) == 1 and re.fullmatch(
            r"guest0: disk sd:2 refused: no card \([^()]+\); the guest runs without it",
            lines[0]), log
        # Each controller tried says what it found; the Pi 3's sdhost (a real Pi 3's card
        # controller) first, then the Arasan.
        tried = re.findall(r"^sd: (mmc@\w+): no card \(", log, re.M)
        assert tried == (["mmc@7e202000", "mmc@7e300000"] if board_config.board.name == "rpi3"
                         else ["mmc@7e340000", "mmc@7e300000"]), log
        t.ensure_guest()
        listing = t.console.command("guest list")
        assert re.search(r"^guest0\s+running", listing, re.M), listing
        assert re.search(r"^\s+disk sd:2: not given \(see the boot log\)$", listing,
                         re.M), listing
        t.shell.attach(30)
        assert t.shell.run("ls /sys/block/ | grep -c vda; grep -c ' /data ' /proc/mounts"
                           ) == "0\n0"
        t.shell.detach()
    except BaseException:
        t.mark_dirty()
        raise
    finally:
        t.close()


@pytest.mark.configs("rpi3")
def test_a_pi3_tree_without_sdhost_leaves_the_card_on_the_arasan(
        request: pytest.FixtureRequest, board_config: BoardConfig, tmp_path: Path) -> None:
    """The rule follows the device tree (docs/sdcard.md, "Which controller"): a Pi 3 tree
    whose sdhost is disabled gives sdhost no turn and leaves GPIO 48-53 alone, so QEMU's
    card stays on the Arasan SD host, where it is driven and serves the guest's disk."""
    if hardware(request.config):
        pytest.skip("QEMU's SD card and a changed device tree")
    assert board_config.board.dtb is not None
    dtb = tmp_path / "no-sdhost.dtb"
    shutil.copyfile(paths.dtb_dir() / board_config.board.dtb, dtb)
    subprocess.run(["fdtput", "-t", "s", str(dtb), "/soc/mmc@7e202000", "status", "disabled"],
                   check=True)
    card = card_image(tmp_path / "card.img")
    bundle = tmp_path / "guests.cpio"
    write_bundle(bundle, [kernel_guest(guest_assets.cloud_kernel(), GuestPlatform(disk="sd:2"))])
    with booted_guest(request.node, board_config, initrd=bundle,  # type: ignore[arg-type]
                      sd_card=card, dtb=dtb) as t:
        log = t.boot_log
        assert "sd: mmc@7e300000: card found" in log, log
        assert "mmc@7e202000" not in log, log
        assert f"guest0: disk sd:2 ({P2_SIZE >> 20} MiB) at 0x9001000" in log, log
        with in_guest(t, 60):
            assert t.shell.run("cat /data/from-host.txt") == HOST_FILE.decode().strip()


def test_a_controller_a_guest_owns_is_not_probed(
        request: pytest.FixtureRequest, board_config: BoardConfig, tmp_path: Path) -> None:
    """guest0 is given the Arasan SD host by passthrough, then guest1 asks for a disk: the
    hypervisor does not probe (and so reset) the guest's controller. On the Pi 3 the card is
    found on sdhost, tried before it (under QEMU that moves the card away from the Arasan,
    as on a real Pi 3, where it never was there); on the Pi 4 the Arasan was the only
    controller with the card: guest1 runs without its disk, saying why."""
    if hardware(request.config):
        pytest.skip("QEMU's SD card")
    card = card_image(tmp_path / "card.img")
    bundle = tmp_path / "guests.cpio"
    kernel = guest_assets.cloud_kernel()
    write_bundle(bundle, [kernel_guest(kernel, GuestPlatform(passthrough=("/soc/mmc@7e300000",))),
                          kernel_guest(kernel, GuestPlatform(name="guest1", ram_size=128 << 20,
                                                             disk="sd:2"), profile=False)])
    with booted_guest(request.node, board_config, initrd=bundle,  # type: ignore[arg-type]
                      sd_card=card) as t:
        log = t.boot_log.replace("\r\n", "\n")
        assert re.search(r"^guest0: passthrough mmc@7e300000 \(brcm,bcm2835-sdhci\) irq ", log,
                         re.M), log
        assert "sd: mmc@7e300000: card found" not in log, log
        if board_config.board.name == "rpi3":
            assert "sd: mmc@7e202000: card found" in log, log
            assert "sd: mmc@7e300000" not in log, log
            assert f"guest1: disk sd:2 ({P2_SIZE >> 20} MiB) at 0x9001000" in log, log
        else:
            assert "sd: mmc@7e300000: not tried: passed to guest0's mmc@7e300000" in log, log
            assert ("guest1: disk sd:2 refused: its controller mmc@7e300000 is passed to "
                    "guest0's mmc@7e300000; the guest runs without it") in log, log


@contextmanager
def both_ask_for_sd2(request: pytest.FixtureRequest, board_config: BoardConfig, tmp_path: Path,
                     guest0_ram: int) -> Iterator[tuple[Target, str]]:
    """guest0 (guest0_ram bytes of RAM) and guest1 both ask for partition 2 of QEMU's card:
    the hypervisor booted (the guests' own boots do not matter) and its boot log."""
    if hardware(request.config):
        pytest.skip("QEMU's SD card")
    card = card_image(tmp_path / "card.img")
    bundle = tmp_path / "guests.cpio"
    kernel = guest_assets.cloud_kernel()
    write_bundle(bundle, [kernel_guest(kernel, GuestPlatform(ram_size=guest0_ram, disk="sd:2"),
                                       profile=False),
                          kernel_guest(kernel, GuestPlatform(name="guest1", ram_size=128 << 20,
                                                             disk="sd:2"), profile=False)])
    with booted_guest(request.node, board_config, initrd=bundle,  # type: ignore[arg-type]
                      sd_card=card, guest=False) as t:
        yield t, t.boot_log.replace("\r\n", "\n")


@pytest.mark.configs("rpi3")
def test_a_guest_that_fails_to_load_gives_its_disk_back(
        request: pytest.FixtureRequest, board_config: BoardConfig, tmp_path: Path) -> None:
    """guest0 asks for partition 2 and then cannot be loaded (more RAM than the board has);
    guest1 asks for the same partition: it gets it, as it would had guest0 never asked
    (a partition is one guest's, but a guest that failed holds none), and `guest list`
    shows no device of the failed guest's."""
    with both_ask_for_sd2(request, board_config, tmp_path, 1 << 30) as (t, log):
        assert f"guest0: disk sd:2 ({P2_SIZE >> 20} MiB) at 0x9001000" in log, log
        assert "guest0: not enough free memory for guest RAM" in log, log
        assert "guest0: disk sd:2 given back" in log, log
        assert f"guest1: disk sd:2 ({P2_SIZE >> 20} MiB) at 0x9001000" in log, log
        listing = t.console.command("guest list")
        # Each guest's row and the indented lines under it.
        rows = {b.split()[0]: b for b in re.split(r"\n(?=guest\d)", listing)
                if b.startswith("guest")}
        assert re.search(r"^guest0\s+failed\s.*not loaded: not enough free memory",
                         rows["guest0"]), listing
        assert "disk" not in rows["guest0"] and "gicv2" not in rows["guest0"], listing
        assert re.search(r"^\s+disk sd:2 \(\d+ MiB\) at 0x9001000: ", rows["guest1"],
                         re.M), listing


@pytest.mark.configs("rpi3")
def test_a_partition_is_one_guests(request: pytest.FixtureRequest, board_config: BoardConfig,
                                   tmp_path: Path) -> None:
    """Two guests ask for partition 2: the first has it, the second runs without a disk,
    saying whose it is (two guests on one file system would corrupt it)."""
    with both_ask_for_sd2(request, board_config, tmp_path, 256 << 20) as (_, log):
        assert f"guest0: disk sd:2 ({P2_SIZE >> 20} MiB) at 0x9001000" in log, log
        assert ("guest1: disk sd:2 refused: it is guest0's disk sd:2 already; the guest runs "
                "without it") in log, log
