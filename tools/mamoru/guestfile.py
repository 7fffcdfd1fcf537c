# SPDX-License-Identifier: GPL-2.0-only
"""Guest description files: the guests of a bundle in TOML, without writing Python.

    [[guest]]
    name = "guest0"                   # 1-15 letters, digits, '-' or '_'; unique
    kernel = "vmlinuz-6.12"           # raw arm64 Image (not compressed)
    initrd = "rootfs.cpio.gz"         # optional: default Mamoru's busybox initramfs
    system_map = "System.map-6.12"    # or vmlinux = "...": for the IDS profile (optional)
    config = "config-6.12"            # optional: the kernel's .config
    ram = "256M"                      # optional (256M): 32M to 1G, a multiple of 2M
    bootargs = "console=ttyAMA0 rdinit=/init quiet"   # optional (this default)
    kaslr = true                      # optional (false): the hypervisor seeds KASLR
    passthrough = ["/virtio_mmio@a000000"]   # optional: host devices the guest owns
                                      # (paths in the host's device tree; [] for none;
                                      # absent: the board's default, first guest only)
    disk = "sd:2"                     # optional: partition 2 of the board's SD card as
                                      # the guest's virtio disk (the hypervisor drives
                                      # the card; the Pis only)
    vcpus = 4                         # optional (1): 1 to 4 virtual CPUs (docs/smp.md)

Relative paths are relative to the file. load() checks the file and every guest, make_specs()
reads the kernels and initrds and runs the profile tool; every problem is one GuestFileError
line naming the file and the guest. Nothing is written until all guests are good, and the
bundle is written through a temporary file (bundle.write_bundle), so a failure leaves nothing
half-written behind. `./mamoru build|run|sdcard|test|bundle --guests FILE` use this.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from mamoru import guest_assets
from mamoru.boards import BOARDS
from mamoru.bundle import GuestSpec
from mamoru.guest_platform import DISK_RE, VCPUS_MAX, GuestPlatform

# Mirrors of the hypervisor's limits (core/guest.c, core/include/mamoru/guest.h).
GUEST_MAX = 2
GUEST_NAME_MAX = 15                     # GUEST_NAME_MAX 16 with the NUL
RAM_MIN, RAM_MAX, RAM_ALIGN = 32 << 20, 1 << 30, 2 << 20
DTB_AREA = 2 << 20                      # the top 2 MiB of guest RAM hold the device tree
# What a board keeps for itself besides the guests' RAM and the bundle (hypervisor, heap).
HYPERVISOR_RESERVE = 64 << 20

DEFAULT_RAM = GuestPlatform().ram_size
KEYS = ("name", "kernel", "initrd", "system_map", "vmlinux", "config", "ram", "bootargs",
        "kaslr", "passthrough", "disk", "vcpus")
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_RAM_RE = re.compile(r"^\s*(\d+)\s*([KMG]?)(?:i?B)?\s*$", re.I)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
# What an initrd may start with: a cpio archive ("newc", with or without CRC) or one of the
# compressions Linux can unpack an initramfs from.
INITRD_MAGICS = {b"070701": "cpio", b"070702": "cpio", b"\x1f\x8b": "gzip",
                 b"\xfd7zXZ\x00": "xz", b"\x28\xb5\x2f\xfd": "zstd", b"BZh": "bzip2",
                 b"\x02\x21\x4c\x18": "lz4", b"\x89LZO": "lzo", b"\x5d\x00\x00": "lzma"}


class GuestFileError(Exception):
    """A guest file or one of its guests is wrong; str() is one line."""


@dataclass(frozen=True)
class GuestEntry:
    """One [[guest]] table, checked, with absolute paths."""

    name: str
    kernel: Path
    initrd: Path | None = None
    system_map: Path | None = None
    vmlinux: Path | None = None
    config: Path | None = None
    ram: int = DEFAULT_RAM
    bootargs: str = GuestPlatform().bootargs
    kaslr: bool = False
    passthrough: tuple[str, ...] | None = None
    disk: str | None = None
    vcpus: int = 1

    @property
    def platform(self) -> GuestPlatform:
        return GuestPlatform(name=self.name, ram_size=self.ram, bootargs=self.bootargs,
                             kaslr=self.kaslr, passthrough=self.passthrough, disk=self.disk,
                             vcpus=self.vcpus)

    def inputs(self) -> list[Path]:
        return [p for p in (self.kernel, self.initrd, self.system_map, self.vmlinux,
                            self.config) if p is not None]


def parse_ram(value: object) -> int:
    """"256M", "1G", "65536K", "512MiB" or a number of bytes."""
    if isinstance(value, bool):
        raise ValueError(f"ram must be a size such as \"256M\", not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        m = _RAM_RE.match(value)
        if m:
            return int(m.group(1)) * _UNITS[m.group(2).upper()]
    raise ValueError(f"ram must be a size such as \"256M\" or \"1G\", not {value!r}")


def _mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB"


def _entry(file: Path, index: int, table: object) -> GuestEntry:
    where = f"{file}: guest {index + 1}"
    if not isinstance(table, dict):
        raise GuestFileError(f"{where}: not a table")
    name = table.get("name")
    if not isinstance(name, str):
        raise GuestFileError(f"{where}: no name (name = \"guest0\")")
    where = f"{file}: guest '{name}'"
    if not (_NAME_RE.match(name) and len(name) <= GUEST_NAME_MAX):
        raise GuestFileError(f"{where}: a name is 1 to {GUEST_NAME_MAX} letters, digits, "
                             "'-' or '_'")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise GuestFileError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")

    def path(key: str, required: bool = False) -> Path | None:
        v = table.get(key)
        if v is None:
            if required:
                raise GuestFileError(f"{where}: no {key} (a path)")
            return None
        if not isinstance(v, str) or not v:
            raise GuestFileError(f"{where}: {key} must be a path (a string), not {v!r}")
        p = Path(v).expanduser()
        p = p if p.is_absolute() else file.parent / p
        if not p.is_file():
            raise GuestFileError(f"{where}: {key} {p} does not exist")
        return p

    kernel = path("kernel", required=True)
    assert kernel is not None
    initrd, system_map = path("initrd"), path("system_map")
    vmlinux, config = path("vmlinux"), path("config")
    if system_map is not None and vmlinux is not None:
        raise GuestFileError(f"{where}: give system_map or vmlinux for the profile, not both")
    try:
        ram = parse_ram(table.get("ram", DEFAULT_RAM))
    except ValueError as e:
        raise GuestFileError(f"{where}: {e}") from None
    if not RAM_MIN <= ram <= RAM_MAX or ram % RAM_ALIGN:
        raise GuestFileError(f"{where}: ram {_mib(ram)} does not fit: a guest has "
                             f"{_mib(RAM_MIN)} to {_mib(RAM_MAX)}, a multiple of "
                             f"{_mib(RAM_ALIGN)}")
    bootargs = table.get("bootargs", GuestPlatform().bootargs)
    if not isinstance(bootargs, str) or '"' in bootargs or "\n" in bootargs:
        raise GuestFileError(f"{where}: bootargs must be one line of text without '\"'")
    kaslr = table.get("kaslr", False)
    if not isinstance(kaslr, bool):
        raise GuestFileError(f"{where}: kaslr must be true or false, not {kaslr!r}")
    passthrough = table.get("passthrough")
    if passthrough is not None:
        if not isinstance(passthrough, list) or not all(
                isinstance(x, str) and x.startswith("/") and not set(x) & set('"\\\n\0')
                for x in passthrough):
            raise GuestFileError(f"{where}: passthrough must be a list of device-tree paths "
                                 f"such as [\"/virtio_mmio@a000000\"], not {passthrough!r}")
        passthrough = tuple(passthrough)
        if len(set(passthrough)) != len(passthrough):
            raise GuestFileError(f"{where}: passthrough names a device twice")
    disk = table.get("disk")
    if disk is not None and not (isinstance(disk, str) and DISK_RE.fullmatch(disk)):
        raise GuestFileError(f"{where}: disk must be \"sd:1\" to \"sd:4\" (a partition of the "
                             f"board's SD card, served by the hypervisor), not {disk!r}")
    vcpus = table.get("vcpus", 1)
    if type(vcpus) is not int or not 1 <= vcpus <= VCPUS_MAX:
        raise GuestFileError(f"{where}: vcpus must be a whole number from 1 to {VCPUS_MAX}, "
                             f"not {vcpus!r}")
    return GuestEntry(name, kernel, initrd, system_map, vmlinux, config, ram, bootargs, kaslr,
                      passthrough, disk, vcpus)


def load(file: Path) -> list[GuestEntry]:
    """The guests of a description file, each checked (paths, names, RAM, keys)."""
    try:
        raw = file.read_bytes()
    except OSError as e:
        raise GuestFileError(f"{file}: cannot read it: {e.strerror}") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise GuestFileError(f"{file}: not valid TOML: {e}") from None
    extra = sorted(set(doc) - {"guest"})
    if extra:
        raise GuestFileError(f"{file}: unknown top-level key {extra[0]!r} (only [[guest]] "
                             "tables)")
    tables = doc.get("guest")
    if not isinstance(tables, list) or not tables:
        raise GuestFileError(f"{file}: no [[guest]] table")
    if len(tables) > GUEST_MAX:
        raise GuestFileError(f"{file}: {len(tables)} guests; the hypervisor runs at most "
                             f"{GUEST_MAX}")
    base = file.resolve()
    entries: list[GuestEntry] = []
    for i, table in enumerate(tables):
        e = _entry(base, i, table)
        if any(o.name == e.name for o in entries):
            raise GuestFileError(f"{file}: two guests are named '{e.name}'")
        entries.append(e)
    return entries


def _check_initrd(where: str, data: bytes, path: Path) -> None:
    if not any(data.startswith(m) for m in INITRD_MAGICS):
        raise GuestFileError(f"{where}: initrd {path} is neither a cpio archive (newc) nor a "
                             f"compressed one ({', '.join(sorted(set(INITRD_MAGICS.values())))})")


def _image_size(kernel: bytes) -> int:
    """Bytes the Image occupies from its load address (header image_size, text_offset)."""
    text_offset = int.from_bytes(kernel[8:16], "little")
    image_size = int.from_bytes(kernel[16:24], "little") or len(kernel)
    return text_offset + max(image_size, len(kernel))


def make_spec(e: GuestEntry, file: Path) -> GuestSpec:
    """The bundle entry of one guest: its kernel checked, initrd read, profile made."""
    from mamoru.profile import ProfileError, build_profile, encode

    where = f"{file}: guest '{e.name}'"
    try:
        guest_assets.check_arm64_image(e.kernel)
    except guest_assets.GuestAssetError:
        raise GuestFileError(f"{where}: kernel {e.kernel} is not an arm64 Image (no 'ARM\\x64' "
                             "magic at 0x38; a compressed vmlinuz or a zImage will not boot)"
                             ) from None
    kernel = e.kernel.read_bytes()
    if e.initrd is not None:
        initrd = e.initrd.read_bytes()
        _check_initrd(where, initrd, e.initrd)
    else:
        initrd = guest_assets.initramfs_bytes(guest_assets.default_init_script())
    need = _image_size(kernel) + len(initrd) + DTB_AREA
    if need > e.ram:
        raise GuestFileError(f"{where}: kernel ({_mib(_image_size(kernel))}), initrd "
                             f"({_mib(len(initrd))}) and device tree ({_mib(DTB_AREA)}) do not "
                             f"fit in ram {_mib(e.ram)}")
    profile = None
    if e.system_map is not None or e.vmlinux is not None:
        try:
            if e.vmlinux is not None:
                result = build_profile(e.vmlinux, None, e.config)
            else:
                result = build_profile(e.kernel, e.system_map, e.config)
        except ProfileError as err:
            raise GuestFileError(f"{where}: no profile: {err}") from None
        banner = result.profile.get("str.banner")
        if e.vmlinux is not None and (not isinstance(banner, str)
                                      or banner.encode() not in kernel):
            raise GuestFileError(f"{where}: vmlinux {e.vmlinux} does not match kernel "
                                 f"{e.kernel} (its linux_banner is not in the Image)")
        profile = encode(result.profile)
    return GuestSpec(e.platform, e.kernel, initrd, profile, _integrity(e))


def _integrity(e: GuestEntry) -> bytes | None:
    """The kernel's integrity manifest (needs the System.map); None when the tool cannot
    describe this kernel (ids check then notes that integrity is not checked)."""
    from mamoru.integrity import manifest_from_files
    from mamoru.profile import ProfileError

    if e.system_map is None:
        return None
    try:
        return manifest_from_files(e.kernel, e.system_map)
    except ProfileError:
        return None


def make_specs(file: Path, entries: list[GuestEntry] | None = None) -> list[GuestSpec]:
    """Every guest of the file, ready for bundle.write_bundle."""
    return [make_spec(e, file) for e in (entries if entries is not None else load(file))]


def check_board(file: Path, board: str, ram: int, bundle_size: int) -> None:
    """Raises GuestFileError unless the guests' RAM (in all), the bundle and the hypervisor
    fit the board's memory."""
    total = BOARDS[board].ram
    if ram + bundle_size + HYPERVISOR_RESERVE > total:
        raise GuestFileError(
            f"{file}: the guests' RAM ({_mib(ram)}), the bundle ({_mib(bundle_size)}) and the "
            f"hypervisor ({_mib(HYPERVISOR_RESERVE)}) do not fit in {board}'s {_mib(total)}")


def inputs(file: Path, entries: list[GuestEntry]) -> list[Path]:
    """What a bundle made from the file depends on (for staleness checks)."""
    return [file, *(p for e in entries for p in e.inputs())]
