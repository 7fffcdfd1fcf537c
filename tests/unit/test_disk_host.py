# SPDX-License-Identifier: GPL-2.0-only
"""The guest disk's pure logic on the host (tests/host/disk_check.c, under ASan/UBSan): the
MBR reader (core/lib/mbr.c) on hostile partition tables, the SD card's capacity from its
CSD (drivers/mmc/sd_csd.c), and the virtqueue and virtio-blk requests (core/lib/virtq.c)
against a hostile guest: rings and descriptors outside its RAM or wrapping around, loops,
indirect descriptors, sectors beyond the disk, all served without a memory error, a hang
or a disk access outside the disk."""

from __future__ import annotations

import random
import struct
from pathlib import Path

from hostprog import run_prog

from mamoru.testing.fuzz import run_fuzzer
from mamoru.testing.hostcheck import checks_passed

RAM_BASE = 0x4000_0000


def test_selftest(host_build: Path) -> None:
    checks_passed(run_prog(host_build, "disk_check", ["selftest"]), "disk selftest", least=80)


def mbr(entries: list[tuple[int, int, int]], signature: bool = True) -> bytes:
    m = bytearray(512)
    for i, (ptype, first, count) in enumerate(entries):
        m[0x1BE + 16 * i:0x1BE + 16 * i + 16] = struct.pack(
            "<B3sB3sII", 0, b"\xfe\xff\xff", ptype, b"\xfe\xff\xff", first, count)
    if signature:
        m[510:512] = b"\x55\xaa"
    return bytes(m)


def parts(host: Path, tmp_path: Path, sector: bytes) -> list[str]:
    f = tmp_path / "mbr.bin"
    f.write_bytes(sector)
    r = run_prog(host, "disk_check", ["mbr", f])
    assert r.returncode == 0 and r.stderr == b"", r.stderr
    return r.stdout.decode().splitlines()


def test_mbr_tables(host_build: Path, tmp_path: Path) -> None:
    """The card's layout (FAT boot partition, ext4 second) and hostile tables (the disk:
    1 GiB = 2^21 sectors)."""
    card = parts(host_build, tmp_path, mbr([(0x0C, 8192, 524288), (0x83, 532480, 65536)]))
    assert card == ["1 0x0c 8192 524288", "2 0x83 532480 65536",
                    "3 error: the partition is unused or empty",
                    "4 error: the partition is unused or empty"]
    hostile = parts(host_build, tmp_path, mbr([
        (0x83, 2048, 10000), (0x83, 5000, 100),             # 1 and 2 overlap
        (0x83, 0xFFFF_FFFF, 0xFFFF_FFFF),                    # beyond the disk (no wrap)
        (0x05, 20000, 100)]))                                # an extended container
    assert hostile == ["1 error: the partition overlaps another one",
                       "2 error: the partition overlaps another one",
                       "3 error: the partition reaches beyond the end of the disk",
                       "4 error: the partition is an extended partition (a container of "
                       "others)"]
    assert parts(host_build, tmp_path, mbr([(0x83, 0, 100), (0x83, 100, 0)]))[:2] == [
        "1 error: the partition starts in the MBR itself",
        "2 error: the partition is unused or empty"]
    unsigned = parts(host_build, tmp_path, mbr([(0x83, 2048, 100)], signature=False))
    assert all("no 0x55aa signature" in line for line in unsigned), unsigned


def test_mbr_random(host_build: Path, tmp_path: Path) -> None:
    """Random tables: whatever the reader accepts lies on the disk and overlaps no other
    used entry."""
    rng = random.Random(24)
    for _ in range(60):
        entries = [(rng.choice([0, 0x05, 0x0C, 0x83, 0xFF]),
                    rng.choice([0, 1, 2048, rng.randrange(1 << 21), rng.randrange(1 << 32)]),
                    rng.choice([0, 1, rng.randrange(1 << 21), rng.randrange(1 << 32)]))
                   for _ in range(4)]
        for line in parts(host_build, tmp_path, mbr(entries)):
            n, rest = line.split(" ", 1)
            if rest.startswith("error"):
                continue
            _, first, count = rest.split()
            first_i, count_i = int(first), int(count)
            assert first_i >= 1 and first_i + count_i <= 1 << 21 and count_i > 0, line
            for k, (t, f, c) in enumerate(entries):
                if k != int(n) - 1 and t and c:
                    assert f + c <= first_i or first_i + count_i <= f, (line, entries)


def hostile_guest(rng: random.Random) -> bytes:
    """16 KiB of guest RAM with a queue of 8 at fixed rings (the first 32 bytes say where,
    as disk_check fuzz reads them): well-formed requests (header, data, status: chains at
    descriptors 0 and 3) with a few fields made hostile, random available heads and index."""
    size = 0x4000
    ram = bytearray(rng.randbytes(size) if rng.random() < 0.2 else bytes(size))
    struct.pack_into("<BB6xQQQ", ram, 0, 3, 0, 0x1000, 0x2000, 0x3000)
    descs = []
    for c in (0, 3):
        write = rng.choice([2, 0])
        descs += [[RAM_BASE + 0x100 + 32 * c, 16, 1, c + 1],
                  [RAM_BASE + 0x800 + 0x400 * c, rng.choice([512, 1024]), 1 | write, c + 2],
                  [RAM_BASE + 0x3800 + c, 1, 2, 0]]
        struct.pack_into("<IIQ", ram, 0x100 + 32 * c, rng.choice([0, 1, 4, 8, 77]), 0,
                         rng.choice([0, 1, 62, 63, 64, (1 << 64) - 1, rng.randrange(1 << 64)]))
    descs += [[RAM_BASE, 0, 0, 0]] * 2
    for _ in range(rng.choice([0, 0, 1, 2, 4])):
        d, field = rng.randrange(8), rng.randrange(4)
        descs[d] = list(descs[d])
        descs[d][field] = [
            lambda: rng.choice([RAM_BASE + size - 1, RAM_BASE + size, rng.randrange(1 << 64),
                                RAM_BASE + rng.randrange(size), RAM_BASE - 1]),
            lambda: rng.choice([0, 1, 15, 17, 500, 0x2000, rng.randrange(1 << 32)]),
            lambda: rng.randrange(8),
            lambda: rng.randrange(10)][field]()
    for i, (addr, length, flags, nxt) in enumerate(descs):
        struct.pack_into("<QIHH", ram, 0x1000 + 16 * i, addr, length, flags, nxt)
    idx = rng.choice([1, 2, 2, 8, 9, 0xFFFF, rng.randrange(1 << 16)])
    struct.pack_into("<HH", ram, 0x2000, rng.choice([0, 1]), idx)
    for k in range(8):
        struct.pack_into("<H", ram, 0x2004 + 2 * k,
                         rng.choice([0, 3, 0, 3, 1, 7, 8, rng.randrange(16)]))
    return bytes(ram)


def test_virtqueue_fuzz(host_build: Path, tmp_path: Path) -> None:
    """A hostile guest's queues: the program serves each (ASan/UBSan abort on a memory
    error; the fake disk aborts on a range beyond it) and ends; over the run both served
    requests and broken queues occur (the fuzzing reached both)."""
    rng = random.Random(13)
    f = tmp_path / "ram.bin"
    served = broken = 0
    for i in range(400):
        data = hostile_guest(rng) if i % 4 else rng.randbytes(rng.randrange(32, 0x4000))
        f.write_bytes(data)
        r = run_prog(host_build, "disk_check", ["fuzz", f])
        assert r.returncode == 0 and r.stderr == b"", (i, r.stderr.decode(errors="replace"))
        words = r.stdout.decode().split()
        served += int(words[1].rstrip(","))
        broken += int(words[3])
    assert served > 50 and broken > 20, (served, broken)


def test_libfuzzer(host_build: Path, tmp_path: Path) -> None:
    """The same logic under libFuzzer (tests/host/disk_fuzz.c), from hostile guests as the
    corpus (MAMORU_FUZZ_SECONDS long)."""
    rng = random.Random(7)
    run_fuzzer(host_build / "disk_fuzz", tmp_path, [hostile_guest(rng) for _ in range(20)],
               "-max_len=16384")

