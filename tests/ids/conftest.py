# SPDX-License-Identifier: GPL-2.0-only
"""Fixtures for the IDS tests: guest0 with the attack module in its initramfs, KASLR off or on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mamoru import bundle, guest_assets, paths
from mamoru.boards import BoardConfig
from mamoru.guestshell import GuestShell
from mamoru.idstest import GUEST_BOOT_TIMEOUT, IdsGuest, ids_bundle, protection_off
from mamoru.profile import Profile, decode
from mamoru.testing import Launcher, Target, hardware, watch


@pytest.fixture(scope="session")
def guest_profile() -> Profile:
    return decode(bundle.kernel_profile(guest_assets.cloud_kernel()))


@pytest.fixture(scope="module", params=[False, True], ids=["nokaslr", "kaslr"])
def ids_guest(request: pytest.FixtureRequest, board_config: BoardConfig,
              guest_profile: Profile) -> Iterator[IdsGuest]:
    """Mamoru with guest0 at its shell, shared by a module's tests (per board and KASLR).

    On a real board (--console) the guest is the one on its SD card (the default bundle:
    KASLR off, no attack module), so only the nokaslr variant runs there.
    """
    kaslr: bool = request.param
    if hardware(request.config):
        if kaslr:
            pytest.skip("on a real board the SD card's bundle decides KASLR (off by default)")
        console = request.getfixturevalue("hardware_console")
        console.sync(timeout=10)
        t = Target(board_config, console, None)
        g = GuestShell(console)
        g.attach(GUEST_BOOT_TIMEOUT)
        g.run("dmesg -n 1")
        g.detach()
        protection_off(console)
        # The card's guest0 may be a user's (./mamoru test --guests FILE): its own profile.
        card = bundle.read_bundle(paths.BUILD / board_config.board.name / "guests.cpio")
        profile = card.get("guest0", {}).get("profile")
        yield IdsGuest(t, g, kaslr, decode(profile) if profile else guest_profile)
        return
    launcher = Launcher(None, request.config)
    try:
        t = launcher.boot(board_config, initrd=ids_bundle(kaslr))
        g = GuestShell(t.console)
        g.attach(GUEST_BOOT_TIMEOUT)
        g.run("dmesg -n 1")          # keep kernel messages off the console
        g.detach()
        protection_off(t.console)
        yield IdsGuest(t, g, kaslr, guest_profile)
    finally:
        launcher.close()


@pytest.fixture
def ids(request: pytest.FixtureRequest, ids_guest: IdsGuest) -> Iterator[IdsGuest]:
    """ids_guest at a fresh hypervisor prompt, its transcript attached to failures."""
    t = ids_guest.target
    if t.qemu is not None and t.qemu.poll() is not None:
        pytest.fail("QEMU died in an earlier test of this module", pytrace=False)
    watch(request.node, f"{t.config.id} {'kaslr' if ids_guest.kaslr else 'nokaslr'}",  # type: ignore[arg-type]
          t.console, t.qemu, t.console.mark())
    t.console.sync()
    yield ids_guest
    if ids_guest.shell.attached:
        ids_guest.shell.detach()
