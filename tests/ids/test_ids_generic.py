# SPDX-License-Identifier: GPL-2.0-only
"""The IDS tests of test_ids.py on Debian's generic arm64 kernel (the Pi guest kernel: it has
the Raspberry Pi drivers), on rpi3 with KASLR on: its profile from its own -dbg System.map,
the attack module built against its own headers. The test bodies are test_ids.py's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import test_ids
import test_ids_net

from mamoru import guest_assets
from mamoru.guest_assets import GuestKernel
from mamoru.testing import Launcher
from mamoru.testing.ids import IdsGuest, kernel_ids_bundle, kernel_ids_guest

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


@pytest.fixture(scope="module")
def ids_guest(request: pytest.FixtureRequest) -> Iterator[IdsGuest]:
    config = Launcher(None, request.config).require("rpi3")
    k = kernel_generic()
    initrd = kernel_ids_bundle(k, "ids-generic-kaslr")
    with kernel_ids_guest(config, k, initrd, "generic kaslr") as g:
        yield g
