# SPDX-License-Identifier: GPL-2.0-only
"""Writing an SD card image to a block device, carefully.

Before anything is written, the target must be a whole-disk block device that is not
mounted (nor any of its partitions, nor used as swap), does not hold the running system
(/, /boot, ...), is at least as large as the image and, unless forced, no larger than
SIZE_LIMIT and on USB or an MMC/SD slot. The checks read sysfs and /proc through a
BlockHost whose roots can point at a fake tree (tests/sdcard/test_flash_safety.py).
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

GIB = 1 << 30
SIZE_LIMIT = 256 * GIB
SYSTEM_MOUNTS = ("/", "/boot", "/boot/efi", "/boot/firmware", "/usr", "/var", "/home")
CHUNK = 4 << 20
BLKRRPART = 0x125F   # ioctl: re-read the partition table


class FlashError(RuntimeError):
    """The write was refused or failed."""


@dataclass(frozen=True)
class Mount:
    source: str                        # e.g. /dev/sdb1, /dev/root, tmpfs
    mountpoint: str
    devno: tuple[int, int] | None = None   # st_dev of the file system (mountinfo only)


def _unescape(field_: str) -> str:
    """Mount tables write space, tab, newline and backslash as octal escapes."""
    out, i = [], 0
    while i < len(field_):
        c = field_[i]
        code = field_[i + 1 : i + 4]
        if c == "\\" and len(code) == 3 and all(d in "01234567" for d in code):
            out.append(chr(int(code, 8)))
            i += 4
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> list[Mount]:
    """/proc/self/mountinfo: `id parent major:minor root mountpoint opts [tags] - fs source ...`."""
    mounts = []
    for line in text.splitlines():
        words = line.split()
        if "-" not in words or len(words) < 5:
            continue
        sep = words.index("-")
        if sep + 2 >= len(words):
            continue
        major, _, minor = words[2].partition(":")
        devno = (int(major), int(minor)) if major.isdigit() and minor.isdigit() else None
        mounts.append(Mount(_unescape(words[sep + 2]), _unescape(words[4]), devno))
    return mounts


def parse_mounts(text: str) -> list[Mount]:
    """/proc/mounts (fstab format): `source mountpoint fstype options dump pass`."""
    mounts = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and not words[0].startswith("#"):
            mounts.append(Mount(_unescape(words[0]), _unescape(words[1])))
    return mounts


def parse_swaps(text: str) -> list[str]:
    """/proc/swaps: the first column after the header."""
    return [_unescape(line.split()[0]) for line in text.splitlines()[1:] if line.strip()]


@dataclass(frozen=True)
class Problem:
    message: str
    forceable: bool = False    # --force overrides it


@dataclass
class Disk:
    """A whole-disk block device and what the checks found."""

    path: Path
    name: str
    size: int
    description: str
    problems: list[Problem] = field(default_factory=list)

    def refusals(self, force: bool) -> list[Problem]:
        return [p for p in self.problems if not (force and p.forceable)]


class BlockHost:
    """The host's block devices, mounts and swaps as sysfs and procfs show them."""

    def __init__(self, sys_root: Path = Path("/sys"), proc_root: Path = Path("/proc"),
                 dev_root: Path = Path("/dev")) -> None:
        self.sys_root = sys_root
        self.proc_root = proc_root
        self.dev_root = dev_root

    # -- sysfs -------------------------------------------------------------------------

    def _node(self, name: str) -> Path:
        return self.sys_root / "class" / "block" / name

    def _read(self, path: Path) -> str:
        try:
            return path.read_text().strip()
        except OSError:
            return ""

    def exists(self, name: str) -> bool:
        return bool(name) and "/" not in name and self._node(name).exists()

    def names(self) -> list[str]:
        d = self.sys_root / "class" / "block"
        return sorted(p.name for p in d.iterdir()) if d.is_dir() else []

    def devno(self, name: str) -> tuple[int, int] | None:
        major, _, minor = self._read(self._node(name) / "dev").partition(":")
        return (int(major), int(minor)) if major.isdigit() and minor.isdigit() else None

    def name_of_devno(self, devno: tuple[int, int]) -> str | None:
        for name in self.names():
            if self.devno(name) == devno:
                return name
        return None

    def is_partition(self, name: str) -> bool:
        return (self._node(name) / "partition").exists()

    def parent(self, name: str) -> str:
        """The disk a partition belongs to (sysfs nests partitions in their disk)."""
        return self._node(name).resolve().parent.name

    def slaves(self, name: str) -> list[str]:
        d = self._node(name) / "slaves"
        return sorted(p.name for p in d.iterdir()) if d.is_dir() else []

    def partitions(self, disk: str) -> list[str]:
        return [n for n in self.names() if self.is_partition(n) and self.parent(n) == disk]

    def base_disks(self, name: str, _depth: int = 0) -> set[str]:
        """The whole disks a device sits on: a partition's disk; a device mapper or RAID
        device's members' disks, recursively."""
        if _depth > 16:
            return set()
        if self.is_partition(name):
            return {self.parent(name)}
        slaves = self.slaves(name)
        if slaves:
            return set().union(*(self.base_disks(s, _depth + 1) for s in slaves))
        return {name}

    def size(self, name: str) -> int:
        sectors = self._read(self._node(name) / "size")
        return int(sectors) * 512 if sectors.isdigit() else 0

    def removable(self, name: str) -> bool:
        return self._read(self._node(name) / "removable") == "1"

    def transport(self, name: str) -> str:
        """usb, mmc, nvme, virtual or other, from where sysfs places the device."""
        where = str(self._node(name).resolve())
        for kind in ("usb", "mmc", "nvme", "virtual"):
            if f"/{kind}" in where:
                return kind
        return "other"

    def description(self, name: str) -> str:
        dev = self._node(name) / "device"
        model = " ".join(
            w for w in (self._read(dev / "vendor"), self._read(dev / "model"),
                        self._read(dev / "name")) if w
        )
        size = self.size(name)
        return f"{model or 'unknown model'}, {size / 1e9:.1f} GB, {self.transport(name)}" + (
            ", removable" if self.removable(name) else ""
        )

    # -- procfs ------------------------------------------------------------------------

    def mounts(self) -> list[Mount]:
        info = self.proc_root / "self" / "mountinfo"
        if info.exists():
            return parse_mountinfo(info.read_text())
        return parse_mounts((self.proc_root / "mounts").read_text())

    def swaps(self) -> list[str]:
        p = self.proc_root / "swaps"
        return parse_swaps(p.read_text()) if p.exists() else []

    def name_of_source(self, source: str) -> str | None:
        """The kernel name of a /dev path (following /dev/disk/by-*, /dev/mapper links)."""
        if not source.startswith("/dev/"):
            return None
        path = self.dev_root / source.removeprefix("/dev/")
        try:
            name = path.resolve().name
        except OSError:
            name = path.name
        return name if self.exists(name) else None

    def device_of_mount(self, m: Mount) -> str | None:
        if m.devno is not None and m.devno[0] != 0:
            name = self.name_of_devno(m.devno)
            if name:
                return name
        return self.name_of_source(m.source)

    # -- the target ----------------------------------------------------------------------

    def block_name(self, path: Path) -> str:
        """The kernel name of the block device at path; FlashError if it is none."""
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise FlashError(f"{path} does not exist") from None
        except OSError as e:
            raise FlashError(f"cannot look at {path}: {e}") from None
        if stat.S_ISREG(st.st_mode):
            raise FlashError(f"{path} is a regular file, not a block device (to copy the image "
                             "to a file, use cp)")
        if not stat.S_ISBLK(st.st_mode):
            raise FlashError(f"{path} is not a block device")
        devno = (os.major(st.st_rdev), os.minor(st.st_rdev))
        name = self.name_of_devno(devno)
        if name is None:
            raise FlashError(f"{path}: block device {devno[0]}:{devno[1]} is not in sysfs")
        return name

    def users(self, name: str) -> list[str]:
        """Why the device, or any device on the same disk, is in use: mounts and swaps."""
        disks = self.base_disks(name)
        found = []
        for m in self.mounts():
            dev = self.device_of_mount(m)
            if dev is not None and self.base_disks(dev) & disks:
                found.append(f"{m.source} is mounted at {m.mountpoint}")
        for s in self.swaps():
            dev = self.name_of_source(s)
            if dev is not None and self.base_disks(dev) & disks:
                found.append(f"{s} is in use as swap")
        return found

    def system_disks(self) -> dict[str, str]:
        """Disks that hold the running system: disk name -> the mount point that says so."""
        found: dict[str, str] = {}
        for m in self.mounts():
            if m.mountpoint in SYSTEM_MOUNTS:
                dev = self.device_of_mount(m)
                if dev is not None:
                    for disk in self.base_disks(dev):
                        found.setdefault(disk, m.mountpoint)
        return found

    def check(self, name: str, image_size: int, path: Path | None = None) -> Disk:
        """Everything that speaks against overwriting the disk `name` with an image."""
        path = path or Path("/dev") / name
        size = self.size(name)
        disk = Disk(path, name, size, self.description(name))
        problems = disk.problems
        if self.is_partition(name):
            problems.append(Problem(
                f"{path} is a partition; give the whole card (/dev/{self.parent(name)})"
            ))
            return disk
        system = self.system_disks().get(name)
        if system:
            problems.append(Problem(f"{path} holds the running system ({system} is on it)"))
        problems += [Problem(f"{u}; unmount it first") for u in self.users(name)]
        if size == 0:
            problems.append(Problem(f"{path} has size 0: is a card in the reader?"))
        elif size < image_size:
            problems.append(Problem(
                f"{path} has {size} bytes, less than the image's {image_size}"
            ))
        if size > SIZE_LIMIT:
            problems.append(Problem(
                f"{path} is {size / GIB:.0f} GiB, larger than an SD card is likely to be "
                f"({SIZE_LIMIT // GIB} GiB)", forceable=True,
            ))
        kind = self.transport(name)
        if kind not in ("usb", "mmc") and not self.removable(name):
            problems.append(Problem(
                f"{path} is neither removable nor on USB or an SD slot ({kind})", forceable=True,
            ))
        return disk

    def inspect(self, path: Path, image_size: int) -> Disk:
        return self.check(self.block_name(path), image_size, path)


# -- asking and writing -----------------------------------------------------------------


def confirm(disk: Disk, image: Path, ask: Callable[[str], str] = input,
            out: Callable[[str], None] = print) -> bool:
    """Asks the user to type the device's name; True only for an exact answer."""
    out(f"About to overwrite {disk.path} ({disk.description}) with {image.name} "
        f"({image.stat().st_size >> 20} MiB).")
    out("Everything on that device will be lost.")
    try:
        answer = ask(f"Type '{disk.name}' to go on, anything else to stop: ")
    except EOFError:
        return False
    return answer.strip() == disk.name


@dataclass(frozen=True)
class WriteReport:
    written: int
    seconds: float
    verified: bool

    def summary(self, device: Path) -> str:
        rate = self.written / self.seconds / 1e6 if self.seconds > 0 else 0.0
        check = ", read back and compared" if self.verified else ""
        return (f"wrote {self.written >> 20} MiB to {device} in {self.seconds:.1f} s "
                f"({rate:.1f} MB/s), synced{check}")


def write_image(image: Path, device: Path, *, verify: bool = False,
                progress: Callable[[int, int], None] | None = None) -> WriteReport:
    """Copies image onto device, fsyncs, asks the kernel to re-read the partition table.

    O_EXCL makes the kernel refuse a block device that is mounted or otherwise claimed,
    however the earlier checks were fooled.
    """
    total = image.stat().st_size
    start = time.monotonic()
    try:
        fd = os.open(device, os.O_WRONLY | os.O_EXCL | os.O_CLOEXEC)
    except PermissionError:
        raise FlashError(f"no permission to write {device}: use sudo, or join the group "
                         "that owns it (often 'disk')") from None
    except OSError as e:
        raise FlashError(f"cannot open {device}: {e.strerror}") from None
    written = 0
    try:
        with open(image, "rb") as src:
            while chunk := src.read(CHUNK):
                view = memoryview(chunk)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
                    written += n
                if progress:
                    progress(written, total)
        os.fsync(fd)
        if stat.S_ISBLK(os.fstat(fd).st_mode):
            try:
                import fcntl

                fcntl.ioctl(fd, BLKRRPART)
            except OSError:
                pass   # busy or not partitionable: the table is on the card anyway
    except OSError as e:
        raise FlashError(f"writing {device} failed after {written} bytes: {e.strerror}") from None
    finally:
        os.close(fd)
    verified = False
    if verify:
        _verify(image, device, total)
        verified = True
    return WriteReport(written, time.monotonic() - start, verified)


def _verify(image: Path, device: Path, total: int) -> None:
    fd = os.open(device, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.posix_fadvise(fd, 0, total, os.POSIX_FADV_DONTNEED)  # read the card, not the cache
        with open(image, "rb") as src:
            pos = 0
            while chunk := src.read(CHUNK):
                got = os.pread(fd, len(chunk), pos)
                if got != chunk:
                    raise FlashError(f"{device} differs from {image.name} near byte {pos}")
                pos += len(chunk)
    finally:
        os.close(fd)


def progress_printer(stream: TextIO = sys.stderr) -> Callable[[int, int], None]:
    """A progress callback that rewrites one line on a terminal (and prints nothing else)."""
    tty = stream.isatty()

    def show(done: int, total: int) -> None:
        if tty:
            print(f"\rflash: {done >> 20}/{total >> 20} MiB", end="", file=stream, flush=True)
            if done >= total:
                print(file=stream)

    return show
