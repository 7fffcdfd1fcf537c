# SPDX-License-Identifier: GPL-2.0-only
"""The binary profile format (docs/profile-format.md): writer, strict reader and text form.

    header (32 bytes)  magic "MAMORUPF", u32 version, u32 header_size (32), u32 total_size,
                       u32 crc32 (of bytes 32..total_size), u32 section_count, u32 flags (0)
    section table      section_count x {u32 type, u32 offset, u32 size, u32 count}
    sections           8-byte aligned: STRTAB (1), KEYVAL (2), TEXTSYMS (3)

KEYVAL entries (16 bytes, sorted by key, unique): u32 key (strtab offset), u32 kind, u64 value;
kind 0 = number, 1 = address (shown in hex), 2 = string (value is a strtab offset).
TEXTSYMS: count u64 link addresses (ascending), then count u32 name offsets.
All integers little-endian.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from mamoru.profile.errors import ProfileError

MAGIC = b"MAMORUPF"
VERSION = 1
HEADER = struct.Struct("<8sIIIIII")
SECTION = struct.Struct("<IIII")
KEYVAL_ENTRY = struct.Struct("<IIQ")
HEADER_SIZE = HEADER.size            # 32
MAX_SECTIONS = 16

SEC_STRTAB, SEC_KEYVAL, SEC_TEXTSYMS = 1, 2, 3
KIND_NUMBER, KIND_ADDRESS, KIND_STRING = 0, 1, 2
KIND_NAMES = {KIND_NUMBER: "number", KIND_ADDRESS: "address", KIND_STRING: "string"}

Value = tuple[int, int | str]          # (kind, value)


@dataclass
class Profile:
    """A profile in memory: key/values and the text symbols (address, name), sorted."""

    values: dict[str, Value] = field(default_factory=dict)
    text: list[tuple[int, str]] = field(default_factory=list)

    def number(self, key: str, value: int) -> None:
        self.values[key] = (KIND_NUMBER, value)

    def address(self, key: str, value: int) -> None:
        self.values[key] = (KIND_ADDRESS, value)

    def string(self, key: str, value: str) -> None:
        self.values[key] = (KIND_STRING, value)

    def get(self, key: str) -> int | str | None:
        v = self.values.get(key)
        return None if v is None else v[1]


# -- strings --------------------------------------------------------------------------------


class StringTable:
    """NUL-terminated strings, deduplicated; a string that ends another shares its bytes."""

    def __init__(self, strings: Iterable[str]) -> None:
        uniq = sorted({s.encode() for s in strings if s}, key=lambda b: b[::-1])
        self.offsets: dict[str, int] = {"": 0}
        out = bytearray(b"\0")
        # Reversed-sorted order puts every string right before the strings it is a suffix of;
        # place longest first within each suffix chain by walking the list backwards.
        placed: dict[bytes, int] = {}
        for i in range(len(uniq) - 1, -1, -1):
            s = uniq[i]
            if b"\0" in s:
                raise ProfileError(f"string {s!r} contains a NUL")
            nxt = uniq[i + 1] if i + 1 < len(uniq) else None
            if nxt is not None and nxt.endswith(s):
                placed[s] = placed[nxt] + len(nxt) - len(s)
            else:
                placed[s] = len(out)
                out += s + b"\0"
        for s, off in placed.items():
            self.offsets[s.decode()] = off
        self.data = bytes(out)

    def __getitem__(self, s: str) -> int:
        return self.offsets[s]


def _align8(n: int) -> int:
    return (n + 7) & ~7


def encode(profile: Profile) -> bytes:
    """The profile's binary form."""
    for key in profile.values:
        if not key or not key.isascii() or any(c.isspace() for c in key):
            raise ProfileError(f"bad profile key {key!r}")
    text = sorted(profile.text, key=lambda t: t[0])
    strings = StringTable(
        [*profile.values, *(v for k, v in profile.values.values() if k == KIND_STRING),
         *(n for _, n in text)])
    keys = sorted(profile.values, key=lambda k: k.encode())

    kv = bytearray()
    for key in keys:
        kind, value = profile.values[key]
        if kind == KIND_STRING:
            assert isinstance(value, str)
            v = strings[value]
        else:
            assert isinstance(value, int)
            v = value & 0xFFFF_FFFF_FFFF_FFFF
        kv += KEYVAL_ENTRY.pack(strings[key], kind, v)
    ts = bytearray()
    ts += struct.pack(f"<{len(text)}Q", *(a & 0xFFFF_FFFF_FFFF_FFFF for a, _ in text))
    ts += struct.pack(f"<{len(text)}I", *(strings[n] for _, n in text))

    sections = [(SEC_STRTAB, strings.data, len(strings.data)), (SEC_KEYVAL, bytes(kv), len(keys)),
                (SEC_TEXTSYMS, bytes(ts), len(text))]
    pos = _align8(HEADER_SIZE + SECTION.size * len(sections))
    table = bytearray()
    body = bytearray()
    for typ, data, count in sections:
        table += SECTION.pack(typ, pos, len(data), count)
        pad = _align8(len(data)) - len(data)
        body += data + b"\0" * pad
        pos += len(data) + pad
    after = bytes(table) + b"\0" * (_align8(HEADER_SIZE + len(table)) - HEADER_SIZE - len(table))
    after += bytes(body)
    total = HEADER_SIZE + len(after)
    header = HEADER.pack(MAGIC, VERSION, HEADER_SIZE, total, zlib.crc32(after), len(sections), 0)
    return header + after


# -- reading --------------------------------------------------------------------------------


def _cstr(strtab: bytes, off: int, what: str) -> str:
    if off >= len(strtab):
        raise ProfileError(f"{what}: string offset {off:#x} beyond the string table")
    end = strtab.find(b"\0", off)
    if end < 0:
        raise ProfileError(f"{what}: string at {off:#x} is not NUL-terminated")
    return strtab[off:end].decode("utf-8", "replace")


def decode(data: bytes) -> Profile:
    """Parses and fully validates a profile; ProfileError says what is wrong."""
    if len(data) < HEADER_SIZE:
        raise ProfileError(f"profile too short ({len(data)} bytes)")
    magic, version, hsize, total, crc, nsec, flags = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ProfileError("not a Mamoru profile (bad magic)")
    if version != VERSION:
        raise ProfileError(f"unsupported profile version {version} (this reader knows {VERSION})")
    if hsize != HEADER_SIZE or flags != 0:
        raise ProfileError("bad profile header (size or flags)")
    if total > len(data):
        raise ProfileError(f"profile truncated: header says {total} bytes, have {len(data)}")
    if total < HEADER_SIZE:
        raise ProfileError("bad profile total size")
    if zlib.crc32(data[HEADER_SIZE:total]) != crc:
        raise ProfileError("profile checksum mismatch (corrupt)")
    if nsec > MAX_SECTIONS or HEADER_SIZE + nsec * SECTION.size > total:
        raise ProfileError(f"bad section count {nsec}")
    found: dict[int, tuple[int, int, int]] = {}
    first = HEADER_SIZE + nsec * SECTION.size
    for i in range(nsec):
        typ, off, size, count = SECTION.unpack_from(data, HEADER_SIZE + i * SECTION.size)
        if off < first or off % 8 or off > total or size > total - off:
            raise ProfileError(f"section {i} (type {typ}) lies outside the profile")
        if typ in (SEC_STRTAB, SEC_KEYVAL, SEC_TEXTSYMS):       # others: later additions
            if typ in found:
                raise ProfileError(f"section type {typ} appears twice")
            found[typ] = (off, size, count)
    for typ in (SEC_STRTAB, SEC_KEYVAL, SEC_TEXTSYMS):
        if typ not in found:
            raise ProfileError(f"section type {typ} missing")
    s_off, s_size, _ = found[SEC_STRTAB]
    strtab = data[s_off:s_off + s_size]
    if not strtab or strtab[-1] != 0:
        raise ProfileError("string table empty or not NUL-terminated")

    prof = Profile()
    k_off, k_size, k_count = found[SEC_KEYVAL]
    if k_count > k_size // KEYVAL_ENTRY.size or k_count * KEYVAL_ENTRY.size != k_size:
        raise ProfileError(f"key/value section: {k_count} entries do not fit {k_size} bytes")
    prev: bytes | None = None
    for i in range(k_count):
        key_off, kind, value = KEYVAL_ENTRY.unpack_from(data, k_off + i * KEYVAL_ENTRY.size)
        key = _cstr(strtab, key_off, f"key {i}")
        kb = key.encode()
        if prev is not None and kb <= prev:
            raise ProfileError(f"keys not sorted/unique at {key!r}")
        prev = kb
        if kind == KIND_STRING:
            prof.values[key] = (kind, _cstr(strtab, value, key))
        elif kind in (KIND_NUMBER, KIND_ADDRESS):
            prof.values[key] = (kind, value)
        else:
            raise ProfileError(f"{key}: unknown value kind {kind}")
    t_off, t_size, t_count = found[SEC_TEXTSYMS]
    if t_count > t_size // 12 or t_count * 12 != t_size:
        raise ProfileError(f"text symbol section: {t_count} symbols do not fit {t_size} bytes")
    addrs = struct.unpack_from(f"<{t_count}Q", data, t_off)
    names = struct.unpack_from(f"<{t_count}I", data, t_off + 8 * t_count)
    for i in range(1, t_count):
        if addrs[i] < addrs[i - 1]:
            raise ProfileError(f"text symbols not sorted at index {i}")
    prof.text = [(a, _cstr(strtab, n, f"text symbol {i}"))
                 for i, (a, n) in enumerate(zip(addrs, names, strict=True))]
    return prof


# -- text form ------------------------------------------------------------------------------


def escape(s: str) -> str:
    """Strings as --show prints them: printable ASCII as is, backslash and the rest escaped."""
    out = []
    for b in s.encode():
        if b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        elif b == 0x0A:
            out.append("\\n")
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)


def show_lines(profile: Profile, text: bool = False) -> list[str]:
    """The `--show` text: `name value` per entry, in key order, then the text symbol count."""
    lines = []
    for key in sorted(profile.values, key=lambda k: k.encode()):
        kind, value = profile.values[key]
        if kind == KIND_STRING:
            assert isinstance(value, str)
            lines.append(f"{key} {escape(value)}")
        elif kind == KIND_ADDRESS:
            lines.append(f"{key} {value:#018x}")
        else:
            lines.append(f"{key} {value}")
    lines.append(f"text_symbols {len(profile.text)}")
    if text:
        lines.extend(f"{a:#018x} {n}" for a, n in profile.text)
    return lines
