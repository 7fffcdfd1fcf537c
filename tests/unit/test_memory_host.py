# SPDX-License-Identifier: GPL-2.0-only
"""The hypervisor's memcpy, memmove and memset (core/lib/memory.c, a word at a time) against
byte loops on the host, under ASan/UBSan (tests/host/memory_check.c): every short length,
every alignment of both addresses, overlapping moves both ways, fill bytes above 255."""
from pathlib import Path

from hostprog import run_prog

from mamoru.testing.hostcheck import checks_passed


def test_memory_functions(host_build: Path) -> None:
    checks_passed(run_prog(host_build, "memory_check", []), "memory", least=13000)
