# SPDX-License-Identifier: GPL-2.0-only
"""The IDS on guests it cannot inspect: no profile, a corrupt profile, a guest not running.

One boot with two guests (guest0 without a profile, guest1 with a damaged one), which also
shows two guests running side by side.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mamoru import bundle, paths
from mamoru.guest_platform import GuestPlatform
from mamoru.guestshell import GuestShell
from mamoru.testing import Launcher


@pytest.fixture(scope="module")
def two_guest_bundle() -> Path:
    out = paths.BUILD / "test-bundles" / "ids-errors.cpio"
    good = bundle.default_guest(GuestPlatform(name="guest0"), profile=False)
    damaged = bundle.default_guest(GuestPlatform(name="guest1"))
    assert damaged.profile is not None
    corrupt = bytearray(damaged.profile)
    corrupt[len(corrupt) // 2] ^= 0xFF              # breaks the CRC
    damaged.profile = bytes(corrupt)
    return bundle.write_bundle(out, [good, damaged])


@pytest.mark.qemu
def test_ids_explains_what_it_cannot_do(launch: Launcher, two_guest_bundle: Path) -> None:
    t = launch.boot(launch.require("virt", 2), initrd=two_guest_bundle)
    c = t.console
    for name in ("guest0", "guest1"):
        g = GuestShell(c, name)
        g.attach(90)
        assert g.run("echo hi") == "hi"
        g.detach()
    rows = c.command("guest list")
    assert rows.count("running") == 2, rows
    assert c.command("ids plist guest0") == (
        "error: guest0 has no IDS profile (build one with './mamoru profile' and put it in "
        "the guest bundle as guest0/profile)")
    assert c.command("ids banner guest1").startswith("error: guest1's profile is unusable: ")
    c.command("guest halt guest0")
    assert c.command("ids check guest0") == (
        "error: guest0 is halted; the IDS inspects a guest that is running or paused")
    # guest1 keeps running on its own.
    g1 = GuestShell(c, "guest1")
    g1.attach()
    assert g1.run("echo still") == "still"
    g1.detach()
