# SPDX-License-Identifier: GPL-2.0-only
"""The introspection library on a synthetic 32-bit ARM guest (vmi_fake32): 4-byte pointers,
the ARMv5 walker, the no-KASLR anchors; then hostile memory: each corruption must end with a
clean error (or a failed anchor) in bounded time, without a sanitizer report."""

from __future__ import annotations

from pathlib import Path

import pytest
from vmi_fake32 import (
    HANDLERS,
    KVA_START,
    OFF,
    PROCESS_PGD_PA,
    RELEASE,
    SWAPPER_PA,
    SYM,
    TASK0,
    FakeGuest32,
)
from vmi_pt import host_program
from vmi_pt32 import section

from mamoru.profile.format import Profile
from mamoru.testing.hostcheck import run_host


@pytest.fixture(scope="module")
def tool() -> Path:
    return host_program("vmi_tool")


def run(tool: Path, g: FakeGuest32, d: Path, *cmd: str, profile: Profile | None = None
        ) -> tuple[int, list[str]]:
    mem, regs, prof = g.write(d, profile)
    r = run_host([tool, mem, "0", regs, prof, *cmd], ok=(0, 1))
    return r.returncode, r.stdout.splitlines()


def anchors_of(lines: list[str]) -> dict[str, str]:
    return {x.split()[1]: x for x in lines if x.startswith("anchor ")}


def tasks_of(lines: list[str]) -> list[tuple[int, str]]:
    return [(int(x.split()[1]), x.split()[6]) for x in lines if x.startswith("task ")]


def test_healthy_guest(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest32()
    rc, lines = run(tool, g, tmp_path, "arch", "info", "anchors", "banner", "tasks", "pids",
                    "modules", "syscalls", str(len(HANDLERS)))
    assert rc == 0, lines
    assert lines[0] == f"arch armv5 ptr 4 kva {KVA_START:#x}-0xffffffff"
    assert lines[1] == "slide 0x0 no KASLR (32-bit ARM)"
    a = anchors_of(lines)
    assert all(" ok " in x for x in a.values()), lines
    assert f"at {SWAPPER_PA:#x}; TTBR0 holds a process's table at {PROCESS_PGD_PA:#x}" in \
        a["swapper_pg_dir"]
    assert "linear map PA = VA - 0xc0000000" in a["kernel"]
    assert f"banner Linux version {RELEASE} (fake@test) #1" in lines
    tasks = tasks_of(lines)
    assert tasks[:5] == [(0, "swapper")] + [(i, f"task{i}") for i in range(1, 5)]
    assert tasks[5:] == [(i, f"task{i}") for i in range(1, 5)]        # from the IDR
    assert "task 2 2 0 0 1 task2" in lines and "task 3 3 0 0 0 task3" in lines
    assert [x.split()[1] for x in lines if x.startswith("module ")] == ["fakemod"]
    assert [x.split()[3] for x in lines if x.startswith("syscall ")] == \
        [f"sys_fake{i}" for i in range(len(HANDLERS))]


def test_swapper_pg_dir_as_ttbr0(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest32()
    g.regs["ttbr0"] = SWAPPER_PA
    rc, lines = run(tool, g, tmp_path, "anchors", "tasks")
    assert rc == 0, lines
    assert f"TTBR0 holds swapper_pg_dir at {SWAPPER_PA:#x}" in anchors_of(lines)["swapper_pg_dir"]


def test_tampered_process_table_is_not_used(tool: Path, tmp_path: Path) -> None:
    """The process's table maps the banner's MiB somewhere else: kernel VAs are still read
    through swapper_pg_dir."""
    g = FakeGuest32()
    g.mem.write32(PROCESS_PGD_PA + 4 * (SYM["linux_banner"] >> 20), section(0x50_0000))
    rc, lines = run(tool, g, tmp_path, "anchors", "banner")
    assert rc == 0, lines
    assert all(" ok " in x for x in anchors_of(lines).values()), lines
    assert f"banner Linux version {RELEASE} (fake@test) #1" in lines


def test_mmu_off(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest32()
    g.regs["sctlr"] = 0x0005_0078
    rc, lines = run(tool, g, tmp_path, "info")
    assert rc == 1 and lines[0].startswith("error unusable vCPU state: the guest's MMU is off")


def test_ttbr0_at_garbage(tool: Path, tmp_path: Path) -> None:
    """TTBR0 at an empty table: nothing translates; a clean error naming what was tried."""
    g = FakeGuest32()
    g.regs["ttbr0"] = 0x2_0000
    rc, lines = run(tool, g, tmp_path, "info")
    assert rc == 1, lines
    assert "not in guest memory" in lines[0] and "translation fault" in lines[0], lines


def test_ttbr0_outside_ram(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest32()
    g.regs["ttbr0"] = 0xF000_0000
    rc, lines = run(tool, g, tmp_path, "info")
    assert rc == 1 and "outside guest RAM" in lines[0], lines


def test_user_pointer_in_task_list(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest32()
    g.u32(g.tasks[2] + OFF["task_struct.tasks"], 0x0001_0000)   # a user address
    rc, lines = run(tool, g, tmp_path, "tasks")
    assert rc == 1, lines
    err = next(x for x in lines if x.startswith("error "))
    assert "invalid guest pointer" in err and "bad next 0x10000" in err, err


def test_misaligned_pointer_in_task_list(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest32()
    g.u32(g.tasks[1] + OFF["task_struct.tasks"], TASK0 + 0x1000 + 2)
    rc, lines = run(tool, g, tmp_path, "tasks")
    assert rc == 1, lines
    assert any("invalid guest pointer" in x for x in lines), lines


def test_cyclic_task_list(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest32(ntasks=30)
    g.u32(g.tasks[-1] + OFF["task_struct.tasks"], g.tasks[5] + OFF["task_struct.tasks"])
    # Keep next->prev consistent so only the cycle detection can stop it.
    g.u32(g.tasks[5] + OFF["task_struct.tasks"] + 4, g.tasks[-1] + OFF["task_struct.tasks"])
    rc, lines = run(tool, g, tmp_path, "list", hex(SYM["init_task"] + OFF["task_struct.tasks"]),
                    "100000", "0")
    assert rc == 1 and any("cycle" in x for x in lines), lines[-3:]


def test_idr_node_pointing_to_itself(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest32()
    node = 0xC033_0000
    g.w(node, bytes([6]))                                  # shift 6: an inner node
    g.u32(node + OFF["xa_node.slots"], node | 2)           # its first slot: itself
    rc, lines = run(tool, g, tmp_path, "pids")
    assert rc == 1, lines
    assert any("IDR" in x and ("shift" in x or "more than" in x) for x in lines), lines


def test_arm64_profile_on_arm_memory(tool: Path, tmp_path: Path) -> None:
    """A profile without str.arch is arm64's: over this guest it finds no kernel, cleanly."""
    g = FakeGuest32()
    p = g.profile()
    del p.values["str.arch"]
    g.regs.update({"tcr": 0x0000_0035_B519_3519, "vbar": 0})
    rc, lines = run(tool, g, tmp_path, "info", profile=p)
    assert rc == 1 and lines[0].startswith("error "), lines


@pytest.mark.parametrize(("key", "value", "message"), [
    ("const.ptr_size", 8, "32-bit ARM profile with 8-byte pointers"),
    ("str.arch", "mips", "profile for an unsupported architecture"),
])
def test_inconsistent_profile(tool: Path, tmp_path: Path, key: str, value: int | str,
                              message: str) -> None:
    g = FakeGuest32()
    p = g.profile()
    if isinstance(value, str):
        p.string(key, value)
    else:
        p.number(key, value)
    rc, lines = run(tool, g, tmp_path, "info", profile=p)
    assert rc == 1 and message in lines[0], lines
