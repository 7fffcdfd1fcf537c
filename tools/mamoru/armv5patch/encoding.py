# SPDX-License-Identifier: GPL-2.0-only
"""The replacement SVC: `SVC<cond> #imm24` with the original condition, where imm24 =
kind (bits 23:20) | operand fields (bits 19:0). This table is the specification the C decoder
(arch/arm/include/arch/arm32_patch.h) is tested against; docs/armv5-patching.md explains it.

Kinds 0x0-0x7 and 0x9 are never produced: 0 is EABI `svc #0`, 0x1xxxxx holds the ARM
semihosting number 0x123456, 0x9xxxxx is the OABI syscall range (0x900000 + nr, and Linux's
private 0x9f0000 calls). A word whose operands do not fit (or that has non-canonical
should-be-zero/one bits) gets kind SIDE: bits 19:0 index a side table of original words.
"""

from __future__ import annotations

from dataclasses import dataclass

SVC_OPCODE = 0x0F000000  # bits 27:24 = 1111
KIND_SHIFT = 20
RESERVED_KINDS = frozenset({0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x9})


@dataclass(frozen=True)
class Field:
    name: str
    lsb: int
    width: int

    def get(self, imm: int) -> int:
        return (imm >> self.lsb) & ((1 << self.width) - 1)

    def put(self, value: int) -> int:
        if not 0 <= value < (1 << self.width):
            raise ValueError(f"{self.name}={value} does not fit {self.width} bits")
        return value << self.lsb


@dataclass(frozen=True)
class Kind:
    name: str      # C macro suffix: ARM32_PATCH_KIND_<NAME>
    code: int      # bits 23:20 of the immediate
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


MRS = Kind("MRS", 0xA, (Field("RD", 0, 4), Field("R", 4, 1)))
MSR_REG = Kind("MSR_REG", 0xB, (Field("RM", 0, 4), Field("MASK", 4, 4), Field("R", 8, 1)))
MSR_IMM = Kind("MSR_IMM", 0xC, (Field("IMM8", 0, 8), Field("ROT", 8, 4), Field("MASK", 12, 4),
                                Field("R", 16, 1)))
DP_REG = Kind("DP_REG", 0xD, (Field("SHIFTER", 0, 12), Field("RN", 12, 4),
                              Field("OPCODE", 16, 4)))
DP_IMM = Kind("DP_IMM", 0xE, (Field("IMM8", 0, 8), Field("ROT", 8, 4), Field("RN", 12, 4),
                              Field("OPCODE", 16, 4)))
# LDM/STM with the S bit and a contiguous register list LO..HI (inclusive).
LDSTM = Kind("LDSTM", 0xF, (Field("HI", 0, 4), Field("LO", 4, 4), Field("RN", 8, 4),
                            Field("W", 12, 1), Field("U", 13, 1), Field("P", 14, 1),
                            Field("L", 15, 1)))
SIDE = Kind("SIDE", 0x8, (Field("INDEX", 0, 20),))
KINDS: tuple[Kind, ...] = (MRS, MSR_REG, MSR_IMM, DP_REG, DP_IMM, LDSTM, SIDE)
BY_CODE = {k.code: k for k in KINDS}
SIDE_MAX = 1 << 20

# Fixed bits of the original instruction, per kind (cond and operands added by decode).
BASE = {
    "MRS": 0x010F0000,      # cond 00010 R 00 1111 Rd 0000 0000 0000
    "MSR_REG": 0x0120F000,  # cond 00010 R 10 mask 1111 0000 0000 Rm
    "MSR_IMM": 0x0320F000,  # cond 00110 R 10 mask 1111 rot imm8
    "DP_REG": 0x0010F000,   # cond 000 opcode 1 Rn 1111 shifter
    "DP_IMM": 0x0210F000,   # cond 001 opcode 1 Rn 1111 rot imm8
    "LDSTM": 0x08400000,    # cond 100 P U 1 W L Rn reglist
}


class NoCompactForm(Exception):
    """The word is sensitive but has no compact encoding: it goes to the side table."""


def _imm(kind: Kind, **values: int) -> int:
    imm = kind.code << KIND_SHIFT
    for f in kind.fields:
        imm |= f.put(values[f.name])
    return imm


def svc(cond: int, imm24: int) -> int:
    return (cond << 28) | SVC_OPCODE | imm24


def compact_imm(word: int, kind: Kind) -> int:
    """imm24 for a sensitive `word` of `kind` (not SIDE); NoCompactForm when it has none."""
    if kind is MRS:
        imm = _imm(MRS, RD=(word >> 12) & 15, R=(word >> 22) & 1)
    elif kind is MSR_REG:
        imm = _imm(MSR_REG, RM=word & 15, MASK=(word >> 16) & 15, R=(word >> 22) & 1)
    elif kind is MSR_IMM:
        imm = _imm(MSR_IMM, IMM8=word & 0xFF, ROT=(word >> 8) & 15, MASK=(word >> 16) & 15,
                   R=(word >> 22) & 1)
    elif kind is DP_REG:
        imm = _imm(DP_REG, SHIFTER=word & 0xFFF, RN=(word >> 16) & 15,
                   OPCODE=(word >> 21) & 15)
    elif kind is DP_IMM:
        imm = _imm(DP_IMM, IMM8=word & 0xFF, ROT=(word >> 8) & 15, RN=(word >> 16) & 15,
                   OPCODE=(word >> 21) & 15)
    elif kind is LDSTM:
        regs = word & 0xFFFF
        if regs == 0:
            raise NoCompactForm("empty register list")
        lo = (regs & -regs).bit_length() - 1
        hi = regs.bit_length() - 1
        if regs != ((1 << (hi + 1)) - (1 << lo)):
            raise NoCompactForm("register list is not contiguous")
        imm = _imm(LDSTM, HI=hi, LO=lo, RN=(word >> 16) & 15, W=(word >> 21) & 1,
                   U=(word >> 23) & 1, P=(word >> 24) & 1, L=(word >> 20) & 1)
    else:
        raise ValueError(f"no compact form for kind {kind.name}")
    # Anything the fields do not carry (should-be-zero/one bits) must be canonical.
    if decode(svc(word >> 28, imm)) != word:
        raise NoCompactForm("non-canonical encoding")
    return imm


def decode(svc_word: int, side_table: list[int] | None = None) -> int:
    """The original instruction word of a patched SVC (the reference for the C decoder)."""
    if (svc_word & 0x0F000000) != SVC_OPCODE:
        raise ValueError(f"{svc_word:#010x} is not an SVC")
    cond = svc_word >> 28
    imm = svc_word & 0xFFFFFF
    kind = BY_CODE.get(imm >> KIND_SHIFT)
    if kind is None:
        raise ValueError(f"{svc_word:#010x}: not a patch SVC (kind {imm >> KIND_SHIFT:#x})")
    v = {f.name: f.get(imm) for f in kind.fields}
    c = cond << 28
    if kind is SIDE:
        if side_table is None or v["INDEX"] >= len(side_table):
            raise ValueError(f"{svc_word:#010x}: side-table index {v['INDEX']} out of range")
        return side_table[v["INDEX"]]
    base = c | BASE[kind.name]
    if kind is MRS:
        return base | v["R"] << 22 | v["RD"] << 12
    if kind is MSR_REG:
        return base | v["R"] << 22 | v["MASK"] << 16 | v["RM"]
    if kind is MSR_IMM:
        return base | v["R"] << 22 | v["MASK"] << 16 | v["ROT"] << 8 | v["IMM8"]
    if kind is DP_REG:
        return base | v["OPCODE"] << 21 | v["RN"] << 16 | v["SHIFTER"]
    if kind is DP_IMM:
        return base | v["OPCODE"] << 21 | v["RN"] << 16 | v["ROT"] << 8 | v["IMM8"]
    # LDSTM
    if v["LO"] > v["HI"]:
        raise ValueError(f"{svc_word:#010x}: register range r{v['LO']}-r{v['HI']} is empty")
    regs = (1 << (v["HI"] + 1)) - (1 << v["LO"])
    return (base | v["P"] << 24 | v["U"] << 23 | v["W"] << 21 | v["L"] << 20 | v["RN"] << 16
            | regs)
