# SPDX-License-Identifier: GPL-2.0-only
"""Test data for the profile tests: a synthetic profile, a tiny BTF writer and corruption
helpers. The BTF writer follows the kernel's BTF documentation, independently of the reader
in tools/mamoru/profile/btf.py."""

from __future__ import annotations

import struct
import zlib

from mamoru.profile.format import HEADER_SIZE, Profile

TEXT_BASE = 0xFFFF800008000000


def sample_profile(text_symbols: int = 300) -> Profile:
    """A profile shaped like a real one, with aliases, init text and awkward strings."""
    p = Profile()
    p.address("sym._text", TEXT_BASE)
    p.address("sym._stext", TEXT_BASE + 0x10000)
    p.address("sym._etext", TEXT_BASE + 0x100000)
    p.address("sym._sinittext", TEXT_BASE + 0x200000)
    p.address("sym._einittext", TEXT_BASE + 0x201000)
    p.address("sym.init_task", 0xFFFF800009818C80)
    p.number("task_struct.pid", 1352)
    p.number("task_struct.comm", 1912)
    p.number("sizeof.task_struct", 4160)
    p.number("const.va_bits", 48)
    p.address("const.page_offset", 0xFFFF000000000000)
    p.number("const.zero", 0)
    p.number("const.max", 0xFFFFFFFFFFFFFFFF)
    p.string("str.release", "6.1.0-test")
    p.string("str.banner", "Linux version 6.1.0-test (tab\there) \\ ü\n")
    p.string("str.empty", "")
    text = [(TEXT_BASE, "_text"), (TEXT_BASE + 0x10000, "_stext"),
            (TEXT_BASE + 0x10000, "__stext_alias")]
    for i in range(text_symbols):
        text.append((TEXT_BASE + 0x10100 + 0x40 * i, f"__arm64_sys_call{i}"))
        if i % 7 == 0:
            text.append((TEXT_BASE + 0x10100 + 0x40 * i + 0x20, f"sys_call{i}"))  # a suffix
    text.append((TEXT_BASE + 0x200000, "init_fn"))
    text.append((TEXT_BASE + 0x200800, "init_fn2"))
    p.text = text
    return p


def fix_crc(data: bytes | bytearray) -> bytes:
    """The blob with its header CRC recomputed (to reach the checks behind the CRC)."""
    b = bytearray(data)
    total = struct.unpack_from("<I", b, 16)[0]
    total = min(max(total, HEADER_SIZE), len(b))
    struct.pack_into("<I", b, 20, zlib.crc32(bytes(b[HEADER_SIZE:total])))
    return bytes(b)


def sections(data: bytes) -> dict[int, tuple[int, int, int, int]]:
    """type -> (table entry offset, data offset, size, count)."""
    n = struct.unpack_from("<I", data, 24)[0]
    out = {}
    for i in range(n):
        at = HEADER_SIZE + 16 * i
        typ, off, size, count = struct.unpack_from("<IIII", data, at)
        out[typ] = (at, off, size, count)
    return out


# -- BTF ------------------------------------------------------------------------------------


class BtfWriter:
    """Builds a BTF blob type by type; ids start at 1."""

    def __init__(self) -> None:
        self.types = bytearray()
        self.strs = bytearray(b"\0")
        self.count = 0

    def s(self, name: str) -> int:
        if not name:
            return 0
        off = len(self.strs)
        self.strs += name.encode() + b"\0"
        return off

    def add(self, name: str, kind: int, vlen: int, size_or_type: int, extra: bytes = b"",
            kflag: bool = False) -> int:
        info = vlen | kind << 24 | (1 << 31 if kflag else 0)
        self.types += struct.pack("<III", self.s(name), info, size_or_type) + extra
        self.count += 1
        return self.count

    def int_(self, name: str, size: int) -> int:
        return self.add(name, 1, 0, size, struct.pack("<I", size * 8))

    def ptr(self, to: int) -> int:
        return self.add("", 2, 0, to)

    def array(self, elem: int, index: int, n: int) -> int:
        return self.add("", 3, 0, 0, struct.pack("<III", elem, index, n))

    def struct(self, name: str, size: int, members: list[tuple[str, int, int, int]],
               union: bool = False) -> int:
        """members: (name, type, bit offset, bitfield size); bitfields set kind_flag."""
        kflag = any(bs for _, _, _, bs in members)
        extra = b"".join(
            struct.pack("<III", self.s(n), t, (bs << 24 | off) if kflag else off)
            for n, t, off, bs in members)
        return self.add(name, 5 if union else 4, len(members), size, extra, kflag)

    def enum(self, name: str, values: dict[str, int]) -> int:
        extra = b"".join(struct.pack("<Ii", self.s(n), v) for n, v in values.items())
        return self.add(name, 6, len(values), 4, extra, kflag=True)

    def enum64(self, name: str, values: dict[str, int]) -> int:
        extra = b"".join(struct.pack("<III", self.s(n), v & 0xFFFFFFFF, v >> 32)
                         for n, v in values.items())
        return self.add(name, 19, len(values), 8, extra)

    def blob(self) -> bytes:
        hdr = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(self.types), len(self.types),
                          len(self.strs))
        return hdr + bytes(self.types) + bytes(self.strs)


def sample_btf() -> tuple[bytes, dict[str, int]]:
    """A blob using every BTF kind; returns it and the ids of interest."""
    w = BtfWriter()
    ids: dict[str, int] = {}
    u32 = w.int_("unsigned int", 4)
    u64 = w.int_("long unsigned int", 8)
    char = w.int_("char", 1)
    fwd = w.add("task_struct", 7, 0, 0)                       # FWD (declaration)
    ids["fwd"] = fwd
    ptr_task = w.ptr(fwd)
    typedef = w.add("u32_t", 8, 0, u32)                        # TYPEDEF
    vol = w.add("", 9, 0, typedef)                             # VOLATILE
    const = w.add("", 10, 0, vol)                              # CONST
    restrict = w.add("", 11, 0, ptr_task)                      # RESTRICT
    proto = w.add("", 13, 2, u32, struct.pack("<IIII", w.s("a"), u64, 0, u32))  # FUNC_PROTO
    w.add("do_thing", 12, 0, proto)                            # FUNC
    var = w.add("some_var", 14, 0, u64, struct.pack("<I", 1))  # VAR
    w.add(".data", 15, 1, 8, struct.pack("<III", var, 0, 8))   # DATASEC
    flt = w.add("double", 16, 0, 8)                            # FLOAT
    tag_t = w.add("user", 18, 0, ptr_task)                     # TYPE_TAG
    idx = w.int_("__ARRAY_SIZE_TYPE__", 4)
    comm = w.array(char, idx, 16)
    ptr_list = w.ptr(w.count + 2)          # refers forward to the next type
    list_head2 = w.struct("list_head", 16, [("next", ptr_list, 0, 0), ("prev", ptr_list, 64, 0)])
    ids["list_head"] = list_head2
    inner_struct = w.struct("", 16, [("tasks", list_head2, 0, 0)])
    anon_union = w.struct("", 16, [("", inner_struct, 0, 0), ("alt", u64, 0, 0)], union=True)
    bits = w.struct("flags_s", 4, [("a", u32, 0, 3), ("b", u32, 3, 5), ("c", u32, 9, 20)])
    ids["flags_s"] = bits
    task = w.struct("task_struct", 96, [
        ("__state", const, 0, 0),
        ("flags", typedef, 32, 0),
        ("", anon_union, 64, 0),          # tasks at byte 8 through union -> struct
        ("comm", comm, 192, 0),
        ("parent", restrict, 320, 0),
        ("user", tag_t, 384, 0),
        ("d", flt, 448, 0),
        ("tail", u64, 512, 0),
    ])
    ids["task_struct"] = task
    w.add("task_struct", 17, 0, task, struct.pack("<i", -1))   # DECL_TAG on the struct
    w.enum("pid_type", {"PIDTYPE_PID": 0, "PIDTYPE_TGID": 1, "PIDTYPE_MAX": 4})
    w.enum64("big", {"BIG_ONE": 1 << 40})
    w.enum("", {"ANON_VALUE": -5})
    return w.blob(), ids
