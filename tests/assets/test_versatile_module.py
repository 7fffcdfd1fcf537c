# SPDX-License-Identifier: GPL-2.0-only
"""The attack module for the versatilepb guest (mamoru.versatile_module): built against the
versatile kernel and patched like the kernel. The patched .ko is a 32-bit ARM relocatable for
that kernel; the patcher's per-kind counts equal an independent count over `objdump -d` of
the module as built; the patched module differs from it only at the reported sites, where
objdump now sees SVCs and none of the patched kinds remain. The initramfs of the versatile
guest carries it at GUEST_MODULE_PATH. The first run prepares the module build tree beside
the kernel (about 2 minutes; the kernel itself takes about 12 when it is not cached)."""

from __future__ import annotations

import re
import shutil
import struct
import time
from collections import Counter
from pathlib import Path

import pytest

from mamoru import cpio, versatile_guest, versatilekernel
from mamoru.guest_module import GUEST_MODULE_PATH, MODULE_NAME, check_vermagic
from mamoru.testing.arm_objdump import COND, disassembly, sensitive_counts
from mamoru.tinykernel import TinyKernelError
from mamoru.versatile_module import VersatileModule, build_attack_module
from mamoru.versatile_testprogs import COW_GUEST_PATH

OBJDUMP = "arm-linux-gnueabi-objdump"
pytestmark = [
    pytest.mark.assets,
    pytest.mark.skipif(shutil.which("arm-linux-gnueabi-gcc") is None,
                       reason="arm-linux-gnueabi-gcc is not installed (./mamoru setup)"),
]
EM_ARM = 40
ET_REL = 1
PARAMETERS = ("sct", "nr", "hide_pid", "hide_self", "loop_pid", "banner", "calls")

@pytest.fixture(scope="module")
def kernel() -> versatilekernel.VersatileKernel:
    try:
        return versatilekernel.versatile_kernel()
    except TinyKernelError as e:
        pytest.fail(f"the versatilepb kernel could not be built: {e}", pytrace=False)


@pytest.fixture(scope="module")
def module(kernel: versatilekernel.VersatileKernel) -> VersatileModule:
    return build_attack_module(kernel)


def objdump_counts(ko: Path) -> Counter[str]:
    """The sensitive instructions by the patcher's kind names, from the disassembly alone."""
    return sensitive_counts(OBJDUMP, ko)


def test_the_patched_module_is_an_arm_relocatable_for_the_kernel(
        kernel: versatilekernel.VersatileKernel, module: VersatileModule) -> None:
    data = module.patched.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 1 and data[5] == 1, "not ELF32 little-endian"
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    assert (e_type, e_machine) == (ET_REL, EM_ARM)
    check_vermagic(module.patched, kernel.version)
    for p in PARAMETERS:
        assert f"parm={p}:".encode() in data, f"no parameter {p} in {module.patched}"
    assert b"license=GPL\0" in data
    assert len(data) == module.built.stat().st_size
    start = time.perf_counter()
    assert build_attack_module(kernel) == module
    assert time.perf_counter() - start < 0.5, "a cached build_attack_module() is slow"


def test_the_patch_report_matches_objdump(module: VersatileModule) -> None:
    rep = module.report_dict()
    mine = {k: n for k, n in {**rep["patched"], **rep["counted"]}.items() if n}  # type: ignore[dict-item]
    ref = objdump_counts(module.built)
    assert mine == dict(ref)
    # Inlined local_irq_save/restore: the module has MRS/MSR cpsr to patch, no side table.
    assert ref["mrs_cpsr"] > 0 and rep["patched_total"] == sum(rep["patched"].values())  # type: ignore[arg-type]
    assert rep["side_table_entries"] == 0 and rep["unpatched"] == []
    # Only the loader's PLT placeholders (1 byte, arch/arm's module.lds) are not code.
    assert {(s["section"], s["size"]) for s in rep["skipped"]} <= {(".plt", 1),  # type: ignore[union-attr]
                                                                  (".init.plt", 1)}
    print(f"versatile attack module: {rep['patched_total']} sites: {rep['patched']}")


def test_the_patched_module_differs_only_at_the_sites(module: VersatileModule) -> None:
    """Every changed word is a reported site (section offset + the section's file offset),
    holding the reported SVC where the original word was; objdump of the patched module
    finds none of the patched kinds any more, and an SVC at each site."""
    from elftools.elf.elffile import ELFFile

    rep = module.report_dict()
    sites = rep["sites"]
    assert isinstance(sites, list) and sites
    before, after = module.built.read_bytes(), module.patched.read_bytes()
    with module.built.open("rb") as f:
        offsets = {sec.name: sec["sh_offset"] for sec in ELFFile(f).iter_sections()}
    expected = {offsets[s["section"]] + int(s["address"], 16): s for s in sites}
    changed = {i - i % 4 for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b}
    assert changed == set(expected)
    for off, site in expected.items():
        assert struct.unpack_from("<I", before, off)[0] == int(site["original"], 16)
        assert struct.unpack_from("<I", after, off)[0] == int(site["svc"], 16)
    left = objdump_counts(module.patched)
    assert set(left) <= set(rep["counted"]), left   # type: ignore[arg-type]
    svcs = sum(1 for _, mn, _ in disassembly(OBJDUMP, module.patched)
               if re.fullmatch("svc" + COND, mn))
    assert svcs >= len(sites)


def test_the_guest_initramfs_carries_the_patched_module(
        kernel: versatilekernel.VersatileKernel, module: VersatileModule) -> None:
    files = versatile_guest.initrd_files(kernel)
    assert set(files) == {GUEST_MODULE_PATH.lstrip("/"), COW_GUEST_PATH.lstrip("/")}
    assert files[GUEST_MODULE_PATH.lstrip("/")] == module.patched
    entries = {e.name: e for e in cpio.read_cpio(versatile_guest.initrd_bytes(kernel))}
    assert entries[GUEST_MODULE_PATH.lstrip("/")].data == module.patched.read_bytes()
    # The copy-on-write test program: a static 32-bit ARM executable, mode 0755.
    cow = entries[COW_GUEST_PATH.lstrip("/")]
    assert cow.data[:5] == b"\x7fELF\x01" and int.from_bytes(cow.data[18:20], "little") == 40
    assert cow.mode & 0o777 == 0o755 and len(cow.data) < 4096
    assert MODULE_NAME in GUEST_MODULE_PATH
