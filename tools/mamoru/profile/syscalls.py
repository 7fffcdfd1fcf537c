"""The link-time contents of the syscall tables, from the kernel's own relocations.

An arm64 kernel is linked as a relocatable (-shared) image: a pointer table such as
sys_call_table holds zeros in the file, and every slot gets an R_AARCH64_RELATIVE entry
whose addend is the link address it will hold once the kernel relocates itself at boot.
Those entries sit in `.rela.dyn` of vmlinux, and in the raw Image between `__rela_start` and
`__rela_end` (the Image is the loaded part of vmlinux, so .rela.dyn is in it too).

The table's length N is the number of consecutive 8-byte slots from its start that carry a
RELATIVE relocation, cross-checked against the next symbol (and the ELF st_size): both must
give the same N, up to a little alignment padding that is not relocated.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from mamoru.profile.errors import ProfileError

R_AARCH64_RELATIVE = 1027
RELA = struct.Struct("<QQq")          # Elf64_Rela: r_offset, r_info, r_addend
SLOT = 8
MAX_PADDING = 64                      # alignment bytes a linker may leave after a table
MAX_SLOTS = 4096                      # far above any __NR_syscalls
U64 = (1 << 64) - 1

# Profile key prefix and const name per table.
TABLES = {"sys_call_table": ("sct", "sct_entries"),
          "compat_sys_call_table": ("csct", "csct_entries")}


@dataclass(frozen=True)
class Table:
    name: str
    start: int
    targets: list[int]           # link address held by slot i


def relocations_in(rela: bytes, ranges: list[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """r_offset -> (relocation type, addend as u64) for every entry inside one of the
    [lo, hi) ranges. A second entry for the same slot is an error."""
    if len(rela) % RELA.size:
        raise ProfileError(f"relocation table of {len(rela)} bytes is not a whole number of "
                           f"{RELA.size}-byte Elf64_Rela entries")
    out: dict[int, tuple[int, int]] = {}
    for off, info, addend in RELA.iter_unpack(rela):
        if any(lo <= off < hi for lo, hi in ranges):
            if off in out:
                raise ProfileError(f"two relocations for the slot at {off:#x}")
            out[off] = (info & 0xFFFFFFFF, addend & U64)
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
