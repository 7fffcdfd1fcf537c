# SPDX-License-Identifier: GPL-2.0-only
"""mamoru.cpio (the newc writer and reader) and the initramfs layout built on it."""

from __future__ import annotations

import gzip
import io
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from mamoru.cpio import HEADER_SIZE, CpioError, CpioWriter, Entry, read_cpio
from mamoru.guest_assets import DEFAULT_APPLETS, build_initramfs, default_init_script


def _archive() -> bytes:
    out = io.BytesIO()
    with CpioWriter(out) as w:
        w.add_dir("/bin")
        w.add_file("/bin/busybox", b"\x7fELF" + bytes(range(256)) * 3, 0o755)
        w.add_symlink("/bin/sh", "busybox")
        w.add_dir("dev")
        w.add_device("/dev/console", 5, 1)
        w.add_device("/dev/null", 1, 3, stat.S_IFCHR | 0o666)
        w.add_device("/dev/vda", 254, 0, stat.S_IFBLK | 0o660)
        w.add_file("/init", b"#!/bin/sh\necho hi\n", 0o755)
        w.add_file("/empty", b"")
    return out.getvalue()


def _by_name(entries: list[Entry]) -> dict[str, Entry]:
    return {e.name: e for e in entries}


def test_roundtrip() -> None:
    entries = read_cpio(_archive())
    assert [e.name for e in entries] == [
        "bin", "bin/busybox", "bin/sh", "dev", "dev/console", "dev/null", "dev/vda", "init",
        "empty",
    ]
    e = _by_name(entries)
    assert e["bin"].is_dir and e["bin"].perm == 0o755 and e["bin"].nlink == 2
    assert e["bin/busybox"].is_file and e["bin/busybox"].perm == 0o755
    assert e["bin/busybox"].data == b"\x7fELF" + bytes(range(256)) * 3
    assert e["bin/sh"].is_symlink and e["bin/sh"].link_target == "busybox"
    assert e["init"].data == b"#!/bin/sh\necho hi\n"
    assert e["empty"].is_file and e["empty"].data == b"" and e["empty"].perm == 0o644
    assert [x.ino for x in entries] == list(range(1, len(entries) + 1))
    assert all(x.mtime == 0 and x.uid == 0 and x.gid == 0 for x in entries)


def test_device_nodes() -> None:
    e = _by_name(read_cpio(_archive()))
    console = e["dev/console"]
    assert console.mode == stat.S_IFCHR | 0o600 and console.is_chr
    assert (console.rdevmajor, console.rdevminor) == (5, 1) and console.data == b""
    assert e["dev/null"].mode == stat.S_IFCHR | 0o666
    assert (e["dev/null"].rdevmajor, e["dev/null"].rdevminor) == (1, 3)
    assert e["dev/vda"].is_blk and (e["dev/vda"].rdevmajor, e["dev/vda"].rdevminor) == (254, 0)


def test_header_layout() -> None:
    data = _archive()
    assert data.startswith(b"070701")
    # The first entry is "bin": ino 1, a directory 0755, namesize 4 ("bin\0").
    assert data[6:14] == b"00000001" and data[14:22] == b"000041ED"
    assert data[94:102] == b"00000004"
    assert data[HEADER_SIZE:HEADER_SIZE + 4] == b"bin\0"
    assert len(data) % 4 == 0
    assert b"TRAILER!!!\0" in data[-128:]


def test_deterministic_bytes() -> None:
    assert _archive() == _archive()


def test_writer_rejects_bad_input() -> None:
    w = CpioWriter(io.BytesIO())
    w.add_file("a", b"")
    with pytest.raises(CpioError, match="duplicate"):
        w.add_file("/a", b"x")
    for bad in ("", "/", "../x", "a/../b", "x\0y"):
        with pytest.raises(CpioError):
            w.add_dir(bad)
    with pytest.raises(CpioError):
        w.add_file("f", b"", stat.S_IFDIR | 0o755)
    with pytest.raises(CpioError):
        w.add_device("d", 1, 3, stat.S_IFREG | 0o600)
    with pytest.raises(CpioError):
        w.add_device("big", 1 << 32, 0)
    with pytest.raises(CpioError):
        w.add_symlink("l", "")
    w.close()
    w.close()  # a second close writes nothing more
    with pytest.raises(CpioError, match="closed"):
        w.add_file("late", b"")


def test_gzip_and_concatenated_archives() -> None:
    one = _archive()
    out = io.BytesIO()
    with CpioWriter(out) as w:
        w.add_file("extra", b"more")
    two = one + b"\0" * 508 + out.getvalue() + b"\0" * 512
    names = [e.name for e in read_cpio(two)]
    assert names[-1] == "extra" and len(names) == 10
    assert read_cpio(gzip.compress(one, mtime=0)) == read_cpio(one)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda d: b"", "without a TRAILER"),
        (lambda d: d[:50], "truncated header"),
        (lambda d: b"070702" + d[6:], "bad magic"),
        (lambda d: d[:14] + b"0000zzzz" + d[22:], "bad mode field"),
        (lambda d: d[:14] + b"+00041ED" + d[22:], "bad mode field"),
        (lambda d: d[:94] + b"00000000" + d[102:], "zero name size"),
        (lambda d: d[:94] + b"00000003" + d[102:], "not NUL-terminated"),
        (lambda d: d[:94] + b"7FFFFFFF" + d[102:], "truncated name"),
        (lambda d: d[: len(d) - 120], "without a TRAILER|truncated|bad magic"),
        (lambda d: d + b"garbage!", "bad magic"),
        (lambda d: b"\x1f\x8b" + d, "bad gzip"),
    ],
)
def test_corrupt_input_raises_value_error(
    mangle: Callable[[bytes], bytes], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        read_cpio(mangle(_archive()))


def test_data_past_the_end() -> None:
    data = _archive()
    # Entry 2 (bin/busybox) starts at 116: header 110 + "bin\0", padded to a multiple of 4.
    off = 116
    assert data[off + HEADER_SIZE:off + HEADER_SIZE + 12] == b"bin/busybox\0"
    bad = data[:off + 54] + b"0FFFFFFF" + data[off + 62:]
    with pytest.raises(ValueError, match="past the end"):
        read_cpio(bad)


def test_every_truncation_is_a_clean_error() -> None:
    data = _archive()
    # Only the trailer's own padding (the last 3 bytes) may go missing, as for the kernel.
    assert data.endswith(b"TRAILER!!!\0\0\0\0")
    for cut in range(len(data) - 3):
        try:
            read_cpio(data[:cut])
        except CpioError:
            continue
        pytest.fail(f"truncating at {cut} was not noticed")


# -- the initramfs layout (with a stand-in busybox: no download) -----------------------------


@pytest.fixture
def fake_busybox(tmp_path: Path) -> Path:
    p = tmp_path / "busybox"
    p.write_bytes(b"\x7fELF\x02\x01" + b"\0" * 100)
    return p


def test_initramfs_layout(tmp_path: Path, fake_busybox: Path) -> None:
    host_file = tmp_path / "tool"
    host_file.write_bytes(b"\x01\x02")
    host_file.chmod(0o755)
    out = build_initramfs(
        tmp_path / "initrd.cpio", default_init_script(),
        {"/opt/probe/run.sh": b"#!/bin/sh\n", "/etc/motd": b"hi\n", "/usr/bin/tool": host_file},
        busybox=fake_busybox,
    )
    entries = read_cpio(out.read_bytes())
    e = _by_name(entries)
    assert [x.name for x in entries] == sorted(e)
    for d in ("bin", "sbin", "dev", "proc", "sys", "tmp", "root", "etc", "mnt", "opt",
              "opt/probe", "usr", "usr/bin"):
        assert e[d].is_dir, d
    assert e["tmp"].perm == 0o1777
    assert e["bin/busybox"].data == fake_busybox.read_bytes() and e["bin/busybox"].perm == 0o755
    for applet in ("sh", "devmem", "cttyhack", "setsid", "poweroff", "insmod"):
        assert e[f"bin/{applet}"].link_target == "busybox"
    assert len([x for x in entries if x.is_symlink]) == len(DEFAULT_APPLETS)
    assert (e["dev/console"].mode, e["dev/console"].rdevmajor, e["dev/console"].rdevminor) == (
        stat.S_IFCHR | 0o600, 5, 1)
    assert (e["dev/null"].mode, e["dev/null"].rdevmajor, e["dev/null"].rdevminor) == (
        stat.S_IFCHR | 0o600, 1, 3)
    assert e["init"].perm == 0o755 and e["init"].data == default_init_script().encode()
    assert e["opt/probe/run.sh"].perm == 0o755
    assert e["etc/motd"].perm == 0o644 and e["etc/motd"].data == b"hi\n"
    assert e["usr/bin/tool"].perm == 0o755 and e["usr/bin/tool"].data == b"\x01\x02"
    assert [x.ino for x in entries] == list(range(1, len(entries) + 1))


def test_initramfs_deterministic_and_gzip(tmp_path: Path, fake_busybox: Path) -> None:
    a = build_initramfs(tmp_path / "a", "#!/bin/sh\n", busybox=fake_busybox).read_bytes()
    b = build_initramfs(tmp_path / "b", "#!/bin/sh\n", busybox=fake_busybox).read_bytes()
    assert a == b
    z1 = build_initramfs(tmp_path / "z1", "#!/bin/sh\n", busybox=fake_busybox, compress=True)
    z2 = build_initramfs(tmp_path / "z2", "#!/bin/sh\n", busybox=fake_busybox, compress=True)
    assert z1.read_bytes() == z2.read_bytes()
    assert gzip.decompress(z1.read_bytes()) == a


def test_initramfs_extra_file_may_replace_an_applet(tmp_path: Path, fake_busybox: Path) -> None:
    out = build_initramfs(tmp_path / "i", "#!/bin/sh\n", {"/bin/ps": b"#!/bin/sh\n"},
                          busybox=fake_busybox)
    assert _by_name(read_cpio(out.read_bytes()))["bin/ps"].is_file
    with pytest.raises(ValueError, match="directory and a file"):
        build_initramfs(tmp_path / "j", "#!/bin/sh\n", {"/dev": b"x"}, busybox=fake_busybox)
