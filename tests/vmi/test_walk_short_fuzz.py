# SPDX-License-Identifier: GPL-2.0-only
"""A short libFuzzer run of the ARMv5 short-descriptor walker (walk_short_fuzz: clang
-fsanitize=fuzzer,address,undefined), seeded with valid tables of every kind. Longer by hand:
  build/host/vmi/walk_short_fuzz -max_total_time=600 CORPUS_DIR
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from vmi_pt import HOST_BIN, host_program
from vmi_pt32 import Memory32, Tables, large, section, small, tiny

from mamoru.testing.fuzz import run_fuzzer


def seeds() -> Iterator[bytes]:
    mem = Memory32(size=0x10000)
    t = Tables(mem)
    t.l1(0xC000_0000, section(0))
    ct = t.coarse_table(0xC010_0000)
    Tables.put(mem, ct, 1, small(0x2000))
    Tables.put(mem, ct, 16, large(0x10000), repeat=16)
    ft = t.fine_table(0xC020_0000)
    Tables.put(mem, ft, 0, tiny(0x400))
    for va in (0xC000_0040, 0xC010_1008, 0xC011_0000, 0xC020_0010):
        yield struct.pack("<QQ", t.ttb, va) + bytes(mem.data)


@pytest.mark.skipif(shutil.which("clang") is None, reason="clang (libFuzzer) not installed")
def test_walk_short_fuzz(tmp_path: Path) -> None:
    host_program("walk_short_test")  # builds everything, the fuzz targets too
    run_fuzzer(HOST_BIN / "walk_short_fuzz", tmp_path, seeds(), "-max_len=70000",
               "-rss_limit_mb=2048")
