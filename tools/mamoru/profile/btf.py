# SPDX-License-Identifier: GPL-2.0-only
"""A reader for the kernel's BTF (BPF Type Format), written from the format's documentation.

Layout of a blob (little-endian here; the magic tells the byte order):

    header   u16 magic 0xeB9F, u8 version 1, u8 flags, u32 hdr_len,
             u32 type_off, u32 type_len, u32 str_off, u32 str_len   (offsets from the header's end)
    types    records numbered from 1 (0 is void): u32 name_off, u32 info, u32 size|type,
             then kind-specific data; info = vlen (bits 0-15) | kind (24-28) | kind_flag (31)
    strings  NUL-terminated names, the first one empty

The reader indexes every record once (one pass over the type section) and decodes members and
enumerators only for the types asked for.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from mamoru.profile.errors import ProfileError
from mamoru.profile.layout import Member, Struct

MAGIC = 0xEB9F
HEADER = struct.Struct("<HBBIIIII")

INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT = range(1, 12)
FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64 = range(12, 20)

KIND_NAMES = {
    INT: "INT", PTR: "PTR", ARRAY: "ARRAY", STRUCT: "STRUCT", UNION: "UNION", ENUM: "ENUM",
    FWD: "FWD", TYPEDEF: "TYPEDEF", VOLATILE: "VOLATILE", CONST: "CONST", RESTRICT: "RESTRICT",
    FUNC: "FUNC", FUNC_PROTO: "FUNC_PROTO", VAR: "VAR", DATASEC: "DATASEC", FLOAT: "FLOAT",
    DECL_TAG: "DECL_TAG", TYPE_TAG: "TYPE_TAG", ENUM64: "ENUM64",
}

# Bytes after the 12-byte common record: fixed part, and per vlen entry.
_EXTRA: dict[int, tuple[int, int]] = {
    INT: (4, 0), PTR: (0, 0), ARRAY: (12, 0), STRUCT: (0, 12), UNION: (0, 12), ENUM: (0, 8),
    FWD: (0, 0), TYPEDEF: (0, 0), VOLATILE: (0, 0), CONST: (0, 0), RESTRICT: (0, 0),
    FUNC: (0, 0), FUNC_PROTO: (0, 8), VAR: (4, 0), DATASEC: (0, 12), FLOAT: (0, 0),
    DECL_TAG: (4, 0), TYPE_TAG: (0, 0), ENUM64: (0, 12),
}
# Kinds whose third word is a type id (the others hold a size or nothing).
_REFERS = {PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, VAR, DECL_TAG, TYPE_TAG}
_MODIFIERS = {TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG}
_MAX_DEPTH = 64


@dataclass(frozen=True)
class BtfHeader:
    version: int
    flags: int
    hdr_len: int
    type_off: int
    type_len: int
    str_off: int
    str_len: int

    @property
    def total(self) -> int:
        """Bytes the blob spans from its magic to the end of the later section."""
        return self.hdr_len + max(self.type_off + self.type_len, self.str_off + self.str_len)


def parse_header(data: bytes | memoryview, at: int = 0) -> BtfHeader | None:
    """The header at `at` if it is a plausible little-endian BTF header within data."""
    if at < 0 or at + HEADER.size > len(data):
        return None
    magic, version, flags, hdr_len, t_off, t_len, s_off, s_len = HEADER.unpack_from(data, at)
    if magic != MAGIC or version != 1 or hdr_len < HEADER.size or hdr_len > 256:
        return None
    h = BtfHeader(version, flags, hdr_len, t_off, t_len, s_off, s_len)
    if t_off % 4 or t_len % 4 or s_len == 0 or at + h.total > len(data):
        return None
    # The two sections must not overlap.
    if t_off < s_off + s_len and s_off < t_off + t_len:
        return None
    return h


def find_blobs(data: bytes | memoryview, limit: int = 4) -> list[tuple[int, BtfHeader]]:
    """Offsets of valid-looking BTF headers in data (e.g. a raw kernel Image), first first."""
    found: list[tuple[int, BtfHeader]] = []
    raw = bytes(data) if isinstance(data, memoryview) else data
    needle = struct.pack("<HBB", MAGIC, 1, 0)
    at = raw.find(needle)
    while at >= 0 and len(found) < limit:
        h = parse_header(raw, at)
        if h is not None and h.type_len > 0:
            found.append((at, h))
            at = raw.find(needle, at + h.total)
        else:
            at = raw.find(needle, at + 1)
    return found


class Btf:
    """One BTF blob; types are looked up by id or by name."""

    def __init__(self, data: bytes | memoryview, at: int = 0) -> None:
        h = parse_header(data, at)
        if h is None:
            raise ProfileError(f"no valid BTF header at offset {at:#x}")
        self.header = h
        blob = memoryview(data)[at:at + h.total]
        self._types = blob[h.hdr_len + h.type_off:h.hdr_len + h.type_off + h.type_len]
        self._strs = bytes(blob[h.hdr_len + h.str_off:h.hdr_len + h.str_off + h.str_len])
        if self._strs[-1] != 0:
            raise ProfileError("BTF string section does not end with a NUL")
        # Per type id (index 0 is void): offset of its record in the type section.
        self._offsets: list[int] = [-1]
        self._by_name: dict[str, list[int]] = {}
        self._index()

    # -- indexing -------------------------------------------------------------------------

    def _index(self) -> None:
        types = self._types
        end = len(types)
        word = struct.Struct("<III")
        offsets = self._offsets
        named_kinds = {STRUCT, UNION, ENUM, ENUM64, TYPEDEF, FWD}
        pos = 0
        while pos < end:
            if pos + 12 > end:
                raise ProfileError(f"BTF type record truncated at type offset {pos:#x}")
            name_off, info, _ = word.unpack_from(types, pos)
            kind = (info >> 24) & 0x1F
            vlen = info & 0xFFFF
            extra = _EXTRA.get(kind)
            if extra is None:
                raise ProfileError(f"unsupported BTF kind {kind} (type id {len(offsets)})")
            if name_off >= len(self._strs):
                raise ProfileError(f"BTF type {len(offsets)}: name offset out of range")
            tid = len(offsets)
            offsets.append(pos)
            if kind in named_kinds and name_off:
                self._by_name.setdefault(self._str(name_off), []).append(tid)
            pos += 12 + extra[0] + extra[1] * vlen
        if pos != end:
            raise ProfileError("BTF type section ends inside a record")

    def _str(self, off: int) -> str:
        if off >= len(self._strs):
            raise ProfileError(f"BTF string offset {off:#x} out of range")
        nul = self._strs.index(0, off)
        return self._strs[off:nul].decode("utf-8", "replace")

    def __len__(self) -> int:
        """Number of types, void excluded."""
        return len(self._offsets) - 1

    def _record(self, tid: int) -> tuple[int, int, int, bool, int, int]:
        """kind, name_off, vlen, kind_flag, size_or_type, offset of the extra data."""
        if not 0 < tid < len(self._offsets):
            raise ProfileError(f"BTF type id {tid} out of range")
        pos = self._offsets[tid]
        name_off, info, sz = struct.unpack_from("<III", self._types, pos)
        return (info >> 24) & 0x1F, name_off, info & 0xFFFF, bool(info >> 31), sz, pos + 12

    def kind(self, tid: int) -> int:
        return self._record(tid)[0]

    def name(self, tid: int) -> str:
        return self._str(self._record(tid)[1])

    def ids(self, name: str) -> list[int]:
        return list(self._by_name.get(name, []))

    # -- sizes and layouts ----------------------------------------------------------------

    def resolve(self, tid: int) -> int:
        """Skips typedefs and qualifiers."""
        for _ in range(_MAX_DEPTH):
            if tid == 0:
                return 0
            kind, _, _, _, ref, _ = self._record(tid)
            if kind not in _MODIFIERS:
                return tid
            tid = ref
        raise ProfileError("BTF type chain too deep (a cycle?)")

    def size_of(self, tid: int) -> int:
        """Size in bytes of a type (0 for void, functions and incomplete types)."""
        for _ in range(_MAX_DEPTH):
            tid = self.resolve(tid)
            if tid == 0:
                return 0
            kind, _, _, _, sz, extra = self._record(tid)
            if kind in (INT, STRUCT, UNION, ENUM, ENUM64, FLOAT, DATASEC):
                return sz
            if kind == PTR:
                return 8
            if kind == ARRAY:
                elem, _, nelems = struct.unpack_from("<III", self._types, extra)
                return nelems * self.size_of(elem)
            if kind == VAR:
                tid = sz
                continue
            return 0
        raise ProfileError("BTF type chain too deep (a cycle?)")

    def members(self, tid: int) -> list[tuple[str, int, int, int]]:
        """(name, bit offset, bitfield size or 0, type id) of a struct or union's members."""
        kind, _, vlen, kflag, _, extra = self._record(tid)
        if kind not in (STRUCT, UNION):
            raise ProfileError(f"BTF type {tid} is not a struct or union")
        out = []
        for i in range(vlen):
            name_off, mtype, off = struct.unpack_from("<III", self._types, extra + 12 * i)
            if kflag:
                out.append((self._str(name_off), off & 0xFFFFFF, off >> 24, mtype))
            else:
                out.append((self._str(name_off), off, 0, mtype))
        return out

    def layout(self, tid: int) -> Struct:
        _kind, name_off, _, _, size, _ = self._record(tid)
        s = Struct(self._str(name_off), size)
        self._flatten(tid, 0, s, 0)
        return s

    def _flatten(self, tid: int, base: int, into: Struct, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise ProfileError("BTF anonymous members nested too deep")
        for name, bit_off, bit_size, mtype in self.members(tid):
            if not name:
                inner = self.resolve(mtype)
                if inner and self.kind(inner) in (STRUCT, UNION):
                    self._flatten(inner, base + bit_off, into, depth + 1)
                continue
            into.members.setdefault(
                name, Member(name, base + bit_off, self.size_of(mtype), bit_size))

    # -- the TypeSource protocol ----------------------------------------------------------

    def find_struct(self, name: str) -> int | None:
        """The id of the complete struct or union called name (not a forward declaration)."""
        best = None
        for tid in self._by_name.get(name, []):
            kind, _, vlen, _, size, _ = self._record(tid)
            if kind in (STRUCT, UNION) and (vlen or size):
                if kind == STRUCT:
                    return tid
                best = tid
        return best

    def structs(self, names: Iterable[str]) -> dict[str, Struct]:
        out = {}
        for name in names:
            tid = self.find_struct(name)
            if tid is not None:
                out[name] = self.layout(tid)
        return out

    def enumerators(self, names: Iterable[str]) -> dict[str, int]:
        wanted = set(names)
        out: dict[str, int] = {}
        for ids in self._by_name.values():
            for tid in ids:
                kind, _, vlen, kflag, _, extra = self._record(tid)
                if kind == ENUM:
                    for i in range(vlen):
                        n_off, val = struct.unpack_from("<Ii" if kflag else "<II",
                                                        self._types, extra + 8 * i)
                        self._take(n_off, val, wanted, out)
                elif kind == ENUM64:
                    for i in range(vlen):
                        n_off, lo, hi = struct.unpack_from("<III", self._types, extra + 12 * i)
                        self._take(n_off, lo | hi << 32, wanted, out)
        # Anonymous enums have no name: scan them too, but only if something is missing.
        if wanted - out.keys():
            for tid in range(1, len(self._offsets)):
                kind, name_off, vlen, kflag, _, extra = self._record(tid)
                if kind == ENUM and name_off == 0:
                    for i in range(vlen):
                        n_off, val = struct.unpack_from("<Ii" if kflag else "<II",
                                                        self._types, extra + 8 * i)
                        self._take(n_off, val, wanted, out)
        return out

    def _take(self, name_off: int, val: int, wanted: set[str], out: dict[str, int]) -> None:
        name = self._str(name_off)
        if name in wanted:
            out.setdefault(name, val)
