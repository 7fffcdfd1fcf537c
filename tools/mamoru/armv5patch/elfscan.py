# SPDX-License-Identifier: GPL-2.0-only
"""ELF32 ARM reading for the patcher, on pyelftools: executable sections, their regions by
mapping symbol ($a ARM code, $t Thumb code, $d data), relocation targets of a relocatable
object, and the raw Image layout (`objcopy -O binary`: allocated sections with contents,
placed by load address from the lowest one, gaps zero)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

EM_ARM = "EM_ARM"
MAX_IMAGE = 256 << 20  # versatilepb RAM; a larger span is a corrupt file


class PatchError(Exception):
    """A clear, user-facing refusal (bad input, unsafe patch)."""


@dataclass
class Region:
    kind: str   # "a", "t" or "d"; "unmapped" before the first mapping symbol
    start: int  # offset in the section
    end: int


@dataclass
class ExecSection:
    index: int
    name: str
    addr: int        # sh_addr (0 in a relocatable object)
    offset: int      # sh_offset in the file
    size: int
    regions: list[Region] = field(default_factory=list)
    reloc_targets: set[int] = field(default_factory=set)  # section offsets of relocated words


@dataclass
class LoadChunk:
    lma: int
    offset: int  # file offset
    size: int


@dataclass
class ElfInfo:
    relocatable: bool
    sections: list[ExecSection]
    image: list[LoadChunk]


def _mapping_kind(name: str) -> str | None:
    for k in ("a", "t", "d"):
        if name == f"${k}" or name.startswith(f"${k}."):
            return k
    return None


def _regions(size: int, marks: list[tuple[int, str]]) -> list[Region]:
    marks = sorted(set(marks))
    out: list[Region] = []
    first = marks[0][0] if marks else size
    if first > 0:
        out.append(Region("unmapped", 0, min(first, size)))
    for i, (start, kind) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else size
        if end > start and start < size:
            out.append(Region(kind, start, min(end, size)))
    return out


def _lma(elf: ELFFile, sec_addr: int, sec_off: int, size: int) -> int:
    for seg in elf.iter_segments():
        if seg["p_type"] != "PT_LOAD":
            continue
        if seg["p_offset"] <= sec_off and sec_off + size <= seg["p_offset"] + seg["p_filesz"]:
            return seg["p_paddr"] + (sec_off - seg["p_offset"])
    return sec_addr


def read(data: bytes) -> ElfInfo:
    try:
        return _read(ELFFile(io.BytesIO(data)), len(data))
    except PatchError:
        raise
    except (ELFError, ValueError, KeyError, IndexError, AssertionError, UnicodeDecodeError) as e:
        raise PatchError(f"not a readable ELF file ({type(e).__name__}: {e})") from None
    except Exception as e:  # pyelftools raises construct's errors on truncated input
        raise PatchError(f"not a readable ELF file ({type(e).__name__}: {e})") from None


def _read(elf: ELFFile, file_size: int) -> ElfInfo:
    if elf.elfclass != 32 or elf["e_machine"] != EM_ARM:
        raise PatchError(f"not a 32-bit ARM ELF file (class {elf.elfclass}, "
                         f"machine {elf['e_machine']})")
    if not elf.little_endian:
        raise PatchError("big-endian ARM ELF is not supported")
    etype = elf["e_type"]
    if etype not in ("ET_EXEC", "ET_REL"):
        raise PatchError(f"ELF type {etype}: expected a vmlinux (ET_EXEC) or a module (ET_REL)")
    relocatable = etype == "ET_REL"
    sections: dict[int, ExecSection] = {}
    image: list[LoadChunk] = []
    for i, sec in enumerate(elf.iter_sections()):
        flags = sec["sh_flags"]
        has_bits = sec["sh_type"] != "SHT_NOBITS" and sec["sh_size"] > 0
        if has_bits and sec["sh_offset"] + sec["sh_size"] > file_size:
            raise PatchError(f"section {sec.name or i} runs past the end of the file "
                             "(truncated?)")
        if flags & SH_FLAGS.SHF_EXECINSTR and has_bits:
            # A module's `.plt`/`.init.plt` are 1-byte placeholders (arch/arm's module.lds:
            # the loader sizes them); only whole words in `$a` regions are ever read.
            if sec["sh_size"] % 4 and not relocatable:
                raise PatchError(f"executable section {sec.name} size {sec['sh_size']:#x} "
                                 "is not a multiple of 4")
            sections[i] = ExecSection(i, sec.name, sec["sh_addr"], sec["sh_offset"],
                                      sec["sh_size"])
        if not relocatable and flags & SH_FLAGS.SHF_ALLOC and has_bits:
            image.append(LoadChunk(_lma(elf, sec["sh_addr"], sec["sh_offset"], sec["sh_size"]),
                                   sec["sh_offset"], sec["sh_size"]))
    marks: dict[int, list[tuple[int, str]]] = {i: [] for i in sections}
    symtabs = [s for s in elf.iter_sections() if isinstance(s, SymbolTableSection)
               and s["sh_type"] == "SHT_SYMTAB"]
    if sections and not symtabs:
        raise PatchError("no symbol table: the mapping symbols ($a/$d) are needed to tell "
                         "code from data (was the file stripped?)")
    for tab in symtabs:
        for sym in tab.iter_symbols():
            k = _mapping_kind(sym.name)
            shndx = sym["st_shndx"]
            if k is None or not isinstance(shndx, int) or shndx not in sections:
                continue
            sec = sections[shndx]
            off = sym["st_value"] - (0 if relocatable else sec.addr)
            if not 0 <= off <= sec.size:
                raise PatchError(f"mapping symbol {sym.name} at {sym['st_value']:#x} lies "
                                 f"outside section {sec.name}")
            marks[shndx].append((off, k))
    for i, sec in sections.items():
        sec.regions = _regions(sec.size, marks[i])
    if relocatable:
        for rs in elf.iter_sections():
            if rs["sh_type"] not in ("SHT_REL", "SHT_RELA") or rs["sh_info"] not in sections:
                continue
            target = sections[rs["sh_info"]]
            for rel in rs.iter_relocations():
                target.reloc_targets.add(rel["r_offset"])
    return ElfInfo(relocatable, sorted(sections.values(), key=lambda s: s.index), image)


def build_image(data: bytes, chunks: list[LoadChunk]) -> bytes:
    if not chunks:
        raise PatchError("no loadable contents")
    base = min(c.lma for c in chunks)
    end = max(c.lma + c.size for c in chunks)
    if end - base > MAX_IMAGE:
        raise PatchError(f"the loadable sections span {end - base:#x} bytes "
                         f"({base:#x}..{end:#x}): not a kernel image")
    out = bytearray(end - base)
    for c in chunks:
        out[c.lma - base:c.lma - base + c.size] = data[c.offset:c.offset + c.size]
    return bytes(out)
