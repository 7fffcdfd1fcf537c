# SPDX-License-Identifier: GPL-2.0-only
"""The ARMv5 vCPU core (arch/arm/cpu/arm32/virt/v5_*.c) on the host, under ASan/UBSan
(tests/arm32/vcpu/host/vcpu_test.c): register banking, MRS/MSR, exception returns, LDM/STM
with the S bit, exception entry, cp15; a libFuzzer run; a freestanding compile with the
versatilepb build's flags; and every sensitive or cp15 instruction word of the real
versatile Linux kernel fed to the decoder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from mamoru import paths
from mamoru.testing.fuzz import run_fuzzer
from mamoru.testing.hostcheck import SAN_ENV, build_host, checks_passed

SOURCES = sorted((paths.ROOT / "arch" / "arm" / "cpu" / "arm32" / "virt").glob("v5_*.c"))
CROSS = "arm-linux-gnueabi-"
# The versatilepb build's C flags (SConstruct: target_env and ARCH_BUILD["arm32"]).
BOARD_CFLAGS = ["-std=c11", "-ffreestanding", "-nostdinc", "-Wall", "-Wextra", "-Werror", "-O2",
                "-fno-stack-protector", "-fno-common", "-ffunction-sections", "-fdata-sections",
                "-fno-omit-frame-pointer", "-march=armv5te", "-marm", "-mfloat-abi=soft",
                "-mno-unaligned-access", "-fno-pie"]


@pytest.fixture(scope="module")
def host_bin() -> Path:
    return build_host("arm32/vcpu")


def run(prog: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(prog), *args], input=stdin, capture_output=True, text=True,
                          env=SAN_ENV, timeout=300, check=False)


@pytest.mark.parametrize("section", ["banking", "psr", "dp", "ldstm", "exceptions", "cp15"])
def test_vcpu_section(host_bin: Path, section: str) -> None:
    r = run(host_bin / "vcpu_test", section)
    checks_passed(r, section, 21, only=True)


@pytest.mark.skipif(shutil.which("clang") is None, reason="clang (libFuzzer) not installed")
def test_vcpu_fuzz_short(host_bin: Path, tmp_path: Path) -> None:
    # Seeds: an SVC-mode state then Linux's exception return and cp15 words.
    state = b"".join(i.to_bytes(4, "big") for i in range(16)) + (0x13).to_bytes(4, "big")
    state += (0x10).to_bytes(4, "big") * 6 + (0x3000).to_bytes(4, "big") + b"\0\0\0\0"
    seeds = [state + bytes([i]) + word.to_bytes(4, "big")
             for i, word in enumerate([0xE8DDFFFF, 0xE1B0F00E, 0xEE130F10, 0xE9406000, 0xE121F003])]
    run_fuzzer(host_bin / "vcpu_fuzz", tmp_path, seeds, "-max_len=512")


@pytest.mark.skipif(shutil.which(CROSS + "gcc") is None, reason="arm-linux-gnueabi-gcc missing")
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_compiles_freestanding_for_versatilepb(source: Path) -> None:
    """The core is not linked into the board yet (the lead's integration does that); it must
    compile with the board's flags, freestanding, warnings as errors."""
    inc = subprocess.run([CROSS + "gcc", "-print-file-name=include"], capture_output=True,
                         text=True, check=True).stdout.strip()
    r = subprocess.run([CROSS + "gcc", *BOARD_CFLAGS, "-isystem", inc, "-I", str(paths.ROOT),
                        "-c", str(source), "-o", os.devnull],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


# --- cross-check against the real kernel -------------------------------------------------

LINE = re.compile(r"^\s*([0-9a-f]+):\t([0-9a-f]{8}) \t(\S+)\t?(.*)$")
FUNC = re.compile(r"^[0-9a-f]+ <(.+)>:$")
COND = "(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?"
CP_OPS = re.compile(r"15, (\d), [^,]+, cr(\d+), cr(\d+), \{(\d)\}")
DP_PC_S = re.compile(rf"^(mov|mvn|add|adc|sub|sbc|rsb|rsc|and|orr|eor|bic)s{COND}$")

# ARM926EJ-S cp15 registers Linux uses, by (CRn, CRm, opcode_2) (ARM926EJ-S TRM, table 2-1
# and c7/c8 operations): what the decoder must name each access.
ARM926_NAMES = {
    (0, 0, 0): "MIDR", (0, 0, 1): "CTR", (1, 0, 0): "control", (2, 0, 0): "TTBR",
    (3, 0, 0): "DACR", (5, 0, 0): "DFSR", (6, 0, 0): "FAR", (7, 0, 4): "wait for interrupt",
    (7, 5, 0): "invalidate I-cache", (7, 5, 1): "invalidate I-cache line (MVA)",
    (7, 6, 1): "invalidate D-cache line (MVA)", (7, 7, 0): "invalidate I- and D-cache",
    (7, 10, 1): "clean D-cache line (MVA)", (7, 10, 4): "drain write buffer",
    (7, 14, 1): "clean+invalidate D-cache line (MVA)",
    (7, 14, 3): "test, clean and invalidate D-cache",
    (8, 7, 0): "invalidate TLBs", (8, 5, 0): "invalidate I-TLB",
    (8, 5, 1): "invalidate I-TLB entry (MVA)", (8, 6, 0): "invalidate D-TLB",
    (8, 6, 1): "invalidate D-TLB entry (MVA)", (13, 0, 0): "FCSE PID",
}
# Registers of later architectures an ARM926 does not have (undefined there, as here).
# Linux reaches them only on ARMv6+ CPUs (cpu_architecture() checks, HWCAP_TLS, VFP
# probing), so a kernel that boots on an ARM926 never executes them. Each is allowed only
# in the functions listed.
NOT_ON_ARM926 = {
    (0, 0, 1, 4): ("ID_MMFR0", {"setup_processor", "early_mm_init"}),
    (0, 0, 2, 0): ("ID_ISAR0", {"setup_processor"}),
    (0, 0, 2, 3): ("ID_ISAR3", {"setup_processor"}),
    (0, 0, 2, 4): ("ID_ISAR4", {"setup_processor"}),
    (0, 0, 2, 5): ("ID_ISAR5", {"setup_processor"}),
    (1, 0, 0, 0): ("CCSIDR", {"setup_processor"}),
    (2, 0, 0, 0): ("CSSELR", {"setup_processor"}),
    (0, 1, 0, 2): ("CPACR", {"vfp_enable", "vfp_starting_cpu", "vfp_cpu_pm_notifier"}),
    (0, 2, 0, 1): ("TTBR1", {"cpu_resume_after_mmu"}),
    (0, 13, 0, 3): ("TPIDRURO", {"__kuser_get_tls"}),
}


def expected_kind(mnemonic: str, operands: str) -> str | None:
    m = mnemonic
    if re.fullmatch(rf"mrs{COND}", m):
        return "mrs"
    if re.fullmatch(rf"msr{COND}", m):
        return "msr_reg" if re.search(r",\s*(r\d+|ip|sp|lr|fp|sl)$", operands) else "msr_imm"
    if re.fullmatch(rf"mcr{COND}", m) and operands.startswith("15,"):
        return "mcr"
    if re.fullmatch(rf"mrc{COND}", m) and operands.startswith("15,"):
        return "mrc"
    if re.fullmatch(rf"(ldm|stm)(ia|ib|da|db|fd|fa|ed|ea)?{COND}", m) and operands.endswith("^"):
        if m.startswith("stm"):
            return "stm_user"
        return "ldm_return" if re.search(r"\bpc\}\^$", operands) else "ldm_user"
    if DP_PC_S.fullmatch(m) and operands.startswith("pc,"):
        return "dp_pc_s"
    return None


@pytest.fixture(scope="module")
def kernel_words() -> list[tuple[str, int, str, str]]:
    """(function, word, mnemonic, operands) of every ARM instruction in the kernel's code."""
    from mamoru.versatilekernel import versatile_kernel

    vmlinux = versatile_kernel().vmlinux
    dis = subprocess.run([CROSS + "objdump", "-d", str(vmlinux)], capture_output=True,
                         text=True, check=True).stdout
    out, func = [], "?"
    for line in dis.splitlines():
        if f := FUNC.match(line):
            func = f.group(1)
        elif (m := LINE.match(line)) and not m.group(3).startswith("."):  # not .word
            out.append((func, int(m.group(2), 16), m.group(3), m.group(4).split(";")[0].strip()))
    assert len(out) > 100_000, "objdump found too little code"
    return out


def test_real_kernel_words_decode(host_bin: Path, kernel_words: list[tuple[str, int, str, str]],
                                  ) -> None:
    """Every word of the kernel goes through v5_classify; the sensitive and cp15 ones are
    also emulated (condition forced to AL) in SVC mode. Checks: the classifier agrees with
    objdump both ways, none that Linux uses is refused, every cp15 access names the ARM926
    register objdump's operands say, v6+ registers only where Linux guards them."""
    stdin = "".join(f"{w:08x}\n" for _, w, _, _ in kernel_words)
    r = run(host_bin / "vcpu_test", "decode", stdin=stdin)
    assert r.returncode == 0 and r.stderr == "", r.stderr[-3000:]
    rows = r.stdout.splitlines()
    assert len(rows) == len(kernel_words)
    seen: Counter[str] = Counter()
    problems: list[str] = []
    for (func, word, mnem, ops), row in zip(kernel_words, rows, strict=True):
        hexword, kind, result, name = row.split(" ", 3)
        assert int(hexword, 16) == word
        want = expected_kind(mnem, ops)
        sensitive = kind not in ("none", "coproc_other")
        if want is None:
            if sensitive:
                problems.append(f"{func}: {word:08x} {mnem} {ops}: classified {kind}")
            continue
        seen[want] += 1
        where = f"{func}: {word:08x} {mnem} {ops}"
        if kind != want:
            problems.append(f"{where}: classified {kind}, objdump says {want}")
            continue
        if kind in ("mcr", "mrc"):
            cp_m = CP_OPS.fullmatch(ops)
            assert cp_m, where
            opc1, crn, crm, opc2 = (int(x) for x in cp_m.groups())
            v6 = NOT_ON_ARM926.get((opc1, crn, crm, opc2))
            if v6 is not None:
                if result != "undef" or func not in v6[1]:
                    problems.append(f"{where}: {v6[0]} ({result}) outside {sorted(v6[1])}")
                continue
            if opc1 != 0 or ARM926_NAMES.get((crn, crm, opc2)) != name:
                problems.append(f"{where}: named {name!r}, expected "
                                f"{ARM926_NAMES.get((crn, crm, opc2))!r}")
            if result not in ("next", "idle"):
                problems.append(f"{where}: {result}")
        elif result != "next":
            problems.append(f"{where}: {result}")
    assert not problems, "\n".join(problems[:40])
    # What Linux 6.1 on versatile uses, so the check above saw each kind.
    for kind in ("mrs", "msr_reg", "msr_imm", "mcr", "mrc", "ldm_user", "ldm_return",
                 "stm_user", "dp_pc_s"):
        assert seen[kind] > 0, f"no {kind} in the kernel? {seen}"
