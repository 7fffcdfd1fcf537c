# SPDX-License-Identifier: GPL-2.0-only
"""Booting, resetting, powering off and crashing: each test boots its own target."""

from __future__ import annotations

import functools
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from mamoru import paths
from mamoru.boards import BOARDS, BoardConfig
from mamoru.console import BANNER_RE, PROMPT, Console, open_device
from mamoru.qemu import Chardev, free_port, qemu_argv
from mamoru.testing import BOOT_TIMEOUT, Launcher, State, Target, qemu_target
from mamoru.testing.guest import bundle_for
from mamoru.testing.scons import scons

BANNER = re.compile(r"^Mamoru v(\d+\.\d+\.\d+\S*) \((\S+)\) on (.+?)\r?$", re.MULTILINE)
VERSION_LINE = re.compile(r"^version: (\S+)$", re.MULTILINE)
GIT_LINE = re.compile(r"^git: (\S+)$", re.MULTILINE)


@pytest.mark.qemu
@pytest.mark.boot
def test_boots_to_prompt_with_banner(target: Target) -> None:
    m = BANNER.search(target.boot_log)
    assert m, f"no banner line in the boot output:\n{target.boot_log}"
    assert m.group(3) == target.board.title
    out = target.console.command("version")
    version, git = VERSION_LINE.search(out), GIT_LINE.search(out)
    assert version and version.group(1) == m.group(1), out
    assert git and git.group(1) == m.group(2), out
    # Every core of the device tree comes into the hypervisor (tests/smp/test_cpus.py has
    # more): the Pis' from the firmware's spin table, virt's (-smp 4) by PSCI CPU_ON.
    cpus = {"rpi3": "cpus: 4 in the device tree, 4 online (spin-table)\n",
            "rpi4": "cpus: 4 in the device tree, 4 online (spin-table)\n",
            "virt": "cpus: 4 in the device tree, 4 online (psci)\n"}
    if target.board.name in cpus:
        assert cpus[target.board.name] in target.boot_log.replace("\r\n", "\n"), \
            target.boot_log


@pytest.mark.boot
def test_reset_reboots(target: Target) -> None:
    c = target.console
    c.send("reset")
    c.write("\r")
    c.expect(BANNER_RE, 30)
    c.wait_prompt(BOOT_TIMEOUT)
    assert VERSION_LINE.search(c.command("version"))


@pytest.mark.qemu
@pytest.mark.boot
def test_poweroff_stops_qemu(target: Target) -> None:
    assert target.qemu is not None
    if not target.board.poweroff:      # versatilepb: no power-off device; it says so
        out = target.console.command("poweroff")
        assert "error: power-off did not happen" in out, out
        assert target.qemu.poll() is None
        assert VERSION_LINE.search(target.console.command("version"))
        return
    target.console.send("poweroff")
    target.console.write("\r")
    assert target.qemu.wait(10) == 0


# What each `fault` kind's crash report says, per CPU architecture. ARMv5 has no
# execute-never: data runs, so exec-data meets an undefined instruction there.
FAULTS = {
    "arm64": {
        "write-text": ["Data Abort", "permission fault", "HALTED"],
        "write-rodata": ["Data Abort", "permission fault", "write", "HALTED"],
        "unmapped": ["Data Abort", "translation fault", "read"],
        "exec-data": ["Instruction Abort", "permission fault"],
        "exec-unmapped": ["Instruction Abort", "translation fault"],
    },
    "arm32": {
        "write-text": ["Data Abort", "DFSR", "permission fault (page)", "write", "HALTED"],
        "write-rodata": ["Data Abort", "DFSR", "permission fault (page)", "write", "HALTED"],
        "unmapped": ["Data Abort", "translation fault (section)", "read", "FAR  0xf0000000"],
        "exec-data": ["Undefined Instruction", "instruction 0xe7f000f0"],
        "exec-unmapped": ["Prefetch Abort", "IFSR", "translation fault (section)",
                          "PC   0xf0000000"],
    },
}
# Every report names the fault's registers and where the CPU was (arm64: which core; the
# shell's `fault` runs on CPU 0).
REPORT_LINES = {"arm64": ["on CPU 0:", "ESR_EL2", "FAR_EL2", "ELR_EL2"],
                "arm32": ["CPSR", "PC", "SP", "LR"]}


def _config_has(config_file: Path, sym: str) -> bool:
    return config_file.is_file() and f"CONFIG_{sym}=y" in config_file.read_text().splitlines()


@functools.cache
def _fault_build(board: str) -> Path:
    """The board's defconfig with the fault command on, built into its own output folder
    (the Pi defconfigs leave it out: a field device does not crash on request)."""
    out = f"build/test-configs/{board}-fault"
    (paths.ROOT / out).mkdir(parents=True, exist_ok=True)
    lines = [line for line in BOARDS[board].defconfig.read_text().splitlines()
             if "CONFIG_CMD_FAULT" not in line]
    (paths.ROOT / out / ".config").write_text("\n".join([*lines, "CONFIG_CMD_FAULT=y", ""]))
    r = scons(f"board={board}", f"out={out}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert _config_has(paths.ROOT / out / ".config", "CMD_FAULT")
    return paths.ROOT / out / "mamoru.img"


@pytest.fixture
def fault_target(request: pytest.FixtureRequest, board_config: BoardConfig) -> Iterator[Target]:
    """A QEMU target with the `fault` command: the board's own image if its configuration
    has it (virt), else a build of the board's defconfig with CONFIG_CMD_FAULT on (the
    Pis), so the crash report is still tested on every board."""
    board = board_config.board.name
    if _config_has(paths.BUILD / board / ".config", "CMD_FAULT"):
        yield request.getfixturevalue("target")
        return
    t = qemu_target(board_config, image=_fault_build(board),
                    label=f"{board_config.id} (CMD_FAULT on)")
    t.use(request.node)  # type: ignore[arg-type]
    try:
        yield t.to_state(State.HYPERVISOR)
    finally:
        t.close()


@pytest.mark.qemu
@pytest.mark.boot
@pytest.mark.parametrize("kind", FAULTS["arm64"])
def test_fault_gives_crash_report(fault_target: Target, kind: str) -> None:
    arch = fault_target.board.arch.name
    c = fault_target.console
    c.send(f"fault {kind}")
    c.write("\r")
    c.wait_for_all([*FAULTS[arch][kind], *REPORT_LINES[arch]], timeout=10)
    # Halted: neither a prompt nor a reboot follows.
    c.assert_absent(re.compile(f"{re.escape(PROMPT)}|{BANNER_RE.pattern}", re.M), 1.0)


@pytest.mark.qemu
def test_refuses_to_run_at_el1(launch: Launcher) -> None:
    """-M virt without virtualization=on starts the image at EL1."""
    t = launch.boot(launch.require("virt"), virtualization=False, wait_prompt=False)
    t.console.expect("must be started at EL2", 30)
    t.console.assert_absent(PROMPT, 2.0)


@pytest.mark.qemu
def test_refuses_to_run_without_device_tree(launch: Launcher) -> None:
    """raspi4b without -dtb: the image gets no DTB. Either UART may carry the error."""
    t = launch.boot(launch.require("rpi4"), no_dtb=True, console_uart="both", wait_prompt=False)
    t.console.expect("no valid device tree", 30)
    t.console.assert_absent(PROMPT, 2.0)


@pytest.mark.qemu
def test_rpi4_console_on_pl011(launch: Launcher) -> None:
    """-append console=serial0 moves the console from the mini UART to the PL011."""
    t = launch.boot(launch.require("rpi4"), console_uart="pl011")
    assert BANNER.search(t.boot_log), t.boot_log
    assert "board: Raspberry Pi 4 Model B" in t.console.command("version").splitlines()


def _connect(url: str, qemu: subprocess.Popen[bytes], timeout: float = 20.0) -> Console:
    """A console on QEMU's TCP serial server, once it listens."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return Console(open_device(url))
        except serial.SerialException:
            if qemu.poll() is not None or time.monotonic() > deadline:
                qemu.kill()
                out = qemu.communicate(timeout=10)[0].decode(errors="replace")
                raise AssertionError(
                    f"QEMU's serial server at {url} never listened:\n{out}") from None
            time.sleep(0.1)


@pytest.mark.qemu
@pytest.mark.boot
def test_keys_typed_before_boot_do_not_wedge_the_console(board_config: BoardConfig) -> None:
    """Someone types while the board is still starting: the bytes wait in the console
    UART's FIFO before the driver set it up. A PL011 whose receive interrupt was cleared
    with bytes already in its FIFO never raised it again (QEMU's model raises it only as the
    FIFO goes from empty to one byte), so the shell never answered. QEMU's console is a TCP
    server that starts the board when the test connects: the keys go in first."""
    port = free_port()
    bundle = bundle_for(board_config) if board_config.board.guests else None
    argv = qemu_argv(board_config, Chardev("tcp", port), initrd=bundle)
    qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    console = None
    try:
        console = _connect(f"socket://127.0.0.1:{port}", qemu)
        console.write(b"\r\r", pace=False)
        console.expect(BANNER_RE, 30)
        console.wait_prompt(BOOT_TIMEOUT)
        console.sync(timeout=10)
        assert VERSION_LINE.search(console.command("version"))
    finally:
        if console is not None:
            console.close()
        qemu.kill()
        qemu.wait(10)
