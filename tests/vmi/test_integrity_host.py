# SPDX-License-Identifier: GPL-2.0-only
"""The kernel integrity comparison (core/vmi/integrity.c) on the host under ASan/UBSan, with
manifests from the Python writer (tools/mamoru/integrity.py): a small synthetic kernel whose
every kind of legitimate patch is exercised, hostile manifests (rejected, never a crash), the
real Debian kernel "booted" in Python, and a short libFuzzer run."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from vmi_pt import host_program

from mamoru import integrity as I
from mamoru.profile.syscalls import R_AARCH64_RELATIVE
from mamoru.testing.fuzz import fuzz_seconds

TB = 0xFFFF800008000000
SLIDE = 0x1234_0000
STEXT, VECTORS, ETEXT = TB + 0x1000, TB + 0x1800, TB + 0x4000
RODATA, RAI, RAI_END, ERODATA = TB + 0x4000, TB + 0x5000, TB + 0x5100, TB + 0x6000
ALT, JUMP, MCOUNT, RELA = TB + 0x6000, TB + 0x6100, TB + 0x6200, TB + 0x6300
SIZE = 0x8000
NOP, BRK4, MOVX9 = 0xD503201F, 0xD4200080, 0xAA1E03E9
SITE_ALT, SITE_JUMP, SITE_FTRACE = TB + 0x2000, TB + 0x2100, TB + 0x2200
REPL = TB + 0x3F00                                 # replacement code (an init-like area)
TABLE = RODATA + 0x100                             # a pointer table in rodata


def b(frm: int, to: int, link: bool = False) -> int:
    return (0x94000000 if link else 0x14000000) | (((to - frm) >> 2) & 0x3FFFFFF)


class Kernel:
    """A tiny arm64 'Image': text of NOP-free filler, an alternative whose replacement
    branches out (re-targeted when applied), a jump label, an ftrace entry, a relocated
    pointer table in rodata and a .data..ro_after_init hole."""

    def __init__(self) -> None:
        img = bytearray(SIZE)
        for a in range(STEXT - TB, ETEXT - TB, 4):
            struct.pack_into("<I", img, a, 0x8B000000 | (a >> 2 & 0xFFFF))   # add x0, ...
        self.img = img
        self.put(SITE_ALT, 0x91000421, 0x91000842)          # orig: 2 adds
        self.put(REPL, b(REPL, STEXT + 0x40), 0xD65F03C0)   # repl: b out; ret
        self.put(SITE_JUMP, NOP)
        self.jump_target = SITE_JUMP + 0x40
        self.put(SITE_FTRACE, NOP, NOP)
        struct.pack_into("<iiHBB", img, ALT - TB, SITE_ALT - ALT, REPL - (ALT + 4), 5, 8, 8)
        struct.pack_into("<iiq", img, JUMP - TB, SITE_JUMP - JUMP, self.jump_target - (JUMP + 4),
                         0)
        rela = []
        for i in range(4):
            rela.append((TABLE + 8 * i, R_AARCH64_RELATIVE, STEXT + 0x100 * i))
        rela.append((MCOUNT, R_AARCH64_RELATIVE, SITE_FTRACE))
        self.rela = b"".join(struct.pack("<QQQ", o, t, a) for o, t, a in rela)
        img[RELA - TB:RELA - TB + len(self.rela)] = self.rela
        img[RODATA - TB + 0x800:RODATA - TB + 0x810] = b"constant string\0"
        self.symbols = {"_text": TB, "_stext": STEXT, "_etext": ETEXT, "vectors": VECTORS,
                        "__start_rodata": RODATA, "__end_rodata": ERODATA,
                        "__start_ro_after_init": RAI, "__end_ro_after_init": RAI_END,
                        "__alt_instructions": ALT, "__alt_instructions_end": ALT + 12,
                        "__start___jump_table": JUMP, "__stop___jump_table": JUMP + 16,
                        "__start_mcount_loc": MCOUNT, "__stop_mcount_loc": MCOUNT + 8}
        self.manifest = I.encode(I.build_manifest(bytes(img), self.symbols, self.rela,
                                                  [(TABLE, "table"), (RODATA + 0x800, "msg")]))

    def put(self, addr: int, *words: int) -> None:
        for k, w in enumerate(words):
            struct.pack_into("<I", self.img, addr - TB + 4 * k, w)

    def booted(self, slide: int = SLIDE) -> bytearray:
        """Memory as the kernel leaves it: relocations applied, ftrace entry initialised."""
        mem = bytearray(self.img)
        for i in range(4):
            struct.pack_into("<Q", mem, TABLE - TB + 8 * i, STEXT + 0x100 * i + slide)
        struct.pack_into("<I", mem, SITE_FTRACE - TB, MOVX9)
        mem[RAI - TB:RAI_END - TB] = b"\xAA" * (RAI_END - RAI)      # written at init
        return mem


@pytest.fixture(scope="module")
def tool() -> Path:
    return host_program("integrity_tool")


@pytest.fixture(scope="module")
def kernel() -> Kernel:
    return Kernel()


def run(tool: Path, tmp: Path, manifest: bytes, image: bytes, mem: bytes,
        slide: int = SLIDE) -> list[str]:
    """The tool's lines; the same with the Image 4 bytes off an 8-byte boundary (as in the
    hypervisor's bundle: another comparison path)."""
    for name, data in (("m", manifest), ("i", image), ("r", mem)):
        (tmp / name).write_bytes(data)
    outs = []
    for extra in ([], ["--misalign"]):
        r = subprocess.run([str(tool), tmp / "m", tmp / "i", tmp / "r", hex(slide), *extra],
                           capture_output=True, text=True, timeout=120, check=False)
        assert r.returncode in (0, 1), r.stderr[-3000:]
        outs.append(r.stdout.splitlines())
    assert outs[0] == outs[1], outs
    return outs[0]


def findings(lines: list[str]) -> list[str]:
    assert lines[-1].startswith("findings "), lines
    assert int(lines[-1].split()[1]) == len(lines) - 1, lines
    return lines[:-1]


def test_booted_kernel_is_clean(tool: Path, kernel: Kernel, tmp_path: Path) -> None:
    assert findings(run(tool, tmp_path, kernel.manifest, kernel.img, kernel.booted())) == []


def test_every_legitimate_state_is_accepted(tool: Path, kernel: Kernel, tmp_path: Path) -> None:
    mem = kernel.booted()
    # The alternative applied: its `b` re-targeted to keep pointing at STEXT + 0x40.
    struct.pack_into("<II", mem, SITE_ALT - TB, b(SITE_ALT, STEXT + 0x40), 0xD65F03C0)
    struct.pack_into("<I", mem, SITE_JUMP - TB, b(SITE_JUMP, kernel.jump_target))
    assert findings(run(tool, tmp_path, kernel.manifest, kernel.img, mem)) == []
    struct.pack_into("<I", mem, SITE_FTRACE - TB, NOP)        # before ftrace's init
    assert findings(run(tool, tmp_path, kernel.manifest, kernel.img, mem)) == []


def test_tampering_is_reported(tool: Path, kernel: Kernel, tmp_path: Path) -> None:
    mem = kernel.booted()
    struct.pack_into("<I", mem, STEXT + 0x10 - TB, BRK4)                       # kprobe
    struct.pack_into("<I", mem, VECTORS + 0x80 - TB, b(VECTORS + 0x80, TB + 0x4000000))
    struct.pack_into("<II", mem, SITE_ALT - TB, b(SITE_ALT, STEXT + 0x44), 0xD65F03C0)
    struct.pack_into("<I", mem, SITE_JUMP - TB, b(SITE_JUMP, kernel.jump_target + 4))
    struct.pack_into("<I", mem, SITE_FTRACE + 4 - TB, b(SITE_FTRACE + 4, STEXT, link=True))
    struct.pack_into("<Q", mem, TABLE + 8 - TB, 0xFFFF000012345678)             # hooked slot
    mem[RODATA - TB + 0x800] = ord("C")                                        # one byte
    mem[ERODATA - TB - 1] ^= 1                                                 # last byte
    got = findings(run(tool, tmp_path, kernel.manifest, kernel.img, mem))
    pc = lambda a: a + SLIDE  # noqa: E731
    assert got == [
        "text changed site=0 off=0x1010 len=4 insn=brk #0x4",
        f"vectors changed site=0 off=0x1880 len=4 insn=b {pc(TB + 0x4000000):#x}",
        f"text site site=1 off=0x2000 len=8 insn=b {pc(STEXT + 0x44):#x}; ret",
        f"text site site=2 off=0x2100 len=4 insn=b {pc(kernel.jump_target + 4):#x}",
        f"text ftrace site=3 off=0x2200 len=8 insn=mov x9, x30; bl {pc(STEXT):#x}",
        f"rodata reloc site=0 off=0x4108 len=8 now=0xffff000012345678 "
        f"was={STEXT + 0x100 + SLIDE:#x} sym=table+0x8",
        f"rodata changed site=0 off=0x4800 len=8 now={word(mem, 0x4800):#x} "
        f"was={word(kernel.img, 0x4800):#x} sym=msg+0x0",
        f"rodata changed site=0 off=0x5ff8 len=8 now={word(mem, 0x5FF8):#x} was=0x0 "
        "sym=msg+0x17f8",
    ]


def word(data: bytes | bytearray, off: int) -> int:
    return int.from_bytes(data[off:off + 8], "little")


def test_wrong_slide_breaks_every_relocation(tool: Path, kernel: Kernel, tmp_path: Path) -> None:
    mem = kernel.booted()
    got = findings(run(tool, tmp_path, kernel.manifest, kernel.img, mem, SLIDE + 0x10000))
    assert len(got) == 4 and all(" reloc " in g for g in got), got


def test_unreadable_memory_is_skipped_not_read(tool: Path, kernel: Kernel, tmp_path: Path) -> None:
    # A runtime image that ends early: the fetch fails, nothing is read out of bounds.
    got = run(tool, tmp_path, kernel.manifest, kernel.img, kernel.booted()[:0x2100])
    assert got[-1].startswith("findings "), got


def fix_crc(data: bytearray) -> bytes:
    total = struct.unpack_from("<I", data, 16)[0]
    struct.pack_into("<I", data, 20, zlib.crc32(bytes(data[64:total])))
    return bytes(data)


def corruptions(good: bytes) -> dict[str, bytes]:
    g = bytearray(good)
    out: dict[str, bytes] = {"short": good[:40], "magic": b"X" + good[1:],
                             "crc": good[:-1] + bytes([good[-1] ^ 1])}
    for name, at, value in (("version", 8, 2), ("header", 12, 32), ("total", 16, len(good) + 4),
                            ("ranges0", 40, 0), ("ranges_many", 40, 17),
                            ("relocs_many", 44, 1 << 30), ("sites_many", 48, 99),
                            ("words_many", 52, 0xFFFFFFFF), ("syms_many", 56, 1000),
                            ("image_size_small", 32, 0x100)):
        c = bytearray(g)
        struct.pack_into("<I", c, at, value)
        out[name] = fix_crc(c)
    # First range backwards, a site pointing outside its range, a bad site kind.
    c = bytearray(g)
    struct.pack_into("<II", c, 64, 0x2000, 0x1000)
    out["range_backwards"] = fix_crc(c)
    m = I.decode(good)
    site_at = 64 + 12 * len(m.ranges) + 12 * len(m.relocs)
    for name, fmt, value in (("site_outside", "<I", 0x7FF0), ("site_kind", "<xxxxxB", 9),
                             ("site_len", "<xxxxB", 0), ("site_alts", "<xxxxxxB", 200)):
        c = bytearray(g)
        struct.pack_into(fmt, c, site_at, value)
        out[name] = fix_crc(c)
    c = bytearray(g)
    c[-1] = ord("x")                                             # strtab unterminated
    out["strtab"] = fix_crc(c)
    return out


def test_hostile_manifests_are_rejected(tool: Path, kernel: Kernel, tmp_path: Path) -> None:
    for name, data in corruptions(kernel.manifest).items():
        lines = run(tool, tmp_path, data, kernel.img, kernel.booted())
        assert len(lines) == 1 and lines[0].startswith("error: "), (name, lines)


def test_manifest_for_another_image_is_rejected(tool: Path, kernel: Kernel, tmp_path: Path) -> None:
    other = bytearray(kernel.img)
    other[0] ^= 1
    lines = run(tool, tmp_path, kernel.manifest, bytes(other), kernel.booted())
    assert lines == ["error: the bundle's kernel is not the one the manifest was made for"]


def test_python_round_trip(kernel: Kernel) -> None:
    m = I.decode(kernel.manifest)
    assert I.encode(m) == kernel.manifest
    assert [(k, len(a)) for _, _, k, a in m.sites] == [(1, 1), (2, 1), (3, 0)]


@pytest.mark.debian
def test_debian_kernel_booted_in_python(debian_kernel, tool: Path, tmp_path: Path) -> None:  # noqa: ANN001
    """The real Image, 'booted' here: relocations applied with a slide, every ftrace entry
    initialised, every alternative applied: no findings; one BRK: one finding."""
    from mamoru.bundle import kernel_integrity

    data = kernel_integrity(debian_kernel)
    image = debian_kernel.image.read_bytes()
    m = I.decode(data)
    mem = bytearray(image)
    slide = 0x2A0000
    for o, addend in m.relocs:
        struct.pack_into("<Q", mem, o, (addend + slide) & (2**64 - 1))
    for o, n, kind, alts in m.sites:
        if kind == I.SITE_FTRACE:
            struct.pack_into("<I", mem, o, I.MOV_X9_X30)
        elif kind == I.SITE_ALT and alts:
            struct.pack_into(f"<{n // 4}I", mem, o, *alts[0])
    assert findings(run(tool, tmp_path, data, image, bytes(mem), slide)) == []
    target = next(o for o, n, k, _ in m.sites if k == I.SITE_FTRACE) + 8
    struct.pack_into("<I", mem, target, BRK4)
    got = findings(run(tool, tmp_path, data, image, bytes(mem), slide))
    assert got == [f"text changed site=0 off={target:#x} len=4 insn=brk #0x4"], got


@pytest.mark.debian
def test_fuzz_integrity_manifest(debian_kernel, tmp_path: Path) -> None:  # noqa: ANN001
    fuzz = host_program("integrity_fuzz") if shutil.which("clang") else None
    if fuzz is None or not fuzz.exists():
        pytest.skip("clang (libFuzzer) not installed: apt-get install clang")
    k = Kernel()
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (tmp_path / "corpus").mkdir()
    for i, s in enumerate([k.manifest, *list(corruptions(k.manifest).values())[:8]]):
        (seeds / f"seed{i}").write_bytes(s)
    r = subprocess.run([str(fuzz), f"-max_total_time={fuzz_seconds()}", "-max_len=65536",
                        "-timeout=10", "-rss_limit_mb=2048", str(tmp_path / "corpus"), str(seeds)],
                       capture_output=True, text=True, timeout=200, check=False)
    assert r.returncode == 0, f"fuzzer found a problem:\n{r.stderr[-6000:]}"


def test_scan_through_page_tables(tool: Path, tmp_path: Path) -> None:
    """integ_scan over a synthetic guest (vmi_fake): pages are read where the guest's tables
    map them; a page mapped to another physical page, or not at all, is a finding."""
    from vmi_fake import IMAGE_PA, IMAGE_SIZE, LINK, FakeGuest, kv

    g = FakeGuest()
    symbols = {"_text": LINK, "_stext": LINK + 0x1_0000, "vectors": LINK + 0x1_0800,
               "_etext": LINK + 0x1_8000, "__start_rodata": LINK + 0x6_0000,
               "__end_rodata": LINK + 0x6_1000}

    def scan() -> list[str]:
        image = bytes(g.mem.data[IMAGE_PA - g.mem.gpa:IMAGE_PA - g.mem.gpa + IMAGE_SIZE])
        # The baseline is the clean image, whatever the guest's memory holds now.
        (tmp_path / "image").write_bytes(baseline if baseline else image)
        (tmp_path / "manifest").write_bytes(manifest if manifest else I.encode(
            I.build_manifest(image, symbols, b"", [(LINK + 0x6_0000, "sys_call_table")])))
        mem, regs, prof = g.write(tmp_path / "g")
        r = subprocess.run([str(tool), "--scan", mem, hex(g.mem.gpa), regs, prof,
                            tmp_path / "manifest", tmp_path / "image", hex(IMAGE_PA)],
                           capture_output=True, text=True, timeout=60, check=False)
        assert r.returncode == 0, r.stdout + r.stderr[-3000:]
        lines = r.stdout.splitlines()
        assert lines[-2].startswith("pages ") and lines[-1].startswith("findings "), lines
        return lines[:-2]

    baseline = manifest = b""
    assert scan() == []
    baseline = (tmp_path / "image").read_bytes()
    manifest = (tmp_path / "manifest").read_bytes()
    spare = 0x4070_0000                          # outside the image, inside guest RAM
    page = 0x1_2000
    g.mem.write(spare, baseline[page:page + 0x1000])
    g.space.map(kv(page), spare)                 # same bytes, another physical page
    assert scan() == [f"text remapped site=0 off={page:#x} len=4096 pa={spare:#x} "
                      f"expected={IMAGE_PA + page:#x}"]
    g.mem.write(spare + 0x10, struct.pack("<I", BRK4))
    assert scan()[1] == f"text changed site=0 off={page + 0x10:#x} len=4 insn=brk #0x4"
    g.mem.write64(g.space.entry_pa(kv(0x1_4000), 3), 0)            # unmapped
    assert scan()[2:] == ["text unmapped site=0 off=0x14000 len=4096"]
    g.u64(0x6_0008, 0xFFFF_0000_1234_5678)                           # rodata
    assert scan()[3].startswith("rodata changed site=0 off=0x60008 len=8 "
                                "now=0xffff000012345678 was=0x0 sym=sys_call_table+0x8")
