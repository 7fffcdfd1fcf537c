# SPDX-License-Identifier: GPL-2.0-only
"""The hypervisor's guest-bundle (cpio newc) reader against hostile archives.

The host build of core/lib/cpio.c runs under ASan/UBSan with an exact-size
buffer, so any read outside the archive fails the test.
"""

import io
import random
from pathlib import Path

import pytest
from hostprog import run_prog

from mamoru.cpio import CpioWriter


def archive(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with CpioWriter(buf) as w:
        for name, data in files.items():
            w.add_file(name, data)
    return buf.getvalue()


GOOD = archive({"guest0/kernel": b"K" * 1000, "guest0/dtb": b"\xd0" * 7, "guest0/initrd": b""})


def dump(host: Path, tmp_path: Path, data: bytes) -> tuple[int, str]:
    f = tmp_path / "bundle.cpio"
    f.write_bytes(data)
    res = run_prog(host, "cpio_dump", [f], timeout=10)
    assert res.returncode in (0, 1), res.stderr.decode()   # never a sanitizer exit
    return res.returncode, res.stdout.decode(errors="replace")


def test_reads_every_entry(host_build: Path, tmp_path: Path) -> None:
    rc, out = dump(host_build, tmp_path, GOOD)
    assert rc == 0
    assert out.splitlines() == [
        "guest0/kernel 1000 100644 4b",
        "guest0/dtb 7 100644 d0",
        "guest0/initrd 0 100644 -00",
        "end",
    ]


def test_every_truncation_is_an_error(host_build: Path, tmp_path: Path) -> None:
    for cut in list(range(0, 240)) + list(range(240, len(GOOD) - 1, 13)):
        rc, out = dump(host_build, tmp_path, GOOD[:cut])
        assert rc == 1 and "error:" in out, (cut, out)


def field(data: bytes, entry_off: int, index: int, value: bytes) -> bytes:
    """Replaces header field index (0 = ino ... 11 = namesize) of the entry at entry_off."""
    start = entry_off + 6 + 8 * index
    return data[:start] + value + data[start + 8:]


@pytest.mark.parametrize("index,value,message", [
    (6, b"7fffffff", "truncated file data"),          # filesize far past the end
    (6, b"ffffffff", "truncated file data"),
    (11, b"00000000", "bad name size"),                # namesize 0
    (11, b"ffffffff", "bad name size"),
    (11, b"00000100", "name is not a NUL-terminated"), # name runs into the data
    (1, b"0000zz00", "not hexadecimal"),
])
def test_hostile_header_fields(host_build: Path, tmp_path: Path, index: int, value: bytes,
                               message: str) -> None:
    rc, out = dump(host_build, tmp_path, field(GOOD, 0, index, value))
    assert rc == 1 and message in out, out


def test_bad_magic_and_missing_trailer(host_build: Path, tmp_path: Path) -> None:
    rc, out = dump(host_build, tmp_path, b"070707" + GOOD[6:])
    assert rc == 1 and "bad magic" in out
    trailer = GOOD.rfind(b"070701")
    rc, out = dump(host_build, tmp_path, GOOD[:trailer])
    assert rc == 1 and "truncated header" in out


def test_random_corruption_never_crashes(host_build: Path, tmp_path: Path) -> None:
    rng = random.Random(1234)
    for _ in range(150):
        data = bytearray(GOOD)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        dump(host_build, tmp_path, bytes(data))
