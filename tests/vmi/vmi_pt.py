# SPDX-License-Identifier: GPL-2.0-only
"""Hand-built AArch64 stage-1 translation tables for the walker and VMI tests.

Written from the VMSAv8-64 rules (granule, TnSZ, start level, descriptor bits), independently
of the C walker, so the tests compare two readings of the architecture.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from mamoru.testing.hostcheck import HOST, build_host

GRANULE_BITS = {4: 12, 16: 14, 64: 16}
TG0 = {4: 0b00, 64: 0b01, 16: 0b10}
TG1 = {16: 0b01, 4: 0b10, 64: 0b11}
IPS = {32: 0, 36: 1, 40: 2, 42: 3, 44: 4, 48: 5, 52: 6}

VALID = 1 << 0
TABLE = 1 << 1      # table (levels 0-2) or page (level 3)
AF = 1 << 10
AP_RO = 1 << 7
AP_EL0 = 1 << 6
PXN = 1 << 53
UXN = 1 << 54
T_PXN = 1 << 59
T_UXN = 1 << 60
T_NOEL0 = 1 << 61
T_RO = 1 << 62

HOST_BIN = HOST / "vmi"


def host_program(name: str) -> Path:
    """A host test program from tests/vmi/host/SConscript, built (scons host) when missing or
    older than its sources."""
    build_host()
    path = HOST_BIN / name
    assert path.exists(), f"scons host did not build {name}"
    return path


@dataclass
class Space:
    """One half (TTBR0 or TTBR1) of a stage-1 address space in a memory image."""

    granule_kb: int
    va_bits: int
    mem: Memory
    ttbr1: bool = False
    ds: bool = False
    root: int = 0

    def __post_init__(self) -> None:
        self.gbits = GRANULE_BITS[self.granule_kb]
        self.stride = self.gbits - 3
        levels = -(-(self.va_bits - self.gbits) // self.stride)
        self.start = 4 - levels
        self.root = self.mem.alloc(1 << self.gbits)

    def shift(self, level: int) -> int:
        return self.gbits + self.stride * (3 - level)

    def index(self, va: int, level: int) -> int:
        bits = self.va_bits - self.shift(level) if level == self.start else self.stride
        return (va >> self.shift(level)) & ((1 << bits) - 1)

    def entry_pa(self, va: int, level: int) -> int:
        """Where the descriptor for va at level lives, creating tables on the way."""
        table = self.root
        for lvl in range(self.start, level):
            at = table + 8 * self.index(va, lvl)
            d = self.mem.read64(at)
            if not d & VALID:
                d = self.mem.alloc(1 << self.gbits) | VALID | TABLE
                self.mem.write64(at, d)
            table = self.addr(d)
        return table + 8 * self.index(va, level)

    def addr(self, d: int) -> int:
        if self.ds:
            return (d & ((1 << 50) - 1) & ~((1 << self.gbits) - 1)) | (((d >> 8) & 3) << 50)
        if self.gbits == 16:
            return (d & ((1 << 48) - 1) & ~0xFFFF) | (((d >> 12) & 0xF) << 48)
        return d & ((1 << 48) - 1) & ~((1 << self.gbits) - 1)

    def encode_oa(self, pa: int) -> int:
        if self.ds:
            return (pa & ((1 << 50) - 1)) | (((pa >> 50) & 3) << 8)
        if self.gbits == 16:
            return (pa & ((1 << 48) - 1)) | (((pa >> 48) & 0xF) << 12)
        return pa

    def map(self, va: int, pa: int, level: int = 3, attrs: int = AF) -> int:
        """A page (level 3) or block descriptor; returns the descriptor's PA."""
        at = self.entry_pa(va, level)
        self.mem.write64(at, self.encode_oa(pa) | attrs | VALID | (TABLE if level == 3 else 0))
        return at

    def size(self, level: int) -> int:
        return 1 << self.shift(level)

    def base(self) -> int:
        """TTBR value for this root."""
        return self.root


@dataclass
class Memory:
    """A guest-physical memory image starting at gpa, with a bump allocator for tables."""

    gpa: int = 0x4000_0000
    size: int = 8 << 20
    data: bytearray = field(default_factory=bytearray)
    next: int = 0

    def __post_init__(self) -> None:
        self.data = bytearray(self.size)
        self.next = self.gpa

    def alloc(self, size: int, align: int | None = None) -> int:
        align = align or size
        pa = (self.next + align - 1) & ~(align - 1)
        if pa + size > self.gpa + self.size:
            raise MemoryError("test memory image full")
        self.next = pa + size
        return pa

    def read64(self, pa: int) -> int:
        return struct.unpack_from("<Q", self.data, pa - self.gpa)[0]

    def write64(self, pa: int, value: int) -> None:
        struct.pack_into("<Q", self.data, pa - self.gpa, value & (2**64 - 1))

    def write(self, pa: int, blob: bytes) -> None:
        self.data[pa - self.gpa:pa - self.gpa + len(blob)] = blob

    def save(self, path: Path) -> Path:
        """The image as a file (the host tools' MEM argument)."""
        path.write_bytes(bytes(self.data))
        return path


def walk_line(line: str, fault_key: str = "fault") -> dict[str, str]:
    """One line of a walker tool (walk_test, walk_short_test): "ok k=v ..." or
    "fault <kind> k=v ...: <description>", as {"status", fault_key: <kind>, "text", k: v};
    the short walker's quoted kind="<mapping>" is one value, "" when there is none."""
    head, _, text = line.partition(": ")
    before, quoted, rest = head.partition('kind="')
    mapping, _, after = rest.partition('"')
    words = (before + after).split()
    out = {"status": words[0], "text": text}
    if quoted:
        out["kind"] = mapping
    if words[0] == "fault":
        out[fault_key] = words[1]
        words = words[1:]
    for w in words[1:]:
        k, _, v = w.partition("=")
        out[k] = v
    return out


def tcr(lo: Space | None, hi: Space | None, *, ips: int = 48, epd0: bool = False,
        epd1: bool = False, tbi0: bool = False, tbi1: bool = False, ds: bool = False,
        hpd1: bool = False) -> int:
    """TCR_EL1 for these halves (a missing half gets EPD set)."""
    v = IPS[ips] << 32
    if lo is not None:
        v |= (64 - lo.va_bits) | TG0[lo.granule_kb] << 14
    else:
        v |= 16 | 1 << 7
    if hi is not None:
        v |= (64 - hi.va_bits) << 16 | TG1[hi.granule_kb] << 30
    else:
        v |= 16 << 16 | TG1[4] << 30 | 1 << 23
    v |= (epd0 << 7) | (epd1 << 23) | (tbi0 << 37) | (tbi1 << 38) | (ds << 59) | (hpd1 << 42)
    return v


def kva(va_bits: int, offset: int) -> int:
    """A TTBR1 address offset bytes above the bottom of the upper range."""
    return ((2**64 - 1) << va_bits) & (2**64 - 1) | offset
