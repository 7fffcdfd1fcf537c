# SPDX-License-Identifier: GPL-2.0-only
"""`ids watch`: the checks run by themselves and report when the verdict changes."""

from __future__ import annotations

import re

import pytest

from mamoru.guest_module import (
    HOOKED_SYSCALL,
    attack_commands,
    kallsyms_command,
    parse_kallsyms_address,
    runtime_sct,
)
from mamoru.guestshell import GuestShell
from mamoru.profile import Profile
from mamoru.testing import Launcher
from mamoru.testing.ids import GUEST_BOOT_TIMEOUT, ids_bundle, protection_off


@pytest.mark.qemu
def test_watch_reports_an_intrusion_unasked(launch: Launcher, guest_profile: Profile) -> None:
    t = launch.boot(launch.require("rpi4"), initrd=ids_bundle(True))
    c = t.console
    g = GuestShell(c)
    g.attach(GUEST_BOOT_TIMEOUT)
    g.run("dmesg -n 1")
    g.detach()
    protection_off(c)                            # detection is under test, not prevention
    assert c.command("ids watch") == "ids watch: off"
    assert "checking guest0 every 1 s" in c.command("ids watch 1")
    c.expect("[ids watch] guest0: OK", 10)
    c.assert_absent("[ids watch]", 3.0)          # nothing changed: nothing said

    g.attach()
    victim = int(g.run("sleep 1000 & echo $!"))
    sct = runtime_sct(guest_profile, parse_kallsyms_address(g.run(kallsyms_command())))
    g.write(attack_commands(sct, HOOKED_SYSCALL, victim))
    # The hook, the hidden process and the module hidden from the list (its sysfs object
    # stays); a scan during insmod may report a partial state first.
    c.expect("[ids watch] guest0: ALERT (3 findings)", 30)
    report = c.expect(re.compile(r"(finding: .*\n){3}"), 10).group(0)
    assert f"pid {victim} (sleep): HIDDEN" in report and f"syscall {HOOKED_SYSCALL:4d}" in report
    assert "module mamoru_attack at 0x" in report, report
    g.detach()
    status = c.command("ids watch")
    scans = int(re.search(r"(\d+) scans so far", status).group(1))  # type: ignore[union-attr]
    assert scans >= 3, status
    assert c.command("ids watch off") == "ids watch: off"
    c.assert_absent("[ids watch]", 2.5)
    assert c.command("ids watch 0").startswith("error: the interval is a number of seconds")
