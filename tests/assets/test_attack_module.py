# SPDX-License-Identifier: GPL-2.0-only
"""The IDS test attack module (tests/guest_module), proven in the guest without the hypervisor.

Debian's cloud kernel boots under plain QEMU with the busybox initramfs plus the module at
/lib/modules/mamoru_attack.ko. The test starts a victim process, works out sys_call_table's
runtime address (link address from the profile plus the KASLR slide from /proc/kallsyms),
loads the module with the attack, and checks from the guest's own shell that the process and
the module are gone from `ps` and lsmod, that the process still lives, and that the hooked
system call still works. The first run downloads the kernel headers (~14 MB, cached).
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from mamoru import bundle, guest_assets
from mamoru.guest_assets import GUEST_PROMPT, INIT_DONE, GuestKernel
from mamoru.guest_module import (
    CROSS_CC,
    GUEST_MODULE_PATH,
    HOOKED_HANDLER,
    HOOKED_SYSCALL,
    MODULE_NAME,
    SLIDE_SYMBOL,
    attack_commands,
    attack_initramfs_files,
    build_attack_module,
    check_vermagic,
    kallsyms_command,
    link_address,
    parse_kallsyms_address,
    runtime_sct,
)
from mamoru.plainqemu import ANSI_CSI, StdioQemu, StdioQemuError
from mamoru.profile import Profile, decode

QEMU = "qemu-system-aarch64"
pytestmark = [
    pytest.mark.assets,
    pytest.mark.skipif(
        not (shutil.which("apt-get") and shutil.which("dpkg-deb")),
        reason="the kernel headers come from Debian's archive: needs apt-get and dpkg-deb",
    ),
    pytest.mark.skipif(shutil.which(CROSS_CC) is None,
                       reason=f"{CROSS_CC} is not installed (./mamoru setup)"),
]

BOOT_TIMEOUT = 60.0
COMMAND_TIMEOUT = 20.0
TEST_TIMEOUT = 180.0
PARAMETERS = ("sct", "nr", "hide_pid", "hide_self", "calls")


class GuestShell(StdioQemu):
    """QEMU with the guest's serial console on stdio, driven like a user at `guest# `.

    Every command runs between two markers the shell prints (spelled so that the echo of the
    command line cannot match them), so output and exit status are exact.
    """

    def __init__(self, argv: list[str], deadline: float) -> None:
        super().__init__(argv, deadline)
        self._count = 0

    def expect(self, pattern: str, timeout: float) -> re.Match[str]:
        try:
            return super().expect(pattern, timeout)
        except StdioQemuError as e:
            pytest.fail(str(e), pytrace=False)

    def boot(self) -> None:
        self.expect(rf"^{re.escape(INIT_DONE)}\r?$", BOOT_TIMEOUT)
        self.expect(re.escape(GUEST_PROMPT), BOOT_TIMEOUT)

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT) -> tuple[int, str]:
        """Runs command in the guest shell; returns its exit status and output."""
        self._count += 1
        n = self._count
        line = f"echo @@BEG''IN{n}@@; {command}; echo @@EN''D{n}=$?@@"
        self.send(line)
        begin = self.expect(rf"^@@BEGIN{n}@@\r?\n", timeout)
        end = self.expect(rf"^@@END{n}=(\d+)@@\r?$", timeout)
        out = end.string[begin.end():end.start()]
        self.expect(re.escape(GUEST_PROMPT), timeout)
        return int(end.group(1)), ANSI_CSI.sub("", out).replace("\r", "")

    def check(self, command: str) -> str:
        """run() that fails the test unless the command succeeds."""
        rc, out = self.run(command)
        if rc != 0:
            pytest.fail(str(self.fail(f"`{command}` exited {rc}:\n{out}")), pytrace=False)
        return out



@pytest.fixture(scope="module")
def kernel() -> GuestKernel:
    return guest_assets.cloud_kernel()


@pytest.fixture(scope="module")
def module(kernel: GuestKernel) -> Path:
    return build_attack_module(kernel.version)


@pytest.fixture(scope="module")
def profile(kernel: GuestKernel) -> Profile:
    return decode(bundle.kernel_profile(kernel))


@pytest.fixture(scope="module")
def initramfs(kernel: GuestKernel, module: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("attack") / "initramfs.cpio"
    files = attack_initramfs_files(kernel.version)
    assert files == {GUEST_MODULE_PATH.lstrip("/"): module}
    out.write_bytes(guest_assets.initramfs_bytes(guest_assets.default_init_script(), files))
    return out


def test_module_is_built_for_the_guest_kernel(kernel: GuestKernel, module: Path) -> None:
    check_vermagic(module, kernel.version)
    guest_assets.check_aarch64_elf(module)
    data = module.read_bytes()
    assert data[16:18] == b"\x01\x00", "a kernel module is a relocatable ELF file"
    for p in PARAMETERS:
        assert f"parm={p}:".encode() in data, f"no parameter {p} in {module}"
    assert b"license=GPL\0" in data
    start = time.perf_counter()
    assert build_attack_module(kernel.version) == module
    assert time.perf_counter() - start < 0.5, "a cached build_attack_module() is slow"


def test_attack_commands() -> None:
    assert attack_commands(0xFFFF800008BE09F0, 61, 42) == (
        f"insmod {GUEST_MODULE_PATH} sct=0xffff800008be09f0 nr=61 hide_pid=42 hide_self=1"
    )
    assert attack_commands(0x10, pid=None, hide_self=False).endswith(
        f"sct=0x10 nr={HOOKED_SYSCALL}")
    line = "ffff8000083a1314 T __arm64_sys_read"
    assert parse_kallsyms_address(f"junk\n{line}\n") == 0xFFFF8000083A1314
    with pytest.raises(ValueError, match="zero"):
        parse_kallsyms_address("0000000000000000 T __arm64_sys_read\n")


def _pids(ps_output: str) -> set[int]:
    return {int(f[0]) for f in (line.split() for line in ps_output.splitlines())
            if f and f[0].isdigit()}


@pytest.mark.parametrize("kaslr", [False, True], ids=["nokaslr", "kaslr"])
def test_attack_in_the_guest(kaslr: bool, kernel: GuestKernel, profile: Profile,
                             initramfs: Path) -> None:
    append = "console=ttyAMA0 rdinit=/init panic=-1" + ("" if kaslr else " nokaslr")
    g = GuestShell([
        QEMU, "-M", "virt", "-cpu", "cortex-a72", "-m", "512M", "-nographic", "-no-reboot",
        "-kernel", str(kernel.image), "-initrd", str(initramfs), "-append", append,
    ], time.monotonic() + TEST_TIMEOUT)
    try:
        g.boot()
        victim = int(re.findall(r"VICTIM=(\d+)", g.check("sleep 1000 & echo VICTIM=$!"))[-1])
        assert victim in _pids(g.check("ps")), g.transcript

        # sys_call_table at run time: its link address plus the slide of a text symbol.
        runtime = parse_kallsyms_address(g.check(kallsyms_command()))
        slide = runtime - link_address(profile, SLIDE_SYMBOL)
        sct = runtime_sct(profile, runtime)
        if kaslr:
            assert slide != 0, f"KASLR on but {SLIDE_SYMBOL} did not move\n{g.transcript}"
        else:
            assert slide == 0 and sct == link_address(profile, "sys_call_table")

        g.check(attack_commands(sct, HOOKED_SYSCALL, victim))

        dmesg = g.check(f"dmesg | grep {MODULE_NAME}:")
        hook = re.search(
            rf"{MODULE_NAME}: hooked syscall {HOOKED_SYSCALL} at (\w+): (\w+) -> (\w+) "
            rf"\({re.escape(HOOKED_HANDLER)}\+0x0/", dmesg)
        if hook is None:
            g.fail(f"no hook line in dmesg:\n{dmesg}")
        assert hook is not None
        slot, old, new = (int(x, 16) for x in hook.groups())
        assert slot == sct + 8 * HOOKED_SYSCALL
        assert old == link_address(profile, HOOKED_HANDLER) + slide
        text_lo = link_address(profile, "_stext") + slide
        text_hi = link_address(profile, "_etext") + slide
        assert not text_lo <= new < text_hi, "the hook must live outside kernel text"
        assert f"{MODULE_NAME}: hid pid {victim}" in dmesg, dmesg
        assert f"{MODULE_NAME}: hid module" in dmesg, dmesg

        # The process: gone from ps and the /proc listing, yet alive and reachable by PID.
        ps = g.check("ps")
        if victim in _pids(ps):
            g.fail(f"ps still shows the hidden process {victim}:\n{ps}")
        assert str(victim) not in g.check("ls /proc").split()
        g.check(f"kill -0 {victim}")
        assert re.search(r"^Name:\s+sleep$", g.check(f"cat /proc/{victim}/status"), re.M)

        # The module: gone from the module list.
        for listing in ("cat /proc/modules", "lsmod"):
            out = g.check(listing)
            if MODULE_NAME in out:
                g.fail(f"`{listing}` still lists {MODULE_NAME}:\n{out}")

        # The hooked system call still works, through the hook.
        calls = f"cat /sys/module/{MODULE_NAME}/parameters/calls"
        before = int(g.check(calls).split()[-1])
        root = g.check("ls /").split()
        assert {"bin", "dev", "lib", "proc", "sys"} <= set(root), root
        after = int(g.check(calls).split()[-1])
        assert after > before, f"calls {before} -> {after}: the hook did not run"
    finally:
        g.close()


def test_unload_restores_everything(kernel: GuestKernel, profile: Profile,
                                    initramfs: Path) -> None:
    """Without hide_self the module unloads and puts the table entry and the task back;
    hidden tasks exit cleanly; a wrong table address is refused."""
    g = GuestShell([
        QEMU, "-M", "virt", "-cpu", "cortex-a72", "-m", "512M", "-nographic", "-no-reboot",
        "-kernel", str(kernel.image), "-initrd", str(initramfs),
        "-append", "console=ttyAMA0 rdinit=/init panic=-1 nokaslr",
    ], time.monotonic() + TEST_TIMEOUT)
    try:
        g.boot()
        a, b = (int(re.findall(r"VICTIM=(\d+)", g.check("sleep 1000 & echo VICTIM=$!"))[-1])
                for _ in range(2))
        sct = runtime_sct(profile, parse_kallsyms_address(g.check(kallsyms_command())))

        rc, _ = g.run(attack_commands(sct + 8, HOOKED_SYSCALL, a, hide_self=False))
        assert rc != 0, f"a wrong sct was accepted:\n{g.transcript}"
        assert "is not sys_call_table" in g.check(f"dmesg | grep {MODULE_NAME}:")

        # Hide a, let it exit while hidden, unload: the table and the task list are restored.
        g.check(attack_commands(sct, HOOKED_SYSCALL, a, hide_self=False))
        assert MODULE_NAME in g.check("cat /proc/modules")
        assert a not in _pids(g.check("ps"))
        g.check(f"kill {a}; wait {a}; true")
        g.check(f"rmmod {MODULE_NAME}")
        dmesg = g.check(f"dmesg | grep {MODULE_NAME}:")
        assert f"restored syscall {HOOKED_SYSCALL}" in dmesg, dmesg
        assert f"pid {a} has exited" in dmesg, dmesg
        # Loading again proves the entry is the kernel's own again (the module refuses a
        # hooked slot); b is hidden, unhidden, then exits from the task list.
        g.check(attack_commands(sct, HOOKED_SYSCALL, b, hide_self=False))
        assert b not in _pids(g.check("ps"))
        g.check(f"rmmod {MODULE_NAME}")
        assert b in _pids(g.check("ps")), "rmmod did not give the process back"
        assert f"unhid pid {b}" in g.check(f"dmesg | grep {MODULE_NAME}:")
        g.check(f"kill {b}; wait {b}; true")
        assert {"bin", "proc"} <= set(g.check("ls /").split())
        bad = re.findall(r"^.*(?:BUG|Oops|WARNING|corruption|Call trace).*$",
                         g.check("dmesg"), re.M)
        assert not bad, f"kernel complaints:\n{bad}\n{g.transcript}"
    finally:
        g.close()
