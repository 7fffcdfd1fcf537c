# SPDX-License-Identifier: GPL-2.0-only
"""The default guest: Debian's cloud kernel, the busybox initramfs, and a boot of both."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from mamoru import debian, guest_assets
from mamoru.cpio import read_cpio
from mamoru.guest_assets import (
    ARM64_IMAGE_MAGIC,
    DEFAULT_APPLETS,
    GUEST_PROMPT,
    INIT_DONE,
    GuestKernel,
)
from mamoru.guestshell import kill_command
from mamoru.plainqemu import StdioQemu, StdioQemuError

pytestmark = [
    pytest.mark.assets,
    pytest.mark.skipif(
        not (shutil.which("apt-get") and shutil.which("dpkg-deb")),
        reason="the guest assets come from Debian's archive: needs apt-get and dpkg-deb",
    ),
]

QEMU = "qemu-system-aarch64"
BOOT_TIMEOUT = 60.0


@pytest.fixture(scope="session")
def kernel() -> GuestKernel:
    return guest_assets.cloud_kernel()


@pytest.fixture(scope="session")
def initramfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("guest") / "initramfs.cpio"
    return guest_assets.build_initramfs(out, guest_assets.default_init_script())


def test_cloud_kernel_is_an_arm64_image_with_btf(kernel: GuestKernel) -> None:
    head = kernel.image.read_bytes()[:64]
    assert head[:2] == b"MZ", "the cloud Image has an EFI stub header"
    assert head[0x38:0x3C] == ARM64_IMAGE_MAGIC
    assert kernel.image.name == f"vmlinuz-{kernel.version}"
    assert re.fullmatch(r"\d+\.\d+\.\d+-\d+-cloud-arm64", kernel.version), kernel.version
    assert kernel.config is not None
    config = kernel.config.read_text()
    assert re.search(r"^CONFIG_DEBUG_INFO_BTF=y$", config, re.MULTILINE)
    assert re.search(r"^CONFIG_ARM64=y$", config, re.MULTILINE)


def test_cloud_kernel_warm_call_asks_nobody(kernel: GuestKernel,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm call reads the cache only: no apt query for the current release (the slow
    part, seconds), no download."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a warm cloud_kernel() went to apt: {args}")
    monkeypatch.setattr(guest_assets, "_current_release", refuse)
    monkeypatch.setattr(debian, "apt_download", refuse)
    again = guest_assets.cloud_kernel()
    assert again.image == kernel.image and again.version == kernel.version


def test_busybox_is_static_aarch64() -> None:
    bb = guest_assets.busybox_static()
    guest_assets.check_aarch64_elf(bb)
    assert os.access(bb, os.X_OK)


def test_extract_reports_a_missing_member(tmp_path: Path) -> None:
    deb = debian.apt_download(guest_assets.BUSYBOX_PACKAGE, guest_assets.debs_dir())
    with pytest.raises(debian.DebianError, match="has no"):
        debian.extract(deb, ["bin/no-such-file"], tmp_path)
    got = debian.extract(deb, ["./bin/busybox", "usr/share/doc/*/copyright"], tmp_path)
    assert tmp_path / "bin" / "busybox" in got
    assert any(p.name == "copyright" for p in got)


def test_initramfs_contents(initramfs: Path) -> None:
    names = {e.name: e for e in read_cpio(initramfs.read_bytes())}
    assert names["bin/busybox"].data == guest_assets.busybox_static().read_bytes()
    assert names["dev/console"].is_chr and names["init"].perm == 0o755


class Qemu(StdioQemu):
    """The guest's console on stdio; waits take an absolute deadline."""

    def expect(self, pattern: str, deadline: float) -> re.Match[str]:  # type: ignore[override]
        try:
            return super().expect(pattern, deadline - time.monotonic())
        except StdioQemuError as e:
            pytest.fail(str(e), pytrace=False)

    def kill(self) -> None:
        self.close()


@pytest.mark.skipif(shutil.which(QEMU) is None, reason=f"{QEMU} is not installed")
def test_default_initramfs_boots_the_cloud_kernel(kernel: GuestKernel, initramfs: Path) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT
    q = Qemu([
        QEMU, "-M", "virt", "-cpu", "cortex-a72", "-m", "512M", "-nographic", "-no-reboot",
        "-kernel", str(kernel.image), "-initrd", str(initramfs),
        "-append", "console=ttyAMA0 rdinit=/init panic=-1",
    ])
    try:
        q.expect(rf"^{re.escape(INIT_DONE)}\r?$", deadline)
        prompt = re.escape(GUEST_PROMPT)
        q.expect(prompt, deadline)
        q.send("echo hello")
        q.expect(r"^hello\r?$", deadline)
        q.expect(prompt, deadline)
        # Every applet linked in the initramfs is one this busybox has.
        q.send("echo LIST-BEGIN; busybox --list; echo LIST-END")
        begin = q.expect(r"^LIST-BEGIN\r?$", deadline)
        end = q.expect(r"^LIST-END\r?$", deadline)
        listed = set(end.string[begin.end():end.start()].split())
        missing = sorted(set(DEFAULT_APPLETS) - listed)
        assert not missing, f"applets not in the guest's busybox: {missing}\n{q.transcript}"
        q.expect(prompt, deadline)
        # Job control: the shell owns the console (cttyhack + setsid), so `jobs` works.
        # Killed and reaped in one command line (docs/smp.md, a busybox race): a SIGCHLD
        # while ash writes its prompt loses the prompt, even with one CPU.
        q.send(f"sleep 30 & jobs; {kill_command(['%1'])}")
        q.expect(r"\[1\]\+? +Running +sleep 30", deadline)
        q.expect(prompt, deadline)
        q.send("poweroff -f")
        try:
            rc = q.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pytest.fail(f"QEMU still running after poweroff -f; console:\n{q.transcript}")
        assert rc == 0, f"QEMU exited {rc}; console:\n{q.transcript}"
    finally:
        q.kill()
