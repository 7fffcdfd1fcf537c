# SPDX-License-Identifier: GPL-2.0-only
"""The introspection library on a real 32-bit ARM guest: Linux 6.1's versatile_defconfig
(mamoru.versatilekernel: built once from Debian's linux-source with DWARF, cached) booted
with an armel busybox initramfs under plain `qemu-system-arm -M versatilepb -m 256`.
The profile comes from its ELF32 vmlinux; ground truth (/proc/version, ps, /proc/kallsyms)
from inside the guest; TTBR0 and the control register through the gdbstub, RAM through
QMP; vmi_tool (core/vmi with the ARMv5 short-descriptor walker) reads the dump."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_vmi_debian import _same_name, _tasks
from vmi_guest import Capture
from vmi_pt import host_program
from vmi_versatile import RAM_BASE, capture_versatile, write_regs

from mamoru import versatilekernel
from mamoru.profile import decode, encode, show_lines
from mamoru.testing import mamoru_cli as mamoru
from mamoru.tinykernel import TinyKernelError
from mamoru.versatilekernel import VersatileKernel

pytestmark = pytest.mark.debian
SAN_ENV = dict(os.environ, ASAN_OPTIONS="exitcode=99:detect_leaks=1",
               UBSAN_OPTIONS="exitcode=98:print_stacktrace=1:halt_on_error=1")


@dataclass
class Dumped:
    cap: Capture
    regs: Path
    profile: Path
    values: dict[str, str]
    tool: Path

    def run(self, *cmd: str, dump: Path | None = None, profile: Path | None = None,
            check: bool = True) -> list[str]:
        argv = [str(self.tool), str(dump or self.cap.dump), hex(RAM_BASE), str(self.regs),
                str(profile or self.profile), *cmd]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=SAN_ENV,
                           check=False)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r.stdout.splitlines()


@pytest.fixture(scope="module")
def kernel() -> VersatileKernel:
    t0 = time.monotonic()
    try:
        k = versatilekernel.versatile_kernel()
    except TinyKernelError as e:
        pytest.fail(f"the versatilepb kernel could not be built: {e}", pytrace=False)
    sys.stderr.write(f"\n[versatilepb kernel {k.version}] {time.monotonic() - t0:.1f} s\n")
    return k


@pytest.fixture(scope="module")
def profile(kernel: VersatileKernel, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[Path, dict[str, str]]:
    out = tmp_path_factory.mktemp("versatile-profile") / "versatile.profile"
    mamoru("profile", kernel.vmlinux, "-o", out)   # finds config-<release> beside it
    values = dict(line.split(" ", 1) for line in show_lines(decode(out.read_bytes())))
    return out, values


@pytest.fixture(scope="module")
def dumped(kernel: VersatileKernel, profile: tuple[Path, dict[str, str]],
           tmp_path_factory: pytest.TempPathFactory) -> Dumped:
    work = tmp_path_factory.mktemp("versatile-guest")
    cap = capture_versatile(work, kernel)
    return Dumped(cap, write_regs(work / "regs.txt", cap.regs), profile[0], profile[1],
                  host_program("vmi_tool"))


def test_profile_is_32bit(kernel: VersatileKernel, profile: tuple[Path, dict[str, str]]
                          ) -> None:
    v = profile[1]
    assert v["str.arch"] == "arm" and v["const.ptr_size"] == "4"
    assert v["str.types"] == "DWARF" and v["str.release"] == kernel.version
    assert int(v["const.page_offset"], 16) == 0xC000_0000
    assert int(v["const.kva_start"], 16) == 0xBF00_0000
    assert v["const.compat"] == "1"          # CONFIG_OABI_COMPAT: sys_oabi_call_table
    smap = {line.split()[2]: int(line.split()[0], 16)
            for line in kernel.system_map.read_text().splitlines() if len(line.split()) == 3}
    for name in ("init_task", "linux_banner", "sys_call_table", "sys_oabi_call_table",
                 "swapper_pg_dir", "init_pid_ns"):
        assert int(v[f"sym.{name}"], 16) == smap[name], name
    # 32-bit layouts: list_head is two 4-byte pointers; the IDR's nodes hold 64 of them.
    assert v["sizeof.list_head"] == "8" and v["list_head.prev"] == "4"
    assert v["sizeof.xa_node.slots"] == "256" and v["const.xa_chunk_shift"] == "6"
    n, oabi = int(v["const.sct_entries"]), int(v["const.csct_entries"])
    assert 400 < n < 1000 and 400 < oabi < 1000
    assert int(v["task_struct.tgid"]) == int(v["task_struct.pid"]) + 4


def test_locates_the_kernel(dumped: Dumped) -> None:
    lines = dumped.run("arch", "info", "anchors")
    assert lines[0] == "arch armv5 ptr 4 kva 0xbf000000-0xffffffff", lines
    assert lines[1] == "slide 0x0 no KASLR (32-bit ARM)", lines
    anchors = {line.split()[1]: line for line in lines if line.startswith("anchor ")}
    assert set(anchors) == {"swapper_pg_dir", "kernel", "linux_banner", "init_task"}, lines
    assert all(" ok " in a for a in anchors.values()), lines
    assert "linear map PA = VA - 0xc0000000" in anchors["kernel"], lines


def test_banner(dumped: Dumped, kernel: VersatileKernel) -> None:
    assert dumped.cap.proc_version.startswith(f"Linux version {kernel.version} ")
    assert dumped.run("banner")[0] == f"banner {dumped.cap.proc_version}"


def test_cp15_state(dumped: Dumped) -> None:
    regs = dumped.cap.regs
    assert regs["SCTLR"] & 1, regs                   # MMU on
    assert regs["TTBR0"] & 0x3FFF == 0, regs         # a 16 KiB-aligned level 1 table
    assert regs["cpsr"] & 0x1F == 0x13, regs         # stopped in SVC mode


def test_task_list_matches_ps(dumped: Dumped) -> None:
    """Every process ps showed is in the task list read from the dump, with its name."""
    tasks = _tasks(dumped.run("tasks"))
    ps = dict(dumped.cap.ps)
    assert tasks.pop(0)[2] == "swapper"      # a uniprocessor kernel's idle task: no "/0"
    ps_self = max(p for p, n in ps.items() if n == "ps")
    for pid, name in ps.items():
        if pid == ps_self or (pid not in tasks and name.startswith("kworker")):
            continue                          # ps itself, or a worker that exited since
        assert pid in tasks, (f"ps has {pid} {name}; the dump has {sorted(tasks)}\n"
                              f"{dumped.cap.transcript[-3000:]}")
        # A worker busy with an item shows "+<workqueue>" instead of "-<workqueue>".
        assert _same_name(name.replace("+", "-", 1), tasks[pid][2]), (pid, name, tasks[pid])
    extra = {p: t for p, t in tasks.items() if p not in ps}
    assert all(t[2].startswith("kworker") for t in extra.values()), extra
    assert tasks[1][2] == "init" and tasks[1][1] == 0
    assert tasks[2][2] == "kthreadd" and tasks[2][1] == 1


def test_pid_table_matches_task_list(dumped: Dumped) -> None:
    by_list = _tasks(dumped.run("tasks"))
    by_pid = _tasks(dumped.run("pids"))
    by_list.pop(0)
    assert set(by_list) <= set(by_pid), (sorted(by_list), sorted(by_pid))
    for pid, t in by_list.items():
        assert by_pid[pid] == t, (pid, t, by_pid[pid])


@pytest.mark.parametrize(("table", "count", "prefix"), [
    ("sys_call_table", "const.sct_entries", "sct"),
    ("sys_oabi_call_table", "const.csct_entries", "csct"),
])
def test_syscall_names(dumped: Dumped, table: str, count: str, prefix: str) -> None:
    """Every slot, read from the dump through the guest's page tables, is a handler that
    /proc/kallsyms names the same, and is what the vmlinux linked there (no KASLR)."""
    n = int(dumped.values[count])
    names: dict[int, set[str]] = {}
    for addr, name in dumped.cap.kallsyms.items():
        names.setdefault(addr, set()).add(name)
    for line in dumped.cap.extra["kallsyms_all"].splitlines():
        parts = line.split()
        if len(parts) == 3:
            names.setdefault(int(parts[0], 16), set()).add(parts[2])
    entries = [line.split() for line in dumped.run("syscalls", str(n), table)
               if line.startswith("syscall ")]
    assert len(entries) == n
    for _, idx, addr, sym in entries:
        a = int(addr, 16)
        assert a == int(dumped.values[f"{prefix}.{idx}"], 16), (table, idx, addr)
        assert a in names, f"{table}[{idx}] = {addr} ({sym}) is not in /proc/kallsyms"
        assert sym in names[a], f"{table}[{idx}]: {sym}, kallsyms says {names[a]}"
    assert entries[1][3] == "sys_exit" and entries[3][3] == "sys_read"


def test_tampered_banner_is_an_anchor_finding(dumped: Dumped, tmp_path: Path) -> None:
    """A banner overwritten in the dump: init_task still locates the kernel, the banner
    anchor reports what it read."""
    banner = int(dumped.values["sym.linux_banner"], 16) - 0xC000_0000
    data = bytearray(dumped.cap.dump.read_bytes())
    assert data[banner:banner + 14] == b"Linux version "
    data[banner:banner + 5] = b"Xinux"
    bad = tmp_path / "tampered.bin"
    bad.write_bytes(bytes(data))
    lines = dumped.run("anchors", "tasks", dump=bad)
    anchors = {line.split()[1]: line for line in lines if line.startswith("anchor ")}
    assert "FAILED" in anchors["linux_banner"] and "Xinux version" in anchors["linux_banner"]
    assert " ok " in anchors["init_task"], lines
    assert any(line.split()[1] == "1" for line in lines if line.startswith("task ")), lines


def test_another_kernels_profile_is_refused(dumped: Dumped, tmp_path: Path) -> None:
    """Neither the banner nor init_task of a profile that is not this kernel's agree."""
    v = dumped.values
    wrong = tmp_path / "wrong.profile"
    prof = decode(dumped.profile.read_bytes())
    prof.string("str.release", v["str.release"].replace("6.1", "6.9", 1))
    prof.number("task_struct.comm", int(v["task_struct.comm"]) + 1)   # reads "wapper/0"
    wrong.write_bytes(encode(prof))
    lines = dumped.run("info", profile=wrong, check=False)
    assert lines and lines[0].startswith("error kernel slide"), lines
    assert "not in guest memory" in lines[0], lines
