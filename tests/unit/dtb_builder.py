# SPDX-License-Identifier: GPL-2.0-only
"""Builds DTB blobs token by token (Devicetree Specification v0.4, ch. 5),
so tests can make structures dtc refuses to emit."""
import struct
from collections.abc import Iterable

BEGIN_NODE, END_NODE, PROP, NOP, END = 1, 2, 3, 4, 9
HEADER = struct.Struct(">10I")
FIELDS = ["magic", "totalsize", "off_dt_struct", "off_dt_strings", "off_mem_rsvmap",
          "version", "last_comp_version", "boot_cpuid_phys", "size_dt_strings",
          "size_dt_struct"]


def be32(v: int) -> bytes:
    return struct.pack(">I", v & 0xffffffff)


def pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


class Builder:
    def __init__(self) -> None:
        self.struct = b""
        self.strings = b""

    def string(self, name: str) -> int:
        off = len(self.strings)
        self.strings += name.encode() + b"\0"
        return off

    def begin(self, name: str = "") -> "Builder":
        self.struct += be32(BEGIN_NODE) + pad4(name.encode() + b"\0")
        return self

    def end_node(self) -> "Builder":
        self.struct += be32(END_NODE)
        return self

    def prop(self, name: str, value: bytes = b"", nameoff: int | None = None,
             length: int | None = None) -> "Builder":
        off = self.string(name) if nameoff is None else nameoff
        n = len(value) if length is None else length
        self.struct += be32(PROP) + be32(n) + be32(off) + pad4(value)
        return self

    def token(self, tok: int) -> "Builder":
        self.struct += be32(tok)
        return self

    def raw(self, data: bytes) -> "Builder":
        self.struct += data
        return self

    def end(self) -> "Builder":
        return self.token(END)

    def blob(self, rsv: Iterable[tuple[int, int]] = ()) -> bytes:
        rsvmap = b"".join(struct.pack(">QQ", a, s) for a, s in rsv) + bytes(16)
        off_rsv = HEADER.size
        off_struct = off_rsv + len(rsvmap)
        off_strings = off_struct + len(self.struct)
        total = off_strings + len(self.strings)
        hdr = HEADER.pack(0xd00dfeed, total, off_struct, off_strings, off_rsv, 17, 16, 0,
                          len(self.strings), len(self.struct))
        return hdr + rsvmap + self.struct + self.strings


def header(blob: bytes) -> dict[str, int]:
    return dict(zip(FIELDS, HEADER.unpack_from(blob), strict=True))


def patch_header(blob: bytes, **fields: int) -> bytes:
    h = header(blob)
    h.update(fields)
    return HEADER.pack(*(h[f] & 0xffffffff for f in FIELDS)) + blob[HEADER.size:]


def minimal() -> Builder:
    """A valid tree: / with one property and one child."""
    return (Builder().begin("").prop("compatible", b"test\0")
            .begin("child@1").prop("reg", be32(1)).end_node().end_node())
