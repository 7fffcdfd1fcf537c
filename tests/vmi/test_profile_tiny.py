# SPDX-License-Identifier: GPL-2.0-only
"""The user-built-kernel case: a tinyconfig arm64 kernel built from Debian's linux-source with
DWARF 5 (mamoru.tinykernel, cached). Its profile comes from the vmlinux's DWARF in seconds, its
task_struct layout differs from Debian's cloud kernel (offsets come from the exact build), and
with that profile the host-side VMI reads banner, tasks and syscall handlers from a RAM dump
of the tiny kernel booted under plain QEMU, as the guest itself reports them."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_vmi_debian import Dumped, _nr_syscalls, assert_tasks_match_ps
from vmi_guest import capture_guest, write_regs
from vmi_pt import host_program

from mamoru import tinykernel
from mamoru.guest_assets import GuestKernel
from mamoru.profile import decode, show_lines
from mamoru.testing import mamoru_cli as mamoru
from mamoru.tinykernel import TinyKernel

pytestmark = pytest.mark.debian

MAX_PROFILE_SECONDS = 20.0
TASK_MEMBERS = ("tasks", "pid", "comm", "mm")


@dataclass
class Built:
    path: Path
    output: str
    seconds: float
    values: dict[str, str]


def _profile(args: list[str | Path], out: Path) -> Built:
    t0 = time.monotonic()
    r = mamoru("profile", *args, "-o", out, "-v")
    seconds = time.monotonic() - t0
    values = dict(line.split(" ", 1) for line in show_lines(decode(out.read_bytes())))
    return Built(out, r.stdout + r.stderr, seconds, values)


@pytest.fixture(scope="module")
def tiny() -> TinyKernel:
    t0 = time.monotonic()
    try:
        k = tinykernel.tiny_kernel()
    except tinykernel.TinyKernelError as e:
        pytest.fail(f"the tiny kernel could not be built: {e}", pytrace=False)
    sys.stderr.write(f"\n[tiny kernel {k.version}] {time.monotonic() - t0:.1f} s; "
                     f"cold build: {k.stamp().get('seconds')}\n")
    return k


@pytest.fixture(scope="module")
def tiny_profile(tiny: TinyKernel, tmp_path_factory: pytest.TempPathFactory) -> Built:
    # No --config: the profile tool finds config-<release> next to vmlinux-<release>.
    b = _profile([tiny.vmlinux], tmp_path_factory.mktemp("tiny-profile") / "tiny.profile")
    sys.stderr.write(f"\n[profile tiny vmlinux] {b.seconds:.2f}s\n{b.output}")
    return b


@pytest.fixture(scope="module")
def debian_profile(debian_kernel: GuestKernel, tmp_path_factory: pytest.TempPathFactory
                   ) -> Built:
    k = debian_kernel
    return _profile([k.image, "--system-map", k.system_map or "", "--config", k.config or ""],
                    tmp_path_factory.mktemp("debian-profile") / "debian.profile")


def test_cached_call_builds_nothing(tiny: TinyKernel, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("a warm tiny_kernel() started a build")
    monkeypatch.setattr(tinykernel, "_build", refuse)
    again = tinykernel.tiny_kernel()
    assert again == tiny
    assert tiny.version.endswith(tinykernel.LOCALVERSION)
    assert tinykernel.check_config(tiny.config.read_text()) == []
    assert tiny.image.read_bytes()[0x38:0x3C] == b"ARM\x64"


def test_dwarf_profile(tiny: TinyKernel, tiny_profile: Built) -> None:
    v = tiny_profile.values
    assert tiny_profile.seconds < MAX_PROFILE_SECONDS, tiny_profile.output
    assert v["str.types"] == "DWARF"
    assert v["str.release"] == tiny.version
    assert f"using the kernel configuration {tiny.config}" in tiny_profile.output
    config = tiny.config.read_text()
    assert f"CONFIG_ARM64_VA_BITS={v['const.va_bits']}\n" in config
    assert f"CONFIG_PGTABLE_LEVELS={v['const.pgtable_levels']}\n" in config
    assert v["const.randomize_base"] == "1" and v["const.compat"] == "0"
    assert v["const.va_bits"] == "39"  # tinyconfig picks 39-bit VA, 3 levels: not Debian's 48
    # Symbol addresses are the System.map's (the profile read them from the ELF symtab).
    smap = {line.split()[2]: int(line.split()[0], 16)
            for line in tiny.system_map.read_text().splitlines() if len(line.split()) == 3}
    for name in ("init_task", "linux_banner", "sys_call_table", "vectors", "swapper_pg_dir"):
        assert int(v[f"sym.{name}"], 16) == smap[name], name
    assert "sym.modules" not in v  # CONFIG_MODULES is off
    assert int(v["const.sct_entries"]) == _nr_syscalls(tiny.system_map)
    assert int(v["task_struct.tgid"]) == int(v["task_struct.pid"]) + 4


def test_offsets_differ_from_debian(tiny_profile: Built, debian_profile: Built) -> None:
    t, d = tiny_profile.values, debian_profile.values
    table = {m: (t[f"task_struct.{m}"], d[f"task_struct.{m}"])
             for m in (*TASK_MEMBERS, "cred", "real_parent")}
    table["sizeof"] = (t["sizeof.task_struct"], d["sizeof.task_struct"])
    print("task_struct (tiny, debian):", table)
    for m in (*TASK_MEMBERS, "sizeof"):
        assert table[m][0] != table[m][1], f"task_struct.{m} is the same: {table}"
    assert int(t["sizeof.task_struct"]) < int(d["sizeof.task_struct"])
    assert t["str.release"] != d["str.release"]
    assert t["str.release"].split(".")[:2] == d["str.release"].split(".")[:2]  # one series


@pytest.fixture(scope="module", params=[True, False], ids=["kaslr", "nokaslr"])
def dumped(request: pytest.FixtureRequest, tiny: TinyKernel, tiny_profile: Built,
           tmp_path_factory: pytest.TempPathFactory) -> Dumped:
    work = tmp_path_factory.mktemp("tiny-guest")
    cap = capture_guest(work, kaslr=request.param, image=tiny.image)
    return Dumped(cap, write_regs(work / "regs.txt", cap.regs), tiny_profile.path,
                  host_program("vmi_tool"), _nr_syscalls(tiny.system_map))


def test_boot_banner(dumped: Dumped, tiny: TinyKernel, request: pytest.FixtureRequest
                     ) -> None:
    lines = dumped.run("info", "banner")
    slide = int(lines[0].split()[1], 16)
    kaslr = "nokaslr" not in request.node.callspec.id
    assert (slide != 0) == kaslr, f"{lines[0]}\n{dumped.cap.transcript[-3000:]}"
    assert dumped.cap.proc_version.startswith(f"Linux version {tiny.version} ")
    assert lines[1] == f"banner {dumped.cap.proc_version}", dumped.cap.transcript[-3000:]
    vectors = [a for a, n in dumped.cap.kallsyms.items() if n == "vectors"]
    assert vectors == [dumped.cap.regs["VBAR_EL1"]]


def test_boot_task_list_matches_ps(dumped: Dumped) -> None:
    assert_tasks_match_ps(dumped)


def test_boot_syscall_names(dumped: Dumped) -> None:
    n = dumped.nr_syscalls
    assert 300 < n < 1000
    names: dict[int, set[str]] = {}
    for addr, name in dumped.cap.kallsyms.items():
        names.setdefault(addr, set()).add(name)
    entries = [line.split() for line in dumped.run("syscalls", str(n))
               if line.startswith("syscall ")]
    assert len(entries) == n
    for _, idx, addr, sym in entries:
        a = int(addr, 16)
        assert a in names, f"sys_call_table[{idx}] = {addr} ({sym}) is not in /proc/kallsyms"
        assert sym in names[a], f"sys_call_table[{idx}]: {sym}, kallsyms says {names[a]}"
