# SPDX-License-Identifier: GPL-2.0-only
"""The Versatile PB guest's emulated devices on the host (tests/arm32/devices/host,
sanitizers on): the guest device tree derived from the kernel's versatile-pb.dtb
(tools/mamoru/versatile_guest_dt.py), which Linux boots on plain QEMU; the PL190 VIC and
SIC (arch/arm/vic/), the SP804 and the system registers (emulators/), the PL011 on the
VIC, probed through the EMULATOR() table and driven through guest_mmio(); a hostile
guest's random accesses (seeded PRNG, then libFuzzer); and the same sources compiled for
the ARMv5 board, which does not link them yet (Kconfig GUESTS is off for versatilepb)."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from mamoru import paths, versatilekernel
from mamoru.plainqemu import StdioQemu
from mamoru.testing.fuzz import fuzz_seconds, run_fuzzer
from mamoru.testing.hostcheck import SAN_ENV, build_host, checks_passed
from mamoru.testing.scons import scons
from mamoru.tinykernel import TinyKernelError
from mamoru.versatile_guest_dt import (
    GUEST_RAM,
    GuestDtError,
    make_guest_dtb,
    node_paths,
)

HOST_DIR = paths.ROOT / "build" / "host" / "arm32" / "devices"
HOST_BIN = HOST_DIR / "devices_test"

EXPECTED_NODES = {
    "/", "/aliases", "/chosen", "/memory", "/xtal24mhz@24M", "/amba",
    "/core-module@10000000", "/core-module@10000000/cm_aux_osc@24M",
    "/core-module@10000000/timclk@1M", "/core-module@10000000/pclk@24M",
    *(f"/core-module@10000000/led@8,{i}" for i in range(8)),
    "/amba/interrupt-controller@10140000", "/amba/interrupt-controller@10003000",
    "/amba/uart@101f1000", "/amba/timer@101e2000",
}
EXPECTED_WINDOWS = [
    "irqchip vic",
    "vic 0x10140000 0x1000",
    "sic 0x10003000 0x1000",
    "sysregs 0x10000000 0x1000",
    "pl011 0x101f1000 0x1000",
    "sp804 0x101e2000 0x1000",
]


def _scons(*args: str) -> None:
    r = scons("-j2", *args)
    assert r.returncode == 0, f"scons {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"


@pytest.fixture(scope="module")
def host_bin() -> Path:
    build_host()
    return HOST_BIN


@pytest.fixture(scope="module")
def kernel_dtb() -> Path:
    try:
        return versatilekernel.versatile_kernel().dtb
    except TinyKernelError as e:
        pytest.fail(f"the versatilepb kernel could not be built: {e}", pytrace=False)


@pytest.fixture(scope="module")
def guest_dtb(kernel_dtb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("versatile-guest-dt") / "guest.dtb"
    make_guest_dtb(kernel_dtb, out)
    return out


def run(*args: object, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HOST_BIN), *map(str, args)], capture_output=True, text=True,
                          env=SAN_ENV, timeout=timeout, check=False)


def dts_to_dtb(source: str, path: Path) -> Path:
    r = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(path), "-"],
                       input=source, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    return path


def dtb_to_dts(path: Path) -> str:
    return subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(path)], capture_output=True,
                          text=True, check=True).stdout


def fdtget(dtb: Path, *args: str, options: tuple[str, ...] = ()) -> str:
    return subprocess.run(["fdtget", *options, str(dtb), *args], capture_output=True,
                          text=True, check=True).stdout.strip()


# --- the guest device tree ---------------------------------------------------------------


def test_guest_tree_has_exactly_the_emulated_devices(guest_dtb: Path, kernel_dtb: Path) -> None:
    assert set(node_paths(guest_dtb)) == EXPECTED_NODES
    assert "/amba/timer@101e3000" in node_paths(kernel_dtb)      # it did remove something
    assert fdtget(guest_dtb, "/memory", "reg", options=("-t", "x")) == f"0 {GUEST_RAM:x}"
    assert GUEST_RAM == 96 << 20
    assert fdtget(guest_dtb, "/aliases", options=("-p",)).split() == ["serial0"]
    assert fdtget(guest_dtb, "/chosen", "stdout-path") == "/amba/uart@101f1000"
    # dtc finds nothing in it that it does not find in the kernel's own tree (no dangling
    # reference left by a removed node).
    assert dtc_warnings(guest_dtb) <= dtc_warnings(kernel_dtb)


def dtc_warnings(dtb: Path) -> set[str]:
    r = subprocess.run(["dtc", "-I", "dtb", "-O", "dts", "-o", "/dev/null", str(dtb)],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    return {line.split(": ", 1)[1] for line in r.stderr.splitlines() if ": " in line}


def test_a_tree_without_the_vic_is_refused(kernel_dtb: Path, tmp_path: Path) -> None:
    source = dtb_to_dts(kernel_dtb).replace("interrupt-controller@10140000",
                                             "interrupt-controller@10150000")
    with pytest.raises(GuestDtError, match="interrupt-controller@10140000"):
        make_guest_dtb(dts_to_dtb(source, tmp_path / "other.dtb"), tmp_path / "guest.dtb")


# QEMU's names for the regions of the devices Mamoru emulates, and the SIC's registers.
QEMU_REGIONS = {"pl190", "vpb-sic", "sp804", "pl011", "arm-sysctl"}
SIC_REGISTERS = {0x00, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x20, 0x24}
TRACE_LINE = re.compile(r"memory_region_ops_(read|write) .* addr (0x[0-9a-f]+) value (0x[0-9a-f]+) "
                        r"size (\d) name '([^']*)'")


def test_linux_boots_on_the_guest_tree(host_bin: Path, guest_dtb: Path, tmp_path: Path) -> None:
    """The versatile kernel on plain QEMU versatilepb (no Mamoru) with the guest tree: 96 MiB,
    the VIC and the SIC, the SP804 as clocksource, its console on UART0, up to the missing
    root file system (there is no initrd): nothing it needs was removed. Its panic restarts
    the machine through the system registers (the versatile reboot driver on the core
    module: the only reset source left in the tree), which ends QEMU under -no-reboot.

    QEMU traces every device access of that boot; they go through the models too: Linux
    touches no device but the five, and no register the models do not have (but the
    SIC's 0x2c, the FIQ enable clear of the FPGA controllers its driver shares), with no
    refused size, and the models see the reset request."""
    k = versatilekernel.versatile_kernel()
    log = tmp_path / "trace.log"
    argv = ["qemu-system-arm", "-M", "versatilepb", "-m", "96M", "-kernel", str(k.zimage),
            "-dtb", str(guest_dtb), "-append", "console=ttyAMA0 panic=1", "-display", "none",
            "-monitor", "none", "-serial", "stdio", "-no-reboot", "-audio", "none",
            "-trace", "memory_region_ops_*", "-D", str(log)]
    with StdioQemu(argv, deadline=time.monotonic() + 120) as q:
        q.expect(r"Memory: \d+K/98304K available", 60)
        q.expect(r"VIC @.*: id 0x00041190", 30)
        q.expect(r"FPGA IRQ chip 0 \"interrupt-controller\"", 30)
        q.expect(r"clocksource: arm,sp804", 30)
        q.expect(r"101f1000\.uart: ttyAMA0 at MMIO 0x101f1000", 60)
        q.expect(r"clocksource: Switched to clocksource arm,sp804", 60)
        q.expect(r"versatile reboot driver registered", 60)
        q.expect(r"VFS: Cannot open root device", 60)
        q.expect(r"Rebooting in 1 seconds", 60)
        assert q.proc.wait(timeout=60) == 0, q.transcript
        assert "Unable to handle kernel" not in q.transcript
    accesses = [m.groups() for m in map(TRACE_LINE.search, log.read_text().splitlines()) if m]
    assert {a[4] for a in accesses} == QEMU_REGIONS
    ops = tmp_path / "ops.txt"
    ops.write_text("".join(f"{rw[0]} {addr} {val} {size}\n" for rw, addr, val, size, _ in accesses))
    sic_unknown = sum(1 for _, addr, _, _, name in accesses
                      if name == "vpb-sic" and int(addr, 16) & 0xfff not in SIC_REGISTERS)
    assert sic_unknown == 1
    r = run(guest_dtb, "trace", ops)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == (f"accesses {len(accesses)} refused 0 nodev 0 unknown vic+sic "
                                f"{sic_unknown} timer 0 sys 0 reset 1")


# --- probing -----------------------------------------------------------------------------


def test_probe_creates_the_five_windows(host_bin: Path, guest_dtb: Path) -> None:
    r = run(guest_dtb, "list")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split("\n")[:-1] == EXPECTED_WINDOWS


def test_a_sic_not_on_vic_line_31_is_refused(host_bin: Path, guest_dtb: Path,
                                             tmp_path: Path) -> None:
    source = dtb_to_dts(guest_dtb).replace("interrupts = <0x1f>;", "interrupts = <0x1e>;")
    r = run(dts_to_dtb(source, tmp_path / "g.dtb"), "list")
    assert r.returncode == 1 and "interrupts = <31> on the VIC" in r.stdout + r.stderr, r.stdout
    assert "cannot emulate interrupt-controller@10140000 (vic)" in r.stdout


@pytest.mark.parametrize("change", ["no SIC", "disabled SIC"])
def test_a_tree_without_sic_still_has_a_vic(host_bin: Path, guest_dtb: Path, tmp_path: Path,
                                            change: str) -> None:
    sic = '"arm,versatile-sic"'
    source = dtb_to_dts(guest_dtb).replace(
        sic, '"acme,not-a-sic"' if change == "no SIC" else f'{sic};\n\t\t\tstatus = "disabled"')
    r = run(dts_to_dtb(source, tmp_path / "g.dtb"), "list")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "sic 0x10003000 0x1000" not in r.stdout and "vic 0x10140000 0x1000" in r.stdout


# --- register behaviour --------------------------------------------------------------------


def test_registers_priorities_and_interrupt_paths(host_bin: Path, guest_dtb: Path) -> None:
    """PL190 registers and vectored priorities, SIC into VIC 31 and its pass-through,
    SP804 modes/prescalers/next event and its line to VIC 4 and nIRQ, the system
    registers' lock, counters and guest reset request, the PL011 on VIC 12, every
    unknown offset read as zero, ignored and counted, and a guest reset."""
    r = run(guest_dtb, "checks")
    checks_passed(r, "devices_test", 100, only=True)


def test_hostile_guest_random_accesses(host_bin: Path, guest_dtb: Path) -> None:
    """Random offsets, sizes and values on every window, random lines and time, device
    resets; invariants after every step, sanitizers on. Runs for fuzz_seconds()."""
    deadline = time.monotonic() + fuzz_seconds()
    seed = 1
    while True:
        r = run(guest_dtb, "fuzz", seed, 50000)
        assert r.returncode == 0, f"seed {seed}:\n{r.stdout}\n{r.stderr[-3000:]}"
        assert f"seed {seed}, 50000 steps" in r.stdout, r.stdout
        seed += 1
        if time.monotonic() > deadline:
            break


@pytest.mark.skipif(shutil.which("clang") is None, reason="clang (libFuzzer) not installed")
def test_hostile_guest_libfuzzer(host_bin: Path, guest_dtb: Path, tmp_path: Path) -> None:
    """The same steps with libFuzzer choosing them (coverage finds the timer and
    priority states random choices rarely reach), for fuzz_seconds()."""
    run_fuzzer(HOST_DIR / "devices_lfuzz", tmp_path, [],
               env=dict(SAN_ENV, MAMORU_DEVICES_DTB=str(guest_dtb)))


# --- QEMU's versatilepb as the reference ----------------------------------------------------

PROBE = paths.ROOT / "tests" / "arm32" / "devices" / "qemu_probe"
READ_LINE = re.compile(r"^[0-9a-f]{3} [0-9a-f]{8}=[0-9a-f]{8}( differs)?$")


def reads(output: str) -> list[str]:
    """The probe's read lines, without those where Mamoru knowingly differs."""
    lines = [ln.strip() for ln in output.splitlines()]
    assert "probe start" in lines and "probe end" in lines, output
    return [ln for ln in lines if READ_LINE.match(ln) and not ln.endswith(" differs")]


def test_models_read_what_qemu_versatilepb_reads(host_bin: Path, guest_dtb: Path,
                                                 tmp_path: Path) -> None:
    """probe_ops.h on QEMU's versatilepb (a bare-metal program) and on the models: every
    value read is the same, except the reads marked DIFFERS (docs/armv5-virt.md). The
    probe ends by requesting a reset through the system registers; QEMU (-no-reboot)
    exits on it, and the model reports it too."""
    elf = tmp_path / "probe.elf"
    cc = ["arm-linux-gnueabi-gcc", "-march=armv5te", "-marm", "-O1", "-std=c11", "-Wall",
          "-Wextra", "-Werror", "-ffreestanding", "-nostdlib", "-static", "-Wl,-Ttext=0x10000",
          "-Wl,--build-id=none", "-Wl,-z,noexecstack", "-o", str(elf),
          str(PROBE / "start.S"), str(PROBE / "probe.c")]
    r = subprocess.run(cc, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    q = subprocess.run(["qemu-system-arm", "-M", "versatilepb", "-m", "128M", "-kernel", str(elf),
                        "-display", "none", "-monitor", "none", "-serial", "stdio",
                        "-no-reboot", "-audio", "none"],
                       capture_output=True, text=True, timeout=60, check=False)
    assert q.returncode == 0, f"QEMU did not exit on the reset request:\n{q.stdout}\n{q.stderr}"
    m = run(guest_dtb, "replay")
    assert m.returncode == 0 and m.stdout.rstrip().endswith("reset requested"), m.stdout + m.stderr
    qemu, model = reads(q.stdout), reads(m.stdout)
    assert len(qemu) > 60
    assert model == qemu


# --- the ARMv5 board's compiler ----------------------------------------------------------

BOARD_SOURCES = ["arch/arm/vic/vvic.c", "arch/arm/vic/vic_emu.c", "emulators/sp804.c",
                 "emulators/versatile_sys.c", "emulators/pl011.c", "core/emulator.c"]
# SConstruct's target_env() flags with ARCH_BUILD["arm32"].
ARM32_FLAGS = ["-std=c11", "-ffreestanding", "-nostdinc", "-Wall", "-Wextra", "-Werror", "-O2",
               "-fno-stack-protector", "-fno-common", "-include", "generated/config.h",
               "-march=armv5te", "-marm", "-mfloat-abi=soft", "-mno-unaligned-access", "-fno-pie"]


@pytest.mark.parametrize("source", BOARD_SOURCES)
def test_compiles_for_the_armv5_board(source: str) -> None:
    config = paths.ROOT / "build" / "versatilepb" / "include" / "generated" / "config.h"
    if not config.exists():
        _scons("board=versatilepb")
    cc = "arm-linux-gnueabi-gcc"
    gcc_include = subprocess.run([cc, "-print-file-name=include"], capture_output=True, text=True,
                                 check=True).stdout.strip()
    cmd = [cc, *ARM32_FLAGS, "-isystem", gcc_include, "-Icore/include",
           "-Iarch/arm/cpu/arm32/include", "-Iarch/arm/include",
           "-I.", f"-I{config.parent.parent}", "-c", "-o", "/dev/null", source]
    r = subprocess.run(cmd, cwd=paths.ROOT, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
