# SPDX-License-Identifier: GPL-2.0-only
"""The 32-bit ARM syscall tables as the profile tool reads them (syscalls.table_words): 4-byte
link addresses straight from the file, the length from the ELF size or the next symbol."""

from __future__ import annotations

import re
import struct

import pytest

from mamoru.profile import ProfileError
from mamoru.profile.syscalls import table_words

TEXT = (0xC000_8000, 0xC040_0000)
BASE = 0xC000_9000


def reader(words: list[int]):  # noqa: ANN201 - a small closure for the tests
    blob = struct.pack(f"<{len(words)}I", *words)

    def read(addr: int, n: int) -> bytes | None:
        off = addr - BASE
        if off < 0 or off >= len(blob):
            return None
        return blob[off:off + n]
    return read


def test_size_gives_the_length() -> None:
    read = reader([0xC001_0000, 0xC001_0040, 0xC001_0000, 0xDEAD_BEEF])
    t = table_words("sys_call_table", BASE, BASE + 16, read, TEXT, size=12)
    assert t.targets == [0xC001_0000, 0xC001_0040, 0xC001_0000]


def test_next_symbol_gives_the_length() -> None:
    read = reader([0xC001_0000, 0xC001_0040])
    t = table_words("sys_oabi_call_table", BASE, BASE + 8, read, TEXT)
    assert t.targets == [0xC001_0000, 0xC001_0040]


@pytest.mark.parametrize(("words", "bound", "size", "message"), [
    ([0xC001_0000, 0x0000_1234], BASE + 8, 8, "sys_call_table[1] = 0x1234 is outside kernel text"),
    ([0xC001_0000] * 4, BASE + 8, 16, "runs past the next symbol"),
    ([0xC001_0000] * 4, BASE + 6, None, "implausible table size 6 bytes"),
    ([0xC001_0000] * 2, BASE + 16, None, "not in the kernel file"),
])
def test_bad_tables(words: list[int], bound: int, size: int | None, message: str) -> None:
    with pytest.raises(ProfileError, match=re.escape(message)):
        table_words("sys_call_table", BASE, bound, reader(words), TEXT, size)
