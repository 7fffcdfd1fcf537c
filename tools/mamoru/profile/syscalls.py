# SPDX-License-Identifier: GPL-2.0-only
"""The link-time contents of the syscall tables, from the kernel's own relocations.

An arm64 kernel is linked as a relocatable (-shared) image: a pointer table such as
sys_call_table holds zeros in the file, and every slot gets an R_AARCH64_RELATIVE entry
whose addend is the link address it will hold once the kernel relocates itself at boot.
Those entries sit in `.rela.dyn` of vmlinux, and in the raw Image between `__rela_start` and
`__rela_end` (6.x: `__pi_rela_start`/`__pi_rela_end`; the Image is the loaded part of vmlinux,
so .rela.dyn is in it too). A kernel linked with packed relocations (CONFIG_RELR) moves most
RELATIVE entries into a RELR table (`.relr.dyn`, `__relr_start`/`__relr_end` or the `__pi_`
names), which lists only the addresses of the words to relocate: the word itself holds the link
address (an implicit addend). decode_relr() reads it; each word it names counts as a RELATIVE
relocation whose addend is the word in the file.

The table's length N is the number of consecutive 8-byte slots from its start that carry a
RELATIVE relocation, cross-checked against the next symbol (and the ELF st_size): both must
give the same N, up to a little alignment padding that is not relocated.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from mamoru.profile.errors import ProfileError

R_AARCH64_NONE, R_AARCH64_ABS64, R_AARCH64_GLOB_DAT, R_AARCH64_RELATIVE = 0, 257, 1025, 1027
# The types an arm64 kernel's .rela.dyn holds (Debian 6.1 and 6.12: mostly RELATIVE, some NONE,
# a few ABS64 and one GLOB_DAT, which the kernel's own relocation code skips). Any other type
# means a kind of kernel this tool does not understand: it stops instead of guessing.
KNOWN_TYPES = {R_AARCH64_NONE: "R_AARCH64_NONE", R_AARCH64_ABS64: "R_AARCH64_ABS64",
               R_AARCH64_GLOB_DAT: "R_AARCH64_GLOB_DAT", R_AARCH64_RELATIVE: "R_AARCH64_RELATIVE"}
RELA = struct.Struct("<QQq")          # Elf64_Rela: r_offset, r_info, r_addend
SLOT = 8
RELR_BITS = 63                        # words a 64-bit RELR bitmap entry covers
MAX_PADDING = 64                      # alignment bytes a linker may leave after a table
MAX_SLOTS = 4096                      # far above any __NR_syscalls
U64 = (1 << 64) - 1

# Profile key prefix and const name per table.
TABLES = {"sys_call_table": ("sct", "sct_entries"),
          "compat_sys_call_table": ("csct", "csct_entries")}
# 32-bit ARM: the OABI table (CONFIG_OABI_COMPAT) is the compat table.
ARM_TABLES = {"sys_call_table": ("sct", "sct_entries"),
              "sys_oabi_call_table": ("csct", "csct_entries")}
ARM_SLOT = 4


@dataclass(frozen=True)
class Table:
    name: str
    start: int
    targets: list[int]           # link address held by slot i


def decode_relr(relr: bytes) -> list[int]:
    """The addresses a RELR table (SHT_RELR, the ELF gABI's packed relative relocations)
    relocates, in table order.

    Each 64-bit entry is either an address (bit 0 clear): relocate the word there, and the next
    bitmap describes the words after it; or a bitmap (bit 0 set): bit i (1..63) set means
    relocate the word i - 1 words after the current base, and the base then moves on 63 words.
    """
    if len(relr) % SLOT:
        raise ProfileError(f"RELR table of {len(relr)} bytes is not a whole number of 8-byte "
                           "entries")
    out: list[int] = []
    base: int | None = None
    for i, (entry,) in enumerate(struct.iter_unpack("<Q", relr)):
        if not entry & 1:
            if entry % SLOT:
                raise ProfileError(f"RELR entry {i}: address {entry:#x} is not 8-byte aligned")
            out.append(entry)
            base = entry + SLOT
            continue
        if base is None:
            raise ProfileError("RELR table starts with a bitmap instead of an address")
        bits, at = entry >> 1, base
        while bits:
            if bits & 1:
                out.append(at)
            bits >>= 1
            at += SLOT
        base += SLOT * RELR_BITS
    return out


def relocations_in(rela: bytes, ranges: list[tuple[int, int]], relr: list[int] | None = None,
                   read: Callable[[int, int], bytes | None] | None = None
                   ) -> dict[int, tuple[int, int]]:
    """r_offset -> (relocation type, addend as u64) for every entry inside one of the
    [lo, hi) ranges. `relr` lists RELR-relocated addresses (decode_relr): those inside a range
    count as R_AARCH64_RELATIVE with the word `read` finds there as the addend. A second entry
    for the same slot is an error, and so is a RELA entry of a type not in KNOWN_TYPES."""
    if len(rela) % RELA.size:
        raise ProfileError(f"relocation table of {len(rela)} bytes is not a whole number of "
                           f"{RELA.size}-byte Elf64_Rela entries")
    out: dict[int, tuple[int, int]] = {}
    for off, info, addend in RELA.iter_unpack(rela):
        typ = info & 0xFFFFFFFF
        if typ not in KNOWN_TYPES:
            raise ProfileError(f"unsupported relocation type {typ} at {off:#x} (this tool "
                               f"knows {', '.join(KNOWN_TYPES.values())})")
        if any(lo <= off < hi for lo, hi in ranges):
            if off in out:
                raise ProfileError(f"two relocations for the slot at {off:#x}")
            out[off] = (typ, addend & U64)
    for off in relr or ():
        if not any(lo <= off < hi for lo, hi in ranges):
            continue
        if off in out:
            raise ProfileError(f"two relocations for the slot at {off:#x} (RELA and RELR)")
        word = read(off, SLOT) if read is not None else None
        if word is None or len(word) != SLOT:
            raise ProfileError(f"RELR relocates {off:#x}, which is not in the kernel file")
        out[off] = (R_AARCH64_RELATIVE, int.from_bytes(word, "little"))
    return out


def table_slots(name: str, start: int, bound: int, relocs: dict[int, tuple[int, int]],
                read: Callable[[int, int], bytes | None], text: tuple[int, int],
                size: int | None = None) -> Table:
    """The link-time targets of the table `name` at `start`, whose next symbol is at `bound`
    (and whose ELF st_size is `size`, when known). Every target must lie in `text`."""
    if not start < bound <= start + SLOT * MAX_SLOTS:
        raise ProfileError(f"{name}: next symbol at {bound:#x} is not within "
                           f"{SLOT * MAX_SLOTS} bytes after {start:#x}")
    targets: list[int] = []
    at = start
    while at + SLOT <= bound and relocs.get(at, (0, 0))[0] == R_AARCH64_RELATIVE:
        targets.append(relocs[at][1])
        at += SLOT
    n = len(targets)
    if n == 0:
        raise ProfileError(f"{name}: no R_AARCH64_RELATIVE relocation for its first slot")
    stray = sorted(off for off in relocs if at <= off < bound)
    if stray:
        what = f"a relocation of type {relocs[at][0]}" if at in relocs else "no relocation"
        raise ProfileError(f"{name}: slot {n} has {what}, but the table goes on to "
                           f"{(stray[-1] - start) // SLOT + 1} slots; expected one "
                           "R_AARCH64_RELATIVE relocation per slot")
    if size and size != SLOT * n:
        raise ProfileError(f"{name}: {n} relocated slots but the symbol's size is {size} "
                           f"bytes ({size / SLOT:g} slots)")
    if bound - at >= MAX_PADDING:
        raise ProfileError(f"{name}: {n} relocated slots end {bound - at} bytes before the "
                           "next symbol")
    raw = read(start, SLOT * n)
    if raw is None or len(raw) != SLOT * n:
        raise ProfileError(f"{name}: its {n} slots are not in the kernel file")
    for i, (held, want) in enumerate(zip(struct.unpack(f"<{n}Q", raw), targets, strict=True)):
        if held not in (0, want):
            raise ProfileError(f"{name}[{i}]: the file holds {held:#x} but its relocation "
                               f"says {want:#x}")
    outside = [i for i, t in enumerate(targets) if not text[0] <= t < text[1]]
    if outside:
        i = outside[0]
        raise ProfileError(f"{name}[{i}] = {targets[i]:#x} is outside kernel text "
                           f"({len(outside)} such slots)")
    return Table(name, start, targets)


def table_words(name: str, start: int, bound: int | None,
                read: Callable[[int, int], bytes | None], text: tuple[int, int],
                size: int | None = None) -> Table:
    """The targets of a 32-bit ARM table of 4-byte link addresses at `start` (not relocated:
    the file holds them). Its length is the ELF st_size when known, else the distance to the
    next symbol `bound`; every slot must hold an address in `text`."""
    if size:
        length = size
        if bound is not None and start + size > bound:
            raise ProfileError(f"{name}: its size {size} runs past the next symbol at "
                               f"{bound:#x}")
    elif bound is not None:
        length = bound - start
    else:
        raise ProfileError(f"{name}: no size and no next symbol")
    if length <= 0 or length % ARM_SLOT or length > ARM_SLOT * MAX_SLOTS:
        raise ProfileError(f"{name}: implausible table size {length} bytes")
    raw = read(start, length)
    if raw is None or len(raw) != length:
        raise ProfileError(f"{name}: its {length // ARM_SLOT} slots are not in the kernel file")
    targets = list(struct.unpack(f"<{length // ARM_SLOT}I", raw))
    outside = [i for i, t in enumerate(targets) if not text[0] <= t < text[1]]
    if outside:
        i = outside[0]
        raise ProfileError(f"{name}[{i}] = {targets[i]:#x} is outside kernel text "
                           f"({len(outside)} such slots)")
    return Table(name, start, targets)
