# SPDX-License-Identifier: GPL-2.0-only
"""Helpers the IDS tests share (tests/ids): the guest under test, its bundle with the attack
module, and what a test does before attacking it. Imported by the tests and tests/ids/conftest.py
(test modules import from here, never from a conftest, so any set of test folders collects)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mamoru import bundle, guest_assets, paths
from mamoru.console import Console
from mamoru.guest_module import attack_initramfs_files
from mamoru.guest_platform import GuestPlatform
from mamoru.guestshell import GuestShell
from mamoru.profile import Profile
from mamoru.testing import Target

GUEST_BOOT_TIMEOUT = 90.0


@dataclass
class IdsGuest:
    target: Target
    shell: GuestShell
    kaslr: bool
    profile: Profile

    @property
    def console(self):  # type: ignore[no-untyped-def]  # noqa: ANN201
        return self.target.console


def protection_off(console: Console) -> None:
    """Disarms `ids protect` for guest0: these tests attack the guest to test detection, and
    the stage-2 write protection would refuse the syscall-table hook (and the banner change);
    tests/ids/test_ids_protect.py tests the protection itself. A build without IDS_PROTECT
    answers with an error, which is fine here."""
    out = console.command("ids protect off")
    assert out.startswith("guest0: protection off") or "not in this build" in out, out


def ids_bundle(kaslr: bool) -> Path:
    """build/test-bundles/ids-<kaslr>.cpio: guest0 + profile + the attack module, cached."""
    out = paths.BUILD / "test-bundles" / f"ids-{'kaslr' if kaslr else 'nokaslr'}.cpio"
    extra = attack_initramfs_files()
    module_files = [p for p in extra.values() if isinstance(p, Path)]
    inputs = [*bundle.bundle_inputs(guest_assets.cloud_kernel()), *module_files]
    if bundle.stale(out, inputs):
        spec = bundle.default_guest(GuestPlatform(kaslr=kaslr), extra)
        bundle.write_bundle(out, [spec])
    return out


def require_attack_module(g: GuestShell) -> None:
    """Skips unless the guest's initramfs has the attack module (the SD card's does not)."""
    from mamoru.guest_module import GUEST_MODULE_PATH

    if g.run(f"test -e {GUEST_MODULE_PATH} && echo present || echo absent") != "present":
        g.detach()
        pytest.skip("the guest has no attack module (the SD card's bundle carries none)")
