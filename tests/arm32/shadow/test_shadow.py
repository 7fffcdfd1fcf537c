# SPDX-License-Identifier: GPL-2.0-only
"""The ARMv5 shadow MMU and load/store decoder (arch/arm/cpu/arm32/virt/) on the host, under
ASan/UBSan: hand-built guest tables, the ARM ARM's AP table for both virtual modes, a property
test of invalidation against a reference walk, hostile tables, the hypervisor window, a
libFuzzer run; the decoder against words assembled by arm-linux-gnueabi-as and against every
load/store in the cached versatile vmlinux's .text as objdump reads it; a compile of both
files with the versatilepb build's cross compiler and flags."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from mamoru import paths
from mamoru.testing.fuzz import run_fuzzer
from mamoru.testing.hostcheck import SAN_ENV, build_host, checks_passed

CROSS = "arm-linux-gnueabi-"


@pytest.fixture(scope="module")
def host_bin() -> Path:
    """Builds the host programs (scons host) once for this module."""
    return build_host("arm32shadow")


def run(prog: Path, *args: object, stdin: str = "",
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(prog), *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=timeout, env=SAN_ENV, check=False)


# --- shadow tables ------------------------------------------------------------------------


@pytest.mark.parametrize("section,least", [("tables", 30), ("domains", 15), ("perms", 4000),
                                           ("hostile", 200), ("window", 1000)])
def test_shadow(host_bin: Path, section: str, least: int) -> None:
    """tables: hand-built sections, coarse tables, small and large pages, domains, devices,
    MMU off; perms: every AP x S/R x domain type x page size x virtual mode x access against
    the ARM ARM's table; domains: more guest domains than shadow slots, DACR writes that
    drop nothing, the pinned MiB leaving a manager domain; hostile: TTBR and table
    pointers outside RAM, into devices, into the hypervisor, self-referencing, random
    tables (at most two descriptor reads a fault);
    window: the hypervisor's entries and pinned page stay in every table, unreachable."""
    checks_passed(run(host_bin / "shadow_test", section), section, least)


@pytest.mark.parametrize("seed", range(1, 13))
def test_shadow_invalidation_property(host_bin: Path, seed: int) -> None:
    """Random guest table edits, each followed by the TLB maintenance it needs, DACR, TTBR,
    control and mode changes: the shadow never grants more than a reference walk of the
    guest's tables, and each fault gets the guest's answer."""
    r = run(host_bin / "shadow_test", "property", seed, 3000)
    checks_passed(r, "property", 20000)
    stats = dict(re.findall(r"(\w+) (\d+)", r.stdout.split("stats: ")[1].splitlines()[0]))
    assert int(stats["fills"]) > 100 and int(stats["drops"]) > 50, stats


def test_shadow_roots_cached(host_bin: Path) -> None:
    """A Linux-like guest, four processes round-robin, each slice a TTBR write and TLB
    flush-all (Linux's switch_mm) and PAN's DACR writes: with a root per process the kernel
    half is not refaulted (the flush costs descriptor re-reads, not faults); PAN's DACR writes
    drop only the pinned page's MiB (the first MiB, where the processes' pages are: its domain
    type goes into its AP, docs/armv5-virt.md "Integration"), 16 faults a slice; with fewer
    roots than processes (LRU) every slice faults the kernel and user pages in again;
    relax_kernel_ro does not remove the vectors MiB's two kind switches: the vectors page
    (privileged RW, user RO) takes SAME only, its privileged writes emulated, so that the
    guest kernel's STRT to a user read-only page faults as on hardware."""
    per = {}
    for args in (("1",), ("4",), ("4", "relaxed")):
        r = run(host_bin / "shadow_test", "linux", *args)
        checks_passed(r, "linux", 100)
        m = re.search(r"roots \d+[a-z ]*: ([\d.]+) faults, [\d.]+ descriptor reads, "
                      r"([\d.]+) kind switches", r.stdout)
        assert m, r.stdout
        per[args] = (float(m.group(1)), float(m.group(2)))
    assert per[("4",)] == (18.0, 2.0) and per[("1",)][0] >= 30, per
    assert per[("4", "relaxed")] == (18.0, 2.0), per


def test_shadow_fuzz_short(host_bin: Path, tmp_path: Path) -> None:
    # a few operations over a table with a section, a coarse table and a large page
    ops = bytes([0, 0, 0, 0xc0, 0, 0, 0, 0] * 4 + [4, 0, 0, 0, 0xc0, 1, 0, 0])
    table = (0x00000c12).to_bytes(4, "little") + (0x00110011).to_bytes(4, "little") * 3
    seed = (5).to_bytes(4, "little") + ops + table
    run_fuzzer(host_bin / "shadow_fuzz", tmp_path, [seed], "-max_len=4096")


# --- load/store decoding -------------------------------------------------------------------

COND = r"(?:eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?"
LDST = re.compile(rf"(ldr|str)(b|h|sb|sh|d)?(t)?{COND}")
SWP = re.compile(rf"swp(b)?{COND}")
REG = {**{f"r{i}": i for i in range(16)}, "sl": 10, "fp": 11, "ip": 12, "sp": 13, "lr": 14,
       "pc": 15}
SIZE = {None: 4, "b": 1, "h": 2, "sb": 1, "sh": 2, "d": 8}


def objdump_reading(mnemonic: str, operands: str) -> str | None:
    """What objdump's text says a load/store does, in ldst_tool's format (no word); None for
    anything else."""
    m = SWP.fullmatch(mnemonic)
    if m:
        rt, rt2, rn = re.findall(r"\b(r\d+|sl|fp|ip|sp|lr|pc)\b", operands)[:3]
        return (f"swp size={1 if m.group(1) else 4} sx=0 rt={REG[rt]} rt2={REG[rt2]} "
                f"rn={REG[rn]} wb=0 user=0")
    m = LDST.fullmatch(mnemonic)
    if not m:
        return None
    op, size, user = m.groups()
    rt = REG[operands.split(",")[0].strip()]
    inside = operands[operands.index("[") + 1:]
    rn = REG[re.match(r"\s*(\w+)", inside).group(1)]  # type: ignore[union-attr]
    post = not operands.rstrip().endswith(("]", "]!"))
    wb = operands.rstrip().endswith("!") or post
    return (f"{'ld' if op == 'ldr' else 'st'} size={SIZE[size]} sx={int(size in ('sb', 'sh'))} "
            f"rt={rt} rt2={rt + 1 if size == 'd' else rt} rn={rn} wb={int(wb)} "
            f"user={int(user is not None)}")


def refused_by_design(reading: str, operands: str) -> bool:
    """Forms the ARMv5 ARM calls UNPREDICTABLE (or whose stored PC is implementation
    defined), which the decoder refuses: judged from objdump's reading alone."""
    f = dict(kv.split("=") for kv in reading.split()[1:])
    rt, rt2, rn, wb = int(f["rt"]), int(f["rt2"]), int(f["rn"]), f["wb"] == "1"
    regs = [REG[x] for x in re.findall(r"\b(r\d+|sl|fp|ip|sp|lr|pc)\b", operands)]
    rm = regs[2] if len(regs) > 2 and reading.startswith(("ld", "st")) else None
    return ((reading.startswith("st") and rt == 15) or (wb and rn in (15, rt, rt2)) or
            rm == 15 or (wb and rm == rn) or (f["size"] == "8" and (rt % 2 or rt == 14)) or
            (rt == 15 and (f["size"] != "4" or f["user"] == "1")))


def disassemble(obj: Path, section: str = ".text") -> list[tuple[str, str, str]]:
    """(word, mnemonic, operands) of every instruction objdump shows in section."""
    out = subprocess.run([f"{CROSS}objdump", "-d", "-j", section, str(obj)], check=True,
                         capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not re.fullmatch(r"\s*[0-9a-f]+:", parts[0]):
            continue
        word, mnemonic = parts[1].strip(), parts[2].strip()
        operands = parts[3] if len(parts) > 3 else ""
        comment = next((p.strip() for p in parts[4:] if p.strip().startswith("@")), "")
        if len(word) != 8 or mnemonic.startswith("."):
            continue                    # data (.word) and Thumb: not ARM instructions
        m = re.match(r"@ \((\w+) (.*)\)$", comment)
        if mnemonic.startswith(("push", "pop")) and m:   # one-register push/pop: LDR/STR
            mnemonic, operands = m.group(1), m.group(2)
        rows.append((word, mnemonic, operands))
    return rows


def decode(host_bin: Path, words: list[str]) -> dict[str, str]:
    r = run(host_bin / "ldst_tool", "decode", stdin="".join(w + "\n" for w in words))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return {line[:8]: line[9:] for line in r.stdout.splitlines()}


def compare(host_bin: Path, rows: list[tuple[str, str, str]]) -> tuple[int, list[str], list[str]]:
    """Loads/stores checked, disagreements, refused-by-design words."""
    got = decode(host_bin, sorted({w for w, _, _ in rows}))
    n, bad, refused = 0, [], []
    for word, mnemonic, operands in rows:
        want = objdump_reading(mnemonic, operands)
        have = got[word]
        if want is None:
            if have != "unsupported":
                bad.append(f"{word} {mnemonic} {operands}: decoder says {have}")
            continue
        n += 1
        if have == "unsupported" and refused_by_design(want, operands):
            refused.append(f"{word} {mnemonic} {operands}")
        elif have != want:
            bad.append(f"{word} {mnemonic} {operands}: objdump {want}, decoder {have}")
    return n, bad, refused


# Hand-written forms and what each must decode to (written from the ARM ARM, not from
# objdump): direction, size, sign extension, rt, rt2, rn, writeback, user.
FORMS = {
    "ldr r0, [r1]": "ld size=4 sx=0 rt=0 rt2=0 rn=1 wb=0 user=0",
    "ldr r0, [r1, #4]": "ld size=4 sx=0 rt=0 rt2=0 rn=1 wb=0 user=0",
    "ldr r0, [r1, #-4]!": "ld size=4 sx=0 rt=0 rt2=0 rn=1 wb=1 user=0",
    "ldr r0, [r1], #4": "ld size=4 sx=0 rt=0 rt2=0 rn=1 wb=1 user=0",
    "ldr r0, [r1, r2]": "ld size=4 sx=0 rt=0 rt2=0 rn=1 wb=0 user=0",
    "ldr r0, [r1, -r2]!": "ld size=4 sx=0 rt=0 rt2=0 rn=1 wb=1 user=0",
    "ldr r0, [r1, r2, lsl #2]": "ld size=4 sx=0 rt=0 rt2=0 rn=1 wb=0 user=0",
    "ldr r0, [r1, r2, asr #32]": "ld size=4 sx=0 rt=0 rt2=0 rn=1 wb=0 user=0",
    "ldr r0, [r1, r2, rrx]": "ld size=4 sx=0 rt=0 rt2=0 rn=1 wb=0 user=0",
    "ldr r0, [r1], r2, lsr #3": "ld size=4 sx=0 rt=0 rt2=0 rn=1 wb=1 user=0",
    "ldr pc, [sp], #4": "ld size=4 sx=0 rt=15 rt2=15 rn=13 wb=1 user=0",
    "ldr r3, [pc, #8]": "ld size=4 sx=0 rt=3 rt2=3 rn=15 wb=0 user=0",
    "str r0, [r1, #4]": "st size=4 sx=0 rt=0 rt2=0 rn=1 wb=0 user=0",
    "str r0, [r1, r2, ror #8]!": "st size=4 sx=0 rt=0 rt2=0 rn=1 wb=1 user=0",
    "ldrb r5, [r6, #-1]": "ld size=1 sx=0 rt=5 rt2=5 rn=6 wb=0 user=0",
    "strb r5, [r6], r7": "st size=1 sx=0 rt=5 rt2=5 rn=6 wb=1 user=0",
    "ldrt r1, [r2], #4": "ld size=4 sx=0 rt=1 rt2=1 rn=2 wb=1 user=1",
    "strt r1, [r2], -r3, lsl #2": "st size=4 sx=0 rt=1 rt2=1 rn=2 wb=1 user=1",
    "ldrbt r1, [r2], #1": "ld size=1 sx=0 rt=1 rt2=1 rn=2 wb=1 user=1",
    "strbt r1, [r2]": "st size=1 sx=0 rt=1 rt2=1 rn=2 wb=1 user=1",
    "ldrh r1, [r2, #2]": "ld size=2 sx=0 rt=1 rt2=1 rn=2 wb=0 user=0",
    "ldrh r1, [r2], r3": "ld size=2 sx=0 rt=1 rt2=1 rn=2 wb=1 user=0",
    "strh r1, [r2, #-6]!": "st size=2 sx=0 rt=1 rt2=1 rn=2 wb=1 user=0",
    "ldrsb r1, [r2, r3]": "ld size=1 sx=1 rt=1 rt2=1 rn=2 wb=0 user=0",
    "ldrsh r1, [r2], #-2": "ld size=2 sx=1 rt=1 rt2=1 rn=2 wb=1 user=0",
    "ldrsheq r1, [r2, #-2]!": "ld size=2 sx=1 rt=1 rt2=1 rn=2 wb=1 user=0",
    "ldrd r2, [r0]": "ld size=8 sx=0 rt=2 rt2=3 rn=0 wb=0 user=0",
    "ldrd r4, [r0, #8]!": "ld size=8 sx=0 rt=4 rt2=5 rn=0 wb=1 user=0",
    "strd r4, [r1, r2]": "st size=8 sx=0 rt=4 rt2=5 rn=1 wb=0 user=0",
    "strd r6, [r1], #-16": "st size=8 sx=0 rt=6 rt2=7 rn=1 wb=1 user=0",
    "swp r0, r1, [r2]": "swp size=4 sx=0 rt=0 rt2=1 rn=2 wb=0 user=0",
    "swpb r0, r1, [r2]": "swp size=1 sx=0 rt=0 rt2=1 rn=2 wb=0 user=0",
    "ldrne r0, [r1]": "ld size=4 sx=0 rt=0 rt2=0 rn=1 wb=0 user=0",
    # refused: LDM/STM, coprocessor, PLD, unpredictable forms, not loads/stores at all
    "ldm r0, {r1, r2}": "unsupported",
    "stmdb sp!, {r4, lr}": "unsupported",
    "push {r4, r5}": "unsupported",
    "ldc p14, c5, [r1]": "unsupported",
    "pld [r0]": "unsupported",
    "str pc, [r0]": "unsupported",
    "ldr r1, [r1, #4]!": "unsupported",
    ".inst 0xe1c010d0  @ ldrd r1, [r0]: odd first register": "unsupported",
    ".inst 0xe1000090  @ swp r0, r0, [r0]: base is a transfer register": "unsupported",
    "mov r0, r1": "unsupported",
    "mul r0, r1, r2": "unsupported",
    "mrc p15, 0, r0, c1, c0, 0": "unsupported",
    "bx lr": "unsupported",
}


def test_ldst_execute(host_bin: Path) -> None:
    """Values: offsets, shifts, RRX, writeback, rotation of unaligned words, sign extension,
    LDRD/STRD, SWP/SWPB, the PC as base, an aborted access changes no register."""
    checks_passed(run(host_bin / "ldst_tool", "exec"), "exec", 20)


def test_ldst_assembled_forms(host_bin: Path, tmp_path: Path) -> None:
    src = tmp_path / "forms.s"
    src.write_text(".syntax unified\n.arm\n" + "".join(f"{f}\n" for f in FORMS))
    obj = tmp_path / "forms.o"
    subprocess.run([f"{CROSS}as", "-march=armv5te", "-o", str(obj), str(src)], check=True)
    rows = disassemble(obj)
    assert len(rows) == len(FORMS)
    got = decode(host_bin, [w for w, _, _ in rows])
    for (word, mnemonic, operands), (form, want) in zip(rows, FORMS.items(), strict=True):
        assert got[word] == want, f"{form} ({word}): decoder {got[word]}, expected {want}"
        reading = objdump_reading(mnemonic, operands)
        if want != "unsupported":
            assert reading == want, f"{form}: objdump reads {reading}"


def test_ldst_vmlinux(host_bin: Path) -> None:
    """Every ARM instruction word in the versatile kernel's .text: the decoder agrees with
    objdump on the loads/stores (size, direction, registers, writeback, user) and refuses
    everything else; the only loads/stores refused are the ARM ARM's unpredictable forms."""
    from mamoru.versatilekernel import versatile_kernel

    rows = disassemble(versatile_kernel().vmlinux)
    n, bad, refused = compare(host_bin, rows)
    assert not bad, f"{len(bad)} disagreements, e.g.:\n" + "\n".join(bad[:20])
    assert n > 100_000, n
    assert len(refused) < 100, "\n".join(refused[:20])


# --- the board's compiler -------------------------------------------------------------------


def test_compiles_for_versatilepb() -> None:
    """Both files compile freestanding with the versatilepb build's flags (SConstruct's
    target_env and ARCH_BUILD["arm32"]); they are not linked into the image yet."""
    gcc_include = subprocess.run([f"{CROSS}gcc", "-print-file-name=include"], check=True,
                                 capture_output=True, text=True).stdout.strip()
    for src in ("shadow_mmu.c", "v5_ldst.c"):
        r = subprocess.run(
            [f"{CROSS}gcc", "-std=c11", "-ffreestanding", "-nostdinc", "-isystem", gcc_include,
             "-Wall", "-Wextra", "-Werror", "-O2", "-fno-stack-protector", "-fno-common",
             "-march=armv5te", "-marm", "-mfloat-abi=soft", "-mno-unaligned-access",
             "-fno-pie", "-Wstack-usage=512", "-Icore/include", "-Iarch/arm/include", "-I.",
             "-c", "-o", os.devnull, f"arch/arm/cpu/arm32/virt/{src}"],
            cwd=paths.ROOT, capture_output=True, text=True, check=False)
        assert r.returncode == 0, r.stderr
