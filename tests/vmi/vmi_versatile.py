# SPDX-License-Identifier: GPL-2.0-only
"""Real 32-bit ARM guest data for the VMI tests: the versatilepb kernel
(mamoru.versatilekernel) with an armel busybox initramfs under plain `qemu-system-arm -M
versatilepb -m 256`; ground truth over the serial console, the cp15 state (TTBR0, the control
register) through QEMU's gdbstub, guest RAM (at 0) through QMP `pmemsave`.

Built on vmi_guest (the arm64 capture): the same console driver, gdbstub client and QMP.
"""

from __future__ import annotations

import time
from pathlib import Path

from vmi_guest import Capture, GdbRemote, Guest, GuestError

from mamoru import guest_assets, versatilekernel

RAM_BASE = 0
MEM_MB = 256               # versatilepb's most
SVC_MODE = 0x13
# QEMU names the ARMv5 cp15 registers after their AArch64 twins in its target description.
REGISTER_NAMES = {"TTBR0": ("TTBR0", "TTBR0_EL1", "TTBR0_S"),
                  "SCTLR": ("SCTLR", "SCTLR_EL1", "SCTLR_S"),
                  "DACR": ("DACR", "DACR32_EL2", "DACR_S")}


class VersatileGuest(Guest):
    """The versatilepb kernel with a busybox initramfs under QEMU (ARM926, TCG)."""

    def __init__(self, zimage: Path, dtb: Path, initrd: Path, workdir: Path) -> None:
        super().__init__(zimage, initrd, workdir, kaslr=False, mem_mb=MEM_MB)
        self.argv = ["qemu-system-arm", "-M", "versatilepb", "-m", f"{MEM_MB}M",
                     "-display", "none", "-monitor", "none", "-serial", "stdio",
                     "-kernel", str(zimage), "-dtb", str(dtb), "-initrd", str(initrd),
                     "-append", "console=ttyAMA0 rdinit=/init",
                     "-gdb", f"tcp:127.0.0.1:{self.gdb_port}",
                     "-qmp", f"unix:{self.qmp_path},server=on,wait=off", "-no-reboot"]

    def capture(self, dump: Path) -> Capture:
        # ARM's syscall handlers and their wrappers all start with sys_ (OABI ones too).
        return self.capture_with(dump, kallsyms=r"sys_[a-z0-9_]+", boot_timeout=180,
                                 kallsyms_timeout=120, ram_base=RAM_BASE,
                                 stop=self._stop_and_read_cp15)

    def _stop_and_read_cp15(self) -> dict[str, int]:
        gdb = GdbRemote(self.gdb_port)
        try:
            gdb.command("qSupported:xmlRegisters=arm")
            gdb.command("?")  # QEMU stops the VM when a debugger attaches
            nums = gdb.register_numbers()
            found: dict[str, int] = {}
            for want, candidates in REGISTER_NAMES.items():
                num = next((nums[c] for c in candidates if c in nums), None)
                if num is None and want != "DACR":
                    ttbr = sorted(n for n in nums if "TTB" in n or "SCTLR" in n)
                    raise self.fail(f"gdbstub lacks {want} ({candidates}); it has {ttbr}")
                if num is not None:
                    found[want] = num
            found["pc"] = nums["pc"]
            found["cpsr"] = nums["cpsr"]
            for _ in range(20):
                regs = {n: gdb.read_register(num) for n, num in found.items()}
                if regs["cpsr"] & 0x1F == SVC_MODE:   # in the kernel
                    return regs
                gdb.sock.sendall(b"$c#63")
                time.sleep(0.2)
                gdb.interrupt()
            raise self.fail("the vCPU never stopped in SVC mode")
        finally:
            gdb.close()


def capture_versatile(workdir: Path, k: versatilekernel.VersatileKernel) -> Capture:
    """Boots the versatilepb kernel with the default init script and captures it."""
    initrd = guest_assets.build_initramfs(workdir / "initramfs.cpio",
                                          guest_assets.default_init_script(),
                                          busybox=versatilekernel.busybox_armel())
    dump = workdir / "ram.bin"
    with VersatileGuest(k.zimage, k.dtb, initrd, workdir) as g:
        try:
            return g.capture(dump)
        except (OSError, ValueError) as e:
            raise g.fail(f"capture failed: {e!r}") from e


def write_regs(path: Path, regs: dict[str, int]) -> Path:
    """The register file vmi_tool reads (the neutral names of struct vmi_regs)."""
    path.write_text(f"ttbr0 {regs['TTBR0']:#x}\nsctlr {regs['SCTLR']:#x}\npc {regs['pc']:#x}\n")
    return path


__all__ = ["RAM_BASE", "GuestError", "VersatileGuest", "capture_versatile", "write_regs"]
