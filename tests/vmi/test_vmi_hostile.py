# SPDX-License-Identifier: GPL-2.0-only
"""Hostile guest memory: the introspection library over a synthetic guest (vmi_fake) whose
lists, pointers, strings and trees are corrupted. Each case must end with a clean error in
bounded time (subprocess timeout), without a sanitizer report."""

from __future__ import annotations

from pathlib import Path

import pytest
from vmi_fake import (
    IMAGE_PA,
    IMAGE_SIZE,
    NODES,
    OFF,
    PIDS,
    RELEASE,
    SLIDE,
    SYM,
    FakeGuest,
    kv,
    run_tool,
)
from vmi_pt import AF, host_program


@pytest.fixture(scope="module")
def tool() -> Path:
    return host_program("vmi_tool")


def tasks_of(lines: list[str]) -> list[tuple[int, str]]:
    return [(int(x.split()[1]), x.split()[6]) for x in lines if x.startswith("task ")]


def stats_of(lines: list[str]) -> dict[str, int]:
    """vmi_tool's last line: its work counters (walks, tlb_hits, phys_reads, find_reads)."""
    assert lines and lines[-1].startswith("stats "), lines[-3:]
    words = lines[-1].split()[1:]
    return {k: int(v) for k, v in zip(words[::2], words[1::2], strict=True)}


def error_of(lines: list[str]) -> str:
    errs = [x for x in lines if x.startswith("error ")]
    assert errs, lines
    return errs[0]


def test_healthy_fake_guest(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest()
    rc, lines = run_tool(tool, g, tmp_path, "info", "banner", "tasks", "pids", "modules")
    assert rc == 0, lines
    assert lines[0] == f"slide {SLIDE:#x} VBAR_EL1"
    assert lines[1].startswith("banner Linux version 6.1.0-fake ")
    assert tasks_of(lines)[:5] == [(0, "swapper/0")] + [(i, f"task{i}") for i in range(1, 5)]
    assert tasks_of(lines)[5:] == [(i, f"task{i}") for i in range(1, 5)]  # from the IDR
    assert [x.split()[1] for x in lines if x.startswith("module ")] == ["mod0", "mod1"]
    assert "task 2 2 0 0 1 task2" in lines  # PF_KTHREAD
    assert "task 3 3 0 0 0 task3" in lines


def test_cyclic_task_list(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest(ntasks=40)
    # The last task points back into the middle: a ring that never reaches the head.
    g.u64(g.tasks[-1] + OFF["task_struct.tasks"], kv(g.tasks[10] + OFF["task_struct.tasks"]))
    head = kv(SYM["init_task"] + OFF["task_struct.tasks"])
    for limit in (1000, 1 << 31):
        rc, lines = run_tool(tool, g, tmp_path, "list", hex(head), str(limit), "0")
        assert rc == 1
        assert stats_of(lines)["phys_reads"] < 2000  # the same few laps whatever the limit
        err = error_of(lines)
        assert "cycle in guest data" in err and "does not return to the head" in err, err
        assert len(lines) < 200  # Brent: found within a few laps
    rc, lines = run_tool(tool, g, tmp_path, "list", hex(head), "20", "0")
    assert rc == 1 and "more than 20 entries" in error_of(lines)
    assert len(lines) == 22  # 20 nodes, the error, the counters
    # With next->prev checks (the task walk uses them) the re-entry shows first.
    rc, lines = run_tool(tool, g, tmp_path, "tasks")
    assert rc == 1
    err = error_of(lines)
    assert "inconsistent guest data" in err and "walking the task list" in err, err


def test_self_loop_node(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest()
    n = g.tasks[2] + OFF["task_struct.tasks"]
    g.u64(n, kv(n))
    g.u64(n + 8, kv(n))
    rc, lines = run_tool(tool, g, tmp_path, "tasks")
    assert rc == 1
    assert "cycle" in error_of(lines) or "prev" in error_of(lines)


@pytest.mark.parametrize(("target", "expect"), [
    (0x1000, "has bad next 0x1000"),                            # a user address
    (kv(IMAGE_SIZE + 0x10_0000), "translation fault"),          # kernel VA, unmapped
    (kv(0x100) + 3, "bad next"),                                # misaligned
    (0xDEAD_0000_0000_0000, "has bad next 0xdead"),             # non-canonical
])
def test_bad_next_pointer(tool: Path, tmp_path: Path, target: int, expect: str) -> None:
    g = FakeGuest()
    g.u64(g.tasks[3] + OFF["task_struct.tasks"], target)
    rc, lines = run_tool(tool, g, tmp_path, "tasks")
    assert rc == 1
    assert expect in error_of(lines), lines
    assert [p for p, _ in tasks_of(lines)] == [0, 1, 2, 3]  # the good part came first


def test_pointer_to_memory_outside_ram(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest()
    va = kv(IMAGE_SIZE + 0x20_0000)
    g.space.map(va, 0x1_0000_0000, 3, AF)  # mapped, but beyond the 8 MiB of guest RAM
    g.u64(g.tasks[1] + OFF["task_struct.tasks"], va + OFF["task_struct.tasks"])
    rc, lines = run_tool(tool, g, tmp_path, "tasks")
    assert rc == 1
    assert "outside guest RAM" in error_of(lines), lines


def test_corrupted_prev(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest()
    g.u64(g.tasks[2] + OFF["task_struct.tasks"] + 8, kv(g.tasks[4] + OFF["task_struct.tasks"]))
    rc, lines = run_tool(tool, g, tmp_path, "tasks")
    assert rc == 1
    err = error_of(lines)
    assert "inconsistent guest data" in err and "has prev" in err, err


def test_task_field_unreadable(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest()
    g.u64(g.tasks[1] + OFF["task_struct.cred"], kv(IMAGE_SIZE + 0x30_0000))
    rc, lines = run_tool(tool, g, tmp_path, "tasks")
    assert rc == 1
    err = error_of(lines)
    assert f"reading cred.uid of task at {kv(g.tasks[1]):#x}" in err, err
    assert "translation fault" in err


def test_absurd_string_lengths(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest()
    start = IMAGE_SIZE - 0x3000
    g.w(start, b"A" * 0x3000)  # no terminator up to the end of the mapping
    rc, lines = run_tool(tool, g, tmp_path, "str", hex(kv(start)), "100", "str",
                         hex(kv(start)), str(1 << 24))
    assert rc == 0
    assert lines[0] == "str -10 " + "A" * 99  # truncated, flagged
    assert lines[1].startswith("str -3 ") and "translation fault" in lines[1]
    # The comm of a task is 16 bytes, never more, whatever follows it.
    g = FakeGuest()
    g.w(g.tasks[1] + OFF["task_struct.comm"], b"B" * 64)
    rc, lines = run_tool(tool, g, tmp_path, "tasks")
    assert rc == 0 and (1, "B" * 16) in tasks_of(lines)


def test_idr_cycle(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest()
    # Root becomes an inner node (shift 6) whose slot 0 points back at itself.
    g.w(NODES + OFF["xa_node.shift"], b"\x06")
    g.u64(NODES + OFF["xa_node.slots"], kv(NODES) | 2)
    rc, lines = run_tool(tool, g, tmp_path, "pids")
    assert rc == 1
    assert "expected 0" in error_of(lines) and "walking the PID IDR" in error_of(lines)


def test_idr_leaf_pointing_to_node_and_garbage(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest()
    g.u64(NODES + OFF["xa_node.slots"] + 8 * 7, kv(NODES) | 2)
    rc, lines = run_tool(tool, g, tmp_path, "pids")
    assert rc == 1 and "points to another node" in error_of(lines)
    g = FakeGuest()
    g.u64(PIDS + 0x100 + OFF["pid.numbers"], 77)  # struct pid says 77, its task says 1
    rc, lines = run_tool(tool, g, tmp_path, "pids")
    assert rc == 1 and "inconsistent guest data" in error_of(lines)


def test_idr_deep_dag_is_bounded(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest()
    # Ten nodes, shifts 54..0, every slot of each pointing at the next: 64^9 paths.
    nodes = [NODES + 0x400 * i for i in range(10)]
    g.u64(SYM["init_pid_ns"] + OFF["pid_namespace.idr"] + OFF["xarray.xa_head"], kv(nodes[0]) | 2)
    for i, n in enumerate(nodes):
        g.w(n + OFF["xa_node.shift"], bytes([6 * (9 - i)]))
        for s in range(64):
            nxt = kv(nodes[i + 1]) | 2 if i + 1 < len(nodes) else 0
            g.u64(n + OFF["xa_node.slots"] + 8 * s, nxt)
    rc, lines = run_tool(tool, g, tmp_path, "pids", timeout=20)
    assert rc == 1
    # Bounded by the node budget: 4096 nodes of 64 slots, each slot read once (no
    # exponential walk of the DAG's 64^9 paths).
    assert stats_of(lines)["phys_reads"] <= 4097 * 66, stats_of(lines)
    assert "more than 4096 nodes" in error_of(lines)


def anchors_of(lines: list[str]) -> dict[str, str]:
    """anchor name -> "ok ..." / "FAILED ..." (names may hold a space: 'kernel mapping')."""
    out = {}
    for x in lines:
        if x.startswith("anchor "):
            name, _, rest = x[len("anchor "):].partition(" ok ")
            if not rest:
                name, _, rest = x[len("anchor "):].partition(" FAILED ")
                rest = "FAILED " + rest
            else:
                rest = "ok " + rest
            out[name] = rest
    return out


def test_kaslr_anchors(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest()
    rc, lines = run_tool(tool, g, tmp_path, "info", "anchors")
    assert rc == 0 and lines[0] == f"slide {SLIDE:#x} VBAR_EL1"
    assert all(v.startswith("ok") for v in anchors_of(lines).values()), lines
    g.regs["vbar_el1"] = kv(SYM["vectors"]) + 0x1_0000  # wrong by 64 KiB: banner check fails
    rc, lines = run_tool(tool, g, tmp_path, "info", "anchors")
    assert rc == 0 and lines[0] == f"slide {SLIDE:#x} banner scan"
    # The slide is found, and VBAR_EL1's disagreement is kept as evidence.
    assert anchors_of(lines)["VBAR_EL1"].startswith("FAILED"), lines
    g.regs["vbar_el1"] = 0x1234  # garbage, not 64 KiB aligned either
    rc, lines = run_tool(tool, g, tmp_path, "info", "anchors")
    assert rc == 0 and lines[0].endswith("banner scan")
    assert "is not a kernel address" in anchors_of(lines)["VBAR_EL1"], lines
    g.w(SYM["linux_banner"], b"Linux version 9.9.9-other (x)\n\0")  # another kernel
    rc, lines = run_tool(tool, g, tmp_path, "info")
    assert rc == 1
    err = error_of(lines)
    assert "kernel slide (KASLR) not found" in err and "nowhere in guest RAM" in err, err
    assert 'which holds "Linux version 9.9.9-other": a kernel other than the profile' in err, err
    g = FakeGuest()
    g.regs["sctlr_el1"] = 0
    rc, lines = run_tool(tool, g, tmp_path, "info")
    assert rc == 1 and "MMU is off" in error_of(lines)


def test_task_list_locks(tool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """vmi_lists_busy (the IDS waits while the kernel changes its task list): the writer
    byte of tasklist_lock, any bit of pidmap_lock; locks the profile does not name are
    not looked at; one it names that cannot be read is an error, not "free"."""
    g = FakeGuest()
    rc, lines = run_tool(tool, g, tmp_path, "busy")
    assert rc == 0 and "busy 0 -" in lines, lines
    monkeypatch.setitem(SYM, "tasklist_lock", 0x7_0000)
    monkeypatch.setitem(SYM, "pidmap_lock", 0x7_0040)
    g.u32(0x7_0000, 0x200)                          # a reader: not a writer
    rc, lines = run_tool(tool, g, tmp_path, "busy")
    assert rc == 0 and "busy 0 -" in lines, lines
    g.u32(0x7_0000, 0x2FF)                          # a writer holds it
    rc, lines = run_tool(tool, g, tmp_path, "busy")
    assert rc == 0 and "busy 1 tasklist_lock" in lines, lines
    g.u32(0x7_0000, 0)
    g.u32(0x7_0040, 1)
    rc, lines = run_tool(tool, g, tmp_path, "busy")
    assert rc == 0 and "busy 1 pidmap_lock" in lines, lines
    monkeypatch.setitem(SYM, "tasklist_lock", IMAGE_SIZE + 0x1000)   # not mapped
    rc, lines = run_tool(tool, g, tmp_path, "busy")
    assert rc == 1 and "reading tasklist_lock" in error_of(lines), lines


def with_image(g: FakeGuest) -> FakeGuest:
    """g as the hypervisor sees its guest: the image's load address known (image_pa) and
    TTBR1_EL1 at swapper_pg_dir (the fake's root table copied there), so the kernel is
    located from the image (kaslr.c locate_with_image)."""
    root = g.space.base()
    g.w(SYM["swapper_pg_dir"], bytes(g.mem.data[root - g.mem.gpa:root - g.mem.gpa + 0x1000]))
    g.regs.update({"image_pa": IMAGE_PA, "ttbr1_el1": IMAGE_PA + SYM["swapper_pg_dir"]})
    return g


def test_every_vcpus_vbar_is_checked(tool: Path, tmp_path: Path) -> None:
    """A guest of several vCPUs: the IDS reads one vCPU's registers, so a rootkit that
    redirects the vectors of another CPU only is caught by the VBAR_EL1 of every vCPU
    (vbar_el1@N in the register file: a vCPU that is on with its MMU on; one not listed
    is off, not looked at)."""
    g = with_image(FakeGuest())
    vectors = kv(SYM["vectors"])
    g.regs.update({"vbar_el1@0": vectors, "vbar_el1@2": vectors, "vbar_el1@3": vectors})
    rc, lines = run_tool(tool, g, tmp_path, "info", "anchors")
    assert rc == 0, lines
    assert anchors_of(lines)["VBAR_EL1 of every vCPU"] == \
        "ok the kernel's vectors on 3 vCPU(s)", lines
    g.regs["vbar_el1@1"] = 0                        # on, MMU on, vectors at 0: not skipped
    rc, lines = run_tool(tool, g, tmp_path, "info", "anchors")
    assert anchors_of(lines)["VBAR_EL1 of every vCPU"].startswith(
        "FAILED vCPU 1's VBAR_EL1 is 0x0 "), lines
    del g.regs["vbar_el1@1"]
    g.regs["vbar_el1@2"] = kv(0x5_0000)             # CPU 2's vectors moved; CPU 0's intact
    rc, lines = run_tool(tool, g, tmp_path, "info", "anchors")
    assert rc == 0 and lines[0] == f"slide {SLIDE:#x} kernel mapping", lines
    got = anchors_of(lines)["VBAR_EL1 of every vCPU"]
    assert got.startswith(f"FAILED vCPU 2's VBAR_EL1 is {kv(0x5_0000):#x}"), got
    assert anchors_of(lines)["VBAR_EL1"].startswith("ok"), lines
    # One vCPU (no vbar_el1@N): no such anchor.
    g = with_image(FakeGuest())
    rc, lines = run_tool(tool, g, tmp_path, "info", "anchors")
    assert "VBAR_EL1 of every vCPU" not in anchors_of(lines), lines


@pytest.mark.parametrize("banner", [
    b"linux version 6.1.0-fake (fake@test) #1 SMP\n\0",        # one byte
    b"Linux version 6.1.0-fakf (fake@test) #1 SMP\n\0",        # the release
    b"\0" * 64,                                                # wiped
])
def test_tampered_banner_does_not_blind_the_rest(tool: Path, tmp_path: Path, banner: bytes) -> None:
    """Fail closed: the banner disagrees, VBAR_EL1 and init_task still locate the kernel; the
    banner anchor is reported as failed and every walk still runs."""
    g = FakeGuest()
    g.w(SYM["linux_banner"], banner)
    rc, lines = run_tool(tool, g, tmp_path, "info", "anchors", "tasks", "modules")
    assert rc == 0, lines
    assert lines[0] == f"slide {SLIDE:#x} VBAR_EL1 and init_task"
    a = anchors_of(lines)
    assert a["linux_banner"].startswith("FAILED") and "reads" in a["linux_banner"], a
    assert a["VBAR_EL1"].startswith("ok"), a
    assert [p for p, _ in tasks_of(lines)] == [0, 1, 2, 3, 4]
    # A banner with control characters is reported escaped, never raw.
    g.w(SYM["linux_banner"], b"Linux version \x1b[2J\0")
    rc, lines = run_tool(tool, g, tmp_path, "info", "anchors")
    assert rc == 0 and "\\x1b[2J" in anchors_of(lines)["linux_banner"], lines
    assert not any("\x1b" in x for x in lines)


def test_init_task_anchor(tool: Path, tmp_path: Path) -> None:
    """Banner and init_task both wrong at VBAR_EL1's slide, no banner anywhere: not located."""
    g = FakeGuest()
    g.w(SYM["linux_banner"], b"linux version 6.1.0-fake\0")
    g.u32(SYM["init_task"] + OFF["task_struct.pid"], 7)
    rc, lines = run_tool(tool, g, tmp_path, "info")
    assert rc == 1
    assert "kernel slide (KASLR) not found" in error_of(lines), lines


def test_hook_walks_on_a_clean_fake(tool: Path, tmp_path: Path) -> None:
    """The fake has no sysfs, kprobe or ftrace data: the walks say so, they do not guess."""
    g = FakeGuest()
    for cmd in ("sysfs", "kprobes", "ftrace"):
        rc, lines = run_tool(tool, g, tmp_path, cmd)
        assert rc == 1 and "the profile has no" in error_of(lines), lines


def test_module_list_corruption(tool: Path, tmp_path: Path) -> None:
    g = FakeGuest()
    g.u64(SYM["modules"], kv(SYM["modules"]) + 0x10)  # first node's prev does not match
    rc, lines = run_tool(tool, g, tmp_path, "modules")
    assert rc == 1 and "walking the module list" in error_of(lines)


def test_kaslr_banner_search_is_bounded(tool: Path, tmp_path: Path) -> None:
    """A guest that plants copies of the banner and points TTBR1_EL1 at a table whose every
    entry points back to itself (the whole kernel half maps one page, 2^36 leaves): the
    fallback search for the banner's mapping gives up within one overall budget and says so,
    instead of walking the tables once per copy."""
    g = FakeGuest()
    table = g.mem.alloc(0x1000)
    for i in range(512):
        g.mem.write64(table + 8 * i, table | 3)      # a table descriptor at every level
    g.regs["ttbr1_el1"] = table
    g.regs["vbar_el1"] = 0x1234                     # no help from VBAR_EL1: the banner scan
    banner = f"Linux version {RELEASE} (fake@test) #1 SMP\n\0".encode()
    for i in range(15):
        g.w(0x38_0000 + 0x100 * i, banner)
    rc, lines = run_tool(tool, g, tmp_path, "info", timeout=60)
    assert rc == 1, lines
    work = stats_of(lines)
    err = error_of(lines)
    assert "kernel slide (KASLR) not found" in err and "search budget" in err, err
    # One overall budget (kaslr.c's FIND_BUDGET, 4 Mi descriptor reads), not one per copy.
    assert work["find_reads"] <= 4 << 20 and work["phys_reads"] <= (4 << 20) + 4096, work
