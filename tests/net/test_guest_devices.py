# SPDX-License-Identifier: GPL-2.0-only
"""The default guest's side of its devices, without Mamoru: Debian's cloud kernel with the
default initramfs booted directly on QEMU virt (EL1) with the virt board's network card and
disk (qemu.device_args, the same arguments Mamoru's runs get). /init loads the virtio
modules, brings up eth0 (DHCP, else a static address) with telnetd and mounts /dev/vda at
/data; the host reaches the shell over the forwarded port and reads what the guest wrote
back from the image."""

from __future__ import annotations

import random
import re
import shutil
import time
from pathlib import Path

import pytest

from mamoru import bundle, guest_assets, guest_disk
from mamoru.boards import BOARDS
from mamoru.guest_assets import DATA_DIR, DHCP_TRIES, GUEST_PROMPT, INIT_DONE, NET_UP
from mamoru.plainqemu import StdioQemu
from mamoru.qemu import device_args, free_port
from mamoru.testing.telnet import TelnetShell

pytestmark = [pytest.mark.qemu, pytest.mark.skipif(
    shutil.which("qemu-system-aarch64") is None, reason="qemu-system-aarch64 is not installed")]

TIMEOUT = 60.0
BLOB = random.Random(13).randbytes(48 << 10)


def boot(initrd: Path, disk: Path, port: int) -> StdioQemu:
    k = guest_assets.cloud_kernel()
    return StdioQemu([
        "qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-m", "512M",
        "-nographic", "-no-reboot", "-kernel", str(k.image), "-initrd", str(initrd),
        "-append", "console=ttyAMA0 rdinit=/init quiet panic=-1",
        *device_args(BOARDS["virt"], net_port=port, disk=disk),
    ], deadline=time.monotonic() + TIMEOUT)


@pytest.fixture(scope="module")
def initrd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = bundle.default_guest(profile=False)
    out = tmp_path_factory.mktemp("net") / "initrd.cpio"
    out.write_bytes(spec.initrd)
    return out


def test_guest_network_and_disk_on_plain_qemu(initrd: Path, tmp_path: Path) -> None:
    disk = guest_disk.make_disk(tmp_path / "disk.img")
    port = free_port()
    with boot(initrd, disk, port) as q:
        q.expect(re.escape(INIT_DONE), TIMEOUT)
        q.expect(re.escape(GUEST_PROMPT), TIMEOUT)
        with TelnetShell("127.0.0.1", port, GUEST_PROMPT, timeout=20) as t:
            assert t.run("echo over-telnet") == "over-telnet"
            mods = t.run("cat /proc/modules")
            for m in ("virtio_mmio", "virtio_net", "virtio_blk", "net_failover"):
                assert re.search(rf"^{m} ", mods, re.M), mods
            assert "inet addr:10.0.2.15" in t.run("ifconfig eth0")
            # The address came from QEMU's DHCP server, as on a real network it would.
            assert f"{NET_UP} eth0: 10.0.2.15 (dhcp)" in t.run("dmesg"), t.run("dmesg")
            assert t.run("route -n | grep '^0.0.0.0'").split()[1] == "10.0.2.2"
            # udhcpc stays to renew the lease.
            assert t.run("pidof udhcpc").strip().isdigit()
            assert re.search(r"^/dev/vda /data ext4 rw", t.run("cat /proc/mounts"), re.M)
            assert "Mamoru demo guest's disk" in t.run(f"cat {DATA_DIR}/README")
            t.put_file(f"{DATA_DIR}/blob", BLOB)      # as large as the attack module
            t.run(f"echo written-by-the-guest > {DATA_DIR}/note; sync")
        q.send("umount /data; poweroff -f")
        q.proc.wait(TIMEOUT)
    assert guest_disk.read_file(disk, "/note") == b"written-by-the-guest\n"
    assert guest_disk.read_file(disk, "/blob") == BLOB
    # Nothing of this on the console: the devices came up quietly.
    assert "virtio" not in q.transcript and "EXT4" not in q.transcript, q.transcript


def test_without_dhcp_the_guest_takes_the_static_address(initrd: Path, tmp_path: Path
                                                          ) -> None:
    """A network where nobody answers DHCP (QEMU's user network without IPv4, so its DHCP
    server is off): /init gives eth0 the static address after its few tries, logs it, and
    the shell still comes."""
    net = ["-netdev", "user,id=net0,ipv4=off", "-device",
           f"{BOARDS['virt'].net_device},netdev=net0"]
    k = guest_assets.cloud_kernel()
    with StdioQemu([
        "qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-m", "512M",
        "-nographic", "-no-reboot", "-kernel", str(k.image), "-initrd", str(initrd),
        "-append", "console=ttyAMA0 rdinit=/init quiet panic=-1", *net,
    ], deadline=time.monotonic() + TIMEOUT + 3 * DHCP_TRIES) as q:
        q.expect(re.escape(INIT_DONE), TIMEOUT + 3 * DHCP_TRIES)
        q.expect(re.escape(GUEST_PROMPT), TIMEOUT)
        q.send("dmesg | grep 'network up'; ifconfig eth0 | grep 'inet addr'")
        q.expect(re.escape(f"{NET_UP} eth0: 10.0.2.15 (static)"), 20)
        q.expect(r"inet addr:10\.0\.2\.15 ", 20)
        q.send("poweroff -f")
        q.proc.wait(TIMEOUT)


def test_guest_without_devices_stays_quiet(initrd: Path) -> None:
    k = guest_assets.cloud_kernel()
    with StdioQemu([
        "qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-m", "512M",
        "-nographic", "-no-reboot", "-kernel", str(k.image), "-initrd", str(initrd),
        "-append", "console=ttyAMA0 rdinit=/init quiet panic=-1",
    ], deadline=time.monotonic() + TIMEOUT) as q:
        q.expect(re.escape(GUEST_PROMPT), TIMEOUT)
        q.send("ls /data /sys/class/net; pidof telnetd || echo no-telnetd")
        q.expect("no-telnetd", TIMEOUT)
        before = q.transcript.split(INIT_DONE)[0]
    assert "insmod" not in before and "mamoru-guest:" not in before.replace(INIT_DONE, ""), before
