# SPDX-License-Identifier: GPL-2.0-only
"""Raspberry Pi SD card images: an MBR disk with a FAT32 boot partition that holds the Pi
firmware, the board's device tree, config.txt, cmdline.txt, mamoru.img and the guest bundle,
and an ext4 data partition that the hypervisor gives the default guest as its virtio disk
(`disk = "sd:2"`; docs/sdcard.md, "The guest's disk").

Built without root and without loop mounts: the MBR is written here, the file system by
`mkfs.vfat --offset` into the image file, and the files go in with mtools (`-i img@@offset`).
The image is deterministic: fixed disk signature and volume ID, fixed timestamps
(SOURCE_DATE_EPOCH, else the time of the git HEAD commit), files in a fixed order.

Layout (sectors of 512 bytes):
  0            MBR: disk signature, two partition entries
  8192 (4 MiB) partition 1, type 0x0c (FAT32 with LBA): the boot partition (board.toml's
               [sdcard] partition_mib, 256 MiB for both Pis), label MAMORU, 2 KiB clusters
  after it     partition 2, type 0x83 (Linux): DATA_SIZE (64 MiB) of ext4, label
               MAMORU-DATA, made by `mke2fs -d` (no root) with a fixed UUID, hash seed and
               time, holding the default guest's root file system
               (guest_assets.disk_root_tree: busybox, its /sbin/init, the marker that
               makes the initramfs switch to it) and DATA_README

What differs between boards (firmware files, DTB, config.txt section, UART clock, size)
comes from the board's board.toml, through mamoru.boards.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from mamoru import debian, guest_assets, paths, sdcard_dtb
from mamoru.boards import BOARDS, sd_boards
from mamoru.guest_assets import RootTree

SECTOR = 512
MIB = 1 << 20
PART_START = 4 * MIB
# mkfs.vfat's default for 256 MiB is one sector (512-byte clusters); the Pi's own images
# use 2 KiB or more. 4 KiB would leave fewer than the 65525 clusters FAT32 needs
# (a partition_mib below 256 would need smaller clusters).
CLUSTER_SECTORS = 4
FAT32_LBA = 0x0C
FAT_TYPES = frozenset({0x01, 0x04, 0x06, 0x0B, 0x0C, 0x0E})
VOLUME_LABEL = "MAMORU"
LINUX = 0x83
DATA_SIZE = 64 * MIB
DATA_LABEL = "MAMORU-DATA"
DATA_README = b"""The data partition of a Mamoru SD card (partition 2, ext4).

The hypervisor drives the SD card itself and gives the default guest this partition, and
only this partition, as its virtio disk (disk = "sd:2"); the guest mounts it at /data.
The boot partition (partition 1: mamoru.img, config.txt, the device tree) stays out of
the guest's reach. Made by ./mamoru sdcard; see docs/sdcard.md.
"""

FIRMWARE_PACKAGE = "raspi-firmware"   # Architecture: all, Debian's non-free-firmware
FIRMWARE_PATH = "usr/lib/raspi-firmware"
# Older firmware refuses recent Pi 4 board revisions ("start4.elf: is not compatible");
# bookworm's 1.20220830 boots them. Upstream versions are 1.<release date>.
FIRMWARE_FLOOR = (1, 20220830)

# The mini UART (UART1, "serial1" in the upstream DTBs, which also name it in stdout-path).
CONSOLE_NODE = sdcard_dtb.MINI_UART_NODE
CONSOLE_ALIAS = "serial1"
# The console UARTs a card can use on GPIO 14/15 (--console): the device-tree node each
# one is; "pl011" edits the card's DTB (sdcard_dtb.py).
CONSOLES = {"mini": CONSOLE_NODE, "pl011": sdcard_dtb.PL011_NODE}

KERNEL = "mamoru.img"
BUNDLE = "guests.cpio"
CONFIG = "config.txt"
CMDLINE = "cmdline.txt"
MANIFEST = "mamoru-card.txt"


class CardError(RuntimeError):
    """The card image cannot be built, read or updated."""


@dataclass(frozen=True)
class CardSpec:
    """A board's card, from the [sdcard] table of its board.toml."""

    board: str
    firmware: tuple[str, ...]   # from raspi-firmware, in boot order
    dtb: str
    section: str                # config.txt conditional filter: [pi3] / [pi4]
    core_freq: int              # MHz: the VPU clock the mini UART's baud rate is derived from
    part_size: int              # bytes of the FAT32 boot partition

    @property
    def data_start(self) -> int:
        """Byte offset of the data partition (partition 2): right after the boot one."""
        return PART_START + self.part_size

    @property
    def disk_size(self) -> int:
        return self.data_start + DATA_SIZE


def _spec(board: str) -> CardSpec:
    b = BOARDS[board]
    assert b.sdcard is not None and b.dtb is not None   # boards.py checks both
    return CardSpec(board, b.sdcard.firmware, b.dtb, b.sdcard.section, b.sdcard.core_freq,
                    b.sdcard.partition_size)


# The boards with an [sdcard] table: the Raspberry Pis.
CARDS: dict[str, CardSpec] = {board: _spec(board) for board in sd_boards()}


def card_spec(board: str) -> CardSpec:
    try:
        return CARDS[board]
    except KeyError:
        raise CardError(f"no SD card for board {board!r}: only {', '.join(CARDS)}") from None


def card_path(board: str) -> Path:
    return paths.BUILD / board / f"mamoru-{board}.img"


def bundle_path(board: str) -> Path:
    return paths.BUILD / board / BUNDLE


# -- text files ------------------------------------------------------------------------


def _console_comment(console: str) -> str:
    if console == "pl011":
        return f"""\
# Console: the PL011 (UART0) on GPIO 14 (TXD, header pin 8) and GPIO 15 (RXD, pin 10),
# 115200 8N1 (./mamoru sdcard --console pl011). The card's DTB was changed for it: the
# PL011's pinctrl-0 names the uart0_gpio14 pin group and stdout-path is serial0, and
# cmdline.txt says console={sdcard_dtb.PL011_NODE}. Mamoru sets GPIO 14/15 to ALT0 from
# that pinctrl-0 at boot, so Bluetooth, wired to the PL011, is without its UART. The
# PL011 keeps the baud divisors the firmware programmed, or gets 115200 for the
# firmware's 48 MHz UART clock. The firmware itself (and its uart_2ndstage log) still
# uses the mini UART on these pins until Mamoru starts.
"""
    return f"""\
# Console: the mini UART (UART1) on GPIO 14 (TXD, header pin 8) and GPIO 15 (RXD,
# pin 10), 115200 8N1. On the Pi 3B and 4B the PL011 (UART0) is wired to Bluetooth,
# so the mini UART is the one the firmware puts on the header. The upstream DTB's
# stdout-path ("{CONSOLE_ALIAS}") and cmdline.txt (console={CONSOLE_NODE}) name it too.
# Mamoru does not rely on the firmware for it: it sets GPIO 14/15 to the functions
# the console node's pinctrl-0 names in the DTB (ALT5, the mini UART).
"""


def config_txt(board: str, *, bundle: bool = True, debug_boot: bool = False,
               console: str = "mini") -> str:
    """The firmware's config.txt for board (bundle: load guests.cpio as the initramfs;
    debug_boot: the firmware logs its own boot on the console pins; console: the UART
    on GPIO 14/15, a key of CONSOLES)."""
    spec = card_spec(board)
    if console not in CONSOLES:
        raise CardError(f"no console UART {console!r}: only {', '.join(CONSOLES)}")
    if BOARDS[board].arch.name != "arm64":   # arm_64bit=1 and the Image format below
        raise CardError(f"config.txt is written for arm64 boards, not {board}'s "
                        f"{BOARDS[board].arch.name}")
    title = BOARDS[board].title
    initramfs = (
        f"initramfs {BUNDLE} followkernel"
        if bundle
        else f"# initramfs {BUNDLE} followkernel   (no guest bundle was built)"
    )
    if debug_boot:
        debug = """\
# Bring-up aids (./mamoru sdcard --debug-boot): the firmware logs its own boot on the
# same pins at 115200 baud, and how it loads and patches the device tree. Firmware
# lines but no Mamoru banner: the firmware ran and Mamoru did not start or chose
# another UART. Nothing at all: power, card, wiring or terminal.
uart_2ndstage=1
dtdebug=1
"""
    else:
        debug = """\
# Bring-up aids, off: ./mamoru sdcard --debug-boot adds uart_2ndstage=1 and dtdebug=1
# (the firmware then logs its own boot on the console).
"""
    return f"""\
# Raspberry Pi firmware configuration for Mamoru on the {title}.
# Written by `./mamoru sdcard --board {board}`; `./mamoru sdcard --update <card> --all`
# writes it again.

# 64-bit: the firmware's ARM stub starts {KERNEL} (an arm64 Linux Image) at EL2 with
# the device tree's address in x0, as it would start Linux.
arm_64bit=1
kernel={KERNEL}
# The guest bundle goes into memory right behind the kernel; the firmware writes its
# place into the device tree (/chosen linux,initrd-start/-end), where Mamoru finds it.
{initramfs}
# The device tree is Debian's upstream-Linux one: use upstream names and this file.
upstream_kernel=1
device_tree={spec.dtb}

{_console_comment(console)}#
# The mini UART's baud rate is divided down from the VPU core clock. Mamoru asks the
# firmware for that clock at boot and computes the divisor for 115200 baud from it, so
# the clock must not change afterwards: enable_uart=1 enables the UART and fixes the
# core clock; core_freq and core_freq_min pin it explicitly as well (enable_uart
# alone has not always held it). 250 MHz is the Pi 3's UART clock, 360 MHz the Pi 4
# value Debian's raspi-firmware recommends for a serial console.
#
# No dtoverlay: Debian's DTBs carry no __symbols__, so the firmware cannot apply
# overlays (disable-bt, miniuart-bt) to them.
enable_uart=1
init_uart_baud=115200
[{spec.section}]
core_freq={spec.core_freq}
core_freq_min={spec.core_freq}
[all]

{debug}"""


def cmdline_txt(board: str, console: str = "mini") -> str:
    """Becomes /chosen/bootargs; Mamoru takes its console from `console=` there.

    A device-tree path rather than the alias: the firmware rewrites some console names
    in cmdline.txt (serial0, ttyS0, ttyAMA0) for Linux, but leaves a path alone."""
    card_spec(board)
    if console not in CONSOLES:
        raise CardError(f"no console UART {console!r}: only {', '.join(CONSOLES)}")
    return f"console={CONSOLES[console]}\n"


# -- the MBR ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    index: int        # 1..4
    bootable: bool
    type: int
    start: int        # sectors
    sectors: int

    @property
    def offset(self) -> int:
        return self.start * SECTOR

    @property
    def size(self) -> int:
        return self.sectors * SECTOR


def _chs(lba: int, heads: int = 255, per_track: int = 63) -> bytes:
    """CHS address of lba in the classic geometry; the maximum beyond 8 GiB."""
    cyl, rest = divmod(lba, heads * per_track)
    if cyl > 1023:
        return b"\xfe\xff\xff"
    head, sector = divmod(rest, per_track)
    sector += 1
    return bytes((head, ((cyl >> 2) & 0xC0) | sector, cyl & 0xFF))


def mbr(partitions: Iterable[tuple[int, int, int]], signature: int) -> bytes:
    """A 512-byte MBR with (type, start sector, sector count) entries, none bootable."""
    sector = bytearray(SECTOR)
    struct.pack_into("<I", sector, 440, signature)
    for i, (ptype, start, count) in enumerate(partitions):
        if i >= 4:
            raise CardError("an MBR holds at most four partitions")
        entry = (
            b"\x00" + _chs(start) + bytes((ptype,)) + _chs(start + count - 1)
            + struct.pack("<II", start, count)
        )
        sector[446 + 16 * i : 462 + 16 * i] = entry
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def parse_mbr(sector: bytes) -> list[Partition]:
    """The used entries of an MBR; CardError if sector is no MBR."""
    if len(sector) < SECTOR or sector[510:512] != b"\x55\xaa":
        raise CardError("no MBR (no 55 aa signature in the first sector)")
    parts = []
    for i in range(4):
        e = sector[446 + 16 * i : 462 + 16 * i]
        if e[0] not in (0x00, 0x80):
            raise CardError(f"no MBR (partition {i + 1} has status byte {e[0]:#x})")
        start, count = struct.unpack("<II", e[8:16])
        if e[4] != 0 and count:
            parts.append(Partition(i + 1, e[0] == 0x80, e[4], start, count))
    return parts


def is_fat_boot_sector(sector: bytes) -> bool:
    """Whether sector is a FAT volume's boot sector (not an MBR)."""
    if len(sector) < SECTOR or sector[510:512] != b"\x55\xaa":
        return False
    jump = sector[0] == 0xEB or sector[0] == 0xE9
    return jump and (sector[82:87] == b"FAT32" or sector[54:57] == b"FAT")


def fat_offset(head: bytes) -> int:
    """Byte offset of the FAT boot file system on a disk (or partition) starting with head."""
    if is_fat_boot_sector(head):
        return 0
    parts = parse_mbr(head)
    for p in parts:
        if p.type == 0xEE:
            raise CardError("the disk has a GPT; a Pi boot card has an MBR")
    fat = [p for p in parts if p.type in FAT_TYPES]
    if not fat:
        found = ", ".join(f"{p.index}: type {p.type:#04x}" for p in parts) or "none"
        raise CardError(f"no FAT partition in the MBR (partitions {found})")
    return fat[0].offset


# -- mtools ----------------------------------------------------------------------------


def source_date_epoch() -> int:
    """SOURCE_DATE_EPOCH, else the git HEAD commit time, else 2020-01-01."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env and env.isdigit():
        return int(env)
    try:
        r = subprocess.run(
            ["git", "-C", str(paths.ROOT), "log", "-1", "--format=%ct"],
            capture_output=True, text=True, check=False,
        )
        if r.returncode == 0 and r.stdout.strip().isdigit():
            return int(r.stdout.strip())
    except OSError:
        pass
    return 1577836800


def _mtools_env() -> dict[str, str]:
    return {
        **os.environ,
        "MTOOLS_SKIP_CHECK": "1",       # no complaints about geometry of image files
        "TZ": "UTC",                    # FAT stores local time: make it UTC
        "SOURCE_DATE_EPOCH": str(source_date_epoch()),
        "LC_ALL": "C",
    }


def _tool(argv: list[str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        r = subprocess.run(
            argv, capture_output=True, text=True, check=False, env=_mtools_env(),
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise CardError(
            f"{argv[0]} not found: install mtools and dosfstools (./mamoru setup does)"
        ) from None
    if r.returncode != 0:
        raise CardError(f"{what} failed ({' '.join(argv)}):\n{(r.stderr or r.stdout).strip()}")
    return r


def _drive(image: Path | str, offset: int) -> str:
    return f"{image}@@{offset}" if offset else str(image)


def list_files(image: Path | str, offset: int = PART_START) -> list[str]:
    """The names in the root directory of the FAT file system at offset."""
    r = _tool(["mdir", "-b", "-i", _drive(image, offset), "::/"], "mdir")
    return [line.removeprefix("::/") for line in r.stdout.splitlines() if line.strip()]


def read_file(image: Path | str, name: str, offset: int = PART_START) -> bytes:
    """One file of the FAT file system at offset."""
    with tempfile.TemporaryDirectory(prefix="mamoru-card-") as tmp:
        dest = Path(tmp) / "file"
        _tool(["mcopy", "-n", "-i", _drive(image, offset), f"::/{name}", str(dest)], "mcopy")
        return dest.read_bytes()


def copy_in(image: Path | str, files: Mapping[str, Path], offset: int = PART_START) -> None:
    """Copies files (name on the card -> local file) into the root directory, replacing
    files of the same name, with the local files' modification times."""
    if not files:
        return
    with tempfile.TemporaryDirectory(prefix="mamoru-card-") as tmp:
        stage = Path(tmp)
        epoch = source_date_epoch()
        names = []
        for name, src in files.items():
            dst = stage / name
            shutil.copyfile(src, dst)
            os.utime(dst, (epoch, epoch))
            names.append(str(dst))
        _tool(["mcopy", "-o", "-m", "-i", _drive(image, offset), *names, "::/"], "mcopy")


# -- the firmware ----------------------------------------------------------------------


def deb_version(deb: Path) -> str:
    """The Debian version in a .deb's file name (apt-get download writes an epoch's ':'
    as %3a): raspi-firmware_1%3a1.20230405+ds-1_all.deb -> 1:1.20230405+ds-1."""
    parts = deb.name.removesuffix(".deb").split("_")
    return unquote(parts[1]) if len(parts) >= 2 else ""


def check_firmware_version(version: str) -> None:
    """CardError unless version (a Debian version of raspi-firmware) is at least the
    known-good FIRMWARE_FLOOR."""
    floor = f"{FIRMWARE_FLOOR[0]}.{FIRMWARE_FLOOR[1]}"
    upstream = version.split(":", 1)[-1]
    m = re.match(r"(\d+)\.(\d{8})(?!\d)", upstream)
    if m is None:
        raise CardError(
            f"cannot tell the release of {FIRMWARE_PACKAGE} {version!r} (expected "
            f"1.<yyyymmdd>...): refusing it, as firmware older than {floor} does not boot "
            "recent Pi 4 boards"
        )
    if (int(m.group(1)), int(m.group(2))) < FIRMWARE_FLOOR:
        raise CardError(
            f"{FIRMWARE_PACKAGE} {version} is too old: the card needs {floor} or newer. "
            "Older firmware versions refuse recent Pi 4 board revisions (\"start4.elf: is not "
            "compatible\") and leave the console dark. Take raspi-firmware from Debian "
            "bookworm or later (its non-free-firmware component) and run apt-get update"
        )


def firmware_files(names: Iterable[str]) -> dict[str, Path]:
    """The named files of Debian's raspi-firmware, downloaded and unpacked once into the
    cache (<cache>/raspi-firmware/<package version>/). Refuses a version below
    FIRMWARE_FLOOR."""
    wanted = list(names)
    try:
        deb = debian.apt_download(FIRMWARE_PACKAGE, paths.cache_dir() / "debs")
    except debian.DebianError as e:
        raise CardError(
            f"{e}\nraspi-firmware is in Debian's non-free-firmware component: "
            "./mamoru setup enables it (then apt-get update)"
        ) from None
    try:
        check_firmware_version(deb_version(deb))
    except CardError as e:
        raise CardError(f"{e}; then delete {deb}, which is used while it exists") from None
    dest = paths.cache_dir() / "raspi-firmware" / deb.name.removesuffix(".deb")
    have = {n: dest / FIRMWARE_PATH / n for n in wanted}
    missing = [n for n, p in have.items() if not p.is_file()]
    if missing:
        with tempfile.TemporaryDirectory(prefix=".unpack-", dir=dest.parent.parent) as tmp:
            debian.extract(deb, [f"{FIRMWARE_PATH}/{n}" for n in missing], Path(tmp))
            for n in missing:
                have[n].parent.mkdir(parents=True, exist_ok=True)
                os.replace(Path(tmp) / FIRMWARE_PATH / n, have[n])
        (dest / "SOURCE").write_text(f"{deb.name}\n")
    return have


def firmware_version() -> str:
    found = sorted((paths.cache_dir() / "raspi-firmware").glob("*/SOURCE"))
    return found[-1].read_text().strip() if found else "unknown"


# -- the card --------------------------------------------------------------------------


@dataclass
class CardContents:
    """What goes into the boot partition, in this order."""

    board: str
    files: dict[str, Path]
    bundle: bool


def gather(board: str, workdir: Path, *, kernel: Path | None = None,
           bundle: Path | None = None, dtb: Path | None = None,
           debug_boot: bool = False, console: str = "mini") -> CardContents:
    """Collects the card's files (text files are written into workdir)."""
    spec = card_spec(board)
    kernel = kernel or paths.image_path(board)
    if not kernel.is_file():
        raise CardError(f"{kernel} is missing: ./mamoru build --board {board}")
    dtb = dtb or paths.dtb_dir() / spec.dtb
    if not dtb.is_file():
        raise CardError(f"{dtb} is missing: run ./mamoru setup")
    bundle = bundle if bundle is not None else bundle_path(board)
    has_bundle = bundle.is_file()

    files: dict[str, Path] = dict(firmware_files(spec.firmware))
    if console == "pl011":
        try:
            sdcard_dtb.pl011_console_dtb(dtb, workdir / spec.dtb)
        except sdcard_dtb.DtbError as e:
            raise CardError(f"cannot move the console to the PL011: {e}") from None
        dtb = workdir / spec.dtb
    files[spec.dtb] = dtb
    config = config_txt(board, bundle=has_bundle, debug_boot=debug_boot, console=console)
    for name, text in ((CONFIG, config), (CMDLINE, cmdline_txt(board, console))):
        (workdir / name).write_text(text)
        files[name] = workdir / name
    files[KERNEL] = kernel
    if has_bundle:
        files[BUNDLE] = bundle
    manifest = workdir / MANIFEST
    manifest.write_text(manifest_text(board, files))
    files[MANIFEST] = manifest
    return CardContents(board, files, has_bundle)


def manifest_text(board: str, files: Mapping[str, Path]) -> str:
    lines = [
        f"Mamoru boot card for the {BOARDS[board].title} (./mamoru sdcard --board {board})",
        f"firmware: {firmware_version()}",
        "",
    ]
    for name, path in files.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.stat().st_size:>10}  {name}")
    return "\n".join(lines) + "\n"


def ids_for(board: str) -> tuple[int, int]:
    """(disk signature, volume ID): fixed per board, so images are reproducible."""
    sig = zlib.crc32(f"mamoru sd card {board}".encode())
    return sig, sig ^ 0x5A5A5A5A


def _set_volume_id(image: Path, volume_id: int) -> None:
    """mkfs.vfat --invariant fixes every time-derived value but also the volume ID; put
    ours into the boot sector and its backup (sector 6)."""
    with open(image, "r+b") as f:
        for sector in (0, 6):
            base = PART_START + sector * SECTOR
            f.seek(base)
            if not is_fat_boot_sector(f.read(SECTOR)):
                raise CardError("mkfs.vfat left no FAT32 boot sector where expected")
            f.seek(base + 67)            # BS_VolID in the FAT32 extended BPB
            f.write(struct.pack("<I", volume_id))


def _write_tree(root: Path, tree: RootTree, epoch: int) -> list[str]:
    """The tree's directories, files and symlinks under root; their paths ("/bin", ...)."""
    for name in sorted(tree.dirs):
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name).chmod(tree.dirs[name])
    for name, (data, mode) in tree.files.items():
        (root / name).write_bytes(data)
        (root / name).chmod(mode)
        os.utime(root / name, (epoch, epoch))
    for name, target in tree.links.items():
        (root / name).symlink_to(target)
    for name in sorted(tree.dirs, reverse=True):
        os.utime(root / name, (epoch, epoch))
    return [f"/{n}" for n in tree.names()]


def data_partition(board: str, out: Path, files: Mapping[str, bytes] | None = None, *,
                   tree: RootTree | None = None) -> Path:
    """The ext4 file system of the data partition (DATA_SIZE bytes) at out, made without
    root by mke2fs -d from DATA_README, tree (the guest's root file system, by default
    guest_assets.disk_root_tree()) and files, reproducibly: a UUID and directory hash seed
    fixed per board, every time source_date_epoch() (E2FSPROGS_FAKE_TIME)."""
    mke2fs = shutil.which("mke2fs") or shutil.which("mke2fs", path="/usr/sbin:/sbin")
    if mke2fs is None:
        raise CardError("mke2fs not found: install e2fsprogs (./mamoru setup does)")
    epoch = source_date_epoch()
    uuid = hashlib.sha256(f"mamoru data partition {board}".encode()).hexdigest()
    uuid = f"{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:32]}"
    with tempfile.TemporaryDirectory(prefix="mamoru-data-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        inodes = _write_tree(root, tree or guest_assets.disk_root_tree(), epoch)
        for name, data in {"README": DATA_README, **(files or {})}.items():
            (root / name).write_bytes(data)
            os.utime(root / name, (epoch, epoch))
        os.utime(root, (epoch, epoch))
        with open(out, "wb") as f:
            f.truncate(DATA_SIZE)
        r = subprocess.run(
            [mke2fs, "-q", "-F", "-t", "ext4", "-L", DATA_LABEL, "-U", uuid,
             "-E", f"root_owner=0:0,hash_seed={uuid}", "-d", str(root), str(out)],
            capture_output=True, text=True, check=False,
            env={**os.environ, "E2FSPROGS_FAKE_TIME": str(epoch), "LC_ALL": "C"},
        )
        if r.returncode != 0:
            raise CardError(f"mke2fs failed: {(r.stdout + r.stderr).strip()}")
        # mke2fs -d copies each file's change time, which utime cannot set: set every
        # time of the inodes it made with debugfs.
        script = Path(tmp) / "times"
        names = ["/", "/lost+found", *inodes, *(f"/{n}" for n in ["README", *(files or {})])]
        stamp = f"@{epoch}"
        fields = {"atime": stamp, "mtime": stamp, "ctime": stamp, "crtime": stamp,
                  "atime_extra": 0, "mtime_extra": 0, "ctime_extra": 0, "crtime_extra": 0}
        script.write_text("".join(f"set_inode_field {n} {field} {value}\n"
                                  for n in names for field, value in fields.items()))
        debugfs = shutil.which("debugfs") or shutil.which("debugfs", path="/usr/sbin:/sbin")
        r = subprocess.run([debugfs or "debugfs", "-w", "-f", str(script), str(out)],
                           capture_output=True, text=True, check=False,
                           env={**os.environ, "E2FSPROGS_FAKE_TIME": str(epoch), "LC_ALL": "C"})
        if r.returncode != 0 or "Invalid" in r.stderr or "not found" in r.stderr:
            raise CardError(f"debugfs failed: {(r.stdout + r.stderr).strip()}")
    return out


def qemu_card_path(board: str) -> Path:
    """build/<board>/qemu-sd.img: the card `./mamoru run` gives QEMU's SD slot."""
    return paths.BUILD / board / "qemu-sd.img"


def ensure_qemu_card(board: str, *, fresh: bool = False) -> tuple[Path, bool]:
    """A card image for QEMU's SD slot (`-drive if=sd`): what `./mamoru sdcard` writes,
    padded to the power-of-2 size QEMU wants. Made once and kept, so what the guest wrote
    on its root (partition 2) stays between runs; fresh makes it anew. Returns the path
    and whether it was made now."""
    out = qemu_card_path(board)
    if out.is_file() and not fresh:
        return out, False
    partial = out.with_name(f".{out.name}.partial")
    try:
        build_card(board, partial)
        size = partial.stat().st_size
        with open(partial, "r+b") as f:
            f.truncate(1 << (size - 1).bit_length())
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out, True


def build_card(board: str, out: Path | None = None, *, kernel: Path | None = None,
               bundle: Path | None = None, dtb: Path | None = None,
               debug_boot: bool = False, console: str = "mini") -> CardContents:
    """Writes the SD card image (default build/<board>/mamoru-<board>.img) atomically."""
    out = out or card_path(board)
    out.parent.mkdir(parents=True, exist_ok=True)
    signature, volume_id = ids_for(board)
    with tempfile.TemporaryDirectory(prefix="mamoru-card-") as tmp:
        contents = gather(board, Path(tmp), kernel=kernel, bundle=bundle, dtb=dtb,
                          debug_boot=debug_boot, console=console)
        part_size = card_spec(board).part_size
        total = sum(p.stat().st_size for p in contents.files.values())
        if total > part_size * 9 // 10:
            raise CardError(f"the files take {total >> 20} MiB; the partition has "
                            f"{part_size >> 20} MiB")
        partial = out.with_name(f".{out.name}.partial")
        data = data_partition(board, Path(tmp) / "data.img")
        spec = card_spec(board)
        try:
            with open(partial, "wb") as f:
                f.truncate(spec.disk_size)
                f.write(mbr([(FAT32_LBA, PART_START // SECTOR, part_size // SECTOR),
                             (LINUX, spec.data_start // SECTOR, DATA_SIZE // SECTOR)],
                            signature))
                f.seek(spec.data_start)
                with open(data, "rb") as src:
                    shutil.copyfileobj(src, f)
            _tool(
                ["mkfs.vfat", "-F", "32", "-s", str(CLUSTER_SECTORS), "-n", VOLUME_LABEL,
                 "-i", f"{volume_id:08x}",
                 "--invariant", "--mbr=n", "-h", str(PART_START // SECTOR),
                 f"--offset={PART_START // SECTOR}", str(partial), str(part_size // 1024)],
                "mkfs.vfat",
            )
            _set_volume_id(partial, volume_id)
            copy_in(partial, contents.files, PART_START)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    return contents


# -- updating a card in place ------------------------------------------------------------


def update_files(board: str, everything: bool, workdir: Path, *,
                 debug_boot: bool = False, console: str = "mini") -> dict[str, Path]:
    """What `--update` writes: the kernel and bundle, or (everything) all the card's files."""
    contents = gather(board, workdir, debug_boot=debug_boot, console=console)
    if everything:
        return contents.files
    keep = {KERNEL, BUNDLE, MANIFEST}
    return {n: p for n, p in contents.files.items() if n in keep}


def files_of_image(image: Path, everything: bool, workdir: Path) -> dict[str, Path]:
    """update_files, taken out of a card image instead of build/."""
    with open(image, "rb") as f:
        offset = fat_offset(f.read(SECTOR))
    files = {}
    for name in list_files(image, offset):
        if everything or name in (KERNEL, BUNDLE, MANIFEST):
            files[name] = workdir / name
            files[name].write_bytes(read_file(image, name, offset))
    if KERNEL not in files:
        raise CardError(f"{image} has no {KERNEL}")
    return files


def update_image(target: Path, files: Mapping[str, Path]) -> int:
    """Copies files onto the FAT file system of a disk, partition or image file (not
    mounted: the caller checks). Returns the file system's byte offset."""
    with open(target, "rb") as f:
        head = f.read(SECTOR)
    offset = fat_offset(head)
    copy_in(target, files, offset)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return offset


def update_directory(target: Path, files: Mapping[str, Path], *, force: bool = False) -> None:
    """Copies files into a mounted boot partition (a directory)."""
    looks_like_boot = any((target / n).exists() for n in ("config.txt", "start4.elf",
                                                           "start.elf", "bootcode.bin"))
    if not looks_like_boot and not force:
        raise CardError(f"{target} has no config.txt or Pi firmware: is it the card's boot "
                        "partition? (--force writes anyway)")
    for name, src in files.items():
        tmp = target / f".{name}.new"
        shutil.copyfile(src, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target / name)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass     # some file systems (vfat via FUSE) cannot fsync a directory
    finally:
        os.close(fd)
