# SPDX-License-Identifier: GPL-2.0-only
"""Issue 13 end to end: the intrusion comes over the network. Mamoru on virt runs the default
guest with its network card and disk passed through; `ids watch` is armed on the
hypervisor's console; the intruder (this test) reaches the guest's telnetd through QEMU's
forwarded port, drops the attack module onto the guest's disk (/data) and loads it. The
hypervisor reports the ALERT unasked, and nothing of the attack went through its console."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from mamoru.boards import BoardConfig
from mamoru.guest_assets import DATA_DIR
from mamoru.guest_module import (
    GUEST_MODULE_PATH,
    HOOKED_SYSCALL,
    attack_commands,
    kallsyms_command,
    parse_kallsyms_address,
    runtime_sct,
)
from mamoru.profile import Profile
from mamoru.testing import Target, new_target
from mamoru.testing.ids import protection_off
from mamoru.testing.net import intruder_module, net_bundle, telnet

# The virt configurations (both vGIC backends forward the devices' interrupts).
pytestmark = [pytest.mark.qemu, pytest.mark.guests("arm64"),
              pytest.mark.configs("virt-gicv2", "virt-gicv3")]

WATCH_PERIOD = 2
DROPPED = f"{DATA_DIR}/fw_update.ko"


@pytest.fixture
def device(request: pytest.FixtureRequest, board_config: BoardConfig) -> Iterator[Target]:
    t = new_target(request, board_config, initrd=net_bundle, guest_init=["dmesg -n 1"],
                   after_guest=[protection_off])
    t.use(request.node)  # type: ignore[arg-type]
    try:
        t.ensure_guest()
        yield t
    finally:
        t.close()


def test_intrusion_over_the_network_is_reported_unasked(device: Target,
                                                        guest_profile: Profile) -> None:
    c = device.console
    assert f"every {WATCH_PERIOD} s" in c.command(f"ids watch {WATCH_PERIOD}")
    c.expect("[ids watch] guest0: OK", 10)
    mark = c.mark()

    module = intruder_module()
    with telnet(device) as sh:
        assert sh.run("id -u") == "0"
        assert "10.0.2.15" in sh.run("ifconfig eth0")
        victim = int(sh.run("sleep 1000 & echo $!"))
        sct = runtime_sct(guest_profile, parse_kallsyms_address(sh.run(kallsyms_command())))
        sh.put_file(DROPPED, module)
        cmd = attack_commands(sct, HOOKED_SYSCALL, victim).replace(GUEST_MODULE_PATH, DROPPED)
        out = sh.run(f"{cmd}; echo rc=$?", timeout=60)
        assert "rc=0" in out, out
        # The hook, the hidden process and the hidden module; a scan during insmod may
        # report a partial state first.
        c.expect("[ids watch] guest0: ALERT (3 findings)", 10 + 3 * WATCH_PERIOD)
        report = c.expect(re.compile(r"(finding: .*\n){3}"), 10).group(0)
        assert f"pid {victim} (sleep): HIDDEN" in report, report
        assert f"syscall {HOOKED_SYSCALL:4d}" in report and "module mamoru_attack" in report
        # The module stays on the device's storage.
        assert sh.run(f"wc -c < {DROPPED}") == str(len(module))

    console = c.since(mark)
    for trace in ("insmod", "fw_update", "base64", "sleep 1000"):
        assert trace not in console, f"{trace!r} went through the hypervisor's console"
    assert c.command("ids watch off") == "ids watch: off"
