# SPDX-License-Identifier: GPL-2.0-only
"""Fixtures for the IDS tests: guest0 with the attack module in its initramfs, KASLR off or on.

  guest_profile  the default guest kernel's profile (session)
  ids_guest      an IdsGuest shared by a module's tests, per board and KASLR setting
  ids            ids_guest with guest0 up at a fresh hypervisor prompt (mamoru.testing.ids
                 fresh_ids: transcript in the report, a failure reboots for the next test)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mamoru import bundle, guest_assets, paths
from mamoru.boards import BoardConfig
from mamoru.profile import Profile, decode
from mamoru.testing import hardware, new_target
from mamoru.testing.ids import IdsGuest, fresh_ids, ids_bundle, protection_off


@pytest.fixture(scope="session")
def guest_profile() -> Profile:
    return decode(bundle.kernel_profile(guest_assets.cloud_kernel()))


@pytest.fixture(scope="module", params=[False, True], ids=["nokaslr", "kaslr"])
def ids_guest(request: pytest.FixtureRequest, board_config: BoardConfig,
              guest_profile: Profile) -> Iterator[IdsGuest]:
    """Mamoru with guest0 (kernel messages off the console, protection off), shared by a
    module's tests (per board and KASLR).

    On a real board (--console) the guest is the one on its SD card (the default bundle:
    KASLR off, no attack module), so only the nokaslr variant runs there.
    """
    kaslr: bool = request.param
    profile = guest_profile
    if hardware(request.config):
        if kaslr:
            pytest.skip("on a real board the SD card's bundle decides KASLR (off by default)")
        # The card's guest0 may be a user's (./mamoru test --guests FILE): its own profile.
        card = bundle.read_bundle(paths.BUILD / board_config.board.name / "guests.cpio")
        own = card.get("guest0", {}).get("profile")
        profile = decode(own) if own else guest_profile
    t = new_target(request, board_config,
                   initrd=lambda: ids_bundle(kaslr),
                   label=f"{board_config.id} {'kaslr' if kaslr else 'nokaslr'}",
                   guest_init=["dmesg -n 1"],          # keep kernel messages off the console
                   after_guest=[protection_off])
    try:
        yield IdsGuest(t, None, kaslr, profile)
    finally:
        t.close()


@pytest.fixture
def ids(request: pytest.FixtureRequest, ids_guest: IdsGuest) -> Iterator[IdsGuest]:
    """ids_guest at a fresh hypervisor prompt, its transcript attached to failures."""
    with fresh_ids(ids_guest, request.node) as g:  # type: ignore[arg-type]
        yield g
