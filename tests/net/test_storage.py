# SPDX-License-Identifier: GPL-2.0-only
"""Issue 13: the guest's disk (virtio-blk passed through on virt) is persistent storage.
What the guest writes to /data is there after `guest reset`, in the image file on the host
(read with debugfs, no mount), and after a full restart of QEMU on the same image."""

from __future__ import annotations

import pytest

from mamoru import guest_disk
from mamoru.boards import BoardConfig
from mamoru.guest_assets import DATA_DIR
from mamoru.testing import new_target
from mamoru.testing.net import net_bundle, telnet
from mamoru.testing.target import scratch_disk

pytestmark = [pytest.mark.qemu, pytest.mark.guests("arm64"), pytest.mark.configs("virt-gicv2")]

RELOAD_TIMEOUT = 60.0
NOTE = b"kept by the devices disk\n"


def test_data_survives_guest_reset_and_restart(request: pytest.FixtureRequest,
                                               board_config: BoardConfig) -> None:
    disk = scratch_disk()
    t = new_target(request, board_config, initrd=net_bundle, guest_init=["dmesg -n 1"],
                   disk=disk)
    t.use(request.node)  # type: ignore[arg-type]
    try:
        t.ensure_guest()
        assert t.disk == disk
        g = t.shell
        g.attach()
        assert "Mamoru demo guest's disk" in g.run(f"cat {DATA_DIR}/README")
        g.run(f"echo \"{NOTE.decode().strip()}\" > {DATA_DIR}/note; sync")
        g.detach()

        c = t.console
        assert c.command("guest reset guest0", timeout=RELOAD_TIMEOUT) == "guest0: running"
        g.attach(RELOAD_TIMEOUT)   # the guest's new boot, up to its shell
        g.run("dmesg -n 1")
        g.detach()
        with telnet(t) as sh:      # the network is back too
            assert sh.run(f"cat {DATA_DIR}/note") == NOTE.decode().strip()
            # A clean stop: the journal written back, so debugfs sees the file.
            sh.run(f"mount -o remount,ro {DATA_DIR}")
        t.off()
        assert guest_disk.read_file(disk, "/note") == NOTE

        t.boot()                   # a full restart of QEMU on the same image
        t.ensure_guest()
        g = t.shell
        g.attach()
        assert g.run(f"cat {DATA_DIR}/note") == NOTE.decode().strip()
        g.detach()
    finally:
        t.close()
