# SPDX-License-Identifier: GPL-2.0-only
"""The hypervisor's guest core on the host (tests/guestcore/host, sanitizers on): where a
guest's images go in its RAM (core/guest_layout.c, with a libFuzzer run), the emulated GICv2
(distributor and CPU interface, one and several vCPUs) and PL011 reached through
guest_mmio(), the EMULATOR() table probing a guest device tree, and which guest gets the CPU
(core/guest_sched.c)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mamoru.guest_platform import GuestPlatform, device_tree_source
from mamoru.testing.fuzz import run_fuzzer
from mamoru.testing.hostcheck import SAN_ENV, build_host, checks_passed

MIB = 1 << 20
U64 = (1 << 64) - 1


@pytest.fixture(scope="module")
def host_bin() -> Path:
    """Builds the host programs (scons host) once for this module."""
    return build_host("guestcore")


def run(prog: Path, *args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(prog), *map(str, args)], capture_output=True, text=True,
                          env=SAN_ENV, timeout=120, check=False)


def dtb(tmp_path: Path, source: str, name: str = "guest.dtb") -> Path:
    r = subprocess.run(["dtc", "-I", "dts", "-O", "dtb", "-q", "-o", "-", "-"],
                       input=source.encode(), capture_output=True, check=False)
    assert r.returncode == 0, r.stderr.decode()
    path = tmp_path / name
    path.write_bytes(r.stdout)
    return path


# --- guest layout ----------------------------------------------------------------------


def old_layout_accepts(ram_ipa: int, ram_size: int, text_offset: int, image_size: int,
                       kernel_size: int, initrd_size: int, dtb_size: int) -> bool:
    """The placement check core/guest.c had before the layout became its own file, with
    64-bit wraparound: what it let through was then copied into guest RAM."""
    image_size = image_size or kernel_size
    ram_end = (ram_ipa + ram_size) & U64
    kernel_ipa = (ram_ipa + text_offset) & U64
    dtb_ipa = (ram_end - 2 * MIB) & U64
    initrd_ipa = ((dtb_ipa - initrd_size) & U64) & ~0xFFF
    return not (text_offset >= ram_size or image_size < kernel_size
                or ((kernel_ipa + image_size) & U64) > initrd_ipa or dtb_size > 2 * MIB)


HOSTILE = {
    # RAM at IPA 0 and an initrd larger than RAM: dtb_ipa - initrd_size wrapped around.
    "initrd larger than RAM at IPA 0": (0, 64 * MIB, 0, 8 * MIB, 8 * MIB, 1 << 30, 4096),
    # An Image header whose image_size makes kernel_ipa + image_size wrap, with a kernel
    # file larger than RAM: the copy ran past the end of guest RAM.
    "huge image_size": (0x4000_0000, 64 * MIB, 0, (1 << 64) - 0x4000_0000, 80 * MIB, 0, 4096),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_layout_refuses_what_used_to_overflow(host_bin: Path, case: str) -> None:
    args = HOSTILE[case]
    assert old_layout_accepts(*args), "the case must be one the old arithmetic let through"
    r = run(host_bin / "layout_test", "one", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("refused: "), r.stdout


def test_layout_places_the_default_guest(host_bin: Path) -> None:
    r = run(host_bin / "layout_test", "one", 0x4000_0000, 256 * MIB, 0, 40 * MIB, 30 * MIB,
            10 * MIB, 4096)
    assert r.stdout.strip() == ("ok kernel=0x0 kernel_end=0x2800000 initrd=0xf400000 "
                                "dtb=0xfe00000"), r.stdout + r.stderr


def test_layout_cases_load_contract_and_random_run(host_bin: Path) -> None:
    """Built-in edge cases, the load contract (every byte outside the images zeroed, an
    earlier boot's contents gone) and a million seeded random layouts, each accepted one
    checked to lie inside RAM without overlaps."""
    r = run(host_bin / "layout_test")
    checks_passed(r, "layout_test", 20)


@pytest.mark.skipif(shutil.which("clang") is None, reason="clang (libFuzzer) not installed")
def test_layout_fuzz_short(host_bin: Path, tmp_path: Path) -> None:
    seeds = [b"".join(v.to_bytes(8, "little") for v in args)
             for args in [(0x4000_0000, 32 * MIB, 0, 4 * MIB, 4 * MIB, 8 * MIB, 4096),
                          *HOSTILE.values()]]
    run_fuzzer(host_bin / "layout_fuzz", tmp_path, seeds, "-max_len=56")


# --- emulated devices ------------------------------------------------------------------


def test_vgic_distributor_registers(host_bin: Path, tmp_path: Path) -> None:
    """Byte and word access rules, out-of-range offsets, SGIR target filters, SPENDSGIR,
    enable/pending/active, ITARGETSR, ICFGR, reset; the PL011's SPI through arch_guest_irq."""
    r = run(host_bin / "vgic_test", "regs", dtb(tmp_path, device_tree_source(GuestPlatform())))
    checks_passed(r, "vgic_test", 50, only=True)


def test_vgic_several_vcpus(host_bin: Path, tmp_path: Path) -> None:
    """The same guest with 4 vCPUs: TYPER.CPUNumber; GICD_SGIR's three filters with the
    sender as source (SPENDSGIR bytes, two sources of one SGI taken one after the other);
    PPI enable, priority and pending banked per vCPU; SPIs routed to the lowest vCPU of
    ITARGETSR (byte and word, masked), none when it names none, owned by the vCPU that
    acknowledged them until its EOI; vgic_has_pending per vCPU; the emulated CPU interface
    (vgic_cpuif.c) banked per vCPU, with the SGI source in IAR and EOIR."""
    r = run(host_bin / "vgic_test", "smp", dtb(tmp_path, device_tree_source(GuestPlatform())))
    checks_passed(r, "vgic_test", 200, only=True)


def test_vgic_emulated_cpu_interface_line(host_bin: Path, tmp_path: Path) -> None:
    """The emulated CPU interface's backend (vgic_sw.c) with HCR_EL2 faked: the virtual IRQ
    line (HCR_EL2.VI) is up for a vCPU with an enabled interrupt above its priority mask
    and down without one, after the acknowledge and after the EOI; vgic_save takes it down
    with the vCPU leaving the core (a line left up kept QEMU's WFI from sleeping on a core
    whose vCPU had gone) and the next flush puts it back; HCR_EL2's other bits stay."""
    r = run(host_bin / "vgic_sw_test", dtb(tmp_path, device_tree_source(GuestPlatform())))
    checks_passed(r, "vgic_sw_test", 12, only=True)


def test_vgic_list_registers_several_vcpus(host_bin: Path) -> None:
    """The list-register backend (vgic_lr.c) on a fake GICH with 4 vCPUs sharing it: each
    vCPU's interrupts in its own list registers (an SGI's source in the CPUID field, the
    second source after the first completes), an SPI in one vCPU's list register not
    deliverable to another, save/restore of LRs/VMCR/APR/HCR per vCPU, EOI maintenance for
    a level SPI, the underflow request when the list registers are full, reset."""
    checks_passed(run(host_bin / "vgic_lr_test"), "vgic_lr_test", 40, only=True)


def test_vgic_gicv3_view_and_ich_backend(host_bin: Path, tmp_path: Path) -> None:
    """GICv3 hosts (vgic_v3.c, vgic_ich.c on faked ICH registers): the ICH backend is picked
    and sets ICC_SRE_EL2.SRE|Enable; the default guest's GICv2 node (4 vCPUs) becomes an
    arm,gic-v3 with the distributor (64 KiB) and a redistributor region of 4 x 128 KiB, the
    vdevs where it says, the rest of the tree unchanged; GICD_CTLR (ARE, DS, the group
    enables), TYPER, PIDR2, IROUTER (64- and 32-bit, Aff0 = vCPU, other clusters and IRM),
    SGIs/PPIs RAZ/WI at the distributor; each redistributor's TYPER (affinity, Last),
    WAKER, and its SGI_base registers acting on its own vCPU's bank whoever accesses it;
    ICC_SGI1R_EL1 decode (target list, IRM, Aff1-3 and RS naming no vCPU), SGI0R/ASGI1R
    ignored, ICC_SRE_EL1 and ID_AA64PFR0.GIC; list register encoding, per-vCPU LRs with an
    SGI's sources delivered once, save/restore of LRs, VMCR, AP0R/AP1R and HCR, EOI
    maintenance for a level and a forwarded SPI, underflow when the LRs are full, reset."""
    r = run(host_bin / "vgic_ich_test", dtb(tmp_path, device_tree_source(GuestPlatform(vcpus=4))))
    checks_passed(r, "vgic_ich_test", 150, only=True)


def test_pl011_emulator(host_bin: Path, tmp_path: Path) -> None:
    """Registers after reset, the AMBA IDs, widths, transmit to the console ring, the
    32-byte receive FIFO, the interrupt line's level."""
    r = run(host_bin / "pl011_test", dtb(tmp_path, device_tree_source(GuestPlatform())))
    checks_passed(r, "pl011_test", 20, only=True)


def test_bad_access_reports_per_boot(host_bin: Path) -> None:
    """A guest's bad accesses are all counted; the first eight of each boot are reported
    (one line each), then nothing until the guest reboots, when they are reported again."""
    checks_passed(run(host_bin / "vdev_test"), "vdev_test", 6, only=True)


def probe(host_bin: Path, tmp_path: Path, source: str) -> str:
    r = run(host_bin / "vgic_test", "probe", dtb(tmp_path, source))
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_emulators_instantiate_the_guest_device_tree(host_bin: Path, tmp_path: Path) -> None:
    p = GuestPlatform()
    out = probe(host_bin, tmp_path, device_tree_source(p))
    assert f"device gicv2-dist {p.gicd_base:#x} 0x1000" in out
    assert f"device pl011 {p.uart_base:#x} 0x1000" in out
    assert f"cpu interface {p.gicc_base:#x}" in out
    assert "ok irqchip=gicv2 console=yes" in out


def without_node(source: str, compatible: str) -> str:
    """source with the node whose compatible line is compatible left out (dtc syntax)."""
    lines = source.splitlines()
    at = next(i for i, line in enumerate(lines) if compatible in line)
    start = max(i for i in range(at) if lines[i].rstrip().endswith("{"))
    end = next(i for i in range(at, len(lines)) if lines[i].strip() == "};")
    return "\n".join(lines[:start] + lines[end + 1:])


def test_a_guest_without_interrupt_controller_is_refused(host_bin: Path,
                                                         tmp_path: Path) -> None:
    source = without_node(device_tree_source(GuestPlatform()), '"arm,cortex-a15-gic"')
    source = source.replace("interrupt-parent = <&gic>;", "")
    out = probe(host_bin, tmp_path, source)
    assert "error: the guest device tree has no interrupt controller that Mamoru emulates" \
        in out, out


def test_a_guest_without_console_uart_is_refused(host_bin: Path, tmp_path: Path) -> None:
    source = without_node(device_tree_source(GuestPlatform()), '"arm,pl011"')
    out = probe(host_bin, tmp_path, source)
    assert "error: the guest device tree has no console UART that Mamoru emulates" in out, out


def test_a_uart_with_a_ppi_is_refused(host_bin: Path, tmp_path: Path) -> None:
    p = GuestPlatform()
    source = device_tree_source(p).replace(f"interrupts = <0 {p.uart_spi} 4>;",
                                           "interrupts = <1 5 4>;")
    out = probe(host_bin, tmp_path, source)
    assert out.startswith("error: cannot emulate pl011@") and "(pl011)" in out, out


def test_a_disabled_uart_is_not_instantiated(host_bin: Path, tmp_path: Path) -> None:
    source = device_tree_source(GuestPlatform()).replace(
        '"arm,pl011", "arm,primecell";', '"arm,pl011", "arm,primecell";\n\t\tstatus = "disabled";')
    out = probe(host_bin, tmp_path, source)
    assert "no console UART" in out, out


# --- console --------------------------------------------------------------------------


def test_vserial_escape_and_a_guest_that_reads_nothing(host_bin: Path) -> None:
    """ESC x q detaches even after 10000 bytes the guest never took; other escapes pass
    through; a slow reader gets queued bytes in order."""
    r = run(host_bin / "vserial_test")
    checks_passed(r, "vserial_test", 5)


# --- scheduling ------------------------------------------------------------------------


def test_an_idle_guest_does_not_stop_the_others(host_bin: Path) -> None:
    r = run(host_bin / "sched_test")
    checks_passed(r, "sched_test", 5, only=True)
