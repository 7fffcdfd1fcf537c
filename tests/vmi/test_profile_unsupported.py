# SPDX-License-Identifier: GPL-2.0-only
"""What `./mamoru profile` does not support it says in one line, and makes no profile:
a 32-bit ARM zImage (its vmlinux is supported), ELFs of other machines, relocation types it
does not know, an Image without BTF (that last one is in test_profile.py::test_cli_errors)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from mamoru.profile import ProfileError
from mamoru.profile.syscalls import R_AARCH64_RELATIVE, relocations_in
from mamoru.testing import mamoru_cli as mamoru

EM_ARM = 40
EM_386 = 3
R_AARCH64_JUMP_SLOT = 1026


def run_profile(*args: str | Path) -> tuple[int, str]:
    r = mamoru("profile", *args, check=False)
    return r.returncode, r.stderr.strip()


def test_32bit_zimage_is_refused(tmp_path: Path) -> None:
    zimage = tmp_path / "zImage"
    head = bytearray(0x1000)
    head[0x24:0x28] = struct.pack("<I", 0x016F2818)        # the zImage magic
    zimage.write_bytes(bytes(head))
    out = tmp_path / "p"
    code, err = run_profile(zimage, "-o", out)
    assert code == 1 and err.count("\n") == 0, err
    assert "32-bit ARM zImage: give its vmlinux (with DWARF) instead" in err, err
    assert not out.exists()


def _elf32(path: Path, machine: int, data: int = 1) -> Path:
    ident = b"\x7fELF" + bytes([1, data, 1]) + b"\0" * 9      # ELFCLASS32, EI_DATA
    fmt = "<HHIIIIIHHHHHH" if data == 1 else ">HHIIIIIHHHHHH"
    path.write_bytes(ident + struct.pack(fmt, 2, machine, 1, 0, 0, 0, 0, 52, 32, 0, 40, 0, 0)
                     + b"\0" * 64)
    return path


@pytest.mark.parametrize(("machine", "data", "what"), [
    (EM_386, 1, "a 32-bit EM_386 ELF (little-endian)"),
    (EM_ARM, 2, "a 32-bit EM_ARM ELF (big-endian)"),
])
def test_other_32bit_elf_is_refused(tmp_path: Path, machine: int, data: int, what: str
                                    ) -> None:
    elf = _elf32(tmp_path / "vmlinux32", machine, data)
    out = tmp_path / "p"
    code, err = run_profile(elf, "-o", out)
    assert code == 1 and err.count("\n") == 0, err
    assert f"not a little-endian AArch64 ELF (ELF64) or 32-bit ARM ELF (ELF32) but {what}" in err, \
        err
    assert not out.exists()


def test_32bit_arm_elf_is_read(tmp_path: Path) -> None:
    """An ELF32 EM_ARM vmlinux gets past the machine check (this one then lacks a symtab)."""
    elf = _elf32(tmp_path / "vmlinux32", EM_ARM)
    out = tmp_path / "p"
    code, err = run_profile(elf, "-o", out)
    assert code == 1 and err.count("\n") == 0, err
    assert "no .symtab" in err, err
    assert not out.exists()


def test_unknown_relocation_type_is_refused() -> None:
    good = struct.pack("<QQQ", 0x1000, R_AARCH64_RELATIVE, 0x2000)
    assert relocations_in(good, [(0x1000, 0x1008)]) == {0x1000: (R_AARCH64_RELATIVE, 0x2000)}
    # Anywhere in the table, not only in the syscall tables: the tool does not guess.
    odd = struct.pack("<QQQ", 0x9000, R_AARCH64_JUMP_SLOT, 0)
    with pytest.raises(ProfileError, match=r"unsupported relocation type 1026 at 0x9000"):
        relocations_in(good + odd, [(0x1000, 0x1008)])
