# SPDX-License-Identifier: GPL-2.0-only
"""A short libFuzzer run of the stage-1 walker (walk_fuzz: clang -fsanitize=fuzzer,address,
undefined), seeded with valid tables for each granule. Longer by hand:
  build/host/vmi/walk_fuzz -max_total_time=600 CORPUS_DIR
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from vmi_pt import AF, HOST_BIN, Memory, Space, host_program, kva, tcr

from mamoru.testing.fuzz import run_fuzzer


def seeds() -> Iterator[bytes]:
    for granule, bits in [(4, 48), (4, 39), (16, 47), (64, 42), (64, 52)]:
        mem = Memory(size=0x4_0000 if granule == 64 else 0x1_0000)
        hi = Space(granule, bits, mem, ttbr1=True)
        va = kva(bits, 0x1000 << (hi.gbits - 12))
        hi.map(va, 0x4000_0000, 3, AF)
        regs = struct.pack("<QQQQ", tcr(None, hi, ips=52 if bits == 52 else 48), 0,
                           hi.base(), va)
        yield regs + bytes(mem.data)


@pytest.mark.skipif(shutil.which("clang") is None, reason="clang (libFuzzer) not installed")
def test_walk_fuzz_short(tmp_path: Path) -> None:
    host_program("walk_test")  # builds everything, the fuzz targets too
    run_fuzzer(HOST_BIN / "walk_fuzz", tmp_path, seeds(), "-max_len=300000", "-rss_limit_mb=2048")
