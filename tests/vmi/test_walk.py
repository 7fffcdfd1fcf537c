# SPDX-License-Identifier: GPL-2.0-only
"""The guest stage-1 walker (arch/arm/cpu/arm64/guest_walk.c) on hand-built tables (walk_test)."""

from __future__ import annotations

from pathlib import Path

import pytest
from vmi_pt import (
    AF,
    AP_EL0,
    AP_RO,
    PXN,
    T_NOEL0,
    T_RO,
    T_UXN,
    TABLE,
    UXN,
    VALID,
    Memory,
    Space,
    host_program,
    kva,
    tcr,
    walk_line,
)

from mamoru.testing.hostcheck import run_host


@pytest.fixture(scope="module")
def walk_test() -> Path:
    return host_program("walk_test")


class Walker:
    def __init__(self, prog: Path, tmp: Path) -> None:
        self.prog, self.tmp = prog, tmp

    def run(self, mem: Memory, tcr_v: int, ttbr0: int, ttbr1: int, *args: int | str) -> list[str]:
        img = mem.save(self.tmp / "mem.bin")
        return run_host([self.prog, img, hex(mem.gpa), hex(tcr_v), hex(ttbr0), hex(ttbr1),
                         *(hex(a) if isinstance(a, int) else a for a in args)]).stdout.splitlines()

    def one(self, mem: Memory, tcr_v: int, ttbr0: int, ttbr1: int, va: int) -> dict[str, str]:
        return walk_line(self.run(mem, tcr_v, ttbr0, ttbr1, va)[0], fault_key="kind")


@pytest.fixture
def walker(walk_test: Path, tmp_path: Path) -> Walker:
    return Walker(walk_test, tmp_path)


GEOMETRIES = [(4, 39), (4, 42), (4, 48), (16, 36), (16, 47), (16, 48), (64, 42), (64, 48),
              (4, 25), (64, 52)]


@pytest.mark.parametrize("upper", [False, True], ids=["ttbr0", "ttbr1"])
@pytest.mark.parametrize(("granule", "va_bits"), GEOMETRIES,
                         ids=[f"{g}k-{b}" for g, b in GEOMETRIES])
def test_page_and_block(walker: Walker, granule: int, va_bits: int, upper: bool) -> None:
    mem = Memory(size=16 << 20)
    sp = Space(granule, va_bits, mem, ttbr1=upper)
    g = 1 << sp.gbits
    base = kva(va_bits, 0) if upper else 0
    page_va = base + 5 * g + (1 << (va_bits - 1)) // 2 // g * g
    page_pa = 0x8_1234_0000 & ~(g - 1)
    sp.map(page_va, page_pa, 3, AF | AP_RO | UXN)
    block_level = 2
    bsize = sp.size(block_level)
    block_va = base + bsize * 3
    block_pa = 0x20_0000_0000 - 7 * bsize
    sp.map(block_va, block_pa, block_level, AF | PXN)
    t = tcr(None if upper else sp, sp if upper else None, ips=52 if va_bits == 52 else 48)
    ttbr0, ttbr1 = (0, sp.base()) if upper else (sp.base(), 0)
    levels = 4 - sp.start

    r = walker.one(mem, t, ttbr0, ttbr1, page_va + 0x123)
    assert r["status"] == "ok", r
    assert int(r["pa"], 16) == page_pa + 0x123
    assert (r["level"], int(r["size"], 16)) == ("3", g)
    assert (r["ap"], r["uxn"], r["pxn"], r["af"]) == ("2", "1", "0", "1")
    assert int(r["reads"]) == levels

    off = bsize - 8
    r = walker.one(mem, t, ttbr0, ttbr1, block_va + off)
    assert r["status"] == "ok", r
    assert int(r["pa"], 16) == block_pa + off
    assert (r["level"], int(r["size"], 16)) == ("2", bsize)
    assert (r["uxn"], r["pxn"]) == ("0", "1")

    r = walker.one(mem, t, ttbr0, ttbr1, page_va + g)  # next page: nothing there
    assert (r["status"], r["kind"], r["level"]) == ("fault", "translation", "3"), r
    assert "level 3 translation fault at descriptor 0x" in r["text"]
    assert "(entry 0x0, index" in r["text"]


def test_lpa2_52bit_4k_five_levels(walker: Walker) -> None:
    mem = Memory()
    sp = Space(4, 52, mem, ttbr1=True, ds=True)
    assert sp.start == -1
    va = kva(52, 0x000F_1234_5678_9000)
    pa = 0xA_BCDE_F123_4000  # above 48 bits: OA[51:50] in descriptor bits [9:8]
    sp.map(va, pa, 3, AF)
    t = tcr(None, sp, ips=52, ds=True)
    r = walker.one(mem, t, 0, sp.base(), va + 0x10)
    assert r["status"] == "ok", r
    assert int(r["pa"], 16) == pa + 0x10
    assert r["reads"] == "5"


def test_tbi_and_ranges(walker: Walker) -> None:
    mem = Memory()
    hi = Space(4, 48, mem, ttbr1=True)
    lo = Space(4, 39, mem)
    kv = kva(48, 0x8000_1000_0000)
    hi.map(kv, 0x4123_0000)
    lo.map(0x7F_0000_0000, 0x4567_0000)
    base = tcr(lo, hi)
    tagged = (kv & ~(0xFF << 56)) | (0x5A << 56) | (1 << 55)
    assert walker.one(mem, base, lo.base(), hi.base(), tagged)["kind"] == "range"
    r = walker.one(mem, tcr(lo, hi, tbi1=True), lo.base(), hi.base(), tagged)
    assert (r["status"], int(r["pa"], 16)) == ("ok", 0x4123_0000)
    utag = 0x7F_0000_0000 | (0x3C << 56)
    assert walker.one(mem, base, lo.base(), hi.base(), utag)["kind"] == "range"
    assert walker.one(mem, tcr(lo, hi, tbi0=True), lo.base(), hi.base(), utag)["status"] == "ok"
    # Between the halves: above the 39-bit TTBR0 range, below the 48-bit TTBR1 range.
    r = walker.one(mem, base, lo.base(), hi.base(), 1 << 40)
    assert r["kind"] == "range"
    assert "neither the TTBR0 nor the TTBR1 range" in r["text"]
    r = walker.one(mem, base, lo.base(), hi.base(), 0x00FF_FFFF_FFFF_0000)
    assert r["kind"] == "range"


def test_epd_disables_a_half(walker: Walker) -> None:
    mem = Memory()
    hi = Space(4, 48, mem, ttbr1=True)
    lo = Space(4, 48, mem)
    kv = kva(48, 0x1000)
    hi.map(kv, 0x4000_0000)
    lo.map(0x1000, 0x4000_0000)
    r = walker.one(mem, tcr(lo, hi, epd1=True), lo.base(), hi.base(), kv)
    assert (r["kind"], r["reads"]) == ("disabled", "0")
    assert "EPD1" in r["text"]
    r = walker.one(mem, tcr(lo, hi, epd0=True), lo.base(), hi.base(), 0x1000)
    assert r["kind"] == "disabled"
    assert walker.one(mem, tcr(lo, hi, epd0=True), lo.base(), hi.base(), kv)["status"] == "ok"


def test_reserved_and_misplaced_descriptors(walker: Walker) -> None:
    mem = Memory()
    sp = Space(4, 48, mem, ttbr1=True)
    t = tcr(None, sp)
    va = kva(48, 0x4000_0000)
    at = sp.map(va, 0x4000_0000)
    mem.write64(at, 0x4000_0000 | AF | VALID)  # type 0b01 at level 3: reserved
    r = walker.one(mem, t, 0, sp.base(), va)
    assert (r["kind"], r["level"]) == ("translation", "3")
    assert "reserved descriptor type at level 3" in r["text"]
    # A block at level 0 (4K, no DS) is not allowed.
    va0 = kva(48, 0x0000_8000_0000_0000 >> 1)
    mem.write64(sp.root + 8 * sp.index(va0, 0), 0x4000_0000 | AF | VALID)
    r = walker.one(mem, t, 0, sp.base(), va0)
    assert (r["kind"], r["level"]) == ("translation", "0")
    assert "block descriptor not allowed" in r["text"]
    # 16K: level 1 blocks need DS.
    sp16 = Space(16, 47, mem, ttbr1=True)
    va16 = kva(47, 1 << 36)
    at = sp16.map(va16, 0, 1)
    r = walker.one(mem, tcr(None, sp16), 0, sp16.base(), va16)
    assert (r["kind"], r["level"]) == ("translation", "1"), r


def test_addresses_beyond_pa_size_and_ram(walker: Walker) -> None:
    mem = Memory()
    sp = Space(4, 48, mem, ttbr1=True)
    va = kva(48, 0x1234_5000)
    at = sp.map(va, 0x100_0000_0000)  # 40-bit PA
    r = walker.one(mem, tcr(None, sp, ips=40), 0, sp.base(), va)
    assert (r["kind"], r["level"]) == ("address_size", "3"), r
    assert "output address beyond the PA size (40-bit)" in r["text"]
    assert walker.one(mem, tcr(None, sp, ips=44), 0, sp.base(), va)["status"] == "ok"
    # A table descriptor pointing outside RAM: the next read fails, cleanly.
    l2 = sp.entry_pa(va, 2)
    mem.write64(l2, 0x7_0000_0000 | VALID | TABLE)
    r = walker.one(mem, tcr(None, sp), 0, sp.base(), va)
    assert (r["kind"], r["level"]) == ("read", "3"), r
    assert "outside guest RAM" in r["text"]
    # ... and beyond the PA size: an address size fault at level 2.
    mem.write64(l2, (1 << 47) | VALID | TABLE)
    r = walker.one(mem, tcr(None, sp, ips=44), 0, sp.base(), va)
    assert (r["kind"], r["level"]) == ("address_size", "2"), r
    # Bits [51:48] of a 48-bit descriptor are not address bits (DBM, GP): ignored.
    leaf = sp.entry_pa(va, 3)
    mem.write64(l2, sp.root | VALID | TABLE)
    mem.write64(sp.root + 8 * sp.index(va, 3), (0xF << 48) | 0x4000_0000 | AF | VALID | TABLE)
    r = walker.one(mem, tcr(None, sp), 0, sp.base(), va)
    assert (r["status"], int(r["pa"], 16)) == ("ok", 0x4000_0000 | (va & 0xFFF)), r
    del leaf
    # The 64K granule's OA[51:48] (bits [15:12]) with a 48-bit IPS: beyond the PA size.
    sp64 = Space(64, 48, mem, ttbr1=True)
    va64 = kva(48, 0x1234_0000)
    at = sp64.map(va64, 0x4000_0000)
    mem.write64(at, mem.read64(at) | 0x3 << 12)
    r = walker.one(mem, tcr(None, sp64), 0, sp64.base(), va64)
    assert (r["kind"], r["level"]) == ("address_size", "3"), r
    # TTBR itself beyond the PA size.
    r = walker.one(mem, tcr(None, sp, ips=32), 0, 1 << 40, va)
    assert r["kind"] == "address_size"


@pytest.mark.parametrize("granule", [4, 16, 64])
def test_self_referencing_table_terminates(walker: Walker, granule: int) -> None:
    mem = Memory(size=4 << 20)
    sp = Space(granule, 48, mem, ttbr1=True)
    levels = 4 - sp.start
    # Every root entry points back at the root: the walk reads one descriptor per level
    # and ends with the root itself mapped as a page.
    g = 1 << sp.gbits
    for i in range(g // 8):
        mem.write64(sp.root + 8 * i, sp.root | VALID | TABLE | AF)
    for va in [kva(48, 0), kva(48, 0x7FFF_FFFF_F000), kva(48, 123 * g)]:
        r = walker.one(mem, tcr(None, sp), 0, sp.base(), va)
        assert r["status"] == "ok", r
        assert int(r["reads"]) == levels
        assert int(r["pa"], 16) == sp.root + (va & (g - 1))


def test_hierarchical_permissions(walker: Walker) -> None:
    mem = Memory()
    sp = Space(4, 48, mem, ttbr1=True)
    va = kva(48, 0x40_0000)
    sp.map(va, 0x4000_0000, 3, AF | AP_EL0)
    l1 = sp.entry_pa(va, 1)
    mem.write64(l1, mem.read64(l1) | T_RO | T_NOEL0 | T_UXN)
    r = walker.one(mem, tcr(None, sp), 0, sp.base(), va)
    assert (r["ap"], r["uxn"]) == ("2", "1"), r
    r = walker.one(mem, tcr(None, sp, hpd1=True), 0, sp.base(), va)
    assert (r["ap"], r["uxn"]) == ("1", "0"), r


def test_reserved_tcr_encodings(walker: Walker) -> None:
    mem = Memory()
    lo = Space(4, 48, mem)
    lo.map(0x1000, 0x4000_0000)
    t = tcr(lo, None)
    r = walker.one(mem, t | (3 << 14), lo.base(), 0, 0x1000)  # TG0 = 0b11
    assert r["kind"] == "config" and "TG0" in r["text"]
    r = walker.one(mem, (t & ~0x3F) | 10, lo.base(), 0, 0x1000)  # T0SZ 10 with 4K
    assert r["kind"] == "config" and "T0SZ" in r["text"]
    r = walker.one(mem, t | (7 << 32), lo.base(), 0, 0x1000)  # IPS 0b111
    assert r["kind"] == "config"
    hi = Space(4, 48, mem, ttbr1=True)
    r = walker.one(mem, tcr(None, hi) & ~(3 << 30), 0, hi.base(), kva(48, 0))  # TG1 = 0b00
    assert r["kind"] == "config" and "TG1" in r["text"]


def test_reverse_lookup(walker: Walker) -> None:
    mem = Memory()
    sp = Space(4, 48, mem, ttbr1=True)
    a = kva(48, 0x8000_0800_0000)
    b = kva(48, 0x8000_0a00_0000)
    sp.map(a, 0x4123_4000)
    sp.map(b, 0x4120_0000, 2)
    lines = walker.run(mem, tcr(None, sp), 0, sp.base(), "find", 0x4123_4567, kva(48, 0),
                       2**64 - 1)
    assert lines == [f"found 2 {a + 0x567:#x} {b + 0x34567:#x}"]
    lines = walker.run(mem, tcr(None, sp), 0, sp.base(), "find", 0x4123_4567, a + 0x1000,
                       2**64 - 1)
    assert lines == [f"found 1 {b + 0x34567:#x}"]
