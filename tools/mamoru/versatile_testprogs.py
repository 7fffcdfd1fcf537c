# SPDX-License-Identifier: GPL-2.0-only
"""Test programs the versatile guest's initramfs carries, built with the armel cross
compiler when the bundle is made (typing them into the ARMv5 guest's shell through its
emulated UART took about a minute per test run).

    cow_strt   tests/arm32/run/cow_strt.c: has the guest kernel write (STRT) into a page a
               child shares copy-on-write with its parent (tests/arm32/run/test_v5_run.py)
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

COW_SOURCE = Path(__file__).resolve().parents[2] / "tests" / "arm32" / "run" / "cow_strt.c"
# Where the initramfs has it.
COW_GUEST_PATH = "/usr/libexec/mamoru/cow_strt"


class GuestProgramError(RuntimeError):
    """A test program did not build; one line."""


def cow_binary() -> bytes:
    """cow_strt.c for the guest: static, no C library, under 1 KiB, linked above the first
    MiB (the shadow MMU pins that one: client in both views)."""
    with tempfile.TemporaryDirectory(prefix="mamoru-cow-") as tmp:
        out = Path(tmp) / "cow_strt"
        argv = ["arm-linux-gnueabi-gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-Os",
                "-marm", "-march=armv5te", "-static", "-nostdlib", "-fno-pic", "-no-pie",
                "-fno-builtin", "-Wl,--build-id=none", "-Wl,-N", "-Wl,--no-warn-rwx-segments",
                "-Wl,-Ttext-segment=0x400000", "-s", "-o", str(out), str(COW_SOURCE)]
        try:
            subprocess.run(argv, check=True, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as e:
            detail = getattr(e, "stderr", None) or str(e)
            raise GuestProgramError(f"building {COW_SOURCE.name}: {detail.strip()}") from e
        return out.read_bytes()


def sources() -> list[Path]:
    """What the programs are made from (inputs of the bundle)."""
    return [COW_SOURCE, Path(__file__)]
