# SPDX-License-Identifier: GPL-2.0-only
"""The ARMv5 short-descriptor walker (core/vmi/walk_short.c) on hand-built tables
(walk_short_test): sections, coarse and fine tables, large/small/tiny pages, AP subpages,
domains, malformed and unreadable descriptors, Linux's software/hardware PTE page."""

from __future__ import annotations

from pathlib import Path

import pytest
from vmi_pt import host_program, walk_line
from vmi_pt32 import (
    Memory32,
    MiB,
    Tables,
    coarse,
    large,
    section,
    small,
    tiny,
)

from mamoru.testing.hostcheck import run_host


class Walker:
    def __init__(self, prog: Path, tmp: Path) -> None:
        self.prog, self.tmp = prog, tmp

    def run(self, mem: Memory32, ttbr: int, *vas: int) -> list[dict[str, str]]:
        img = mem.save(self.tmp / "mem.bin")
        r = run_host([self.prog, img, hex(mem.gpa), hex(ttbr), *(hex(v) for v in vas)])
        return [{"kind": "", **walk_line(line)} for line in r.stdout.splitlines()]

    def one(self, mem: Memory32, ttbr: int, va: int) -> dict[str, str]:
        return self.run(mem, ttbr, va)[0]


@pytest.fixture(scope="module")
def prog() -> Path:
    return host_program("walk_short_test")


@pytest.fixture
def walker(prog: Path, tmp_path: Path) -> Walker:
    return Walker(prog, tmp_path)


def ok(r: dict[str, str], pa: int, size: int, kind: str, level: int) -> None:
    assert r["status"] == "ok", r
    assert int(r["pa"], 16) == pa, r
    assert int(r["size"], 16) == size, r
    assert r["kind"] == kind, r
    assert int(r["level"]) == level, r


def test_section(walker: Walker) -> None:
    mem = Memory32()
    t = Tables(mem)
    t.l1(0xC000_0000, section(0x0000_0000, ap=1, dom=3))
    t.l1(0xC010_0000, section(0x0650_0000, ap=3))
    r = walker.run(mem, t.ttb, 0xC000_1234, 0xC01F_FFFF, 0xC020_0000)
    ok(r[0], 0x1234, MiB, "section", 1)
    assert r[0]["domain"] == "3" and r[0]["ap"] == "1" and r[0]["reads"] == "1"
    ok(r[1], 0x065F_FFFF, MiB, "section", 1)
    assert r[1]["ap"] == "3"
    assert r[2]["status"] == "fault" and r[2]["fault"] == "translation"
    assert r[2]["level"] == "1" and "invalid descriptor" in r[2]["text"]
    assert f"{t.ttb + 4 * 0xC02:#x}" in r[2]["text"]


def test_ttbr_low_bits_ignored(walker: Walker) -> None:
    """TTBR[13:0] are not address bits: the table is 16 KiB aligned."""
    mem = Memory32()
    t = Tables(mem)
    t.l1(0x0010_0000, section(0x0030_0000))
    ok(walker.one(mem, t.ttb | 0x3FFF, 0x0010_0010), 0x0030_0010, MiB, "section", 1)


def test_coarse_small_and_large(walker: Walker) -> None:
    mem = Memory32()
    t = Tables(mem)
    ct = t.coarse_table(0x4000_0000, dom=5)
    Tables.put(mem, ct, 0x01, small(0x0009_8000, ap=(0, 1, 2, 3)))
    Tables.put(mem, ct, 0x10, large(0x0012_0000, ap=2), repeat=16)
    r = walker.run(mem, t.ttb, 0x4000_1004, 0x4000_1C00, 0x4001_0000, 0x4001_FFFC,
                   0x4000_2000)
    ok(r[0], 0x0009_8004, 0x1000, "small page", 2)
    assert r[0]["ap"] == "0" and r[0]["domain"] == "5" and r[0]["reads"] == "2"
    ok(r[1], 0x0009_8C00, 0x1000, "small page", 2)
    assert r[1]["ap"] == "3"   # the fourth 1 KiB subpage's AP field
    ok(r[2], 0x0012_0000, 0x10000, "large page", 2)
    ok(r[3], 0x0012_FFFC, 0x10000, "large page", 2)
    assert r[4]["status"] == "fault" and r[4]["level"] == "2"


def test_fine_table_tiny_small_large(walker: Walker) -> None:
    mem = Memory32()
    t = Tables(mem)
    ft = t.fine_table(0x8000_0000)
    Tables.put(mem, ft, 0, tiny(0x0004_0400, ap=2))          # VA 0x80000000..0x800003ff
    Tables.put(mem, ft, 1, tiny(0x0004_0000))                 # the next KiB, elsewhere
    Tables.put(mem, ft, 4, small(0x0005_0000), repeat=4)      # 4 KiB: four fine entries
    Tables.put(mem, ft, 64, large(0x0006_0000), repeat=64)    # 64 KiB: 64 fine entries
    r = walker.run(mem, t.ttb, 0x8000_0010, 0x8000_0410, 0x8000_1FF0, 0x8001_0008)
    ok(r[0], 0x0004_0410, 0x400, "tiny page", 2)
    assert r[0]["ap"] == "2"
    ok(r[1], 0x0004_0010, 0x400, "tiny page", 2)
    ok(r[2], 0x0005_0FF0, 0x1000, "small page", 2)
    ok(r[3], 0x0006_0008, 0x10000, "large page", 2)


def test_extended_small_page_in_coarse_table_faults(walker: Walker) -> None:
    """0b11 in a coarse table is ARMv6/XScale's extended small page: not ARMv5."""
    mem = Memory32()
    t = Tables(mem)
    ct = t.coarse_table(0x0000_0000)
    Tables.put(mem, ct, 0, 0x0007_0000 | 3)
    r = walker.one(mem, t.ttb, 0x0000_0100)
    assert r["status"] == "fault" and r["fault"] == "translation" and r["level"] == "2"
    assert "not ARMv5" in r["text"]


def test_linux_pte_page_walks_hardware_entries(walker: Walker) -> None:
    """Linux keeps software PTEs in the first half of the page; the walker must follow the
    level 1 entry to the hardware table in the second half and never read the copies."""
    mem = Memory32()
    t = Tables(mem)
    page = t.linux_pte_page(0xC040_0000)
    # Software copies (what Linux reads) point elsewhere than the hardware entries.
    Tables.put(mem, page, 3, 0x00AA_A000 | 0x7F)                   # Linux PT 0
    Tables.put(mem, page + 0x400, 3, 0x00BB_B000 | 0x7F)           # Linux PT 1
    Tables.put(mem, page + 0x800, 3, small(0x0011_3000))           # h/w PT 0
    Tables.put(mem, page + 0xC00, 3, small(0x0022_3000))           # h/w PT 1
    r = walker.run(mem, t.ttb, 0xC040_3008, 0xC050_3008)
    ok(r[0], 0x0011_3008, 0x1000, "small page", 2)
    ok(r[1], 0x0022_3008, 0x1000, "small page", 2)


def test_unreadable_and_wide(walker: Walker) -> None:
    mem = Memory32(size=0x8000)
    t = Tables(mem)
    t.l1(0x1000_0000, coarse(0x0FFF_FC00))       # a coarse table outside memory
    t.l1(0x2000_0000, section(0))
    r = walker.run(mem, t.ttb, 0x1000_0000, 0x1_2000_0000)
    assert r[0]["status"] == "fault" and r[0]["fault"] == "read" and r[0]["level"] == "2"
    assert "outside guest RAM" in r[0]["text"]
    assert r[1]["status"] == "fault" and r[1]["fault"] == "range"
    # A TTBR beyond the memory: the first read already fails.
    r = walker.one(mem, 0x7FFF_C000, 0x2000_0000)
    assert r["fault"] == "read" and r["level"] == "1" and r["reads"] == "1"


def test_self_referencing_tables_end(walker: Walker) -> None:
    """A level 1 entry pointing back into the level 1 table as a coarse/fine table: the
    walk still reads two descriptors at most and ends."""
    mem = Memory32()
    t = Tables(mem)
    t.l1(0x0000_0000, coarse(t.ttb))
    t.l1(0x0010_0000, 0xFFFF_FFFF)               # fine table at the top of the space
    for va in range(0, 0x0020_0000, 0x3_3000):
        r = walker.one(mem, t.ttb, va)
        assert int(r["reads"]) <= 2, r
