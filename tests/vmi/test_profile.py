# SPDX-License-Identifier: GPL-2.0-only
"""The profile tool's Python side without a real kernel: format round trip, strict reading,
the BTF reader over a hand-built blob, and clean errors for bad inputs."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from profile_samples import TEXT_BASE, fix_crc, sample_btf, sample_profile

from mamoru.profile import ProfileError, decode, encode, show_lines
from mamoru.profile.btf import Btf, find_blobs
from mamoru.profile.format import StringTable
from mamoru.profile.syscalls import R_AARCH64_RELATIVE, relocations_in, table_slots
from mamoru.testing import mamoru_cli as mamoru

# -- format ---------------------------------------------------------------------------------


def test_roundtrip() -> None:
    p = sample_profile()
    data = encode(p)
    q = decode(data)
    assert q.values == p.values
    assert [a for a, _ in q.text] == sorted(a for a, _ in p.text)
    assert sorted(q.text) == sorted(p.text)
    assert encode(q) == data                  # deterministic
    assert data[:8] == b"MAMORUPF"


def test_show_lines() -> None:
    lines = show_lines(decode(encode(sample_profile(5))), text=True)
    assert "task_struct.pid 1352" in lines
    assert "sym.init_task 0xffff800009818c80" in lines
    assert "const.max 18446744073709551615" in lines
    assert "str.banner Linux version 6.1.0-test (tab\\x09here) \\\\ \\xc3\\xbc\\n" in lines
    assert "str.empty " in lines
    assert f"text_symbols {5 + 1 + 3 + 2}" in lines
    assert f"{TEXT_BASE:#018x} _text" in lines


def test_string_table_shares_suffixes() -> None:
    names = ["__arm64_sys_read", "sys_read", "read", "ad", "", "x", "__arm64_sys_write"]
    t = StringTable(names)
    for n in names:
        off = t[n]
        assert t.data[off:t.data.index(0, off)].decode() == n
    assert len(t.data) == 1 + len("__arm64_sys_read\0") + len("ad\0") + len("x\0") + len(
        "__arm64_sys_write\0") - len("ad\0")        # "ad" is a suffix of "read" too


def test_profile_size_scales_with_symbols() -> None:
    small, big = encode(sample_profile(10)), encode(sample_profile(1000))
    # 12 bytes per symbol in the table plus its name.
    assert len(big) - len(small) < 1100 * (12 + 24)


@pytest.mark.parametrize("cut", [0, 7, 8, 31, 32, 40, 47, 48, 79, 80, 200, -9, -1])
def test_decode_rejects_truncated(cut: int) -> None:
    data = encode(sample_profile())
    with pytest.raises(ProfileError):
        decode(data[:cut])


def test_decode_rejects_corruption() -> None:
    data = encode(sample_profile())
    for at in range(0, len(data), max(1, len(data) // 97)):
        b = bytearray(data)
        b[at] ^= 0x5A
        with pytest.raises(ProfileError):
            decode(bytes(b))
    with pytest.raises(ProfileError, match="version"):
        decode(data[:8] + struct.pack("<I", 2) + data[12:])
    with pytest.raises(ProfileError, match="checksum"):
        decode(data[:20] + struct.pack("<I", 0) + data[24:])
    with pytest.raises(ProfileError, match="count"):
        decode(fix_crc(data[:24] + struct.pack("<I", 1 << 30) + data[28:]))


# -- BTF ------------------------------------------------------------------------------------


def test_btf_reader() -> None:
    blob, ids = sample_btf()
    btf = Btf(b"junk" * 3 + blob, 12)
    assert find_blobs(b"\0" * 5 + blob) == [(5, btf.header)]
    s = btf.structs(["task_struct", "list_head", "flags_s", "missing"])
    assert "missing" not in s
    task = s["task_struct"]
    assert task.size == 96
    assert (task.members["__state"].offset, task.members["__state"].size) == (0, 4)
    assert (task.members["flags"].offset, task.members["flags"].size) == (4, 4)
    # anonymous union -> anonymous struct -> tasks, offsets accumulated
    assert (task.members["tasks"].offset, task.members["tasks"].size) == (8, 16)
    assert task.members["alt"].offset == 8
    assert (task.members["comm"].offset, task.members["comm"].size) == (24, 16)
    assert (task.members["parent"].offset, task.members["parent"].size) == (40, 8)
    assert task.members["user"].size == 8
    assert task.members["d"].size == 8
    assert task.members["tail"].offset == 64
    lh = s["list_head"]
    assert (lh.members["next"].offset, lh.members["prev"].offset) == (0, 8)
    bits = s["flags_s"].members
    assert (bits["a"].bit_offset, bits["a"].bit_size) == (0, 3)
    assert (bits["b"].bit_offset, bits["b"].bit_size) == (3, 5)
    assert (bits["c"].bit_offset, bits["c"].bit_size) == (9, 20)
    assert btf.find_struct("task_struct") == ids["task_struct"]     # not the FWD
    assert btf.enumerators(["PIDTYPE_MAX", "PIDTYPE_TGID", "BIG_ONE", "ANON_VALUE", "NOPE"]) == {
        "PIDTYPE_MAX": 4, "PIDTYPE_TGID": 1, "BIG_ONE": 1 << 40, "ANON_VALUE": -5}


@pytest.mark.parametrize("damage", ["truncated", "bad_kind", "name_range", "no_nul"])
def test_btf_reader_rejects_corruption(damage: str) -> None:
    blob = bytearray(sample_btf()[0])
    if damage == "truncated":
        struct.pack_into("<I", blob, 12, struct.unpack_from("<I", blob, 12)[0] - 4)  # type_len
    elif damage == "bad_kind":
        struct.pack_into("<I", blob, 24 + 4, 25 << 24)
    elif damage == "name_range":
        struct.pack_into("<I", blob, 24, 0xFFFFFF)
    else:
        blob[-1] = ord("x")
    with pytest.raises(ProfileError):
        Btf(bytes(blob), 0)


# -- inputs and the command line ------------------------------------------------------------


def fake_image(tmp: Path, with_banner: bool = True) -> tuple[Path, Path]:
    """An arm64 Image header with a banner but no BTF, and a System.map for it."""
    img = bytearray(0x10000)
    img[0:2] = b"MZ"
    struct.pack_into("<QQQ", img, 8, 0, len(img), 0b1010)
    img[0x38:0x3C] = b"ARM\x64"
    if with_banner:
        img[0x8000:0x8020] = b"Linux version 6.1.0-fake (x)\0"
    lines = [f"{TEXT_BASE:016x} T _text", f"{TEXT_BASE + 0x8000:016x} D linux_banner"]
    lines += [f"{TEXT_BASE + 0x100 + 4 * i:016x} t fn{i}" for i in range(200)]
    image, smap = tmp / "vmlinuz-fake", tmp / "System.map-fake"
    image.write_bytes(bytes(img))
    smap.write_text("\n".join(lines) + "\n")
    return image, smap


def run_profile(*args: str | Path) -> tuple[int, str]:
    r = mamoru("profile", *args, check=False)
    return r.returncode, r.stderr.strip()


def test_cli_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(b"\0" * 4096)
    code, err = run_profile(junk, "-o", tmp_path / "p")
    assert code == 1 and "neither a vmlinux ELF nor an arm64 Image" in err

    image, smap = fake_image(tmp_path)
    code, err = run_profile(image, "--system-map", smap, "-o", tmp_path / "p")
    assert code == 1 and "no BTF found" in err, err

    placeholder = tmp_path / "System.map-placeholder"
    placeholder.write_text("ffffffffffffffff B The real System.map is in the "
                           "linux-image-<version>-dbg package\n")
    code, err = run_profile(image, "--system-map", placeholder, "-o", tmp_path / "p")
    assert code == 1 and "placeholder" in err, err

    (tmp_path / "other").mkdir()
    other, _ = fake_image(tmp_path / "other", with_banner=False)
    code, err = run_profile(other, "--system-map", smap, "-o", tmp_path / "p")
    assert code == 1 and "does not match" in err, err

    code, err = run_profile(image, "-o", tmp_path / "p")      # sibling System.map-fake
    assert code == 1 and "no BTF found" in err, err

    elf = tmp_path / "x86.elf"
    elf.write_bytes(Path("/bin/true").read_bytes())
    code, err = run_profile(elf, "-o", tmp_path / "p")
    assert code == 1 and "not a little-endian AArch64 ELF" in err, err

    bad = tmp_path / "bad.profile"
    bad.write_bytes(encode(sample_profile())[:-3])
    code, err = run_profile("--show", bad)
    assert code == 1 and "truncated" in err, err


def test_cli_show(tmp_path: Path) -> None:
    path = tmp_path / "p.profile"
    path.write_bytes(encode(sample_profile(3)))
    r = mamoru("profile", "--show", path)
    assert "task_struct.pid 1352" in r.stdout.splitlines()
    assert r.stdout.splitlines()[-1] == "text_symbols 9"
    r = mamoru("profile", "--show", "--text", path)
    assert r.stdout.splitlines()[-1].endswith(" init_fn2")


# -- expected syscall tables ----------------------------------------------------------------

SCT = TEXT_BASE + 0x80000                   # a table of 4 slots, next symbol 8 bytes later
SCT_NEXT = SCT + 4 * 8 + 8
TEXT = (TEXT_BASE + 0x10000, TEXT_BASE + 0x20000)
HANDLERS = [TEXT_BASE + 0x10100 + 0x40 * i for i in range(4)]


def rela(entries: list[tuple[int, int, int]]) -> bytes:
    return b"".join(struct.pack("<QQQ", off, typ, addend) for off, typ, addend in entries)


def slots(entries: list[tuple[int, int, int]], *, bound: int = SCT_NEXT,
          size: int | None = None, held: bytes | None = None) -> list[int]:
    relocs = relocations_in(b"\0" * 24 + rela(entries),  # an R_AARCH64_NONE entry first
                            [(SCT, bound)])

    def read(addr: int, n: int) -> bytes | None:
        data = held if held is not None else b"\0" * 64
        return data[addr - SCT:addr - SCT + n] if addr >= SCT else None

    return table_slots("sys_call_table", SCT, bound, relocs, read, TEXT, size).targets


def test_syscall_table_from_relocations() -> None:
    good = [(SCT + 8 * i, R_AARCH64_RELATIVE, h) for i, h in enumerate(HANDLERS)]
    other = [(SCT - 8, R_AARCH64_RELATIVE, 1), (SCT_NEXT, R_AARCH64_RELATIVE, 2)]
    assert slots(other + good[::-1]) == HANDLERS                 # any order, others ignored
    assert slots(good, size=32) == HANDLERS
    assert slots(good, bound=SCT + 32) == HANDLERS
    # Relocations applied in the file (the slot already holds its target) are fine too.
    assert slots(good, held=struct.pack("<4Q", *HANDLERS) + b"\0" * 32) == HANDLERS

    def fails(match: str, entries: list[tuple[int, int, int]], **kw: object) -> None:
        with pytest.raises(ProfileError, match=match):
            slots(entries, **kw)  # type: ignore[arg-type]

    fails("no R_AARCH64_RELATIVE relocation for its first slot", good[1:])
    fails("slot 2 has no relocation, but the table goes on to 4 slots", good[:2] + good[3:])
    fails("slot 3 has a relocation of type 257", [*good[:3], (SCT + 24, 257, 0)])
    fails("symbol's size is 40 bytes", good, size=40)
    fails("end 72 bytes before the next symbol", good, bound=SCT + 32 + 72)
    fails("is not within", good, bound=SCT)
    fails(r"sys_call_table\[1\]: the file holds 0x1", good,
          held=struct.pack("<4Q", HANDLERS[0], 1, 0, 0) + b"\0" * 32)
    fails(r"sys_call_table\[3\] = 0x[0-9a-f]+ is outside kernel text \(1 such",
          [*good[:3], (SCT + 24, R_AARCH64_RELATIVE, TEXT[1])])
    fails("two relocations", good + good[:1])
    with pytest.raises(ProfileError, match="whole number"):
        relocations_in(b"\0" * 25, [(SCT, SCT_NEXT)])
