# SPDX-License-Identifier: GPL-2.0-only
"""The patcher on the real versatilepb vmlinux (Linux 6.1, mamoru.versatilekernel):
per-kind counts equal an independent count over `objdump -d` (regexes over mnemonics and
operands), no patched word lies in a `$d` region (mapping symbols read with readelf), every
byte outside the patched words equals `objcopy -O binary`, and every site round-trips."""

from __future__ import annotations

import bisect
import json
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from armv5_helpers import cross

from mamoru.armv5patch import encoding as enc
from mamoru.testing import mamoru_cli as mamoru
from mamoru.testing.arm_objdump import sensitive_counts


@dataclass
class Patched:
    image: Path
    report: dict


@pytest.fixture(scope="module")
def patched(vmlinux: Path, tmp_path_factory: pytest.TempPathFactory) -> Patched:
    d = tmp_path_factory.mktemp("vmlinux")
    mamoru("patch-guest", str(vmlinux), "-o", str(d / "Image"), "--json", "--report",
           str(d / "report.json"))
    return Patched(d / "Image", json.loads((d / "report.json").read_text()))


def objdump_counts(vmlinux: Path) -> Counter[str]:
    """Counts by kind from the disassembly alone (objdump honours $a/$d itself)."""
    return sensitive_counts(cross("objdump"), vmlinux)


def test_counts_match_objdump(vmlinux: Path, patched: Patched) -> None:
    ref = objdump_counts(vmlinux)
    rep = patched.report
    mine = {k: n for k, n in {**rep["patched"], **rep["counted"]}.items() if n}
    assert mine == dict(ref)
    # The orders of magnitude issue 15 measured: thousands of MRS/MSR cpsr, a few hundred
    # p15 operations, a few dozen exception entry/return sites.
    assert rep["patched"]["mrs_cpsr"] > 1000 and rep["patched"]["msr_cpsr_reg"] > 1000
    assert 0 < rep["patched"]["dp_pc_s"] + rep["patched"]["ldm_exc_return"] < 100
    assert rep["counted"]["wfi"] >= 1
    assert rep["unpatched"] == [] and rep["skipped"] == []
    print(f"armv5patch: {rep['patched_total']} sites, side table "
          f"{rep['side_table_entries']}: {rep['patched']}")


def _mapping_symbols(vmlinux: Path) -> dict[str, tuple[list[int], list[str]]]:
    """Section name -> (sorted addresses, kinds) of $a/$d/$t, from readelf."""
    out = subprocess.run([cross("readelf"), "-sW", "-SW", str(vmlinux)], check=True,
                         capture_output=True, text=True).stdout
    names = {}
    for m in re.finditer(r"^\s*\[\s*(\d+)\]\s+(\S+)", out, re.M):
        names[m.group(1)] = m.group(2)
    marks: dict[str, list[tuple[int, str]]] = {}
    for m in re.finditer(r"^\s*\d+:\s+([0-9a-f]{8})\s+\d+\s+NOTYPE\s+LOCAL\s+DEFAULT\s+(\d+)"
                         r"\s+\$([adt])(?:\.\S*)?$", out, re.M):
        marks.setdefault(names[m.group(2)], []).append((int(m.group(1), 16), m.group(3)))
    res = {}
    for sec, lst in marks.items():
        lst.sort()
        res[sec] = ([a for a, _ in lst], [k for _, k in lst])
    return res


def test_no_site_in_data(vmlinux: Path, patched: Patched) -> None:
    maps = _mapping_symbols(vmlinux)
    assert maps and all("$" not in k for k in maps)
    for s in patched.report["sites"]:
        addrs, kinds = maps[s["section"]]
        a = int(s["address"], 16)
        i = bisect.bisect_right(addrs, a) - 1
        assert i >= 0 and kinds[i] == "a", s


def _lmas(vmlinux: Path) -> tuple[int, dict[str, tuple[int, int]]]:
    """min LMA of the loaded contents, and section -> (VMA, LMA), from objdump -h."""
    out = subprocess.run([cross("objdump"), "-h", str(vmlinux)], check=True,
                         capture_output=True, text=True).stdout
    secs: dict[str, tuple[int, int]] = {}
    base = None
    lines = out.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"\s*\d+\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if not m:
            continue
        secs[m.group(1)] = (int(m.group(3), 16), int(m.group(4), 16))
        flags = lines[i + 1]
        if "LOAD" in flags and "CONTENTS" in flags and int(m.group(2), 16):
            lma = int(m.group(4), 16)
            base = lma if base is None else min(base, lma)
    assert base is not None
    return base, secs


def test_image_equals_objcopy_but_sites(vmlinux: Path, patched: Patched,
                                        tmp_path: Path) -> None:
    ref_path = tmp_path / "ref.bin"
    subprocess.run([cross("objcopy"), "-O", "binary", str(vmlinux), str(ref_path)], check=True)
    ref = bytearray(ref_path.read_bytes())
    img = patched.image.read_bytes()
    assert len(img) == len(ref)
    base, secs = _lmas(vmlinux)
    for s in patched.report["sites"]:
        vma, lma = secs[s["section"]]
        off = lma + int(s["address"], 16) - vma - base
        assert int.from_bytes(ref[off:off + 4], "little") == int(s["original"], 16), s
        assert int.from_bytes(img[off:off + 4], "little") == int(s["svc"], 16), s
        ref[off:off + 4] = img[off:off + 4]
    assert img == bytes(ref)


def test_round_trip_every_site(patched: Patched) -> None:
    table = [int(w, 16) for w in patched.report["side_table"]]
    assert len(patched.report["sites"]) == patched.report["patched_total"] > 10000
    for s in patched.report["sites"]:
        orig, svc = int(s["original"], 16), int(s["svc"], 16)
        assert svc >> 28 == orig >> 28 and (svc & 0x0F000000) == 0x0F000000
        assert enc.decode(svc, table) == orig, s


def test_kernel_svcs_are_not_patch_svcs(vmlinux: Path) -> None:
    """The SVCs already in the kernel's code (OABI/EABI) never decode as patch SVCs."""
    dis = subprocess.run([cross("objdump"), "-d", str(vmlinux)], check=True,
                         capture_output=True, text=True).stdout
    words = [int(m.group(1), 16) for m in
             re.finditer(r"^\s*[0-9a-f]+:\s+([0-9a-f]{8})\s+svc", dis, re.M)]
    assert words
    for w in words:
        assert (w & 0xFFFFFF) >> enc.KIND_SHIFT in enc.RESERVED_KINDS, hex(w)


def test_no_site_in_boot_patched_or_user_code(vmlinux: Path, patched: Patched) -> None:
    """The kernel rewrites the instructions its .init.pv_table lists (phys/virt offset,
    `.long insn - .` entries) at boot, and the kuser helpers run in user mode: a patched
    word in either would be overwritten or would trap from guest user space."""
    out = subprocess.run([cross("nm"), str(vmlinux)], check=True, capture_output=True,
                         text=True).stdout
    syms = {m.group(2): int(m.group(1), 16)
            for m in re.finditer(r"^([0-9a-f]{8}) \w (\S+)$", out, re.M)}
    sites = {int(s["address"], 16) for s in patched.report["sites"]}
    lo, hi = syms["__kuser_helper_start"], syms["__kuser_helper_end"]
    assert not [hex(a) for a in sites if lo <= a < hi]
    begin, end = syms["__pv_table_begin"], syms["__pv_table_end"]
    data = subprocess.run([cross("objcopy"), "-O", "binary", "--only-section=.init.pv_table",
                           str(vmlinux), "/dev/stdout"], check=True,
                          capture_output=True).stdout
    assert len(data) == end - begin > 0
    targets = {(begin + i + int.from_bytes(data[i:i + 4], "little", signed=True)) & 0xFFFFFFFF
               for i in range(0, len(data), 4)}
    assert targets and not targets & sites
