"""Fixtures for the IDS tests: guest0 with the attack module in its initramfs, KASLR off or on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mamoru import bundle, guest_assets, paths
from mamoru.boards import BoardConfig
from mamoru.console import Console
from mamoru.guest_module import attack_initramfs_files
from mamoru.guest_platform import GuestPlatform
from mamoru.guestshell import GuestShell
from mamoru.profile import Profile, decode
from mamoru.testing import Launcher, Target, hardware, watch

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


def require_attack_module(g: GuestShell) -> None:
    """Skips unless the guest's initramfs has the attack module (the SD card's does not)."""
    from mamoru.guest_module import GUEST_MODULE_PATH

    if g.run(f"test -e {GUEST_MODULE_PATH} && echo present || echo absent") != "present":
        g.detach()
        pytest.skip("the guest has no attack module (the SD card's bundle carries none)")
