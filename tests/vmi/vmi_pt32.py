# SPDX-License-Identifier: GPL-2.0-only
"""Hand-built ARMv5 short-descriptor translation tables (level 1 sections, coarse and fine
tables; large, small and tiny pages) for the walker tests, written from the ARM ARM's
descriptor formats. Also what a 32-bit ARM Linux keeps beside them: a page holding two
software PTE tables and then the two hardware tables a pair of level 1 entries point at."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from vmi_pt import Memory

L1_COARSE, L1_SECTION, L1_FINE = 1, 2, 3
L2_LARGE, L2_SMALL, L2_TINY = 1, 2, 3
MiB = 1 << 20


def domain(d: int) -> int:
    return (d & 0xF) << 5


def section(pa: int, ap: int = 1, dom: int = 0) -> int:
    return (pa & 0xFFF0_0000) | (ap & 3) << 10 | domain(dom) | L1_SECTION


def coarse(table_pa: int, dom: int = 0) -> int:
    return (table_pa & 0xFFFF_FC00) | domain(dom) | 1 << 4 | L1_COARSE


def fine(table_pa: int, dom: int = 0) -> int:
    return (table_pa & 0xFFFF_F000) | domain(dom) | 1 << 4 | L1_FINE


def aps(ap: int | tuple[int, int, int, int]) -> int:
    quarters = (ap,) * 4 if isinstance(ap, int) else ap
    return sum((a & 3) << (4 + 2 * i) for i, a in enumerate(quarters))


def small(pa: int, ap: int | tuple[int, int, int, int] = 1) -> int:
    return (pa & 0xFFFF_F000) | aps(ap) | L2_SMALL


def large(pa: int, ap: int | tuple[int, int, int, int] = 1) -> int:
    return (pa & 0xFFFF_0000) | aps(ap) | L2_LARGE


def tiny(pa: int, ap: int = 1) -> int:
    return (pa & 0xFFFF_FC00) | (ap & 3) << 4 | L2_TINY


@dataclass
class Memory32(Memory):
    """Guest-physical memory from gpa (vmi_pt.Memory: its bump allocator for tables), read
    and written 32 bits at a time."""

    gpa: int = 0
    size: int = 1 << 20

    def write32(self, pa: int, value: int) -> None:
        struct.pack_into("<I", self.data, pa - self.gpa, value & 0xFFFF_FFFF)

    def read32(self, pa: int) -> int:
        return struct.unpack_from("<I", self.data, pa - self.gpa)[0]


class Tables:
    """A level 1 table (16 KiB, 4096 entries) and helpers to map into it."""

    def __init__(self, mem: Memory32) -> None:
        self.mem = mem
        self.ttb = mem.alloc(0x4000)

    def l1(self, va: int, desc: int) -> int:
        at = self.ttb + 4 * (va >> 20)
        self.mem.write32(at, desc)
        return at

    def coarse_table(self, va: int, dom: int = 0) -> int:
        t = self.mem.alloc(0x400)
        self.l1(va, coarse(t, dom))
        return t

    def fine_table(self, va: int, dom: int = 0) -> int:
        t = self.mem.alloc(0x1000)
        self.l1(va, fine(t, dom))
        return t

    def linux_pte_page(self, va: int) -> int:
        """Linux's layout for the 2 MiB at va (even MiB): software PTEs for both MiBs in the
        page's first half, the two hardware coarse tables in its second half."""
        assert va % (2 * MiB) == 0
        page = self.mem.alloc(0x1000)
        self.l1(va, coarse(page + 0x800))
        self.l1(va + MiB, coarse(page + 0xC00))
        return page

    @staticmethod
    def put(mem: Memory32, table: int, index: int, desc: int, repeat: int = 1) -> None:
        for i in range(repeat):
            mem.write32(table + 4 * (index + i), desc)
