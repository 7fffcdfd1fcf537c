# SPDX-License-Identifier: GPL-2.0-only
"""An independent count of ARMv5 sensitive instructions, from `objdump -d` alone (regexes
over mnemonics and operands; objdump honours the $a/$d mapping symbols itself): the oracle
the patcher's per-kind counts (mamoru.armv5patch) are checked against, for the vmlinux
(tests/armv5patch) and for modules (tests/assets). Kind names are the patcher's."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

COND = r"(?:eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?"
REG = r"(?:r\d+|sl|fp|ip|sp|lr|pc)"
DP = r"(?:and|eor|sub|rsb|add|adc|sbc|rsc|orr|mov|bic|mvn|lsl|lsr|asr|ror|rrx)"


def disassembly(objdump: str, elf: Path) -> list[tuple[str, str, str]]:
    """(address, mnemonic, operands) of every instruction objdump shows in elf's code."""
    dis = subprocess.run([objdump, "-d", str(elf)], check=True, capture_output=True,
                         text=True).stdout
    rows = []
    for line in dis.splitlines():
        parts = line.split("\t")
        if len(parts) >= 4 and parts[0].rstrip().endswith(":"):
            rows.append((parts[0].strip().rstrip(":"), parts[2].strip(),
                         parts[3].split("@")[0].strip()))
    return rows


def sensitive_counts(objdump: str, elf: Path) -> Counter[str]:
    """The sensitive instructions of elf by the patcher's kind names."""
    c: Counter[str] = Counter()
    for _, mn, ops in disassembly(objdump, elf):
        if re.fullmatch(r"mrs" + COND, mn):
            m = re.fullmatch(REG + r", (CPSR|APSR|SPSR)", ops)
            assert m, (mn, ops)
            c["mrs_spsr" if m.group(1) == "SPSR" else "mrs_cpsr"] += 1
        elif re.fullmatch(r"msr" + COND, mn):
            m = re.fullmatch(r"(CPSR|APSR|SPSR)_\w+, (#?)\S+", ops)
            assert m, (mn, ops)
            reg = "spsr" if m.group(1) == "SPSR" else "cpsr"
            c[f"msr_{reg}_{'imm' if m.group(2) else 'reg'}"] += 1
        elif re.fullmatch(DP + "s" + COND, mn) and ops.startswith("pc,"):
            c["dp_pc_s"] += 1
        elif re.fullmatch(r"(ldm|stm)(ia|ib|da|db|fd|fa|ed|ea)?" + COND + r"(ia|ib|da|db)?",
                          mn) and ops.endswith("}^"):
            if mn.startswith("stm"):
                c["stm_user"] += 1
            else:
                regs = ops[ops.index("{") + 1:-2].split(", ")
                c["ldm_exc_return" if "pc" in regs else "ldm_user"] += 1
        elif re.fullmatch(r"(mcr|mrc)2?" + COND, mn) and re.match(r"(15|14), ", ops):
            cp = ops.split(",")[0]
            if mn.startswith("mcr") and re.fullmatch(r"15, 0, \w+, cr7, cr0, \{4\}", ops):
                c["wfi"] += 1
            else:
                c[f"{mn[:3]}_cp{cp}"] += 1
    return c
