# SPDX-License-Identifier: GPL-2.0-only
"""A small synthetic arm64 Linux guest for the hostile-memory tests: page tables, a slid kernel
image with linux_banner and vectors, a task list, a PID IDR and a module list, plus the profile
that describes it. Tests corrupt any of it and check vmi_tool ends with a clean error."""

from __future__ import annotations

import os
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from vmi_pt import AF, Memory, Space, tcr

from mamoru.profile.format import Profile, encode

LINK = 0xFFFF_8000_0800_0000          # link address of the image
SLIDE = 0x0000_1234_5670_0000 & ~0xFFFF
RELEASE = "6.1.0-fake"
IMAGE_PA = 0x4020_0000
IMAGE_SIZE = 0x40_0000
OFF = {  # struct member offsets (invented, like a real build's would be)
    "task_struct.__state": 0x18, "task_struct.flags": 0x2C, "task_struct.tasks": 0x100,
    "task_struct.mm": 0x180, "task_struct.real_parent": 0x1A0, "task_struct.cred": 0x1B0,
    "task_struct.pid": 0x200, "task_struct.tgid": 0x204, "task_struct.pid_links": 0x280,
    "task_struct.comm": 0x300, "cred.uid": 4, "pid_namespace.idr": 0x10, "idr.idr_rt": 0,
    "xarray.xa_head": 8, "xa_node.shift": 0, "xa_node.slots": 0x28, "pid.tasks": 0x10,
    "pid.numbers": 0x40, "upid.nr": 0, "module.list": 8, "module.name": 0x18,
    "module.core_layout": 0x100, "module_layout.base": 0, "module_layout.size": 8,
}
SYM = {"vectors": 0x1_0800, "linux_banner": 0x2_0000, "init_task": 0x3_0000,
       "init_pid_ns": 0x4_0000, "modules": 0x5_0000, "swapper_pg_dir": 0x3F_0000,
       "sys_call_table": 0x6_0000, "_text": 0, "_etext": 0x2_0000}
TASK0 = 0x10_0000   # image offsets of the task_structs (0x1000 apart)
CRED = 0x8_0000
NODES = 0xC_0000    # IDR nodes
PIDS = 0xD_0000     # struct pids
MODS = 0xE_0000


def kv(off: int) -> int:
    """Runtime VA of an image offset."""
    return LINK + SLIDE + off


@dataclass
class FakeGuest:
    ntasks: int = 5
    mem: Memory = field(default_factory=lambda: Memory(size=8 << 20))

    def __post_init__(self) -> None:
        self.space = Space(4, 48, self.mem, ttbr1=True)
        for off in range(0, IMAGE_SIZE, 0x1000):
            self.space.map(kv(off), IMAGE_PA + off, 3, AF)
        self.w(SYM["linux_banner"], f"Linux version {RELEASE} (fake@test) #1 SMP\n\0".encode())
        self.tasks = [SYM["init_task"]] + [TASK0 + 0x1000 * i for i in range(1, self.ntasks)]
        for i, t in enumerate(self.tasks):
            self.u32(t + OFF["task_struct.pid"], i)
            self.u32(t + OFF["task_struct.tgid"], i)
            name = "swapper/0" if i == 0 else f"task{i}"    # init_task is the idle task
            self.w(t + OFF["task_struct.comm"], name.encode().ljust(16, b"\0"))
            self.u32(t + OFF["task_struct.flags"], 0x00200000 if i == 2 else 0)
            self.u64(t + OFF["task_struct.mm"], 0 if i in (0, 2) else kv(0x9_0000))
            self.u64(t + OFF["task_struct.real_parent"], kv(self.tasks[0]))  # init_task
            self.u64(t + OFF["task_struct.cred"], kv(CRED))
        self.u32(CRED + OFF["cred.uid"], 0)
        self.link_ring(SYM["init_task"] + OFF["task_struct.tasks"],
                       [t + OFF["task_struct.tasks"] for t in self.tasks[1:]])
        # PID IDR: one node (shift 0) holding pids 1..n-1.
        node = NODES
        self.u64(SYM["init_pid_ns"] + OFF["pid_namespace.idr"] + OFF["xarray.xa_head"],
                 kv(node) | 2)
        self.w(node + OFF["xa_node.shift"], b"\0")
        for i, t in enumerate(self.tasks[1:], start=1):
            pid = PIDS + 0x100 * i
            self.u64(node + OFF["xa_node.slots"] + 8 * i, kv(pid))
            self.u32(pid + OFF["pid.numbers"] + OFF["upid.nr"], i)
            self.u64(pid + OFF["pid.tasks"], kv(t + OFF["task_struct.pid_links"]))
        # Two modules.
        mods = [MODS, MODS + 0x1000]
        for j, m in enumerate(mods):
            self.w(m + OFF["module.name"], f"mod{j}".encode().ljust(56, b"\0"))
            self.u64(m + OFF["module.core_layout"] + OFF["module_layout.base"],
                     kv(0x20_0000 + 0x1_0000 * j))
            self.u32(m + OFF["module.core_layout"] + OFF["module_layout.size"], 0x8000)
        self.link_ring(SYM["modules"], [m + OFF["module.list"] for m in mods])
        self.regs = {"ttbr0_el1": 0, "ttbr1_el1": self.space.base(),
                     "tcr_el1": tcr(None, self.space, ips=40), "sctlr_el1": 0x30D0_199D,
                     "vbar_el1": kv(SYM["vectors"]), "sp_el0": kv(SYM["init_task"]), "pc": 0}

    # image offset writers
    def w(self, off: int, data: bytes) -> None:
        self.mem.write(IMAGE_PA + off, data)

    def u32(self, off: int, v: int) -> None:
        self.w(off, struct.pack("<I", v & 0xFFFF_FFFF))

    def u64(self, off: int, v: int) -> None:
        self.w(off, struct.pack("<Q", v & (2**64 - 1)))

    def link_ring(self, head: int, nodes: list[int]) -> None:
        ring = [head, *nodes]
        for i, n in enumerate(ring):
            self.u64(n, kv(ring[(i + 1) % len(ring)]))
            self.u64(n + 8, kv(ring[i - 1]))

    def profile(self) -> Profile:
        p = Profile()
        for name, off in SYM.items():
            p.address(f"sym.{name}", LINK + off)
        for key, off in OFF.items():
            p.number(key, off)
        p.number("const.va_bits", 48)
        p.number("const.xa_chunk_shift", 6)
        p.string("str.release", RELEASE)
        p.text = [(LINK + SYM["vectors"], "vectors"), (LINK + 0x1_1000, "do_fake")]
        return p

    def write(self, d: Path) -> tuple[Path, Path, Path]:
        d.mkdir(parents=True, exist_ok=True)
        (d / "mem.bin").write_bytes(bytes(self.mem.data))
        (d / "regs.txt").write_text("".join(f"{k} {v:#x}\n" for k, v in self.regs.items()))
        (d / "guest.profile").write_bytes(encode(self.profile()))
        return d / "mem.bin", d / "regs.txt", d / "guest.profile"


SAN_ENV = dict(os.environ, ASAN_OPTIONS="exitcode=99:detect_leaks=1",
               UBSAN_OPTIONS="exitcode=98:print_stacktrace=1:halt_on_error=1")


def run_tool(tool: Path, g: FakeGuest, d: Path, *cmd: str, timeout: float = 10
             ) -> tuple[int, list[str]]:
    """vmi_tool over the fake guest; (exit status, stdout lines). A sanitizer report or a
    hang fails the calling test (exit 98/99, TimeoutExpired)."""
    mem, regs, prof = g.write(d)
    r = subprocess.run([str(tool), str(mem), hex(g.mem.gpa), str(regs), str(prof), *cmd],
                       capture_output=True, text=True, timeout=timeout, env=SAN_ENV, check=False)
    assert r.returncode in (0, 1), f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r.returncode, r.stdout.splitlines()
