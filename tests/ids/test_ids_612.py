# SPDX-License-Identifier: GPL-2.0-only
"""The IDS tests of test_ids.py on a second kernel series: Debian's bookworm-backports 6.12
cloud kernel (the newest build of the series apt offers), KASLR on, its profile made from the
Image + System.map, the attack module built against its own headers.

One configuration (virt with GICv2, the cheapest to boot) keeps the suite's time in budget;
the module is skipped when --board leaves virt out. The test bodies are test_ids.py's own,
imported below, so both series run exactly the same checks; `ids_guest` here replaces the
conftest fixture of that name for this module only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import test_ids
import test_ids_net

from mamoru import bundle, guest_assets, paths
from mamoru.guest_assets import GuestKernel
from mamoru.guest_platform import GuestPlatform
from mamoru.guestshell import GuestShell
from mamoru.testing import Launcher
from mamoru.testing.ids import (
    GUEST_BOOT_TIMEOUT,
    IdsGuest,
    kernel_ids_bundle,
    kernel_ids_guest,
)

pytestmark = pytest.mark.qemu

SERIES = "6.12"

# test_ids.py's tests, in its order (pytest runs a module's tests in the order they appear in
# it; the attack comes last because it cannot be undone).
test_banner_equals_proc_version = test_ids.test_banner_equals_proc_version
test_plist_matches_ps = test_ids.test_plist_matches_ps
test_plist_follows_processes = test_ids.test_plist_follows_processes
test_syscall_names_match_kallsyms = test_ids.test_syscall_names_match_kallsyms
test_clean_guest_has_no_findings = test_ids.test_clean_guest_has_no_findings
test_ids_errors_are_clear = test_ids.test_ids_errors_are_clear
test_visible_module_is_listed_and_owns_its_hook = (
    test_ids.test_visible_module_is_listed_and_owns_its_hook)
# ids net on this series' socket layout (test_ids_net.py's bodies; the hidden port is undone).
test_net_equals_netstat = test_ids_net.test_net_equals_netstat
test_hidden_port_is_detected = test_ids_net.test_hidden_port_is_detected
test_unlinked_listener_is_detected = test_ids_net.test_unlinked_listener_is_detected
test_attack_is_detected = test_ids.test_attack_is_detected


def kernel_612() -> GuestKernel:
    return guest_assets.debug_files(guest_assets.cloud_kernel(series=SERIES))


@pytest.fixture(scope="module")
def ids_guest(request: pytest.FixtureRequest) -> Iterator[IdsGuest]:
    """Mamoru on virt (GICv2) with the 6.12 guest0 at its shell, KASLR on."""
    config = Launcher(None, request.config).require("virt", 2)
    k = kernel_612()
    with kernel_ids_guest(config, k, kernel_ids_bundle(k, "ids-612-kaslr"), "6.12 kaslr") as g:
        yield g


def test_profile_of_another_kernel_is_a_finding(launch: Launcher) -> None:
    """Fail closed: the 6.12 guest with the 6.1 kernel's profile. ids check is an ALERT that
    says which kernel the guest runs, not an error; ids watch calls it ALERT too."""
    k = kernel_612()
    out = paths.BUILD / "test-bundles" / "ids-612-wrong-profile.cpio"
    wrong = bundle.kernel_profile(guest_assets.cloud_kernel())
    spec = bundle.kernel_guest(k, GuestPlatform(kaslr=True), profile=False)
    spec.profile = wrong
    bundle.write_bundle(out, [spec])
    t = launch.boot(launch.require("virt", 2), initrd=out)
    c = t.console
    g = GuestShell(c)
    g.attach(GUEST_BOOT_TIMEOUT)
    g.run("dmesg -n 1")
    g.detach()
    lines = c.command("ids check", timeout=60).splitlines()
    assert lines[-1].startswith("ids: ALERT ("), lines
    located = [x for x in lines if x.startswith("finding: kernel: TAMPERED: locating the guest")]
    assert located and f'which holds "Linux version {k.version}"' in located[0], lines
    assert "a kernel other than the profile's" in located[0], lines
    assert c.command("ids watch 1").startswith("ids watch: checking guest0")
    try:
        c.expect("[ids watch] guest0: ALERT (", 30)
    finally:
        c.sync()
        c.command("ids watch off")
