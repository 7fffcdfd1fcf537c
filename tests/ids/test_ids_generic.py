# SPDX-License-Identifier: GPL-2.0-only
"""The IDS tests of test_ids.py on Debian's generic arm64 kernel (the Pi guest kernel: it has
the Raspberry Pi drivers), on rpi3 with KASLR on: its profile from its own -dbg System.map,
the attack module built against its own headers. The test bodies are test_ids.py's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import test_ids
import test_ids_net

from mamoru import bundle, guest_assets, paths
from mamoru.guest_assets import GuestKernel
from mamoru.guest_module import attack_initramfs_files
from mamoru.guest_platform import GuestPlatform
from mamoru.profile import decode
from mamoru.testing import Launcher, Target, qemu_target
from mamoru.testing.ids import IdsGuest, protection_off

pytestmark = pytest.mark.qemu

test_banner_equals_proc_version = test_ids.test_banner_equals_proc_version
test_plist_matches_ps = test_ids.test_plist_matches_ps
test_plist_follows_processes = test_ids.test_plist_follows_processes
test_syscall_names_match_kallsyms = test_ids.test_syscall_names_match_kallsyms
test_clean_guest_has_no_findings = test_ids.test_clean_guest_has_no_findings
test_visible_module_is_listed_and_owns_its_hook = (
    test_ids.test_visible_module_is_listed_and_owns_its_hook)
test_net_equals_netstat = test_ids_net.test_net_equals_netstat
test_hidden_port_is_detected = test_ids_net.test_hidden_port_is_detected
test_unlinked_listener_is_detected = test_ids_net.test_unlinked_listener_is_detected
test_attack_is_detected = test_ids.test_attack_is_detected


def kernel_generic() -> GuestKernel:
    return guest_assets.debug_files(guest_assets.generic_kernel())


def ids_bundle_generic(k: GuestKernel) -> Path:
    out = paths.BUILD / "test-bundles" / "ids-generic-kaslr.cpio"
    extra = attack_initramfs_files(k.version)
    module_files = [p for p in extra.values() if isinstance(p, Path)]
    if bundle.stale(out, [*bundle.bundle_inputs(k), *module_files]):
        bundle.write_bundle(out, [bundle.kernel_guest(k, GuestPlatform(kaslr=True), extra)])
    return out


@pytest.fixture(scope="module")
def ids_guest(request: pytest.FixtureRequest) -> Iterator[IdsGuest]:
    config = Launcher(None, request.config).require("rpi3")
    k = kernel_generic()
    initrd = ids_bundle_generic(k)
    profile = decode(bundle.kernel_profile(k))
    assert profile.get("str.release") == k.version

    def runs_generic(t: Target) -> None:
        t.shell.attach()
        assert t.shell.run("uname -r") == k.version
        t.shell.detach()
        protection_off(t)

    t = qemu_target(config, initrd=initrd, label=f"{config.id} generic kaslr",
                    guest_init=["dmesg -n 1"], after_guest=[runs_generic])
    try:
        yield IdsGuest(t, None, True, profile)
    finally:
        t.close()
