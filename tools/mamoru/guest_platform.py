# SPDX-License-Identifier: GPL-2.0-only
"""The virtual platform a guest sees, described once and turned into its device tree.

The hypervisor reads this device tree from the guest bundle to learn where the guest's
RAM, UART and interrupt controller are, so these addresses exist only here. The layout
follows QEMU's virt machine, which Debian's arm64 kernels know well.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field


@dataclass(frozen=True)
class GuestPlatform:
    name: str = "guest0"
    ram_base: int = 0x4000_0000
    ram_size: int = 256 << 20
    gicd_base: int = 0x0800_0000
    gicc_base: int = 0x0801_0000
    uart_base: int = 0x0900_0000
    uart_spi: int = 1                  # guest interrupt 32 + 1
    # quiet: only warnings and errors reach the console while the kernel boots (dmesg keeps
    # everything). Each byte a guest prints is a trap into the hypervisor's emulated UART;
    # the ~12 KB of a full boot log cost every guest boot about a second under QEMU's TCG.
    bootargs: str = "console=ttyAMA0 rdinit=/init quiet"
    kaslr: bool = False                # ask the hypervisor to fill in a kaslr-seed
    extra_bootargs: list[str] = field(default_factory=list)
    # Host devices the guest owns (docs/passthrough.md): paths in the host's device tree,
    # written to /chosen/mamoru,passthrough. None: no property, and the hypervisor gives
    # the first guest its board's default (virt: both virtio-mmio transports of
    # boards/qemu/virt/virt.c); () asks for none.
    passthrough: tuple[str, ...] | None = None
    # A disk the hypervisor serves (docs/sdcard.md): "sd:N", partition N of the board's SD
    # card, as a virtio-mmio block device at disk_base (the page after the UART's: placed
    # 1:1, the guest's RAM covers it only when it covers the UART too), SPI disk_spi. None:
    # no disk.
    disk: str | None = None
    disk_base: int = 0x0900_1000
    disk_spi: int = 2                  # guest interrupt 32 + 2
    # vCPUs (docs/smp.md): cpu nodes 0..vcpus-1, started by PSCI CPU_ON. They take turns
    # on the hypervisor's CPU.
    vcpus: int = 1

    @property
    def cmdline(self) -> str:
        return " ".join([self.bootargs, *self.extra_bootargs]).strip()


def _cells64(value: int) -> str:
    return f"0x{value >> 32:x} 0x{value & 0xFFFF_FFFF:x}"


def _passthrough_prop(paths: tuple[str, ...] | None) -> str:
    """/chosen's mamoru,passthrough line; none for None (the board's default applies)."""
    if paths is None:
        return ""
    for path in paths:
        if not path.startswith("/") or any(c in path for c in '"\\\n\0'):
            raise ValueError(f"passthrough: {path!r} is not a device-tree path")
    if not paths:
        return "\t\tmamoru,passthrough;\n"
    quoted = ", ".join(f'"{x}"' for x in paths)
    return f"\t\tmamoru,passthrough = {quoted};\n"


DISK_RE = re.compile(r"sd:[1-4]")
VCPUS_MAX = 4                          # ARCH_GUEST_VCPUS (arm64 guest_arch.h)


def _cpu_nodes(vcpus: int) -> str:
    """The cpu nodes of /cpus: reg (MPIDR Aff0) = the vCPU's index, started by PSCI."""
    if not 1 <= vcpus <= VCPUS_MAX:
        raise ValueError(f"vcpus: {vcpus} is not 1 to {VCPUS_MAX}")
    return "".join(f"""\t\tcpu@{i} {{
\t\t\tdevice_type = "cpu";
\t\t\tcompatible = "arm,armv8";
\t\t\treg = <{i}>;
\t\t\tenable-method = "psci";
\t\t}};
""" for i in range(vcpus))


def _disk_node(p: GuestPlatform) -> str:
    """The virtio-mmio node of the guest's disk (mamoru,disk names what backs it)."""
    if p.disk is None:
        return ""
    if not DISK_RE.fullmatch(p.disk):
        raise ValueError(f"disk: {p.disk!r} is not \"sd:1\" to \"sd:4\" (a partition of the "
                         "board's SD card)")
    return f"""
\tvirtio_mmio@{p.disk_base:x} {{
\t\tcompatible = "virtio,mmio";
\t\treg = <{_cells64(p.disk_base)} 0x0 0x200>;
\t\tinterrupts = <0 {p.disk_spi} 4>;
\t\tdma-coherent;
\t\tmamoru,disk = "{p.disk}";
\t}};
"""


def device_tree_source(p: GuestPlatform) -> str:
    """The guest's device tree in dts syntax.

    /chosen carries 64-bit placeholders for the initrd location (and the KASLR seed) that
    the hypervisor fills in when it places the images in guest RAM.
    """
    chosen = "\t\tkaslr-seed = /bits/ 64 <0>;\n" if p.kaslr else ""
    chosen += _passthrough_prop(p.passthrough)
    cmdline = p.cmdline.replace("\\", "\\\\").replace('"', '\\"')
    return f"""/dts-v1/;

/ {{
\tcompatible = "mamoru,guest", "linux,dummy-virt";
\tmodel = "Mamoru guest {p.name}";
\t#address-cells = <2>;
\t#size-cells = <2>;
\tinterrupt-parent = <&gic>;

\tchosen {{
\t\tbootargs = "{cmdline}";
\t\tstdout-path = "/pl011@{p.uart_base:x}";
\t\tlinux,initrd-start = /bits/ 64 <0>;
\t\tlinux,initrd-end = /bits/ 64 <0>;
{chosen}\t}};

\tmemory@{p.ram_base:x} {{
\t\tdevice_type = "memory";
\t\treg = <{_cells64(p.ram_base)} {_cells64(p.ram_size)}>;
\t}};

\tcpus {{
\t\t#address-cells = <1>;
\t\t#size-cells = <0>;
{_cpu_nodes(p.vcpus)}\t}};

\tpsci {{
\t\tcompatible = "arm,psci-1.0", "arm,psci-0.2";
\t\tmethod = "hvc";
\t}};

\ttimer {{
\t\tcompatible = "arm,armv8-timer";
\t\tinterrupts = <1 13 0xf04>, <1 14 0xf04>, <1 11 0xf04>, <1 10 0xf04>;
\t\talways-on;
\t}};

\tgic: interrupt-controller@{p.gicd_base:x} {{
\t\tcompatible = "arm,cortex-a15-gic";
\t\t#interrupt-cells = <3>;
\t\tinterrupt-controller;
\t\treg = <{_cells64(p.gicd_base)} 0x0 0x1000>, <{_cells64(p.gicc_base)} 0x0 0x2000>;
\t}};

\tapb_pclk: clock {{
\t\tcompatible = "fixed-clock";
\t\t#clock-cells = <0>;
\t\tclock-frequency = <24000000>;
\t\tclock-output-names = "clk24mhz";
\t}};

\tpl011@{p.uart_base:x} {{
\t\tcompatible = "arm,pl011", "arm,primecell";
\t\treg = <{_cells64(p.uart_base)} 0x0 0x1000>;
\t\tinterrupts = <0 {p.uart_spi} 4>;
\t\tclocks = <&apb_pclk>, <&apb_pclk>;
\t\tclock-names = "uartclk", "apb_pclk";
\t}};
{_disk_node(p)}}};
"""


def device_tree_blob(p: GuestPlatform) -> bytes:
    """Compiles device_tree_source(p) with dtc."""
    result = subprocess.run(
        ["dtc", "-I", "dts", "-O", "dtb", "-q", "-o", "-", "-"],
        input=device_tree_source(p).encode(), capture_output=True, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dtc failed on the guest device tree: {result.stderr.decode().strip()}")
    return result.stdout
