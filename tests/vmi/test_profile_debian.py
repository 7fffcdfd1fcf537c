# SPDX-License-Identifier: GPL-2.0-only
"""Profiles of Debian's real arm64 cloud kernel, from both inputs: the raw Image with its BTF
plus the -dbg System.map, and the -dbg vmlinux with DWARF. The two must agree, the C parser
must read them exactly as --show does, and the expected syscall table entries (sct.<n>) must
match the relocated tables and all be named syscall handlers."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from vmi_pt import host_program

from mamoru.guest_assets import GuestKernel
from mamoru.profile import decode, show_lines
from mamoru.profile.builder import REQUIRED_MEMBERS, REQUIRED_SYMBOLS
from mamoru.testing import Run
from mamoru.testing import mamoru_cli as mamoru

pytestmark = pytest.mark.debian

MAX_SECONDS = 30.0
MAX_BYTES = 4 << 20
R_AARCH64_RELATIVE = 1027


def shown(run: Run) -> dict[str, str]:
    lines = show_lines(decode(run.path.read_bytes()))
    return dict(line.split(" ", 1) for line in lines)


def test_timing_and_size(debian_profiles: dict[str, Run]) -> None:
    for name, run in debian_profiles.items():
        size = run.path.stat().st_size
        print(f"{name}: {run.seconds:.2f} s, {size} bytes")
        assert "timings:" in run.output
        assert run.seconds < MAX_SECONDS, f"{name} took {run.seconds:.1f} s"
        assert size < MAX_BYTES


def test_paths_agree(debian_profiles: dict[str, Run]) -> None:
    assert "derived without a .config" in debian_profiles["elf_noconfig"].output
    a = shown(debian_profiles["image"])
    assert a.pop("str.types") == "BTF"
    for other in ("elf", "elf_noconfig"):
        b = shown(debian_profiles[other])
        assert b.pop("str.types") == "DWARF"
        assert a == b, {k: (a.get(k), b.get(k)) for k in a.keys() | b.keys()
                        if a.get(k) != b.get(k)}
    ta = decode(debian_profiles["image"].path.read_bytes()).text
    tb = decode(debian_profiles["elf"].path.read_bytes()).text
    assert ta == tb


def test_contents_plausible(debian_profiles: dict[str, Run], debian_kernel: GuestKernel
                            ) -> None:
    p = decode(debian_profiles["image"].path.read_bytes())
    v = {k: val for k, (_, val) in p.values.items()}
    for s in REQUIRED_SYMBOLS:
        assert isinstance(v.get(f"sym.{s}"), int), s
    for struct_name, members in REQUIRED_MEMBERS.items():
        assert 0 < v[f"sizeof.{struct_name}"] < 65536
        for m in members:
            assert v[f"{struct_name}.{m}"] < v[f"sizeof.{struct_name}"] or \
                v[f"sizeof.{struct_name}.{m}"] == 0, f"{struct_name}.{m}"
    assert v["task_struct.tasks"] < v["task_struct.pid"] < v["task_struct.comm"]
    assert v["task_struct.tgid"] == v["task_struct.pid"] + 4
    assert 1024 < v["sizeof.task_struct"] < 16384
    assert (v["list_head.next"], v["list_head.prev"]) == (0, 8)
    assert v["const.task_comm_len"] == 16
    assert v["const.xa_chunk_shift"] == 6
    assert "task_struct.__state" in v and "module.list" in v and "module_layout.base" in v
    sym = {k[4:]: val for k, val in v.items() if k.startswith("sym.")}
    assert sym["_text"] < sym["_stext"] < sym["_etext"] <= sym["__start_rodata"]
    assert sym["__start_rodata"] <= sym["sys_call_table"] < sym["__end_rodata"] < sym["_end"]
    assert sym["_stext"] <= sym["vectors"] < sym["_etext"]
    assert sym["_text"] < sym["init_task"] < sym["_end"]
    assert v["const.kimage_vaddr"] == sym["_text"]
    assert v["const.page_offset"] == (1 << 64) - (1 << v["const.va_bits"])
    assert str(v["str.banner"]).startswith(f"Linux version {v['str.release']} ")
    assert v["str.release"] == debian_kernel.version
    config = Path(str(debian_kernel.config)).read_text()
    assert f"CONFIG_ARM64_VA_BITS={v['const.va_bits']}\n" in config
    assert f"CONFIG_PGTABLE_LEVELS={v['const.pgtable_levels']}\n" in config
    assert len(p.text) > 10000


def test_c_parser_agrees(debian_profiles: dict[str, Run], tmp_path: Path) -> None:
    dump = host_program("profile_dump")
    run = debian_profiles["image"]
    r = subprocess.run([str(dump), str(run.path), "--text"], capture_output=True, text=True,
                       timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    py = mamoru("profile", "--show", "--text", run.path).stdout
    assert r.stdout == py


def symbol(elf: ELFFile, name: str) -> tuple[int, int]:
    """(st_value, st_size) of a .symtab symbol, its entries unpacked with struct: pyelftools'
    get_symbol_by_name parses all 155000 symbols of the -dbg vmlinux first (24 s)."""
    symtab = elf.get_section_by_name(".symtab")
    strtab = elf.get_section(symtab["sh_link"]).data()
    want, at = name.encode() + b"\0", -1
    offsets = set()                  # where the name is, a suffix of another string included
    while (at := strtab.find(want, at + 1)) >= 0:
        offsets.add(at)
    found = [(value, size) for st_name, _, _, _, value, size
             in struct.iter_unpack("<IBBHQQ", symtab.data()) if st_name in offsets]
    assert len(found) == 1, f"{name}: {len(found)} symbols"
    return found[0]


def relocated_table(k: GuestKernel, name: str) -> list[int]:
    """The entries of a pointer table as the kernel relocates them at boot: the vmlinux
    holds zeros there and an R_AARCH64_RELATIVE entry (addend = link address) per slot."""
    with Path(str(k.vmlinux)).open("rb") as f:
        elf = ELFFile(f)
        start, size = symbol(elf, name)
        n = size // 8
        rela = elf.get_section_by_name(".rela.dyn").data()
    addend = {}
    for off, info, add in struct.iter_unpack("<QQq", rela):
        if info & 0xFFFFFFFF == R_AARCH64_RELATIVE and start <= off < start + 8 * n:
            addend[off] = add & 0xFFFFFFFFFFFFFFFF
    assert len(addend) == n, f"{name}: {len(addend)} of {n} slots relocated"
    return [addend[start + 8 * i] for i in range(n)]


TABLE_KEYS = {"sys_call_table": ("sct", ("__arm64_sys_",)),
              "compat_sys_call_table": ("csct", ("__arm64_sys_", "__arm64_compat_sys_"))}


def dump(profile: Path, *args: str) -> dict[str, str]:
    """profile_dump (the hypervisor's parser) in --value/--sym/--lookup mode: arg -> answer."""
    r = subprocess.run([str(host_program("profile_dump")), str(profile), *args],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    return dict(line.split(" ", 1) for line in r.stdout.splitlines())


def expected_table(profile: Path, prefix: str) -> list[int]:
    """sct.<n> (csct.<n>) for n < const.sct_entries, read through profile_value() in C."""
    n = int(dump(profile, "--value", f"const.{prefix}_entries")[f"const.{prefix}_entries"], 16)
    keys = [f"{prefix}.{i}" for i in range(n)]
    got = dump(profile, "--value", *keys, f"{prefix}.{n}")
    assert got[f"{prefix}.{n}"] == "?"
    return [int(got[k], 16) for k in keys]


@pytest.mark.parametrize("table", ["sys_call_table", "compat_sys_call_table"])
def test_expected_syscall_table(debian_profiles: dict[str, Run], debian_kernel: GuestKernel,
                                table: str) -> None:
    """sct.<n>/csct.<n> from both inputs (the Image's own relocations, vmlinux .rela.dyn)
    agree with each other and with the table as the kernel relocates it, and every entry is
    an __arm64_sys_* handler (or __arm64_compat_sys_* for compat) at offset 0."""
    prefix, names = TABLE_KEYS[table]
    oracle = relocated_table(debian_kernel, table)
    assert len(oracle) == 451                       # __NR_syscalls (__NR_compat_syscalls) in 6.1
    for path in ("image", "elf"):
        profile = debian_profiles[path].path
        entries = expected_table(profile, prefix)
        assert entries == oracle, path
        uniq = sorted(set(entries))
        sym = dump(profile, "--sym", *(hex(a) for a in uniq))
        bad = {hex(a): sym[hex(a)] for a in uniq
               if not (sym[hex(a)].startswith(names) and sym[hex(a)].endswith("+0x0"))}
        assert not bad, f"{path}: {len(bad)} unnamed handlers: {list(bad.items())[:10]}"
        ni = int(dump(profile, "--lookup", "__arm64_sys_ni_syscall")["__arm64_sys_ni_syscall"],
                 16)
        assert ni in entries
        print(f"{path} {table}: {len(entries)} slots, {len(uniq)} distinct handlers, all named")


def test_without_syscall_table(debian_kernel: GuestKernel, tmp_path: Path) -> None:
    """No relocations in reach: a clear error, unless --no-syscall-table leaves them out."""
    k = debian_kernel
    smap = tmp_path / "System.map"
    lines = Path(str(k.system_map)).read_text().splitlines(keepends=True)
    smap.write_text("".join(line for line in lines
                            if not line.rstrip().endswith((" __rela_start", " __rela_end"))))
    out = tmp_path / "p"
    r = mamoru("profile", k.image, "--system-map", smap, "--config", k.config or "", "-o", out,
               check=False)
    assert r.returncode == 1 and "__rela_start" in r.stderr, r.stderr
    assert "--no-syscall-table" in r.stderr and not out.exists()
    mamoru("profile", k.image, "--system-map", smap, "--config", k.config or "", "-o", out,
           "--no-syscall-table")
    keys = decode(out.read_bytes()).values
    assert not any(key.startswith(("sct.", "csct.", "const.sct", "const.csct")) for key in keys)
    assert "sym.sys_call_table" in keys


def test_placeholder_system_map_rejected(debian_kernel: GuestKernel, tmp_path: Path) -> None:
    fake = tmp_path / "System.map"
    fake.write_text("ffffffffffffffff B The real System.map is in the "
                    "linux-image-<version>-dbg package\n")
    r = mamoru("profile", debian_kernel.image, "--system-map", fake, "-o", tmp_path / "p",
               check=False)
    assert r.returncode == 1 and "placeholder" in r.stderr
