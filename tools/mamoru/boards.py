# SPDX-License-Identifier: GPL-2.0-only
"""The boards Mamoru builds for, and the configurations the tests boot them in.

The one reader of the board descriptions: every board is a folder boards/<vendor>/<board>/
with board.toml (the facts below), Kconfig.board (its entry in Kconfig's board choice),
<board>_defconfig, its C data and SConscript; boards/boards.toml names the default board and
the CPU architectures. SConstruct imports this module too, so the build and the tools see
the same boards. Only the standard library: SConstruct runs it before anything is installed
beyond SCons and kconfiglib. docs/boards.md describes the format.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

UartName = Literal["pl011", "mini", "both"]
UART_NAMES: tuple[str, ...] = ("pl011", "mini")     # what a board's UART can be called
# The default guests a board (or its architecture) can name; mamoru.bundle makes each:
# "debian-cloud": Debian's arm64 cloud kernel on the virt-like guest platform (any arm64
# board); "debian-generic": Debian's generic arm64 kernel there, which has the Raspberry
# Pi's drivers (SD host, USB); "versatile": the patched ARMv5 versatile kernel on the
# Versatile PB guest tree.
DEFAULT_GUESTS: tuple[str, ...] = ("debian-cloud", "debian-generic", "versatile")

ROOT = Path(__file__).resolve().parents[2]
BOARDS_DIR = ROOT / "boards"
DESCRIPTION = "board.toml"
KCONFIG = "Kconfig.board"


class BoardError(ValueError):
    """A board description is missing a fact or has a wrong one; str() names the file."""


@dataclass(frozen=True)
class Arch:
    """A CPU architecture boards can have (boards/boards.toml, [arch.<name>])."""

    name: str               # "arm64", "arm32" (ARMv5)
    kconfig: str            # the Kconfig symbol a board of this architecture selects
    cross_compile: str      # the cross toolchain's prefix
    qemu: str               # the QEMU system emulator binary
    image: str              # the format of mamoru.img
    default_guest: str | None = None    # a board's default guest unless it names its own


@dataclass(frozen=True)
class SdCard:
    """How the board boots from an SD card (board.toml, [sdcard])."""

    firmware: tuple[str, ...]   # firmware files, in boot order
    section: str                # config.txt conditional filter: [pi3] / [pi4]
    core_freq: int              # MHz: the VPU clock the mini UART's baud rate comes from
    partition_size: int         # bytes of the FAT32 boot partition


@dataclass(frozen=True)
class QemuConfig:
    """One way the tests run a board under QEMU (board.toml, [[qemu.configs]])."""

    id: str
    gic: int | None = None      # GIC version (gic-version=N), for machines that have a choice
    default: bool = False


@dataclass(frozen=True)
class Board:
    """One board folder's board.toml."""

    name: str                 # build name: build/<name>/, scons board=<name>
    title: str                # what the hypervisor prints as the board name
    vendor: str
    arch: Arch
    kconfig: str              # Kconfig symbol of its entry in the board choice
    folder: Path              # boards/<vendor>/<name>
    ram: int                  # bytes of RAM (the QEMU model's) that the guests share
    machine: str              # QEMU -M
    dtb: str | None           # DTB file in the cache; None: QEMU generates one (or dts)
    dts: Path | None          # device-tree source in the folder, built to build/<name>/<stem>.dtb
    guests: bool              # the hypervisor runs guests here (guest bundle, guest/IDS tests)
    default_guest: str | None  # what its default bundle holds (DEFAULT_GUESTS), None: none
    poweroff: bool            # the board can power off (QEMU exits on `poweroff`)
    uarts: tuple[str, ...]    # the UARTs as QEMU numbers them: serial0, serial1, ...
    default_uart: UartName    # the console the board's DTB (stdout-path) picks
    qemu_options: tuple[str, ...]         # more QEMU arguments
    el2_property: str | None              # -M property that starts the image at EL2
    qemu_configs: tuple[QemuConfig, ...]
    sdcard: SdCard | None                 # None: the board boots no SD card
    # QEMU -device values (without netdev=/drive=) of the demo's network card and disk
    # ([qemu] net_device, disk_device); None: QEMU gives the board none
    net_device: str | None = None
    disk_device: str | None = None
    # Host device-tree paths of the devices the default guest owns (board.toml
    # default_passthrough); None: the hypervisor's own default for the board (board_desc)
    default_passthrough: tuple[str, ...] | None = None
    # Its cores (board.toml cpus; QEMU gives it as many): the default guest gets a vCPU on
    # each, up to the hypervisor's 4 (docs/smp.md)
    cpus: int = 1
    # RAM banks (base, size in bytes) QEMU backs but leaves out of the board's DTB, added
    # to the copy QEMU gets ([qemu] dtb_memory; mamoru.qemu_dtb)
    dtb_memory: tuple[tuple[int, int], ...] = ()

    @property
    def defconfig(self) -> Path:
        return self.folder / f"{self.name}_defconfig"

    @property
    def built_dtb(self) -> Path | None:
        """The DTB the build writes from dts (build/<name>/<stem>.dtb), or None."""
        return ROOT / "build" / self.name / f"{self.dts.stem}.dtb" if self.dts else None

    @property
    def source_dir(self) -> str:
        """The folder relative to the repository (what SConstruct builds)."""
        return _where(self.folder)


# -- reading the descriptions -------------------------------------------------------------


def _load(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise BoardError(f"{path}: {e}") from None


def _get(table: dict[str, Any], key: str, kind: type, where: str, default: Any = ...) -> Any:
    if key not in table:
        if default is ...:
            raise BoardError(f"{where}: no {key!r}")
        return default
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BoardError(f"{where}: {key!r} must be of type {kind.__name__}, not {value!r}")
    return value


def _strings(table: dict[str, Any], key: str, where: str,
             default: tuple[str, ...] | None = None) -> tuple[str, ...]:
    value = _get(table, key, list, where, None if default is not None else ...)
    if value is None:
        return cast(tuple[str, ...], default)
    if not all(isinstance(v, str) for v in value):
        raise BoardError(f"{where}: {key!r} must be a list of strings")
    return tuple(value)


def _arches(common: dict[str, Any], where: str) -> dict[str, Arch]:
    arches = {}
    for name, t in _get(common, "arch", dict, where).items():
        w = f"{where} [arch.{name}]"
        arches[name] = Arch(name, _get(t, "kconfig", str, w), _get(t, "cross_compile", str, w),
                            _get(t, "qemu", str, w), _get(t, "image", str, w),
                            _guest_kind(t, w))
    return arches


def _cpus(t: dict[str, Any], where: str) -> int:
    n = _get(t, "cpus", int, where, 1)
    if n < 1:
        raise BoardError(f"{where}: cpus must be 1 or more, not {n}")
    return n


def _guest_kind(table: dict[str, Any], where: str, default: str | None = None) -> str | None:
    kind = _get(table, "default_guest", str, where, default)
    if kind is not None and kind not in DEFAULT_GUESTS:
        raise BoardError(f"{where}: default_guest {kind!r} is not one of "
                         f"{', '.join(DEFAULT_GUESTS)}")
    return cast(str | None, kind)


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _board(path: Path, root: Path, arches: dict[str, Arch]) -> Board:
    t = _load(path)
    where = _where(path)
    name = _get(t, "name", str, where)
    vendor = _get(t, "vendor", str, where)
    if path.parent != root / vendor / name:
        raise BoardError(f"{where}: board {name!r} of vendor {vendor!r} belongs in "
                         f"boards/{vendor}/{name}/")
    arch_name = _get(t, "arch", str, where)
    if arch_name not in arches:
        raise BoardError(f"{where}: arch {arch_name!r} is not in boards/boards.toml "
                         f"({', '.join(arches)})")
    q = _get(t, "qemu", dict, where)
    qw = f"{where} [qemu]"
    uarts = _strings(q, "uarts", qw)
    bad = [u for u in uarts if u not in UART_NAMES]
    console = _get(q, "console", str, qw)
    if bad or not uarts or console not in uarts:
        raise BoardError(f"{qw}: uarts must be some of {', '.join(UART_NAMES)} and console "
                         "one of them")
    configs = []
    for i, c in enumerate(_get(q, "configs", list, qw)):
        cw = f"{where} [[qemu.configs]] #{i + 1}"
        if not isinstance(c, dict):
            raise BoardError(f"{cw}: not a table")
        configs.append(QemuConfig(_get(c, "id", str, cw), _get(c, "gic", int, cw, None),
                                  _get(c, "default", bool, cw, False)))
    if not configs or sum(c.default for c in configs) > 1:
        raise BoardError(f"{qw}: needs at least one [[qemu.configs]], at most one default")
    card = None
    if "sdcard" in t:
        s = _get(t, "sdcard", dict, where)
        sw = f"{where} [sdcard]"
        if _get(q, "dtb", str, qw, None) is None:
            raise BoardError(f"{sw}: an SD card needs the board's dtb")
        card = SdCard(_strings(s, "firmware", sw), _get(s, "section", str, sw),
                      _get(s, "core_freq", int, sw), _get(s, "partition_mib", int, sw) << 20)
    guests = _get(t, "guests", bool, where, True)
    default_guest = _guest_kind(t, where, arches[arch_name].default_guest)
    if guests and default_guest is None:
        raise BoardError(f"{where}: a board with guests needs a default_guest (here or in its "
                         f"[arch.{arch_name}] of boards/boards.toml)")
    dtb = _get(q, "dtb", str, qw, None)
    dts = _get(q, "dts", str, qw, None)
    if dts is not None and (dtb is not None or not (path.parent / dts).is_file()):
        raise BoardError(f"{qw}: dts {dts!r} must be a file in the board's folder, "
                         "and not given with dtb")
    return Board(
        name=name,
        title=_get(t, "title", str, where),
        machine=_get(q, "machine", str, qw),
        dtb=dtb,
        dts=path.parent / dts if dts else None,
        guests=guests,
        default_guest=default_guest,
        poweroff=_get(t, "poweroff", bool, where, True),
        default_uart=cast(UartName, console),
        ram=_get(t, "ram_mib", int, where) << 20,
        vendor=vendor,
        arch=arches[arch_name],
        kconfig=_get(t, "kconfig", str, where),
        folder=path.parent,
        uarts=uarts,
        qemu_options=_strings(q, "options", qw, ()),
        el2_property=_get(q, "el2_property", str, qw, None),
        qemu_configs=tuple(configs),
        sdcard=card,
        default_passthrough=(_strings(t, "default_passthrough", where)
                             if "default_passthrough" in t else None),
        net_device=_get(q, "net_device", str, qw, None),
        disk_device=_get(q, "disk_device", str, qw, None),
        cpus=_cpus(t, where),
        dtb_memory=_banks(q, qw),
    )


def _banks(q: dict[str, Any], where: str) -> tuple[tuple[int, int], ...]:
    banks = _get(q, "dtb_memory", list, where, [])
    if banks and _get(q, "dtb", str, where, None) is None:
        raise BoardError(f"{where}: dtb_memory needs the board's dtb")
    out = []
    for b in banks:
        if (not isinstance(b, list) or len(b) != 2 or
                not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in b)
                or b[1] == 0 or b[0] % 4096 or b[1] % 4096):
            raise BoardError(f"{where}: dtb_memory entries must be [base, size], page-aligned "
                             f"byte counts, size > 0: {b!r}")
        out.append((b[0], b[1]))
    return tuple(out)


def load_boards(root: Path = BOARDS_DIR) -> tuple[dict[str, Board], str, dict[str, Arch]]:
    """(boards by name, the default board's name, architectures) from root/*/*/board.toml
    and root/boards.toml."""
    where = _where(root / "boards.toml")
    common = _load(root / "boards.toml")
    arches = _arches(common, where)
    boards: dict[str, Board] = {}
    for path in sorted(root.glob(f"*/*/{DESCRIPTION}")):
        b = _board(path, root, arches)
        if b.name in boards:
            raise BoardError(f"{path}: a second board named {b.name!r}")
        boards[b.name] = b
    default = _get(common, "default", str, where)
    if default not in boards:
        raise BoardError(f"{where}: the default board {default!r} has no folder")
    return boards, default, arches


BOARDS, DEFAULT_BOARD, ARCHES = load_boards()

DTB_FILES: tuple[str, ...] = tuple(b.dtb for b in BOARDS.values() if b.dtb)


def board_names() -> list[str]:
    return list(BOARDS)


# -- QEMU configurations ------------------------------------------------------------------


@dataclass(frozen=True)
class BoardConfig:
    """A board plus how QEMU runs it: the unit tests are parametrized over."""

    id: str
    board: Board
    gic: int | None = None            # machines with a GIC choice (virt): 2 or 3
    console_uart: UartName | None = None  # None: the board's default

    @property
    def uart(self) -> UartName:
        return self.console_uart or self.board.default_uart


CONFIGS: tuple[BoardConfig, ...] = tuple(
    BoardConfig(c.id, b, gic=c.gic) for b in BOARDS.values() for c in b.qemu_configs
)


def config_for(board: str, gic: int | None = None) -> BoardConfig:
    """The standard configuration of a board (its default one unless gic picks another)."""
    mine = [c for c in CONFIGS if c.board.name == board]
    if not mine:
        raise ValueError(f"unknown board {board!r}")
    if gic is not None:
        found = next((c for c in mine if c.gic == gic), None)
        if found is None:
            raise ValueError(f"board {board!r} has no GICv{gic} configuration")
        return found
    marked = {q.id for q in BOARDS[board].qemu_configs if q.default}
    return next((c for c in mine if c.id in marked), mine[0])


def select_configs(names: list[str] | None) -> list[BoardConfig]:
    """Configs matching names like 'virt' (both GICs), 'virt-gicv2', 'rpi4'; all if empty."""
    if not names:
        return list(CONFIGS)
    chosen = [c for c in CONFIGS if c.id in names or c.board.name in names]
    unknown = [n for n in names if not any(n in (c.id, c.board.name) for c in CONFIGS)]
    if unknown:
        raise ValueError(f"unknown board {', '.join(unknown)}")
    return chosen


def gic_versions(board: str) -> tuple[int, ...]:
    """The GIC versions a board's configurations choose from (empty: no choice)."""
    return tuple(c.gic for c in CONFIGS if c.board.name == board and c.gic is not None)


def guest_boards() -> list[str]:
    """The boards whose hypervisor runs guests (board.toml guests, default true)."""
    return [b.name for b in BOARDS.values() if b.guests]


def sd_boards() -> list[str]:
    """The boards that boot from an SD card."""
    return [b.name for b in BOARDS.values() if b.sdcard is not None]
