# SPDX-License-Identifier: GPL-2.0-only
"""A small synthetic 32-bit ARM (ARMv5) Linux guest for the hostile-memory tests: RAM at 0,
swapper_pg_dir with 1 MiB sections for the linear map (PAGE_OFFSET 0xc0000000), a coarse
table for the module area below it, a process's level 1 table (what TTBR0 holds while a
process runs), linux_banner, a task list with 4-byte pointers, a PID IDR, a module, a syscall
table, and the profile that describes it (str.arch "arm")."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from vmi_pt32 import Memory32, Tables, section, small

from mamoru.profile.format import Profile, encode

PAGE_OFFSET = 0xC000_0000
KVA_START = PAGE_OFFSET - (16 << 20)      # MODULES_VADDR
RAM_SIZE = 8 << 20
SWAPPER_PA = 0x4000
PROCESS_PGD_PA = 0x1_0000
MODULE_TABLE_PA = 0x1_4000
MODULE_PAGE_PA = 0x7F_0000                # the module's page, mapped at KVA_START
RELEASE = "6.1.0-fake32"
OFF = {  # invented struct offsets with 4-byte pointers
    "task_struct.__state": 0x0C, "task_struct.flags": 0x10, "task_struct.tasks": 0x100,
    "task_struct.mm": 0x140, "task_struct.real_parent": 0x150, "task_struct.cred": 0x158,
    "task_struct.pid": 0x1A0, "task_struct.tgid": 0x1A4, "task_struct.pid_links": 0x1C0,
    "task_struct.comm": 0x200, "cred.uid": 4, "pid_namespace.idr": 0x8, "idr.idr_rt": 0,
    "xarray.xa_head": 4, "xa_node.shift": 0, "xa_node.slots": 0x14, "pid.tasks": 0x8,
    "pid.numbers": 0x20, "upid.nr": 0, "module.list": 4, "module.name": 0xC,
}
SYM = {"_text": 0xC000_8000, "_stext": 0xC000_8200, "_etext": 0xC010_0000,
       "swapper_pg_dir": PAGE_OFFSET + SWAPPER_PA, "linux_banner": 0xC020_0000,
       "init_task": 0xC030_0000, "init_pid_ns": 0xC030_2000, "modules": 0xC030_3000,
       "sys_call_table": 0xC000_9000}
HANDLERS = [0xC000_A000 + 0x40 * i for i in range(4)]
TASK0 = 0xC031_0004     # 4-aligned, not 8-aligned: fine for a 32-bit kernel
CRED = 0xC032_0000
NODES = 0xC033_0000
PIDS = 0xC034_0000
MODULE = KVA_START + 0x100


def pa(va: int) -> int:
    return va - PAGE_OFFSET if va >= PAGE_OFFSET else MODULE_PAGE_PA + (va - KVA_START)


@dataclass
class FakeGuest32:
    ntasks: int = 5
    mem: Memory32 = field(default_factory=lambda: Memory32(size=RAM_SIZE))

    def __post_init__(self) -> None:
        m = self.mem
        self.swapper = Tables.__new__(Tables)
        self.swapper.mem, self.swapper.ttb = m, SWAPPER_PA
        for mib in range(RAM_SIZE >> 20):
            self.swapper.l1(PAGE_OFFSET + (mib << 20), section(mib << 20, ap=1))
        self.swapper.l1(KVA_START, (MODULE_TABLE_PA & 0xFFFF_FC00) | 1 << 4 | 1)
        Tables.put(m, MODULE_TABLE_PA, 0, small(MODULE_PAGE_PA))
        # A process's table: user entries of its own, the kernel half copied.
        for i in range(0xBF0, 0x1000):
            m.write32(PROCESS_PGD_PA + 4 * i, m.read32(SWAPPER_PA + 4 * i))
        m.write32(PROCESS_PGD_PA, section(0x20_0000, ap=3))
        self.w(SYM["linux_banner"], f"Linux version {RELEASE} (fake@test) #1\n\0".encode())
        self.tasks = [SYM["init_task"]] + [TASK0 + 0x1000 * i for i in range(1, self.ntasks)]
        for i, t in enumerate(self.tasks):
            self.u32(t + OFF["task_struct.pid"], i)
            self.u32(t + OFF["task_struct.tgid"], i)
            name = "swapper" if i == 0 else f"task{i}"
            self.w(t + OFF["task_struct.comm"], name.encode().ljust(16, b"\0"))
            self.u32(t + OFF["task_struct.flags"], 0x0020_0000 if i == 2 else 0)
            self.u32(t + OFF["task_struct.mm"], 0 if i in (0, 2) else 0xC035_0000)
            self.u32(t + OFF["task_struct.real_parent"], self.tasks[0])
            self.u32(t + OFF["task_struct.cred"], CRED)
        self.link_ring(SYM["init_task"] + OFF["task_struct.tasks"],
                       [t + OFF["task_struct.tasks"] for t in self.tasks[1:]])
        self.u32(SYM["init_pid_ns"] + OFF["pid_namespace.idr"] + OFF["xarray.xa_head"],
                 NODES | 2)
        self.w(NODES + OFF["xa_node.shift"], b"\0")
        for i, t in enumerate(self.tasks[1:], start=1):
            pid = PIDS + 0x40 * i
            self.u32(NODES + OFF["xa_node.slots"] + 4 * i, pid)
            self.u32(pid + OFF["pid.numbers"] + OFF["upid.nr"], i)
            self.u32(pid + OFF["pid.tasks"], t + OFF["task_struct.pid_links"])
        self.w(MODULE + OFF["module.name"], b"fakemod".ljust(56, b"\0"))
        self.link_ring(SYM["modules"], [MODULE + OFF["module.list"]])
        for i, h in enumerate(HANDLERS):
            self.u32(SYM["sys_call_table"] + 4 * i, h)
        self.regs = {"ttbr0": PROCESS_PGD_PA, "sctlr": 0x0005_317F, "pc": 0xC000_A010}

    def w(self, va: int, data: bytes) -> None:
        at = pa(va)
        self.mem.data[at:at + len(data)] = data

    def u32(self, va: int, v: int) -> None:
        self.w(va, struct.pack("<I", v & 0xFFFF_FFFF))

    def link_ring(self, head: int, nodes: list[int]) -> None:
        ring = [head, *nodes]
        for i, n in enumerate(ring):
            self.u32(n, ring[(i + 1) % len(ring)])
            self.u32(n + 4, ring[i - 1])

    def profile(self) -> Profile:
        p = Profile()
        for name, addr in SYM.items():
            p.address(f"sym.{name}", addr)
        for key, off in OFF.items():
            p.number(key, off)
        p.string("str.arch", "arm")
        p.number("const.ptr_size", 4)
        p.address("const.page_offset", PAGE_OFFSET)
        p.address("const.kva_start", KVA_START)
        p.number("const.xa_chunk_shift", 6)
        p.string("str.release", RELEASE)
        p.text = [(h, f"sys_fake{i}") for i, h in enumerate(HANDLERS)]
        return p

    def write(self, d: Path, profile: Profile | None = None) -> tuple[Path, Path, Path]:
        d.mkdir(parents=True, exist_ok=True)
        (d / "mem.bin").write_bytes(bytes(self.mem.data))
        (d / "regs.txt").write_text("".join(f"{k} {v:#x}\n" for k, v in self.regs.items()))
        (d / "guest.profile").write_bytes(encode(profile or self.profile()))
        return d / "mem.bin", d / "regs.txt", d / "guest.profile"
