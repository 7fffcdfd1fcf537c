# SPDX-License-Identifier: GPL-2.0-only
"""Profiles of Debian's bookworm-backports 6.12 cloud kernel (the newest build of the series,
found through apt like the 6.1 default), and the relocation formats that kernel series uses.

6.12 differs from 6.1 where the profile tool looks: the Image's relocation bounds are
`__pi_rela_start`/`__pi_rela_end` (and `__pi_relr_*` for packed RELR relocations), modules
describe their memory with `module_memory` (6.4+), VA_BITS is 52 and the syscall table has 463
slots. Both inputs (Image + BTF + System.map, vmlinux + DWARF) must give the same profile.
RELR: Debian builds the kernel without CONFIG_RELR (its RELR table is empty), so the RELR
decoder is proven on this kernel's real relocations re-encoded as RELR (the encoder here follows
the ELF gABI's description, independently of the decoder).
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from mamoru import guest_assets
from mamoru.guest_assets import GuestKernel
from mamoru.profile import ProfileError, decode, show_lines
from mamoru.profile.inputs import open_kernel
from mamoru.profile.syscalls import (
    R_AARCH64_RELATIVE,
    RELA,
    U64,
    decode_relr,
    relocations_in,
    table_slots,
)
from mamoru.testing import Run
from mamoru.testing import mamoru_cli as mamoru

pytestmark = pytest.mark.debian

SERIES = "6.12"
SCT_ENTRIES_612 = 463               # __NR_syscalls of the 6.12 series (arm64 and compat)


@pytest.fixture(scope="module")
def kernel612() -> GuestKernel:
    k = guest_assets.debug_files(guest_assets.cloud_kernel(series=SERIES))
    assert k.system_map is not None and k.vmlinux is not None and k.config is not None, k
    assert k.version.startswith(f"{SERIES}."), k.version
    return k


@pytest.fixture(scope="module")
def profiles612(kernel612: GuestKernel, tmp_path_factory: pytest.TempPathFactory
                ) -> dict[str, Run]:
    k = kernel612
    out = tmp_path_factory.mktemp("p612")
    jobs: dict[str, list[str | Path]] = {
        "image": [k.image, "--system-map", k.system_map or "", "--config", k.config or ""],
        "elf": [k.vmlinux or "", "--config", k.config or ""],
    }
    runs = {}
    for name, args in jobs.items():
        path = out / f"{name}.profile"
        t0 = time.monotonic()
        r = mamoru("profile", *args, "-o", path, "-v")
        runs[name] = Run(path, r.stdout + r.stderr, time.monotonic() - t0)
    return runs


def shown(run: Run) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in show_lines(decode(run.path.read_bytes())))


def test_612_system_map_has_only_pi_relocation_symbols(kernel612: GuestKernel) -> None:
    assert kernel612.system_map is not None
    names = {line.split()[2] for line in kernel612.system_map.read_text().splitlines()
             if len(line.split()) == 3}
    assert "__rela_start" not in names and "__rela_end" not in names
    assert {"__pi_rela_start", "__pi_rela_end", "__pi_relr_start", "__pi_relr_end"} <= names


def test_612_image_and_vmlinux_profiles_agree(profiles612: dict[str, Run]) -> None:
    a, b = shown(profiles612["image"]), shown(profiles612["elf"])
    assert (a.pop("str.types"), b.pop("str.types")) == ("BTF", "DWARF")
    a.pop("text_symbols"), b.pop("text_symbols")                   # compared below
    assert a == b, {k: (a.get(k), b.get(k)) for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    ta = decode(profiles612["image"].path.read_bytes()).text
    tb = decode(profiles612["elf"].path.read_bytes()).text
    # The ELF path keeps every symbol of .symtab; since 6.2 or so System.map leaves out the
    # EFI stub's aliases (__efistub_*) and mapping symbols inside a namespace (__pi_$x,
    # __kvm_nvhe_$d). Apart from those the two tables are the same.
    dropped = [(a, n) for a, n in tb if n.startswith("__efistub_") or "$" in n]
    assert dropped and all(n.startswith(("__efistub_", "__pi_$", "__kvm_nvhe_$"))
                           for _, n in dropped), dropped[:20]
    assert len(ta) > 40000 and ta == [t for t in tb if t not in set(dropped)]
    for run in profiles612.values():
        assert run.seconds < 30, run
        assert f"{SCT_ENTRIES_612} slots" in run.output, run.output


def test_612_profile_contents(profiles612: dict[str, Run], kernel612: GuestKernel) -> None:
    p = decode(profiles612["image"].path.read_bytes())
    assert p.get("str.release") == kernel612.version
    banner = p.get("str.banner")
    assert isinstance(banner, str) and banner.startswith(f"Linux version {kernel612.version} ")
    # 6.4+: struct module has mem[MOD_MEM_NUM_TYPES] of struct module_memory, no core_layout.
    assert p.get("module.core_layout") is None and isinstance(p.get("module.mem"), int)
    assert p.get("sizeof.module.mem") == p.get("const.MOD_MEM_NUM_TYPES") * p.get(  # type: ignore[operator]
        "sizeof.module_memory")
    assert p.get("module_memory.base") == 0 and p.get("sizeof.module_memory.base") == 8
    assert p.get("const.MOD_TEXT") == 0
    assert p.get("const.va_bits") == 52 and p.get("const.page_shift") == 12
    assert p.get("const.kimage_vaddr") == 0xFFFF800080000000
    assert p.get("const.sct_entries") == SCT_ENTRIES_612
    assert p.get("const.csct_entries") == SCT_ENTRIES_612
    names: dict[int, set[str]] = {}
    for addr, name in p.text:
        names.setdefault(addr, set()).add(name)
    for prefix in ("sct", "csct"):
        for i in range(SCT_ENTRIES_612):
            target = p.get(f"{prefix}.{i}")
            assert isinstance(target, int), (prefix, i)
            assert any(n.startswith("__arm64_") for n in names.get(target, ())), (
                prefix, i, hex(target), names.get(target))


def test_612_syscall_tables_match_vmlinux_rela(profiles612: dict[str, Run],
                                               kernel612: GuestKernel) -> None:
    """sct.<n> equals the addend of vmlinux's .rela.dyn entry for slot n, read directly."""
    p = decode(profiles612["image"].path.read_bytes())
    sct = p.get("sym.sys_call_table")
    assert isinstance(sct, int) and kernel612.vmlinux is not None
    with kernel612.vmlinux.open("rb") as f:
        sec = ELFFile(f).get_section_by_name(".rela.dyn")
        assert sec is not None
        want = {off: addend & U64 for off, info, addend in RELA.iter_unpack(sec.data())
                if info & 0xFFFFFFFF == R_AARCH64_RELATIVE
                and sct <= off < sct + 8 * SCT_ENTRIES_612}
    assert len(want) == SCT_ENTRIES_612
    for i in range(SCT_ENTRIES_612):
        assert p.get(f"sct.{i}") == want[sct + 8 * i], i


# -- RELR -------------------------------------------------------------------------------------


def encode_relr(addresses: list[int]) -> bytes:
    """A RELR table for these 8-byte-aligned addresses, as the gABI describes it: an address
    entry, then bitmaps whose bit i (1..63) stands for the word i-1 words after the base."""
    out: list[int] = []
    todo = sorted(set(addresses))
    i = 0
    while i < len(todo):
        out.append(todo[i])
        base = todo[i] + 8
        i += 1
        while i < len(todo) and todo[i] - base < 63 * 8:
            bitmap = 1
            while i < len(todo) and todo[i] - base < 63 * 8:
                bitmap |= 1 << ((todo[i] - base) // 8 + 1)
                i += 1
            out.append(bitmap)
            base += 63 * 8
    return struct.pack(f"<{len(out)}Q", *out)


def test_relr_decoder_on_hand_made_tables() -> None:
    # 0x1000; a bitmap from 0x1008 with bits 1 and 3 (0x1008, 0x1018); the next bitmap
    # covers 63 words further on (bit 1: 0x1008 + 63*8 = 0x1200); then a new address.
    table = struct.pack("<4Q", 0x1000, 0b1011, 0b11, 0x8000)
    assert decode_relr(table) == [0x1000, 0x1008, 0x1018, 0x1200, 0x8000]
    assert decode_relr(b"") == []
    all_bits = struct.pack("<2Q", 0x2000, (1 << 64) - 1)
    assert decode_relr(all_bits) == [0x2000 + 8 * i for i in range(64)]
    with pytest.raises(ProfileError, match="starts with a bitmap"):
        decode_relr(struct.pack("<Q", 0b101))
    with pytest.raises(ProfileError, match="whole number"):
        decode_relr(b"\0" * 12)
    with pytest.raises(ProfileError, match="not 8-byte aligned"):
        decode_relr(struct.pack("<Q", 0x1004))
    addrs = [0x4000, 0x4008, 0x4010, 0x4200, 0x4400, 0x9000, 0x9000 + 62 * 8, 0x9000 + 64 * 8]
    assert decode_relr(encode_relr(addrs)) == sorted(addrs)


def test_relr_gives_the_612_syscall_tables(kernel612: GuestKernel) -> None:
    """The kernel's own RELATIVE entries for both syscall tables, moved from RELA into a RELR
    table (addends written into the file, as a RELR-linked kernel holds them), decode to the
    same tables."""
    k, f = open_kernel(kernel612.image, kernel612.system_map)
    assert f is None and k.relocations is not None and k.relr is not None
    assert k.relr() == b""               # Debian's 6.12: CONFIG_RELR off, __pi_relr_* empty
    rela = k.relocations()
    text = (k.addr("_stext"), k.addr("_etext"))
    assert isinstance(text[0], int) and isinstance(text[1], int)
    ranges = []
    for name in ("sys_call_table", "compat_sys_call_table"):
        start = k.addr(name)
        bound = k.next_symbol(start) if start is not None else None
        assert start is not None and bound is not None
        ranges.append((name, start, bound))
    spans = [(lo, hi) for _, lo, hi in ranges]
    want = relocations_in(rela, spans)
    assert len(want) == 2 * SCT_ENTRIES_612

    kept, moved, patched = bytearray(), [], {}
    for off, info, addend in RELA.iter_unpack(rela):
        if info & 0xFFFFFFFF == R_AARCH64_RELATIVE and any(lo <= off < hi for lo, hi in spans):
            moved.append(off)
            patched[off] = struct.pack("<Q", addend & U64)
        else:
            kept += RELA.pack(off, info, addend)

    def read(addr: int, n: int) -> bytes | None:
        if n == 8 and addr in patched:
            return patched[addr]
        raw = k.read(addr, n)
        if raw is None:
            return None
        out = bytearray(raw)
        for off, word in patched.items():
            if addr <= off < addr + n:
                out[off - addr:off - addr + 8] = word
        return bytes(out)

    relr = encode_relr(moved)
    assert len(relr) < len(moved) * 8 // 10          # packed: well under 8 bytes a slot
    got = relocations_in(bytes(kept), spans, decode_relr(relr), read)
    assert got == want
    for name, lo, hi in ranges:
        assert (table_slots(name, lo, hi, got, read, text).targets
                == table_slots(name, lo, hi, want, k.read, text).targets)
    with pytest.raises(ProfileError, match="two relocations"):
        relocations_in(rela, spans, decode_relr(relr), read)
