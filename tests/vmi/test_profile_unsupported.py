# SPDX-License-Identifier: GPL-2.0-only
"""What `./mamoru profile` does not support it says in one line, and makes no profile:
32-bit ARM kernels (a zImage or an ELF32), relocation types it does not know, an Image
without BTF (that last one is in test_profile.py::test_cli_errors)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from mamoru.profile import ProfileError
from mamoru.profile.syscalls import R_AARCH64_RELATIVE, relocations_in
from mamoru.testing import mamoru_cli as mamoru

EM_ARM = 40
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
    assert "32-bit ARM zImage: only 64-bit arm64 kernels" in err, err
    assert not out.exists()


def test_32bit_elf_is_refused(tmp_path: Path) -> None:
    elf = tmp_path / "vmlinux32"
    ident = b"\x7fELF" + bytes([1, 1, 1]) + b"\0" * 9         # ELFCLASS32, little-endian
    header = ident + struct.pack("<HHIIIIIHHHHHH", 2, EM_ARM, 1, 0, 0, 0, 0, 52, 32, 0, 40, 0, 0)
    elf.write_bytes(header + b"\0" * 64)
    out = tmp_path / "p"
    code, err = run_profile(elf, "-o", out)
    assert code == 1 and err.count("\n") == 0, err
    assert "a 32-bit ELF (EM_ARM): only 64-bit arm64 kernels are supported" in err, err
    assert not out.exists()


def test_unknown_relocation_type_is_refused() -> None:
    good = struct.pack("<QQQ", 0x1000, R_AARCH64_RELATIVE, 0x2000)
    assert relocations_in(good, [(0x1000, 0x1008)]) == {0x1000: (R_AARCH64_RELATIVE, 0x2000)}
    # Anywhere in the table, not only in the syscall tables: the tool does not guess.
    odd = struct.pack("<QQQ", 0x9000, R_AARCH64_JUMP_SLOT, 0)
    with pytest.raises(ProfileError, match=r"unsupported relocation type 1026 at 0x9000"):
        relocations_in(good + odd, [(0x1000, 0x1008)])
