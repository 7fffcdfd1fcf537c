# SPDX-License-Identifier: GPL-2.0-only
"""The SVC encoding (mamoru.armv5patch.encoding): round trips, no collision with the SVCs a
guest issues itself, and the generated C header agrees with the Python table (compared
textually and by compiling a host program that prints the header's constants)."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from mamoru.armv5patch import encoding as enc
from mamoru.armv5patch.cheader import HEADER_PATH, header_text
from mamoru.armv5patch.classify import classify

ROOT = Path(__file__).resolve().parents[2]


def _patch(word: int) -> int:
    c = classify(word)
    assert c is not None and c[1] is not None, f"{word:#010x} not sensitive"
    return enc.svc(word >> 28, enc.compact_imm(word, c[1]))


@pytest.mark.parametrize("word", [
    0xE10F0000, 0x110F3000, 0xE14FE000, 0xE121F001, 0x016FF004, 0xE321F0D3, 0xE368F20F,
    0xE1B0F00E, 0xE25EF004, 0x125EF008, 0xE0B0F312, 0x33F0F000, 0xE8DDFFFF, 0xE8FD8000,
    0xE9527FFE, 0xE9406000,
])
def test_round_trip(word: int) -> None:
    svc = _patch(word)
    assert svc >> 28 == word >> 28                       # same condition
    assert (svc & 0x0F000000) == 0x0F000000              # an SVC
    assert (svc >> 20) & 15 not in enc.RESERVED_KINDS
    assert enc.decode(svc) == word


def test_random_round_trip() -> None:
    """Every sensitive word either round-trips compactly or is refused for the side table."""
    rng = random.Random(15)
    seen: dict[str, int] = {}
    for i in range(200000):
        word = rng.getrandbits(32)
        # Canonical MRS / MSR register words are too rare among random words.
        if i % 3 == 1:
            word = (word & 0xF040F000) | 0x010F0000
        elif i % 3 == 2:
            word = (word & 0xF04F000F) | 0x0120F000
        c = classify(word)
        if c is None or c[1] is None:
            continue
        try:
            svc = enc.svc(word >> 28, enc.compact_imm(word, c[1]))
        except enc.NoCompactForm:
            continue
        assert enc.decode(svc) == word, f"{word:#010x}"
        seen[c[1].name] = seen.get(c[1].name, 0) + 1
    assert set(seen) == {"MRS", "MSR_REG", "MSR_IMM", "DP_REG", "DP_IMM", "LDSTM"}, seen


def test_noncontiguous_needs_side_table() -> None:
    with pytest.raises(enc.NoCompactForm):
        enc.compact_imm(0x18D18001, enc.LDSTM)       # ldmne r1, {r0, pc}^
    side = enc.svc(0x1, enc.SIDE.code << 20 | 0)
    assert enc.decode(side, [0x18D18001]) == 0x18D18001
    with pytest.raises(ValueError, match="out of range"):
        enc.decode(side, [])


@pytest.mark.parametrize("imm", [0, 0x123456, 0x900000, 0x900001, 0x9000AD, 0x9F0000,
                                 0x9F07FF, 0xAB])
def test_guest_svcs_are_not_patch_svcs(imm: int) -> None:
    """EABI svc #0, OABI swi 0x900000+nr (and 0x9f00xx), semihosting are not ours."""
    assert (imm >> 20) in enc.RESERVED_KINDS
    with pytest.raises(ValueError, match="not a patch SVC"):
        enc.decode(0xEF000000 | imm)


def test_fields_fit_and_do_not_overlap() -> None:
    for k in enc.KINDS:
        used = 0
        for f in k.fields:
            bits = ((1 << f.width) - 1) << f.lsb
            assert bits < (1 << enc.KIND_SHIFT), (k.name, f.name)
            assert not used & bits, (k.name, f.name)
            used |= bits
        assert k.code not in enc.RESERVED_KINDS
    assert len({k.code for k in enc.KINDS}) == len(enc.KINDS)


def test_header_is_generated_from_table() -> None:
    assert (ROOT / HEADER_PATH).read_text() == header_text(), \
        "regenerate: python3 -m mamoru.armv5patch.cheader > " + HEADER_PATH


def test_header_compiles_and_agrees(tmp_path: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("no host C compiler", pytrace=False)
    prints = []
    expect = []
    for k in enc.KINDS:
        prints.append(f'printf("KIND_{k.name} %u\\n", ARM32_PATCH_KIND_{k.name});')
        expect.append(f"KIND_{k.name} {k.code}")
        for f in k.fields:
            m = f"ARM32_PATCH_{k.name}_{f.name}"
            # Extract the field from an immediate with every bit set but the field's top one.
            imm = 0xFFFFF ^ (1 << (f.lsb + f.width - 1))
            prints.append(f'printf("{m} %u %u %u\\n", {m}_LSB, {m}_WIDTH, '
                          f'ARM32_PATCH_FIELD(0x{imm:x}u, {m}_LSB, {m}_WIDTH));')
            expect.append(f"{m} {f.lsb} {f.width} {f.get(imm)}")
        if k.name in enc.BASE:
            prints.append(f'printf("BASE_{k.name} %u\\n", ARM32_PATCH_{k.name}_BASE);')
            expect.append(f"BASE_{k.name} {enc.BASE[k.name]}")
    prints.append('printf("KIND %u\\n", ARM32_PATCH_KIND(0xc12345u));')
    expect.append("KIND 12")
    src = tmp_path / "hdr.c"
    src.write_text("#include <stdio.h>\n#include <arch/arm32_patch.h>\nint main(void)\n{\n"
                   + "\n".join(prints) + "\nreturn 0;\n}\n")
    exe = tmp_path / "hdr"
    subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-fsanitize=undefined",
                    "-I", str(ROOT / "arch/arm/include"), str(src), "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    assert out.splitlines() == expect
