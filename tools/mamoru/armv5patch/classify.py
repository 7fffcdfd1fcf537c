# SPDX-License-Identifier: GPL-2.0-only
"""Which ARM-state instruction words are sensitive for a guest kernel running in USR mode
on ARMv5 (ARM ARM, DDI 0100I, A3 and A4; the reasoning is in docs/armv5-patching.md).

`classify(word)` returns (report name, encoding kind) for a word to patch, (report name,
None) for a word only counted, or None. Words with condition 1111 are the ARMv5
unconditional space (BLX, PLD, the *2 coprocessor forms): never patched, cp14/cp15 counted.
"""

from __future__ import annotations

from mamoru.armv5patch import encoding as enc
from mamoru.armv5patch.encoding import Kind

# Report names of the patched kinds, in report order.
PATCHED = ("mrs_cpsr", "mrs_spsr", "msr_cpsr_reg", "msr_spsr_reg", "msr_cpsr_imm",
           "msr_spsr_imm", "dp_pc_s", "ldm_exc_return", "ldm_user", "stm_user")
# Sensitive-looking forms that are UNPREDICTABLE on ARMv5 and left alone (reported).
UNPATCHED = ("test_pc_s",)
# Counted only: they trap by themselves (undefined instruction in USR mode).
COUNTED = ("mcr_cp15", "mrc_cp15", "cdp_cp15", "ldc_stc_cp15", "mcrr_mrrc_cp15",
           "mcr_cp14", "mrc_cp14", "cdp_cp14", "ldc_stc_cp14", "mcrr_mrrc_cp14", "wfi")

WFI_MASK, WFI_BITS = 0x0FFF0FFF, 0x0E070F90  # mcr p15, 0, Rd, c7, c0, 4
Result = tuple[str, Kind | None]


def _coprocessor(word: int) -> Result | None:
    cp = (word >> 8) & 15
    if cp not in (14, 15):
        return None
    suffix = f"_cp{cp}"
    if (word & 0x0F000010) == 0x0E000010:
        if (word & WFI_MASK) == WFI_BITS:
            return ("wfi", None)
        return (("mrc" if word & (1 << 20) else "mcr") + suffix, None)
    if (word & 0x0F000010) == 0x0E000000:
        return ("cdp" + suffix, None)
    if (word & 0x0FE00000) == 0x0C400000:  # ARMv5TE MCRR/MRRC (LDC/STC with P=U=W=0, N=1)
        return ("mcrr_mrrc" + suffix, None)
    if (word & 0x0E000000) == 0x0C000000:
        return ("ldc_stc" + suffix, None)
    return None


def classify(word: int) -> Result | None:
    if (word & 0x0C000000) == 0x0C000000:  # coprocessor and SWI space (bits 27:26 = 11)
        return _coprocessor(word)
    if word >> 28 == 0xF:
        return None
    spsr = "spsr" if word & (1 << 22) else "cpsr"
    if (word & 0x0F9000F0) == 0x01000000:  # miscellaneous: MRS (bit 21 = 0), MSR register
        if word & (1 << 21):
            return (f"msr_{spsr}_reg", enc.MSR_REG)
        return (f"mrs_{spsr}", enc.MRS)
    if (word & 0x0FB00000) == 0x03200000:
        return (f"msr_{spsr}_imm", enc.MSR_IMM)
    if (word & 0x0C10F000) == 0x0010F000:  # data processing, S = 1, Rd = PC
        imm = bool(word & (1 << 25))
        if not imm and (word & 0x90) == 0x90:
            return None  # multiply / extra load-store space, not data processing
        if 8 <= (word >> 21) & 15 <= 11:
            return ("test_pc_s", None)  # TST/TEQ/CMP/CMN with Rd = 15 (old 26-bit P forms)
        return ("dp_pc_s", enc.DP_IMM if imm else enc.DP_REG)
    if (word & 0x0E400000) == 0x08400000:  # LDM/STM with the S bit
        if not word & (1 << 20):
            return ("stm_user", enc.LDSTM)
        return ("ldm_exc_return" if word & (1 << 15) else "ldm_user", enc.LDSTM)
    return None
