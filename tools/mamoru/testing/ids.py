# SPDX-License-Identifier: GPL-2.0-only
"""Helpers the IDS tests share (tests/ids): the guest under test, its bundle with the attack
module, and what a test does before attacking it. Imported by the tests and tests/ids/conftest.py
(test modules import from here, never from a conftest, so any set of test folders collects)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mamoru import bundle, guest_assets, paths
from mamoru.boards import BoardConfig
from mamoru.console import Console
from mamoru.guest_assets import GuestKernel
from mamoru.guest_module import attack_initramfs_files
from mamoru.guest_platform import GuestPlatform
from mamoru.guestshell import GuestShell
from mamoru.profile import Profile, decode
from mamoru.testing.target import GUEST_BOOT_TIMEOUT, State, Target, at_state, qemu_target

__all__ = ["GUEST_BOOT_TIMEOUT", "IdsGuest", "fresh_ids", "ids_bundle", "protection_off",
           "require_attack_module"]


class IdsGuest:
    """A target with guest0 under IDS tests, its KASLR setting and the guest kernel's profile.

    shell is always the target's GuestShell of its current boot; the argument is accepted
    (and ignored) so that IdsGuest(target, shell, kaslr, profile) keeps working."""

    def __init__(self, target: Target, shell: GuestShell | None, kaslr: bool,
                 profile: Profile) -> None:
        self.target = target
        self.kaslr = kaslr
        self.profile = profile

    @property
    def shell(self) -> GuestShell:
        return self.target.shell

    @property
    def console(self) -> Console:
        return self.target.console


@contextmanager
def fresh_ids(g: IdsGuest, node: pytest.Item) -> Iterator[IdsGuest]:
    """One test's use of a shared IDS guest: guest0 up, a fresh hypervisor prompt, the
    transcript in the report; a failure makes the next test boot afresh."""
    with at_state(g.target, node, State.HYPERVISOR, guest=True):
        yield g


def protection_off(console: Console | Target) -> None:
    """Disarms `ids protect` for guest0: these tests attack the guest to test detection, and
    the stage-2 write protection would refuse the syscall-table hook (and the banner change);
    tests/ids/test_ids_protect.py tests the protection itself. A build without IDS_PROTECT
    answers with an error, which is fine here."""
    if isinstance(console, Target):
        console = console.console
    out = console.command("ids protect off")
    assert out.startswith("guest0: protection off") or "not in this build" in out, out


def ids_bundle(kaslr: bool, vcpus: int = 1) -> Path:
    """build/test-bundles/ids-<kaslr>[-<vcpus>cpus].cpio: guest0 (of vcpus vCPUs) + profile +
    the attack module, cached."""
    name = f"ids-{'kaslr' if kaslr else 'nokaslr'}{f'-{vcpus}cpus' if vcpus != 1 else ''}"
    out = paths.BUILD / "test-bundles" / f"{name}.cpio"
    extra = attack_initramfs_files()
    module_files = [p for p in extra.values() if isinstance(p, Path)]
    inputs = [*bundle.bundle_inputs(guest_assets.cloud_kernel()), *module_files]
    if bundle.stale(out, inputs):
        spec = bundle.default_guest(GuestPlatform(kaslr=kaslr, vcpus=vcpus), extra)
        bundle.write_bundle(out, [spec])
    return out


def kernel_ids_bundle(k: GuestKernel, name: str) -> Path:
    """build/test-bundles/<name>.cpio: guest0 on kernel k (KASLR on) with its profile and the
    attack module built against its headers, cached."""
    out = paths.BUILD / "test-bundles" / f"{name}.cpio"
    extra = attack_initramfs_files(k.version)
    module_files = [p for p in extra.values() if isinstance(p, Path)]
    if bundle.stale(out, [*bundle.bundle_inputs(k), *module_files]):
        bundle.write_bundle(out, [bundle.kernel_guest(k, GuestPlatform(kaslr=True), extra)])
    return out


@contextmanager
def kernel_ids_guest(config: BoardConfig, k: GuestKernel, initrd: Path, label: str
                     ) -> Iterator[IdsGuest]:
    """Mamoru on config with guest0 on kernel k (bundle initrd) at its shell, KASLR on,
    protection off; each boot checks that the guest runs k. The QEMU stops on leaving."""
    profile = decode(bundle.kernel_profile(k))
    assert profile.get("str.release") == k.version

    def runs_k(t: Target) -> None:
        t.shell.attach()
        assert t.shell.run("uname -r") == k.version
        t.shell.detach()
        protection_off(t)

    t = qemu_target(config, initrd=initrd, label=f"{config.id} {label}",
                    guest_init=["dmesg -n 1"], after_guest=[runs_k])
    try:
        yield IdsGuest(t, None, True, profile)
    finally:
        t.close()


def require_attack_module(g: GuestShell) -> None:
    """Skips unless the guest's initramfs has the attack module (the SD card's does not)."""
    from mamoru.guest_module import GUEST_MODULE_PATH

    if g.run(f"test -e {GUEST_MODULE_PATH} && echo present || echo absent") != "present":
        g.detach()
        pytest.skip("the guest has no attack module (the SD card's bundle carries none)")
