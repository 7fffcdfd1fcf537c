# SPDX-License-Identifier: GPL-2.0-only
"""A small writer and reader for cpio "newc" archives (the Linux initramfs format).

Needs no root and no `cpio` binary: device nodes are just header fields. The writer emits
entries in the order they are added, with sequential inode numbers and the mtime the caller
gives (0 by default), so the same calls give the same bytes. The reader checks every bound
and raises `CpioError` (a ValueError) on truncated or malformed input.

Layout of one entry: a 110-byte ASCII header ("070701" + 13 fields of 8 hex digits), the
NUL-terminated name padded to a multiple of 4 (counting from the header's start), then the
data padded to a multiple of 4. The archive ends with an entry named "TRAILER!!!".
"""

from __future__ import annotations

import gzip
import re
import stat
from dataclasses import dataclass
from typing import BinaryIO

MAGIC = b"070701"
HEADER_SIZE = 110
TRAILER = "TRAILER!!!"
_FIELDS = (
    "ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
    "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check",
)
_HEX8 = re.compile(rb"[0-9A-Fa-f]{8}")
_MAX32 = 0xFFFFFFFF


class CpioError(ValueError):
    """A cpio archive that cannot be read, or an entry that cannot be written."""


def _pad4(n: int) -> int:
    return (4 - n % 4) % 4


def _norm(path: str) -> str:
    """An archive name: no leading "/", no empty, "." or ".." parts."""
    if "\0" in path:
        raise CpioError(f"NUL in path {path!r}")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts:
        raise CpioError(f"empty path {path!r}")
    if ".." in parts:
        raise CpioError(f"'..' in path {path!r}")
    return "/".join(parts)


@dataclass(frozen=True)
class Entry:
    """One archive member. `name` is as stored (initramfs names have no leading "/")."""

    name: str
    mode: int
    data: bytes = b""
    uid: int = 0
    gid: int = 0
    nlink: int = 1
    mtime: int = 0
    ino: int = 0
    devmajor: int = 0
    devminor: int = 0
    rdevmajor: int = 0
    rdevminor: int = 0

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.mode)

    @property
    def is_symlink(self) -> bool:
        return stat.S_ISLNK(self.mode)

    @property
    def is_chr(self) -> bool:
        return stat.S_ISCHR(self.mode)

    @property
    def is_blk(self) -> bool:
        return stat.S_ISBLK(self.mode)

    @property
    def perm(self) -> int:
        return stat.S_IMODE(self.mode)

    @property
    def link_target(self) -> str:
        if not self.is_symlink:
            raise CpioError(f"{self.name} is not a symlink")
        return self.data.decode()


class CpioWriter:
    """Writes a newc archive to a binary stream; `close()` adds the trailer.

    The stream is not closed (pass an io.BytesIO and read it afterwards). Usable as a
    context manager, which writes the trailer on a normal exit.
    """

    def __init__(self, out: BinaryIO, *, mtime: int = 0, uid: int = 0, gid: int = 0) -> None:
        self._out = out
        self._mtime = mtime
        self._uid = uid
        self._gid = gid
        self._ino = 0
        self._names: set[str] = set()
        self._closed = False

    def __enter__(self) -> CpioWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()

    @property
    def names(self) -> frozenset[str]:
        """The names written so far (without leading "/")."""
        return frozenset(self._names)

    def _entry(
        self, name: str, mode: int, data: bytes = b"", *, nlink: int = 1,
        rdev: tuple[int, int] = (0, 0), ino: int | None = None,
    ) -> None:
        if self._closed:
            raise CpioError("archive already closed")
        encoded = name.encode() + b"\0"
        if ino is None:
            self._ino += 1
            ino = self._ino
        values = {
            "ino": ino, "mode": mode, "uid": self._uid, "gid": self._gid, "nlink": nlink,
            "mtime": self._mtime, "filesize": len(data), "devmajor": 0, "devminor": 0,
            "rdevmajor": rdev[0], "rdevminor": rdev[1], "namesize": len(encoded), "check": 0,
        }
        for key, value in values.items():
            if not 0 <= value <= _MAX32:
                raise CpioError(f"{name}: {key}={value} does not fit in 32 bits")
        header = MAGIC + b"".join(b"%08X" % values[f] for f in _FIELDS)
        self._out.write(header + encoded + b"\0" * _pad4(HEADER_SIZE + len(encoded)))
        self._out.write(data + b"\0" * _pad4(len(data)))

    def _claim(self, path: str) -> str:
        name = _norm(path)
        if name in self._names:
            raise CpioError(f"duplicate entry {name}")
        self._names.add(name)
        return name

    def add_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            raise CpioError(f"{path}: mode {mode:o} is not a regular file")
        self._entry(self._claim(path), stat.S_IFREG | stat.S_IMODE(mode), bytes(data))

    def add_dir(self, path: str, mode: int = 0o755) -> None:
        if stat.S_IFMT(mode) not in (0, stat.S_IFDIR):
            raise CpioError(f"{path}: mode {mode:o} is not a directory")
        self._entry(self._claim(path), stat.S_IFDIR | stat.S_IMODE(mode), nlink=2)

    def add_symlink(self, path: str, target: str) -> None:
        if not target or "\0" in target:
            raise CpioError(f"{path}: bad symlink target {target!r}")
        self._entry(self._claim(path), stat.S_IFLNK | 0o777, target.encode())

    def add_device(
        self, path: str, major: int, minor: int, mode: int = stat.S_IFCHR | 0o600
    ) -> None:
        """A device node; `mode` without file-type bits means a character device."""
        kind = stat.S_IFMT(mode) or stat.S_IFCHR
        if kind not in (stat.S_IFCHR, stat.S_IFBLK):
            raise CpioError(f"{path}: mode {mode:o} is not a character or block device")
        self._entry(self._claim(path), kind | stat.S_IMODE(mode), rdev=(major, minor))

    def close(self) -> None:
        """Writes the trailer (once)."""
        if not self._closed:
            self._entry(TRAILER, 0, ino=0)
            self._closed = True


def _hexfield(data: bytes, off: int, field: str) -> int:
    raw = data[off:off + 8]
    if not _HEX8.fullmatch(raw):
        raise CpioError(f"bad {field} field {raw!r} in header at offset {off}")
    return int(raw, 16)


def read_cpio(data: bytes) -> list[Entry]:
    """Parses a newc archive (gzip-compressed or not) into its entries, trailers left out.

    Concatenated archives, with NUL padding between them as the kernel allows, are read
    as one. Raises CpioError on anything truncated or malformed, or when the trailer is
    missing.
    """
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise CpioError(f"bad gzip data: {e}") from e
    entries: list[Entry] = []
    pos = 0
    size = len(data)
    seen_trailer = False
    while True:
        if seen_trailer:
            # Between archives (and at the end) the kernel skips NUL padding.
            while pos < size and data[pos] == 0:
                pos += 1
            if pos == size:
                return entries
        if pos == size:
            raise CpioError("archive ends without a TRAILER!!! entry")
        if not MAGIC.startswith(data[pos:pos + 6]):
            raise CpioError(f"bad magic {data[pos:pos + 6]!r} at offset {pos}")
        if pos + HEADER_SIZE > size:
            raise CpioError(f"truncated header at offset {pos} ({size - pos} bytes left)")
        f = {
            name: _hexfield(data, pos + 6 + 8 * i, name) for i, name in enumerate(_FIELDS)
        }
        namesize = f["namesize"]
        if namesize < 1:
            raise CpioError(f"zero name size in header at offset {pos}")
        name_end = pos + HEADER_SIZE + namesize
        if name_end > size:
            raise CpioError(f"truncated name in header at offset {pos}")
        raw_name = data[pos + HEADER_SIZE:name_end]
        if raw_name[-1] != 0 or b"\0" in raw_name[:-1]:
            raise CpioError(f"name in header at offset {pos} is not NUL-terminated")
        try:
            name = raw_name[:-1].decode()
        except UnicodeDecodeError as e:
            raise CpioError(f"name at offset {pos} is not UTF-8") from e
        data_start = name_end + _pad4(HEADER_SIZE + namesize)
        data_end = data_start + f["filesize"]
        if data_end > size:
            raise CpioError(
                f"{name}: data runs past the end ({f['filesize']} bytes at {data_start}, "
                f"archive is {size})"
            )
        pos = min(size, data_end + _pad4(f["filesize"]))
        if name == TRAILER:
            seen_trailer = True
            continue
        seen_trailer = False
        entries.append(Entry(
            name=name, mode=f["mode"], data=data[data_start:data_end], uid=f["uid"],
            gid=f["gid"], nlink=f["nlink"], mtime=f["mtime"], ino=f["ino"],
            devmajor=f["devmajor"], devminor=f["devminor"],
            rdevmajor=f["rdevmajor"], rdevminor=f["rdevminor"],
        ))
