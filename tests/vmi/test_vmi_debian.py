# SPDX-License-Identifier: GPL-2.0-only
"""The introspection library against real memory: Debian's arm64 cloud kernel booted under
QEMU (KASLR on and off), ground truth from inside the guest, a RAM dump and the vCPU registers
from outside, and vmi_tool (core/vmi + the profile parser) reading the dump."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from vmi_guest import RAM_BASE, Capture, capture_guest, write_regs
from vmi_pt import host_program

from mamoru.testing import mamoru_cli as mamoru

if TYPE_CHECKING:
    from mamoru.guest_assets import GuestKernel

pytestmark = pytest.mark.debian
SAN_ENV = dict(os.environ, ASAN_OPTIONS="exitcode=99:detect_leaks=1",
               UBSAN_OPTIONS="exitcode=98:print_stacktrace=1:halt_on_error=1")


@dataclass
class Dumped:
    cap: Capture
    regs: Path
    profile: Path
    tool: Path
    nr_syscalls: int

    def run(self, *cmd: str, regs: Path | None = None, check: bool = True) -> list[str]:
        argv = [str(self.tool), str(self.cap.dump), hex(RAM_BASE), str(regs or self.regs),
                str(self.profile), *cmd]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=SAN_ENV,
                           check=False)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r.stdout.splitlines()


def _nr_syscalls(system_map: Path) -> int:
    """Entries in sys_call_table: the distance to the next symbol, in pointers."""
    addrs = sorted({int(line.split()[0], 16) for line in system_map.read_text().splitlines()
                    if len(line.split()) == 3})
    table = next(int(line.split()[0], 16) for line in system_map.read_text().splitlines()
                 if line.endswith(" sys_call_table"))
    after = next(a for a in addrs if a > table)
    return (after - table) // 8


@pytest.fixture(scope="module")
def debian_profile(debian_kernel: GuestKernel, tmp_path_factory: pytest.TempPathFactory
                   ) -> Path:
    k = debian_kernel
    out = tmp_path_factory.mktemp("vmi-profile") / "debian.profile"
    mamoru("profile", k.image, "--system-map", k.system_map or "", "--config", k.config or "",
           "-o", out)
    return out


@pytest.fixture(scope="module", params=[True, False], ids=["kaslr", "nokaslr"])
def dumped(request: pytest.FixtureRequest, debian_kernel: GuestKernel, debian_profile: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Dumped:
    work = tmp_path_factory.mktemp("vmi-guest")
    cap = capture_guest(work, kaslr=request.param)
    assert debian_kernel.system_map is not None
    return Dumped(cap, write_regs(work / "regs.txt", cap.regs), debian_profile,
                  host_program("vmi_tool"), _nr_syscalls(debian_kernel.system_map))


def test_banner_and_slide(dumped: Dumped, request: pytest.FixtureRequest) -> None:
    lines = dumped.run("info", "banner")
    slide = int(lines[0].split()[1], 16)
    assert lines[0].split(None, 2)[2] == "VBAR_EL1"
    kaslr = "nokaslr" not in request.node.callspec.id
    assert (slide != 0) == kaslr, lines[0]
    assert lines[1] == f"banner {dumped.cap.proc_version}", dumped.cap.transcript[-3000:]
    # vectors: the slid profile address is where /proc/kallsyms puts it.
    vectors = [a for a, n in dumped.cap.kallsyms.items() if n == "vectors"]
    assert vectors == [dumped.cap.regs["VBAR_EL1"]]


def test_banner_scan_without_vbar(dumped: Dumped, tmp_path: Path) -> None:
    regs = dict(dumped.cap.regs, VBAR_EL1=0)
    lines = dumped.run("info", "banner", regs=write_regs(tmp_path / "regs.txt", regs))
    first = dumped.run("info")[0]
    assert lines[0].split()[1] == first.split()[1]
    assert lines[0].endswith("banner scan")
    assert lines[1] == f"banner {dumped.cap.proc_version}"


def _tasks(lines: list[str]) -> dict[int, tuple[int, int, str]]:
    out = {}
    for line in lines:
        if line.startswith("task "):
            parts = line.split(None, 6)
            out[int(parts[1])] = (int(parts[3]), int(parts[5]), parts[6] if len(parts) > 6 else "")
    return out


def _same_name(ps_name: str, comm: str) -> bool:
    # ps shows kernel workers' current workqueue after a '-' (and truncates to 15).
    return ps_name == comm[:15] or ps_name.startswith(comm + "-") or (
        comm.startswith("kworker") and ps_name.split("-")[0] == comm)


def assert_tasks_match_ps(dumped: Dumped) -> tuple[dict, dict[int, str]]:
    """The task list the host VMI reads from the dump has every process ps showed.

    Returns (tasks by PID without the idle task, ps's PID -> name)."""
    tasks = _tasks(dumped.run("tasks"))
    ps = dict(dumped.cap.ps)
    assert tasks.pop(0)[2] == "swapper/0"
    ps_self = max(p for p, n in ps.items() if n == "ps")
    for pid, name in ps.items():
        if pid == ps_self:
            continue
        if pid not in tasks and name.startswith("kworker"):
            continue  # a kernel worker may exit between ps and the dump
        assert pid in tasks, (f"ps has {pid} {name}; the dump has {sorted(tasks)}\n"
                              f"{dumped.cap.transcript[-3000:]}")
        assert _same_name(name, tasks[pid][2]), (pid, name, tasks[pid])
    return tasks, ps


def test_task_list_matches_ps(dumped: Dumped) -> None:
    tasks, ps = assert_tasks_match_ps(dumped)
    extra = {p: t for p, t in tasks.items() if p not in ps}
    assert all(t[2].startswith("kworker") for t in extra.values()), extra
    assert tasks[1][2] == "init" and tasks[1][1] == 0  # user process
    assert tasks[2][2] == "kthreadd" and tasks[2][1] == 1  # kernel thread


def test_pid_table_matches_task_list(dumped: Dumped) -> None:
    by_list = _tasks(dumped.run("tasks"))
    by_pid = _tasks(dumped.run("pids"))
    by_list.pop(0)  # the idle task has no PID entry
    assert by_pid == by_list


def test_syscall_table_names(dumped: Dumped) -> None:
    n = dumped.nr_syscalls
    assert 300 < n < 1000
    lines = dumped.run("syscalls", str(n))
    names: dict[int, set[str]] = {}
    for addr, name in dumped.cap.kallsyms.items():
        names.setdefault(addr, set()).add(name)
    entries = [line.split() for line in lines if line.startswith("syscall ")]
    assert len(entries) == n
    for _, idx, addr, sym in entries:
        a = int(addr, 16)
        assert a in names, f"sys_call_table[{idx}] = {addr} ({sym}) is not in /proc/kallsyms"
        assert sym in names[a], f"sys_call_table[{idx}]: {sym}, kallsyms says {names[a]}"
    assert sum(e[3] == "__arm64_sys_ni_syscall" for e in entries) > 0
