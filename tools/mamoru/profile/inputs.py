# SPDX-License-Identifier: GPL-2.0-only
"""Reading the two kinds of kernel input: a vmlinux ELF (arm64 ELF64, or 32-bit ARM ELF32), or a
raw arm64 Image + System.map.

Both end up as a `Kernel`: every symbol, the candidate text symbols, a TypeSource for struct
layouts (DWARF or BTF), a way to read bytes at a link address, the kernel's own relocations
(.rela.dyn and .relr.dyn, or __rela_start..__rela_end and __relr_start..__relr_end in the
Image, `__pi_` prefixed since 6.x) and hints for the constants.
"""

from __future__ import annotations

import gzip
import mmap
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.dwarf.dwarfinfo import DebugSectionDescriptor
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import Section

from mamoru.profile import btf
from mamoru.profile.dwarf import DwarfTypes
from mamoru.profile.errors import ProfileError
from mamoru.profile.layout import TypeSource

IMAGE_MAGIC = b"ARM\x64"
IMAGE_HEADER = struct.Struct("<IIQQQQQQI")       # code0, code1, text_offset, image_size, flags...
PAGE_SHIFTS = {1: 12, 2: 14, 3: 16}               # Image header flags bits 1-2
TEXT_TYPES = frozenset("TtWw")
EM_AARCH64 = 183
SHF_ALLOC, SHF_EXECINSTR = 0x2, 0x4
STT_NOTYPE, STT_OBJECT, STT_FUNC = 0, 1, 2
STB_GLOBAL, STB_WEAK = 1, 2
SHN_UNDEF, SHN_ABS = 0, 0xFFF1
RELA_SIZE = 24                                    # Elf64_Rela
SHT_RELR = 19                                     # packed relative relocations (gABI)
# Names of the Image's relocation bounds in System.map: up to 6.x, and with the `__pi_`
# prefix (the early boot code's namespace) in newer kernels such as 6.12.
RELA_BOUNDS = (("__rela_start", "__rela_end"), ("__pi_rela_start", "__pi_rela_end"))
RELR_BOUNDS = (("__relr_start", "__relr_end"), ("__pi_relr_start", "__pi_relr_end"))
ZIMAGE_MAGIC = 0x016F2818                         # 32-bit ARM zImage, u32 at offset 0x24


@dataclass
class Symbol:
    addr: int
    type: str          # System.map letter (T, t, D, ...); for ELF symbols derived likewise
    size: int | None = None    # ELF st_size (None from a System.map)


@dataclass
class Kernel:
    path: Path
    kind: str                                  # "image" or "elf"
    symbols: dict[str, Symbol]
    text_candidates: list[tuple[int, str, str]]   # (address, name, type letter) in file order
    types: TypeSource
    read: Callable[[int, int], bytes | None]   # bytes at a link address, None if not in file
    type_source: str                           # "BTF" or "DWARF"
    text_offset: int | None = None             # Image header text_offset (None for ELF)
    page_shift_hint: int | None = None         # from the Image header or _kernel_flags_le_lo32
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    # Addresses of all non-absolute symbols, duplicates and locals included (unsorted).
    addresses: list[int] = field(default_factory=list)
    # The Elf64_Rela entries the kernel applies to itself at boot; raises ProfileError
    # saying why when they cannot be found.
    relocations: Callable[[], bytes] | None = None
    # The kernel's RELR table (packed relative relocations; empty without CONFIG_RELR).
    relr: Callable[[], bytes] | None = None
    arch: str = "arm64"                        # "arm64", or "arm" (32-bit ARM, a vmlinux)
    ptr_size: int = 8                          # the kernel's pointer size in bytes

    def addr(self, name: str) -> int | None:
        s = self.symbols.get(name)
        return None if s is None else s.addr

    def next_symbol(self, addr: int) -> int | None:
        """The lowest symbol address above addr."""
        return min((a for a in self.addresses if a > addr), default=None)


def _page_shift_from_flags(flags: int) -> int | None:
    return PAGE_SHIFTS.get((flags >> 1) & 3)


# -- System.map and .config ---------------------------------------------------------------


def _rank(t: str) -> int:
    """Preference among same-named symbols: global beats local beats absolute."""
    if t.isupper() and t not in "AU":
        return 0
    return 1 if t != "A" else 2


def parse_system_map(path: Path
                     ) -> tuple[dict[str, Symbol], list[tuple[int, str, str]], list[int]]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ProfileError(f"cannot read System.map {path}: {e.strerror}") from None
    if b"The real System.map is in" in raw[:512] or len(raw) < 1024:
        raise ProfileError(
            f"{path} is a placeholder ({len(raw)} bytes), not a symbol table: use the System.map "
            "from the matching linux-image-<version>-dbg package (or --system-map)")
    symbols: dict[str, Symbol] = {}
    text: list[tuple[int, str, str]] = []
    addresses: list[int] = []
    for n, line in enumerate(raw.decode("ascii", "replace").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 3 or len(parts[1]) != 1:
            raise ProfileError(f"{path}:{n}: not a System.map line: {line[:80]!r}")
        try:
            addr = int(parts[0], 16)
        except ValueError:
            raise ProfileError(f"{path}:{n}: bad address {parts[0][:40]!r}") from None
        t, name = parts[1], parts[2]
        old = symbols.get(name)
        if old is None or _rank(t) < _rank(old.type):
            symbols[name] = Symbol(addr, t)
        if t in TEXT_TYPES:
            text.append((addr, name, t))
        if t not in "aA":
            addresses.append(addr)
    if len(symbols) < 100:
        raise ProfileError(f"{path}: only {len(symbols)} symbols; not a kernel System.map")
    return symbols, text, addresses


def parse_config(path: Path) -> dict[str, str]:
    """CONFIG_* values from a kernel .config ('n' for '# CONFIG_X is not set')."""
    try:
        text = path.read_text(errors="replace")
    except OSError as e:
        raise ProfileError(f"cannot read kernel config {path}: {e.strerror}") from None
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("CONFIG_") and "=" in line:
            k, v = line.split("=", 1)
            out[k[7:]] = v.strip('"')
        elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
            out[line[9:-11]] = "n"
    if not out:
        raise ProfileError(f"{path}: no CONFIG_ lines; not a kernel configuration")
    return out


# -- raw arm64 Image ----------------------------------------------------------------------


def is_image(head: bytes) -> bool:
    return len(head) >= 64 and head[56:60] == IMAGE_MAGIC


def load_image(path: Path, data: bytes, system_map: Path) -> Kernel:
    t0 = time.perf_counter()
    notes = []
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise ProfileError(f"{path}: gzip data is corrupt: {e}") from None
        notes.append("Image was gzip-compressed")
    if not is_image(data):
        raise ProfileError(f"{path}: not an arm64 Image (no 'ARM\\x64' magic at 0x38)")
    _, _, text_offset, _image_size, flags, *_ = IMAGE_HEADER.unpack_from(data)
    if flags & 1:
        raise ProfileError(f"{path}: big-endian arm64 Image is not supported")
    symbols, text, addresses = parse_system_map(system_map)
    t1 = time.perf_counter()
    base = symbols.get("_text")
    if base is None:
        raise ProfileError(f"{system_map}: no _text symbol")
    text_base = base.addr

    def read(addr: int, n: int) -> bytes | None:
        off = addr - text_base
        if off < 0 or off >= len(data):
            return None
        return data[off:off + n]

    # The banner proves that the map belongs to this Image.
    banner = symbols.get("linux_banner")
    if banner is not None:
        b = read(banner.addr, 14)
        if b != b"Linux version ":
            raise ProfileError(
                f"{system_map} does not match {path}: no 'Linux version' at linux_banner "
                f"(file offset {banner.addr - text_base:#x})")
    blob_at = None
    start, stop = symbols.get("__start_BTF"), symbols.get("__stop_BTF")
    if start is not None and stop is not None:
        at = start.addr - text_base
        h = btf.parse_header(data, at)
        if h is not None and at + h.total <= stop.addr - text_base + 8:
            blob_at = at
        else:
            notes.append("no valid BTF header at __start_BTF; scanning the Image")
    if blob_at is None:
        found = btf.find_blobs(data, limit=1)
        if not found:
            raise ProfileError(f"{path}: no BTF found in the Image (CONFIG_DEBUG_INFO_BTF off?)")
        blob_at = found[0][0]
    types = btf.Btf(data, blob_at)
    t2 = time.perf_counter()
    notes.append(f"BTF at file offset {blob_at:#x}: {len(types)} types, "
                 f"{types.header.total} bytes")

    def bounded(pairs: tuple[tuple[str, str], ...], what: str) -> bytes | None:
        """The bytes between the first pair of symbols System.map has; None without any."""
        for lo_name, hi_name in pairs:
            lo, hi = symbols.get(lo_name), symbols.get(hi_name)
            if lo is None or hi is None:
                continue
            raw = read(lo.addr, hi.addr - lo.addr) if lo.addr <= hi.addr else None
            if raw is None or len(raw) != hi.addr - lo.addr:
                raise ProfileError(f"{path}: {lo_name}..{hi_name} ({lo.addr:#x}..{hi.addr:#x}) "
                                   f"is not inside the Image ({what})")
            return raw
        return None

    def relocations() -> bytes:
        raw = bounded(RELA_BOUNDS, "relocations")
        if raw is None:
            raise ProfileError(f"{system_map} has neither __rela_start/__rela_end nor "
                               "__pi_rela_start/__pi_rela_end: cannot find the Image's "
                               "relocations")
        return raw

    def relr() -> bytes:
        return bounded(RELR_BOUNDS, "RELR relocations") or b""

    return Kernel(path, "image", symbols, text, types, read, "BTF", text_offset,
                  _page_shift_from_flags(flags), notes,
                  {"system_map": t1 - t0, "btf": t2 - t1}, addresses, relocations, relr)


# -- vmlinux ELF --------------------------------------------------------------------------


def _symtab_entries(raw: bytes, elfclass: int) -> list[tuple[int, int, int, int, int]]:
    """(st_name, st_info, st_shndx, st_value, st_size) of every Elf64_Sym or Elf32_Sym."""
    if elfclass == 64:
        return [(n, i, x, v, z) for n, i, _o, x, v, z in struct.iter_unpack("<IBBHQQ", raw)]
    return [(n, i, x, v, z) for n, v, z, i, _o, x in struct.iter_unpack("<IIIBBH", raw)]


def _elf_symbols(elf: ELFFile
                 ) -> tuple[dict[str, Symbol], list[tuple[int, str, str]], list[int]]:
    symtab = elf.get_section_by_name(".symtab")
    if symtab is None:
        raise ProfileError("vmlinux has no .symtab (stripped?)")
    strtab = elf.get_section(symtab["sh_link"]).data()
    raw = symtab.data()
    entsize = 24 if elf.elfclass == 64 else 16
    if symtab["sh_entsize"] != entsize or len(raw) % entsize:
        raise ProfileError("vmlinux .symtab has an unexpected entry size")
    sections = [(s["sh_flags"], s["sh_type"]) for s in elf.iter_sections()]
    symbols: dict[str, Symbol] = {}
    text: list[tuple[int, str, str]] = []
    addresses: list[int] = []
    for st_name, info, shndx, value, size in _symtab_entries(raw, elf.elfclass):
        if st_name == 0 or shndx == SHN_UNDEF:
            continue
        end = strtab.find(b"\0", st_name)
        name = strtab[st_name:end].decode("ascii", "replace")
        if name.startswith("$") or not name:
            continue
        typ, bind = info & 0xF, info >> 4
        if typ not in (STT_NOTYPE, STT_OBJECT, STT_FUNC):
            continue
        if shndx == SHN_ABS:
            letter = "A"
        elif shndx < len(sections):
            flags, sh_type = sections[shndx]
            if flags & SHF_EXECINSTR:
                letter = "T"
            elif sh_type == "SHT_NOBITS":
                letter = "B"
            else:
                letter = "D"
        else:
            continue
        if bind == STB_WEAK:
            letter = "W" if letter == "T" else "V"
        elif bind != STB_GLOBAL:
            letter = letter.lower()
        old = symbols.get(name)
        if old is None or _rank(letter) < _rank(old.type):
            symbols[name] = Symbol(value, letter, size)
        if letter in TEXT_TYPES:
            text.append((value, name, letter))
        if letter != "A":
            addresses.append(value)
    return symbols, text, addresses


class _Window:
    """A read-only file-like view of one section of a memory-mapped file."""

    def __init__(self, mm: mmap.mmap, base: int, size: int) -> None:
        self.mm, self.base, self.size, self.pos = mm, base, size, 0

    def seek(self, pos: int, whence: int = 0) -> int:
        self.pos = pos if whence == 0 else self.pos + pos if whence == 1 else self.size + pos
        return self.pos

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        start = min(max(self.pos, 0), self.size)
        end = self.size if n < 0 else min(start + n, self.size)
        self.pos = end
        return self.mm[self.base + start:self.base + end]


class _MappedELFFile(ELFFile):
    """pyelftools reads each DWARF section into memory (~250 MB for Debian's vmlinux);
    this serves the uncompressed ones straight from a memory map instead."""

    def __init__(self, stream: object, mm: mmap.mmap | None) -> None:
        super().__init__(stream)
        self._mm = mm

    def _read_dwarf_section(self, section: Section, relocate_dwarf_sections: bool
                            ) -> DebugSectionDescriptor:
        if (self._mm is None or section.compressed or self.has_phantom_bytes()
                or section["sh_type"] == "SHT_NOBITS"
                or section["sh_offset"] + section.data_size > len(self._mm)):
            return super()._read_dwarf_section(section, relocate_dwarf_sections)
        return DebugSectionDescriptor(
            stream=_Window(self._mm, section["sh_offset"], section.data_size),
            name=section.name, global_offset=section["sh_offset"], size=section.data_size,
            address=section["sh_addr"])


def load_elf(path: Path, f: object) -> Kernel:
    t0 = time.perf_counter()
    try:
        mm: mmap.mmap | None = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # type: ignore[attr-defined]
    except (OSError, ValueError):
        mm = None
    try:
        elf = _MappedELFFile(f, mm)
    except ELFError as e:
        raise ProfileError(f"{path}: bad ELF file: {e}") from None
    machine = (elf.elfclass, elf["e_machine"])
    if machine not in ((64, "EM_AARCH64"), (32, "EM_ARM")) or not elf.little_endian:
        raise ProfileError(f"{path}: not a little-endian AArch64 ELF (ELF64) or 32-bit ARM ELF "
                           f"(ELF32) but a {elf.elfclass}-bit {elf['e_machine']} ELF "
                           f"({'little' if elf.little_endian else 'big'}-endian)")
    arch = "arm64" if elf.elfclass == 64 else "arm"
    symbols, text, addresses = _elf_symbols(elf)
    t1 = time.perf_counter()
    loaded = [(s["sh_addr"], s["sh_size"], s) for s in elf.iter_sections()
              if s["sh_flags"] & SHF_ALLOC and s["sh_type"] == "SHT_PROGBITS" and s["sh_size"]]

    def read(addr: int, n: int) -> bytes | None:
        for base, size, sec in loaded:
            if base <= addr < base + size:
                stream = elf.stream
                stream.seek(sec["sh_offset"] + addr - base)
                return stream.read(min(n, base + size - addr))
        return None

    notes: list[str] = []
    flags = symbols.get("_kernel_flags_le_lo32")
    page_shift = _page_shift_from_flags(flags.addr) if flags is not None else None
    types: TypeSource
    if elf.has_dwarf_info() and elf.get_section_by_name(".debug_info") is not None:
        dwarf = elf.get_dwarf_info(relocate_dwarf_sections=False, follow_links=False)
        types = DwarfTypes(dwarf, lambda n: (s.addr if (s := symbols.get(n)) else None))
        source = "DWARF"
    else:
        sec = elf.get_section_by_name(".BTF")
        if sec is None:
            raise ProfileError(f"{path}: vmlinux has neither DWARF (.debug_info) nor .BTF")
        types = btf.Btf(sec.data(), 0)
        source = "BTF"
        notes.append("no DWARF in the vmlinux: using its .BTF section")
    t2 = time.perf_counter()

    def relocations() -> bytes:
        if arch == "arm":
            return b""    # not relocatable: pointer tables hold their link addresses
        sec = elf.get_section_by_name(".rela.dyn")
        if sec is None or sec["sh_type"] != "SHT_RELA":
            raise ProfileError(f"{path}: no .rela.dyn relocation section "
                               "(not a relocatable kernel?)")
        if sec["sh_entsize"] != RELA_SIZE:
            raise ProfileError(f"{path}: .rela.dyn has entry size {sec['sh_entsize']}")
        return bytes(sec.data())

    def relr() -> bytes:
        sec = elf.get_section_by_name(".relr.dyn")
        if sec is None:
            return b""
        if sec["sh_type"] not in ("SHT_RELR", SHT_RELR):
            raise ProfileError(f"{path}: .relr.dyn has type {sec['sh_type']}, not SHT_RELR")
        return bytes(sec.data())

    return Kernel(path, "elf", symbols, text, types, read, source, None, page_shift, notes,
                  {"symtab": t1 - t0, "debug_open": t2 - t1}, addresses, relocations, relr,
                  arch, elf.elfclass // 8)


def open_kernel(path: Path, system_map: Path | None) -> tuple[Kernel, object]:
    """Detects the input kind; returns the Kernel and an open file to close afterwards."""
    try:
        f = path.open("rb")
    except OSError as e:
        raise ProfileError(f"cannot open {path}: {e.strerror}") from None
    head = f.read(64)
    if head[:4] == b"\x7fELF":
        f.seek(0)
        return load_elf(path, f), f
    if is_image(head) or head[:2] == b"\x1f\x8b":
        f.seek(0)
        data = f.read()
        f.close()
        if system_map is None:
            system_map = guess_sibling(path, "System.map")
            if system_map is None:
                raise ProfileError(
                    f"{path} is a raw Image: give its System.map with --system-map")
        return load_image(path, data, system_map), None
    f.close()
    if len(head) >= 0x28 and int.from_bytes(head[0x24:0x28], "little") == ZIMAGE_MAGIC:
        raise ProfileError(f"{path} is a 32-bit ARM zImage: give its vmlinux (with DWARF) "
                           "instead; only 64-bit arm64 kernels can be read from an image")
    raise ProfileError(f"{path}: neither a vmlinux ELF nor an arm64 Image")


def guess_sibling(path: Path, prefix: str) -> Path | None:
    """System.map-<release> or config-<release> next to vmlinuz-<release>, if it exists."""
    name = path.name
    for stem in ("vmlinuz-", "vmlinux-", "Image-"):
        if name.startswith(stem):
            cand = path.with_name(f"{prefix}-{name[len(stem):]}")
            if cand.is_file():
                return cand
    return None
