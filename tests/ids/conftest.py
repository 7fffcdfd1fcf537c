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

# test_ids.py runs on every board configuration, with KASLR off and on. KASLR changes only
# what the portable introspection code works out (the kernel's slide, the moved linear map);
# the board decides where the guest's RAM lies in host memory, the vGIC backend and the
# console, which either variant exercises. So virt-gicv2 and rpi3 (the two vGIC families:
# list registers, emulated CPU interface) run both variants, virt-gicv3 and rpi4 the KASLR
# one only (the harder case). Under QEMU only: a real board runs what its SD card holds.
KASLR_ONLY = frozenset({"virt-gicv3", "rpi4"})


def _kaslr_only_drop(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    if item.path.name != "test_ids.py" or callspec is None:
        return False
    config = callspec.params.get("board_config")
    return (isinstance(config, BoardConfig) and config.id in KASLR_ONLY
            and callspec.params.get("ids_guest") is False)


# The attack guests (attack_guest) stay booted from their first user to their last.
POOL = pytest.StashKey[dict[str, IdsGuest]]()


def _attacks(item: pytest.Item) -> bool:
    return "attack_guest" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if hardware(config):
        return
    gone = [item for item in items if _kaslr_only_drop(item)]
    if gone:
        config.hook.pytest_deselected(items=gone)
        items[:] = [item for item in items if not _kaslr_only_drop(item)]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After the last test that attacks a guest, its QEMUs stop (an idle guest still costs
    CPU time the rest of the run can use)."""
    try:
        return (yield)
    finally:
        # The run's final order (after the fixtures' reordering): no later test attacks.
        if _attacks(item) and (nextitem is None or not _attacks(nextitem)):
            items = item.session.items
            later = items[items.index(item) + 1:] if item in items else []
            if not any(_attacks(i) for i in later):
                close_pool(item.config.stash.get(POOL, {}))


def close_pool(pool: dict[str, IdsGuest]) -> None:
    for g in pool.values():
        g.target.close()
    pool.clear()


@pytest.fixture(scope="session")
def guest_profile() -> Profile:
    return decode(bundle.kernel_profile(guest_assets.cloud_kernel()))


@pytest.fixture(scope="session")
def attack_guests(request: pytest.FixtureRequest) -> Iterator[dict[str, IdsGuest]]:
    """The attack guests booted so far, by board configuration (see attack_guest)."""
    pool = request.config.stash[POOL] = {}
    yield pool
    close_pool(pool)


@pytest.fixture(scope="module")
def attack_guest(request: pytest.FixtureRequest, board_config: BoardConfig,
                 guest_profile: Profile, attack_guests: dict[str, IdsGuest]) -> IdsGuest:
    """guest0 with the attack module, KASLR on, protection off (detection is what these
    tests test; test_ids_protect.py prevents): one boot per board configuration for all
    the modules that attack it (test_ids_net.py, test_ids_tamper.py). A test that leaves
    the guest in a state it cannot undo marks the target dirty: the next one boots afresh."""
    g = attack_guests.get(board_config.id)
    if g is None:
        t = new_target(request, board_config, initrd=lambda: ids_bundle(True),
                       label=f"{board_config.id} kaslr attack", guest_init=["dmesg -n 1"],
                       after_guest=[protection_off])
        g = attack_guests[board_config.id] = IdsGuest(t, None, True, guest_profile)
    return g


@pytest.fixture(scope="module", params=[False, True], ids=["nokaslr", "kaslr"])
def ids_guest(request: pytest.FixtureRequest, board_config: BoardConfig,
              guest_profile: Profile) -> Iterator[IdsGuest]:
    """Mamoru with guest0 (kernel messages off the console, protection off), shared by a
    module's tests (per board and KASLR; with KASLR, four vCPUs).

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
    # The KASLR variant's guest has four vCPUs (docs/smp.md): the IDS reads a kernel that
    # runs on several CPUs, which the single-vCPU variant does not show.
    vcpus = 4 if kaslr else 1
    t = new_target(request, board_config,
                   initrd=lambda: ids_bundle(kaslr, vcpus=vcpus),
                   label=f"{board_config.id} {'kaslr' if kaslr else 'nokaslr'} {vcpus} vcpus",
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
