# SPDX-License-Identifier: GPL-2.0-only
"""The patcher on a hand-assembled relocatable object (data/forms.S, every form incl.
conditional ones, literal pools, data words that look like sensitive instructions, a Thumb
section): exactly the marked sites are patched, the .ko output stays a valid ELF whose
relocations are untouched and that objdump shows with SVCs at the sites; bad inputs are
refused with a clear message, nonzero exit, no traceback and no output file."""

from __future__ import annotations

import json
import random
import re
import struct
import subprocess
from pathlib import Path

import pytest
from armv5_helpers import DATA, assemble, cross
from elftools.elf.elffile import ELFFile

from mamoru.armv5patch import encoding as enc
from mamoru.armv5patch.elfscan import PatchError
from mamoru.armv5patch.patcher import patch_bytes
from mamoru.testing import mamoru_cli as mamoru


def _site_symbols(obj: Path) -> dict[int, str]:
    """Section offset -> kind, from the site_<kind>_<n> labels of forms.S."""
    with obj.open("rb") as f:
        elf = ELFFile(f)
        idx = next(i for i, s in enumerate(elf.iter_sections()) if s.name == ".text")
        out = {}
        for sym in elf.get_section_by_name(".symtab").iter_symbols():
            m = re.fullmatch(r"site_(\w+)_\d+", sym.name)
            if m and sym["st_shndx"] == idx:
                out[sym["st_value"]] = m.group(1)
    return out


def _patch(src: Path, out: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    rep = out.with_suffix(".json")
    r = mamoru("patch-guest", str(src), "-o", str(out), "--json", "--report", str(rep), *extra,
               check=False)
    return r, (json.loads(rep.read_text()) if r.returncode == 0 else {})


def test_exact_sites(forms_obj: Path, tmp_path: Path) -> None:
    r, rep = _patch(forms_obj, tmp_path / "forms.ko")
    assert r.returncode == 0, r.stderr
    expected = _site_symbols(forms_obj)
    assert len(expected) == 25
    got = {int(s["address"], 16): s["kind"] for s in rep["sites"] if s["section"] == ".text"}
    assert got == expected
    assert all(s["section"] == ".text" for s in rep["sites"])
    kinds: dict[str, int] = {}
    for k in expected.values():
        kinds[k] = kinds.get(k, 0) + 1
    assert {k: n for k, n in rep["patched"].items() if n} == kinds
    # Non-contiguous LDM/STM ^ and the non-canonical MRS go through the side table.
    assert rep["side_table"] == ["0x18d18001", "0xe8c04005", "0xe10f0001"]
    assert (tmp_path / "forms.ko.sidetab").read_bytes() == \
        bytes.fromhex("0180d118 0540c0e8 01000fe1")
    assert rep["counted"]["wfi"] == 1 and rep["counted"]["mcr_cp15"] == 1
    assert rep["counted"]["mrc_cp15"] == 2 and rep["counted"]["mrc_cp14"] == 1
    assert [u["kind"] for u in rep["unpatched"]] == ["test_pc_s"]
    assert [(s["section"], s["reason"]) for s in rep["skipped"]] == \
        [(".text.thumb", "Thumb code")]
    # Round trip and conditions.
    table = [int(w, 16) for w in rep["side_table"]]
    for s in rep["sites"]:
        orig, svc = int(s["original"], 16), int(s["svc"], 16)
        assert enc.decode(svc, table) == orig
        assert svc >> 28 == orig >> 28


def test_ko_output_is_valid_and_only_sites_change(forms_obj: Path, tmp_path: Path) -> None:
    out = tmp_path / "forms.ko"
    r, rep = _patch(forms_obj, out)
    assert r.returncode == 0, r.stderr
    before, after = forms_obj.read_bytes(), out.read_bytes()
    assert len(before) == len(after)
    with forms_obj.open("rb") as f:
        text_off = ELFFile(f).get_section_by_name(".text")["sh_offset"]
    changed = {i // 4 * 4 for i in range(len(before)) if before[i] != after[i]}
    assert changed == {text_off + int(s["address"], 16) for s in rep["sites"]}

    def readelf_r(p: Path) -> str:
        return subprocess.run([cross("readelf"), "-rW", str(p)], check=True,
                              capture_output=True, text=True).stdout.replace(str(p), "X")

    assert "external_function" in readelf_r(out)
    assert readelf_r(out) == readelf_r(forms_obj)
    dis = subprocess.run([cross("objdump"), "-d", str(out)], check=True,
                         capture_output=True, text=True).stdout
    svcs = {}
    for line in dis.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+svc\w*\s+0x([0-9a-f]+)", line)
        if m:
            svcs[int(m.group(1), 16)] = int(m.group(2), 16)
    assert svcs.pop(0x80) == 0xEF000000  # forms.S's own `svc #0`, left alone
    assert svcs == {int(s["address"], 16): int(s["svc"], 16) for s in rep["sites"]}


def test_relocation_on_site_refused(tmp_path: Path) -> None:
    obj = assemble(DATA / "reloc_on_site.S", tmp_path / "r.o")
    out = tmp_path / "r.ko"
    r = mamoru("patch-guest", str(obj), "-o", str(out), check=False)
    assert r.returncode == 1
    assert "target of a relocation" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


def _bad_inputs(forms_obj: Path, tmp_path: Path) -> dict[str, Path]:
    good = forms_obj.read_bytes()
    files = {
        "empty": b"",
        "text": b"hello, this is not an ELF file\n" * 10,
        "truncated_header": good[:30],
        "truncated_body": good[:len(good) // 2],
        "x86_64": Path("/bin/true").read_bytes(),
        "zero_sections": good[:0x20] + b"\xff" * 16 + good[0x30:],
    }
    out = {}
    for name, data in files.items():
        p = tmp_path / f"{name}.bin"
        p.write_bytes(data)
        out[name] = p
    return out


@pytest.mark.parametrize("name", ["empty", "text", "truncated_header", "truncated_body",
                                  "x86_64", "zero_sections", "missing"])
def test_bad_input_refused(forms_obj: Path, tmp_path: Path, name: str) -> None:
    files = _bad_inputs(forms_obj, tmp_path)
    src = files.get(name, tmp_path / "does-not-exist")
    out = tmp_path / "out.img"
    r = mamoru("patch-guest", str(src), "-o", str(out), check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stderr.startswith("patch-guest: "), r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.img")] == []


def test_stripped_object_refused(forms_obj: Path, tmp_path: Path) -> None:
    stripped = tmp_path / "s.o"
    subprocess.run([cross("objcopy"), "--strip-all", str(forms_obj), str(stripped)],
                   check=True)
    r = mamoru("patch-guest", str(stripped), "-o", str(tmp_path / "s.ko"), check=False)
    assert r.returncode == 1 and "mapping symbols" in r.stderr, r.stderr


def test_help() -> None:
    r = mamoru("patch-guest", "--help")
    assert r.returncode == 0 and "--report" in r.stdout and "--json" in r.stdout


def test_module_plt_placeholder(tmp_path: Path) -> None:
    """A linked module has 1-byte executable `.plt` (and `.init.plt`) placeholders (arch/arm's
    module.lds, with ARM_MODULE_PLTS): accepted, left as they are, listed as skipped; the
    code beside them is patched. (A vmlinux with such a section is still refused.)"""
    src = tmp_path / "plt.S"
    src.write_text(".text\nf:\tmrs r0, cpsr\n\tbx lr\n")
    lds = tmp_path / "plt.lds"
    lds.write_text("SECTIONS { .plt : { BYTE(0) } }\n")
    obj = assemble(src, tmp_path / "plt.o")
    ko = tmp_path / "plt_in.ko"
    subprocess.run([cross("ld"), "-r", "-T", str(lds), str(obj), "-o", str(ko)], check=True)
    r, rep = _patch(ko, tmp_path / "plt.ko")
    assert r.returncode == 0, r.stderr
    assert rep["patched"]["mrs_cpsr"] == 1 and rep["patched_total"] == 1
    assert [(s["section"], s["size"]) for s in rep["skipped"]] == [(".plt", 1)]


def test_compiled_module(tmp_path: Path) -> None:
    """A gcc-compiled module-like object: every MRS/MSR cpsr objdump shows, in each of
    .text/.init.text/.exit.text, is patched; literal pools are not; relocations stay."""
    obj = tmp_path / "module.o"
    subprocess.run([cross("gcc"), "-O2", "-fno-pic", "-march=armv5te", "-marm", "-c",
                    str(DATA / "module.c"), "-o", str(obj)], check=True)
    out = tmp_path / "module.ko"
    r, rep = _patch(obj, out)
    assert r.returncode == 0, r.stderr
    assert rep["type"] == "module"
    assert rep["per_section"] == {s: {"mrs_cpsr": 1, "msr_cpsr_reg": 2}
                                  for s in (".text", ".init.text", ".exit.text")}
    dis = subprocess.run([cross("objdump"), "-dr", str(out)], check=True,
                         capture_output=True, text=True).stdout
    assert len(re.findall(r"\tsvc\t0x00a", dis)) == 3      # MRS kind 0xA
    assert len(re.findall(r"\tsvc\t0x00b", dis)) == 6      # MSR register kind 0xB
    assert ".word\t0xe10f0001" in dis                        # the literal, untouched
    assert not re.search(r"\t(mrs|msr)\t", dis)
    relocs = re.findall(r"R_ARM_\w+\s+\w+", dis)
    assert relocs == re.findall(r"R_ARM_\w+\s+\w+", subprocess.run(
        [cross("objdump"), "-dr", str(obj)], check=True, capture_output=True,
        text=True).stdout)
    assert any("external_work" in x for x in relocs)


def test_mutated_objects_refused_or_patched(forms_obj: Path) -> None:
    """Random byte changes (ELF header, section headers, anywhere) and truncations: the
    patcher either patches or raises PatchError (the verb's clean refusal), nothing else."""
    good = forms_obj.read_bytes()
    shoff = struct.unpack_from("<I", good, 0x20)[0]
    rng = random.Random(15)
    refused = 0
    for _ in range(600):
        d = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            d[rng.choice([rng.randrange(52), rng.randrange(shoff, len(good)),
                          rng.randrange(len(good))])] = rng.getrandbits(8)
        if rng.random() < 0.2:
            d = d[:rng.randrange(len(d))]
        try:
            patch_bytes(bytes(d))
        except PatchError:
            refused += 1
    assert refused > 100
