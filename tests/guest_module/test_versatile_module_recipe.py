# SPDX-License-Identifier: GPL-2.0-only
"""The recipe of the versatilepb attack module (mamoru.versatile_module), without building it:
the make command lines, the unpacked tree's exclusions, the Module.symvers writer on a small
linked ELF, the cache lookup by source digest, and the error when the cross tools are
missing. The real build is tests/assets/test_versatile_module.py."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
from pathlib import Path

import pytest

from mamoru import versatile_module as vm
from mamoru.guest_module import GUEST_MODULE_PATH, MODULE_NAME, attack_commands
from mamoru.versatilekernel import VersatileKernel

CC = "arm-linux-gnueabi-gcc"


def _kernel(tmp_path: Path) -> VersatileKernel:
    d = tmp_path / "build"
    d.mkdir()
    files = [d / n for n in ("zImage", "Image", "vmlinux", "config", "System.map", "pb.dtb")]
    for f in files:
        f.write_bytes(b"x")
    return VersatileKernel("6.1.0-fake", *files)


def test_make_command_lines() -> None:
    tree = Path("/c/k/module-tree")
    assert vm.make_argv(tree, Path("/tmp/m")) == [
        "make", "-C", "/c/k/module-tree/obj", "M=/tmp/m", "ARCH=arm",
        "CROSS_COMPILE=arm-linux-gnueabi-", "modules"]
    assert vm.tree_argv(tree, "olddefconfig", "modules_prepare") == [
        "make", "-C", "/c/k/module-tree/src", "O=/c/k/module-tree/obj", "ARCH=arm",
        "CROSS_COMPILE=arm-linux-gnueabi-", "olddefconfig", "modules_prepare"]


@pytest.mark.parametrize("member, kept", [
    ("linux-source-6.1/Makefile", True),
    ("linux-source-6.1/scripts/mod/modpost.c", True),
    ("linux-source-6.1/arch/arm/kernel/asm-offsets.c", True),
    ("linux-source-6.1/arch/arm/include/asm/cacheflush.h", True),
    ("linux-source-6.1/include/linux/module.h", True),
    ("linux-source-6.1/drivers/ras/Kconfig", True),
    ("linux-source-6.1/arch/x86/ras/Kconfig", True),     # drivers/ras/Kconfig sources it
    ("linux-source-6.1/arch/x86/kernel/head_64.S", False),
    ("linux-source-6.1/arch/arm64/boot/dts/arm/juno.dts", False),
    ("linux-source-6.1/drivers/gpu/drm/drm_drv.c", False),
    ("linux-source-6.1/Documentation/Kconfig", True),
    ("linux-source-6.1/Documentation/index.rst", False),
])
def test_the_tree_keeps_what_a_module_build_reads(member: str, kept: bool) -> None:
    """The tree's tar --exclude patterns (kernelbuild.unpack_source), matched like tar
    does (`*` crosses `/`)."""
    assert (not any(fnmatch.fnmatchcase(member, p) for p in vm.TREE_EXCLUDES)) == kept


@pytest.mark.skipif(shutil.which(CC) is None, reason=f"{CC} is not installed (./mamoru setup)")
def test_symvers_from_the_export_tables(tmp_path: Path) -> None:
    src = tmp_path / "exports.S"
    src.write_text("""
        .text
        .globl _start
_start: .word 0
        .section __ksymtab, "a"
__ksymtab_plain: .word 0, 0, 0
__ksymtab_spaced: .word 0, 0, 0
        .section __ksymtab_gpl, "a"
__ksymtab_gplonly: .word 0, 0, 0
        .section __ksymtab_strings, "a"
__kstrtabns_plain: .asciz ""
__kstrtabns_spaced: .asciz "MY_NS"
__kstrtabns_gplonly: .asciz ""
        .data
__ksymtab_not_an_export: .word 0
""")
    elf = tmp_path / "exports.elf"
    subprocess.run([CC, "-nostdlib", "-static", "-o", str(elf), str(src)], check=True,
                   capture_output=True, text=True)
    assert vm.symvers_lines(elf) == [
        "0x00000000\tgplonly\tvmlinux\tEXPORT_SYMBOL_GPL\t",
        "0x00000000\tplain\tvmlinux\tEXPORT_SYMBOL\t",
        "0x00000000\tspaced\tvmlinux\tEXPORT_SYMBOL\tMY_NS",
    ]
    bare = tmp_path / "bare.S"
    bare.write_text(".text\n.globl _start\n_start: .word 0\n")
    subprocess.run([CC, "-nostdlib", "-static", "-o", str(elf), str(bare)], check=True,
                   capture_output=True, text=True)
    with pytest.raises(vm.VersatileModuleError, match="exports nothing"):
        vm.symvers_lines(elf)


def test_a_cached_module_is_found_by_its_sources(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / f"{MODULE_NAME}.c").write_text("int x;\n")
    (src / "Kbuild").write_text("obj-m := mamoru_attack.o\n")
    (src / "notes.txt").write_text("not a source\n")
    monkeypatch.setattr(vm, "SOURCE_DIR", src)
    k = _kernel(tmp_path)
    assert [p.name for p in vm.module_sources()] == ["Kbuild", f"{MODULE_NAME}.c"]
    first = vm.module_hash(k)
    d = k.directory / f"module-{first}"
    d.mkdir()
    for name in (f"{MODULE_NAME}.ko", f"{MODULE_NAME}.patched.ko", "report.json", ".ok"):
        (d / name).write_text("{}")

    def no_build(*_args: object, **_kw: object) -> None:
        raise AssertionError("a cached module was built again")
    monkeypatch.setattr(vm, "module_tree", no_build)
    monkeypatch.setattr(vm, "check_tools", no_build)
    m = vm.build_attack_module(k)
    assert m.patched == d / f"{MODULE_NAME}.patched.ko" and m.built == d / f"{MODULE_NAME}.ko"

    (src / "notes.txt").write_text("changed, still not a source\n")
    assert vm.module_hash(k) == first
    (src / f"{MODULE_NAME}.c").write_text("int y;\n")
    assert vm.module_hash(k) != first
    with pytest.raises(AssertionError, match="built again"):
        vm.build_attack_module(k)


def test_missing_cross_tools_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.which
    monkeypatch.setattr(vm.shutil, "which",
                        lambda tool: None if tool == "arm-linux-gnueabi-ld" else real(tool))
    with pytest.raises(vm.VersatileModuleError,
                       match=r"arm-linux-gnueabi-ld not found: install gcc-arm-linux-gnueabi"):
        vm.build_attack_module(_kernel(tmp_path))


def test_attack_command_for_the_versatile_guest() -> None:
    assert vm.HOOKED_SYSCALL == 217 and vm.HOOKED_HANDLER == "sys_getdents64"
    assert attack_commands(0xC0008E24, vm.HOOKED_SYSCALL, 57) == (
        f"insmod {GUEST_MODULE_PATH} sct=0xc0008e24 nr=217 hide_pid=57 hide_self=1")
