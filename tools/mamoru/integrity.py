# SPDX-License-Identifier: GPL-2.0-only
"""The kernel integrity manifest: what `ids integrity` compares the guest kernel against.

The baseline is the kernel Image in the guest bundle (it comes from the host, never from guest
memory). The kernel changes its own image at boot and at run time; this manifest, computed
here from the same Image + System.map the profile is made from, lists every place where it
may do so and what it may legitimately write there (docs/integrity.md):

- ranges checked: .text (_stext.._etext, split around the exception vectors), the entry
  trampoline text, and .rodata (__start_rodata..__end_rodata minus .data..ro_after_init,
  which the kernel writes during init);
- relocation sites: the Image holds 0 in each (arm64 links with --no-apply-dynamic-relocs);
  at boot the kernel writes addend + KASLR slide;
- patch sites, each with the byte sequences it may hold besides the Image's own:
  alternatives (the replacement, re-targeted as the kernel does when it copies it),
  callback alternatives (alt_cb_patch_nops: NOPs; other callbacks: checked leniently),
  jump labels (NOP or `b target`) and ftrace's patchable entries (NOP or `mov x9, x30`
  first, NOP second; a BL there is an active ftrace hook and is reported).

Binary layout (little-endian), all offsets relative to `_text` (the Image's file offsets):

    0  magic "MAMORUIM"         8  u32 version (1)      12 u32 header size (64)
    16 u32 total size           20 u32 CRC-32 of bytes 64..total
    24 u64 link address of _text
    32 u32 Image size           36 u32 CRC-32 of the Image's first 64 KiB (or all of it)
    40 u32 nranges  44 u32 nrelocs  48 u32 nsites  52 u32 nwords  56 u32 nsyms
    60 u32 strtab size
    then: ranges  nranges x {u32 start, u32 end, u32 kind}   (kind 1 text, 2 rodata, 3 vectors)
          relocs  nrelocs x {u32 offset, u64 addend}         (12 bytes, ascending offsets)
          sites   nsites x {u32 offset, u8 length in words, u8 kind, u8 nalts, u8 0}
                  (ascending, not overlapping; kind 1 alternative, 2 jump label, 3 ftrace,
                  4 callback alternative, 5 KVM callback alternative, 6 KVM hyp relocation
                  (an 8-byte kernel address KVM rewrites to a hyp address); each site's
                  nalts allowed sequences of length words follow those of the previous
                  sites in the word pool. Implicit, not listed: a jump label may also be
                  a NOP; an ftrace site (2 words) may be NOP NOP or `mov x9, x30` NOP)
          words   nwords x u32
          syms    nsyms x {u32 offset, u32 name}            (read-only data symbols)
          strtab  NUL-terminated names
"""

from __future__ import annotations

import bisect
import itertools
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from mamoru.profile.errors import ProfileError
from mamoru.profile.syscalls import R_AARCH64_RELATIVE, relocations_in

MAGIC = b"MAMORUIM"
VERSION = 1
HEADER = struct.Struct("<8sIIIIQIIIIIIII")
assert HEADER.size == 64
HEAD_CRC_BYTES = 65536
U64 = (1 << 64) - 1

KIND_TEXT, KIND_RODATA, KIND_VECTORS = 1, 2, 3
SITE_ALT, SITE_JUMP, SITE_FTRACE, SITE_CALLBACK = 1, 2, 3, 4
SITE_KVM_CALLBACK, SITE_HYP_RELOC = 5, 6
MAX_SITE_LEN = 64
MAX_ALTS = 8
VECTORS_SIZE = 0x800

NOP = 0xD503201F
MOV_X9_X30 = 0xAA1E03E9          # orr x9, xzr, x30
ARM64_CB_BIT = 1 << 15           # struct alt_instr.cpufeature: a callback alternative
ALT_INSTR = struct.Struct("<iiHBB")
JUMP_ENTRY = struct.Struct("<iiq")
# Callbacks whose only possible outputs are the original or NOPs.
NOP_CALLBACKS = frozenset({"alt_cb_patch_nops"})
# Callbacks that patch code only KVM runs at EL2 (never in a guest whose kernel runs at EL1);
# kvm_patch_vector_branch writes movz/movk of a hyp address and a `br`.
KVM_CALLBACKS = frozenset({"kvm_patch_vector_branch", "kvm_update_va_mask",
                           "kvm_get_kimage_voffset", "kvm_compute_final_ctr_el0"})


@dataclass
class Manifest:
    text_base: int
    image_size: int
    head_crc: int
    ranges: list[tuple[int, int, int]] = field(default_factory=list)
    relocs: list[tuple[int, int]] = field(default_factory=list)
    # (offset, length, kind, [allowed word sequences besides the Image's])
    sites: list[tuple[int, int, int, list[tuple[int, ...]]]] = field(default_factory=list)
    syms: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- A64 branch re-targeting (what the kernel does when it copies a replacement) ----------------


def _sext(v: int, bits: int) -> int:
    return v - (1 << bits) if v & (1 << (bits - 1)) else v


def branch_offset(insn: int) -> tuple[int, int, int] | None:
    """(byte offset, field lsb, field width) of a PC-relative immediate branch, else None."""
    if insn & 0x7C000000 == 0x14000000:                      # B, BL
        return _sext(insn & 0x3FFFFFF, 26) * 4, 0, 26
    if insn & 0xFF000010 == 0x54000000 or insn & 0x7E000000 == 0x34000000:  # B.cond, CBZ/CBNZ
        return _sext((insn >> 5) & 0x7FFFF, 19) * 4, 5, 19
    if insn & 0x7E000000 == 0x36000000:                      # TBZ/TBNZ
        return _sext((insn >> 5) & 0x3FFF, 14) * 4, 5, 14
    return None


def _set_branch(insn: int, lsb: int, width: int, offset: int) -> int:
    imm = offset >> 2
    if offset & 3 or not -(1 << (width - 1)) <= imm < (1 << (width - 1)):
        raise ProfileError(f"re-targeted branch offset {offset:#x} does not fit")
    mask = ((1 << width) - 1) << lsb
    return (insn & ~mask & 0xFFFFFFFF) | ((imm & ((1 << width) - 1)) << lsb)


def is_adrp(insn: int) -> bool:
    return insn & 0x9F000000 == 0x90000000


def adrp_pages(insn: int) -> int:
    return _sext(((insn >> 29) & 3) | (((insn >> 5) & 0x7FFFF) << 2), 21)


def _set_adrp(insn: int, pages: int) -> int:
    if not -(1 << 20) <= pages < (1 << 20):
        raise ProfileError("re-targeted adrp does not fit")
    v = pages & 0x1FFFFF
    return (insn & 0x9F00001F) | ((v & 3) << 29) | ((v >> 2) << 5)


def moved_insn(insn: int, src: int, dst: int, repl: tuple[int, int]) -> int:
    """insn, linked at src, as it reads once copied to dst. Branches out of the replacement
    [repl[0], repl[1]] (end inclusive) keep their target; adrp keeps its page."""
    b = branch_offset(insn)
    if b is not None:
        off, lsb, width = b
        target = src + off
        if repl[0] <= target <= repl[1]:
            return insn
        return _set_branch(insn, lsb, width, target - dst)
    if is_adrp(insn):
        page = (src & ~0xFFF) + (adrp_pages(insn) << 12)
        return _set_adrp(insn, (page - (dst & ~0xFFF)) >> 12)
    return insn


# -- building -------------------------------------------------------------------------------


def _words(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // 4}I", data)


def build_manifest(image: bytes, symbols: dict[str, int], rela: bytes,
                   rodata_symbols: list[tuple[int, str]] | None = None) -> Manifest:
    """The manifest of an arm64 Image. symbols: System.map names -> link addresses; rela: the
    Image's Elf64_Rela entries (__rela_start..__rela_end)."""
    def need(name: str) -> int:
        if name not in symbols:
            raise ProfileError(f"System.map has no {name}: cannot make an integrity manifest")
        return symbols[name]

    base = need("_text")
    size = len(image)

    def off(addr: int) -> int:
        o = addr - base
        if not 0 <= o <= size:
            raise ProfileError(f"{addr:#x} is outside the Image")
        return o

    def read(addr: int, n: int) -> bytes:
        o = off(addr)
        if o + n > size:
            raise ProfileError(f"{addr:#x}+{n} is outside the Image")
        return image[o:o + n]

    m = Manifest(base, size, zlib.crc32(image[:HEAD_CRC_BYTES]))
    stext, etext, vectors = need("_stext"), need("_etext"), need("vectors")
    ro_start = symbols.get("__start_rodata", symbols.get("_srodata"))
    ro_end = symbols.get("__end_rodata", symbols.get("_erodata"))
    if ro_start is None or ro_end is None:
        raise ProfileError("System.map has no __start_rodata/__end_rodata")
    ranges = []
    if stext <= vectors and vectors + VECTORS_SIZE <= etext:
        ranges += [(stext, vectors, KIND_TEXT), (vectors, vectors + VECTORS_SIZE, KIND_VECTORS),
                   (vectors + VECTORS_SIZE, etext, KIND_TEXT)]
    else:
        ranges.append((stext, etext, KIND_TEXT))
    rai = (symbols.get("__start_ro_after_init"), symbols.get("__end_ro_after_init"))
    if rai[0] is not None and rai[1] is not None and ro_start <= rai[0] <= rai[1] <= ro_end:
        ranges += [(ro_start, rai[0], KIND_RODATA), (rai[1], ro_end, KIND_RODATA)]
        m.notes.append(f".data..ro_after_init ({rai[1] - rai[0]} bytes) is not checked: "
                       "the kernel writes it during init")
    else:
        ranges.append((ro_start, ro_end, KIND_RODATA))
    tramp = (symbols.get("__entry_tramp_text_start"), symbols.get("__entry_tramp_text_end"))
    if tramp[0] is not None and tramp[1] is not None and ro_end <= tramp[0] < tramp[1]:
        ranges.append((tramp[0], tramp[1], KIND_TEXT))
    ranges = sorted((off(lo), off(hi), k) for lo, hi, k in ranges if lo < hi)
    for (_, a_hi, _), (b_lo, _, _) in itertools.pairwise(ranges):
        if a_hi > b_lo:
            raise ProfileError("checked ranges overlap")
    m.ranges = ranges
    starts = [r[0] for r in ranges]

    def in_ranges(o: int, n: int) -> bool:
        i = bisect.bisect_right(starts, o) - 1
        return i >= 0 and ranges[i][0] <= o and o + n <= ranges[i][1]

    # Relocations: the kernel applies only R_AARCH64_RELATIVE ones to itself (others, like
    # the odd GLOB_DAT of a weak undefined symbol, stay as the Image has them).
    relocs = relocations_in(rela, [(base + lo, base + hi) for lo, hi, _ in ranges])
    for addr, (typ, addend) in sorted(relocs.items()):
        if typ != R_AARCH64_RELATIVE:
            m.notes.append(f"relocation of type {typ} at {addr:#x} is not applied at boot")
            continue
        o = off(addr)
        if not in_ranges(o, 8):
            raise ProfileError(f"relocation at {addr:#x} straddles a checked range's end")
        m.relocs.append((o, addend))
    # KVM's hyp relocations (s32 offsets to 64-bit words it rewrites at boot).
    hyp: set[int] = set()
    h0, h1 = symbols.get("__hyp_reloc_begin"), symbols.get("__hyp_reloc_end")
    if h0 is not None and h1 is not None:
        table = read(h0, h1 - h0)
        for i in range(len(table) // 4):
            (rel,) = struct.unpack_from("<i", table, 4 * i)
            o = off(h0 + 4 * i + rel)
            if in_ranges(o, 8):
                hyp.add(o)
        m.relocs = [(o, a) for o, a in m.relocs if o not in hyp]
    reloc_offs = [o for o, _ in m.relocs]

    sites: dict[int, tuple[int, int, list[tuple[int, ...]]]] = {}

    def add_site(at: int, n: int, kind: int, alts: list[tuple[int, ...]]) -> None:
        o = off(at)
        if not in_ranges(o, n):
            return                                   # init text: freed after boot
        if o in sites:
            old_n, old_kind, old_alts = sites[o]
            if old_n != n or old_kind != kind:
                raise ProfileError(f"two patch sites of different kinds at {at:#x}")
            old_alts += [a for a in alts if a not in old_alts]
            return
        sites[o] = (n, kind, list(alts))

    # Alternatives.
    a0, a1 = symbols.get("__alt_instructions"), symbols.get("__alt_instructions_end")
    if a0 is not None and a1 is not None:
        table = read(a0, a1 - a0)
        if len(table) % ALT_INSTR.size:
            raise ProfileError("__alt_instructions is not a whole number of entries")
        by_addr = sorted(symbols.items(), key=lambda kv: kv[1])
        addrs = [a for _, a in by_addr]
        for i in range(len(table) // ALT_INSTR.size):
            entry = a0 + i * ALT_INSTR.size
            o_off, a_off, cap, o_len, a_len = ALT_INSTR.unpack_from(table, i * ALT_INSTR.size)
            site, repl = entry + o_off, entry + 4 + a_off
            if o_len == 0 or o_len % 4 or o_len > MAX_SITE_LEN:
                raise ProfileError(f"alternative at {site:#x}: length {o_len}")
            orig = _words(read(site, o_len))
            if cap & ARM64_CB_BIT:
                j = bisect.bisect_right(addrs, repl) - 1
                cb = by_addr[j][0] if j >= 0 and addrs[j] == repl else ""
                if cb in NOP_CALLBACKS:
                    add_site(site, o_len, SITE_ALT, [(NOP,) * (o_len // 4)])
                elif cb in KVM_CALLBACKS:
                    add_site(site, o_len, SITE_KVM_CALLBACK, [])
                else:
                    add_site(site, o_len, SITE_CALLBACK, [])
                continue
            if a_len != o_len:
                raise ProfileError(f"alternative at {site:#x}: replacement of {a_len} bytes "
                                   f"for {o_len}")
            words = _words(read(repl, a_len))
            moved = tuple(moved_insn(w, repl + 4 * k, site + 4 * k, (repl, repl + a_len))
                          for k, w in enumerate(words))
            if moved != orig:
                add_site(site, o_len, SITE_ALT, [moved])
            else:
                add_site(site, o_len, SITE_ALT, [])
    # Jump labels.
    j0, j1 = symbols.get("__start___jump_table"), symbols.get("__stop___jump_table")
    if j0 is not None and j1 is not None:
        table = read(j0, j1 - j0)
        for i in range(len(table) // JUMP_ENTRY.size):
            entry = j0 + i * JUMP_ENTRY.size
            code, target, _key = JUMP_ENTRY.unpack_from(table, i * JUMP_ENTRY.size)
            site, dest = entry + code, entry + 4 + target
            b = _set_branch(0x14000000, 0, 26, dest - site)
            add_site(site, 4, SITE_JUMP, [(b,)])
    # ftrace's patchable function entries: the mcount_loc slots are relocated addresses.
    f0, f1 = symbols.get("__start_mcount_loc"), symbols.get("__stop_mcount_loc")
    if f0 is not None and f1 is not None:
        slots = relocations_in(rela, [(f0, f1)])
        for at in range(f0, f1, 8):
            typ, target = slots.get(at, (0, 0))
            if typ != R_AARCH64_RELATIVE:
                raise ProfileError(f"__mcount_loc slot {at:#x} has no RELATIVE relocation")
            add_site(target, 8, SITE_FTRACE, [])
    for o in hyp:
        sites[o] = (8, SITE_HYP_RELOC, [])
    prev_end = -1
    for o in sorted(sites):
        n, kind, alts = sites[o]
        if o < prev_end:
            raise ProfileError(f"patch sites overlap at {base + o:#x}")
        k = bisect.bisect_left(reloc_offs, o - 7)
        if k < len(reloc_offs) and reloc_offs[k] < o + n:
            raise ProfileError(f"a relocation overlaps the patch site at {base + o:#x}")
        if len(alts) > MAX_ALTS:
            raise ProfileError(f"{len(alts)} alternatives at {base + o:#x}")
        m.sites.append((o, n, kind, alts))
        prev_end = o + n
    # Read-only data symbols, to name rodata findings.
    for addr, name in sorted(rodata_symbols or []):
        o = addr - base
        if any(lo <= o < hi and k == KIND_RODATA for lo, hi, k in ranges):
            m.syms.append((o, name))
    return m


def encode(m: Manifest) -> bytes:
    body = bytearray()
    for lo, hi, k in m.ranges:
        body += struct.pack("<III", lo, hi, k)
    for o, addend in m.relocs:
        body += struct.pack("<IQ", o, addend & U64)
    words: list[int] = []
    for o, n, kind, alts in m.sites:
        body += struct.pack("<IBBBB", o, n // 4, kind, len(alts), 0)
        for a in alts:
            words += a
    body += struct.pack(f"<{len(words)}I", *words)
    strtab = bytearray(b"\0")
    seen: dict[str, int] = {}
    for o, name in m.syms:
        if name not in seen:
            seen[name] = len(strtab)
            strtab += name.encode("ascii", "replace") + b"\0"
        body += struct.pack("<II", o, seen[name])
    body += strtab
    total = HEADER.size + len(body)
    head = HEADER.pack(MAGIC, VERSION, HEADER.size, total, zlib.crc32(body), m.text_base,
                       m.image_size, m.head_crc, len(m.ranges), len(m.relocs), len(m.sites),
                       len(words), len(m.syms), len(strtab))
    return head + bytes(body)


def manifest_from_files(image: Path, system_map: Path) -> bytes:
    """The encoded manifest of a raw arm64 Image with its System.map."""
    from mamoru.profile.inputs import RELA_BOUNDS, RELR_BOUNDS, parse_system_map
    from mamoru.profile.syscalls import R_AARCH64_RELATIVE, RELA, decode_relr

    data = image.read_bytes()
    syms, _text, _addrs = parse_system_map(system_map)
    symbols = {n: s.addr for n, s in syms.items()}
    base = symbols["_text"]

    def table(bounds: tuple[tuple[str, str], ...]) -> bytes | None:
        for lo_name, hi_name in bounds:          # 6.x: the __pi_ prefixed names
            lo, hi = symbols.get(lo_name), symbols.get(hi_name)
            if lo is not None and hi is not None and base <= lo <= hi <= base + len(data):
                return data[lo - base:hi - base]
        return None

    rela = table(RELA_BOUNDS)
    if rela is None:
        raise ProfileError(f"{system_map} has no __rela_start/__rela_end (or __pi_ names)")
    # RELR (CONFIG_RELR): the addend stays in place in the Image; as RELA entries.
    extra = bytearray()
    for addr in decode_relr(table(RELR_BOUNDS) or b""):
        off = addr - base
        if not 0 <= off <= len(data) - 8:
            raise ProfileError(f"RELR relocation at {addr:#x} is outside the Image")
        (addend,) = struct.unpack_from("<Q", data, off)
        extra += RELA.pack(addr, R_AARCH64_RELATIVE, addend - (1 << 64) if addend >> 63 else addend)
    rela = rela + bytes(extra)
    rodata = [(s.addr, n) for n, s in syms.items() if s.type in "rRdD"]
    return encode(build_manifest(data, symbols, rela, rodata))


def decode(data: bytes) -> Manifest:
    """The inverse of encode (for tests and inspection); raises ProfileError on a bad blob."""
    if len(data) < HEADER.size:
        raise ProfileError("integrity manifest too short")
    (magic, version, hsize, total, crc, base, size, head_crc, nranges, nrelocs, nsites, nwords,
     nsyms, strtab_len) = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION or hsize != HEADER.size or total > len(data):
        raise ProfileError("not an integrity manifest of this version")
    if zlib.crc32(data[HEADER.size:total]) != crc:
        raise ProfileError("integrity manifest CRC mismatch")
    m = Manifest(base, size, head_crc)
    at = HEADER.size
    for _ in range(nranges):
        m.ranges.append(struct.unpack_from("<III", data, at))
        at += 12
    for _ in range(nrelocs):
        m.relocs.append(struct.unpack_from("<IQ", data, at))
        at += 12
    shapes = []
    for _ in range(nsites):
        o, n, kind, nalts, _pad = struct.unpack_from("<IBBBB", data, at)
        shapes.append((o, 4 * n, kind, nalts))
        at += 8
    words = struct.unpack_from(f"<{nwords}I", data, at)
    at += 4 * nwords
    w = 0
    for o, n, kind, nalts in shapes:
        alts = [tuple(words[w + k * (n // 4):w + (k + 1) * (n // 4)]) for k in range(nalts)]
        w += nalts * (n // 4)
        m.sites.append((o, n, kind, alts))
    strtab = data[at + 8 * nsyms:at + 8 * nsyms + strtab_len]
    for _ in range(nsyms):
        o, name = struct.unpack_from("<II", data, at)
        m.syms.append((o, strtab[name:strtab.index(b"\0", name)].decode()))
        at += 8
    return m
