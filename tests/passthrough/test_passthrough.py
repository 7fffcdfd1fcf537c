# SPDX-License-Identifier: GPL-2.0-only
"""Device passthrough on QEMU virt (docs/passthrough.md), with both vGIC backends: list
registers (GICv2 host) and the emulated CPU interface (GICv3 host).

One boot per configuration serves every test: QEMU gets a virtio-blk disk on transport 8
(0x0a001000, SPI 24) and the bundle two guests. guest0 does not say which devices it
wants and gets virt's default, transports 0 and 8: its RAM is placed 1:1, the Debian
guest loads the virtio modules and reads and writes the disk (the host reads the image
afterwards), and the device's interrupt count rises in the guest and at the host. guest1
asks for the hypervisor's console UART, its interrupt controller, a transport that shares
guest0's page, one that does not start a page and a path that does not exist: each is
refused with a boot message, guest1 runs without them, and the hypervisor goes on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamoru.boards import BoardConfig
from mamoru.bundle import default_guest, write_bundle
from mamoru.guest_platform import GuestPlatform
from mamoru.guestshell import GuestShell
from mamoru.testing import Target, hardware
from mamoru.testing.guest_irqs import irq_lines
from mamoru.testing.target import qemu_target

pytestmark = [pytest.mark.configs("virt-gicv2", "virt-gicv3"), pytest.mark.guests("arm64")]

REFUSED = {
    "/pl011@9000000": "its page at 0x9000000 is shared with the hypervisor's console UART",
    "/intc@8000000": "its page at 0x8000000 is shared with the hypervisor's interrupt "
                     "controller",
    "/virtio_mmio@a000e00": "its page at 0xa000000 is shared with guest0's "
                            "virtio_mmio@a000000",
    "/virtio_mmio@a002200": "its registers do not start on a page boundary",
    "/no/such/node": "no such node in the host's device tree",
}
PATTERN = b"MAMORU-PASSTHROUGH-" + bytes(range(0x41, 0x5b))
REPLY = b"WRITTEN-BY-THE-GUEST-THROUGH-VIRTIO"
DISK_SIZE = 4 << 20


class Passthrough:
    def __init__(self, target: Target, disk: Path) -> None:
        self.target = target
        self.disk = disk
        self.boot_log = target.boot_log
        self.shell: GuestShell = target.shell


@pytest.fixture(scope="module")
def pt(request: pytest.FixtureRequest, board_config: BoardConfig,
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Passthrough]:
    if hardware(request.config):
        pytest.skip("QEMU's virtio-mmio transports")
    tmp = tmp_path_factory.mktemp("passthrough")
    disk = tmp / "disk.img"
    disk.write_bytes(PATTERN + bytes(DISK_SIZE - len(PATTERN)))
    bundle = tmp / "guests.cpio"
    write_bundle(bundle, [
        default_guest(GuestPlatform()),     # no property: virt's default
        default_guest(GuestPlatform(name="guest1", ram_size=128 << 20,
                                    passthrough=tuple(REFUSED)), profile=False),
    ])
    # On virt's disk_device (virtio-blk on transport 8, board.toml): not ext4, so the
    # guest's /init leaves it unmounted.
    t = qemu_target(board_config, initrd=bundle, disk=disk)
    t.use(request.node)  # type: ignore[arg-type]
    try:
        t.boot()
        # guest1 only shows the refusals; it need not use the CPU guest0's checks want.
        t.console.command("guest pause guest1")
        t.ensure_guest()
        yield Passthrough(t, disk)
    finally:
        t.close()


class _attached:
    """The console bound to guest0's shell for a block of checks."""

    def __init__(self, pt: Passthrough) -> None:
        self.pt = pt

    def __enter__(self) -> GuestShell:
        self.pt.shell.attach(30)
        return self.pt.shell

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            self.pt.target.mark_dirty()
            return
        self.pt.shell.detach()


def test_boot_messages_name_what_each_guest_got(pt: Passthrough) -> None:
    log = pt.boot_log
    assert "guest0: passthrough virtio_mmio@a000000 (virtio,mmio) irq 48 -> 48" in log
    assert "guest0: passthrough virtio_mmio@a001000 (virtio,mmio) irq 56 -> 56" in log
    for path, why in REFUSED.items():
        assert f"guest1: passthrough {path} refused: {why}; the guest runs without it" in log
    assert "guest1: passthrough virtio" not in log.replace("refused", "")
    # guest0's RAM is 1:1 (at a host RAM address, not the 0x40000000 its tree had);
    # guest1 has no device and keeps its place.
    m = re.search(r"guest0: 256 MiB RAM at 0x([0-9a-f]+)", log)
    assert m and int(m.group(1), 16) % (2 << 20) == 0 and int(m.group(1), 16) != 0x4000_0000
    assert "guest1: 128 MiB RAM at 0x40000000" in log
    listing = pt.target.console.command("guest list")
    assert re.search(r"^guest0 .*\n\s+passthrough virtio_mmio@a000000 \(virtio,mmio\) irq 48 "
                     r"-> 48\n\s+passthrough virtio_mmio@a001000 \(virtio,mmio\) irq 56 -> 56",
                     listing, re.M), listing
    assert re.search(r"^guest1\s+paused", listing, re.M), listing


def test_guest_sees_its_devices_at_their_host_addresses(pt: Passthrough) -> None:
    with _attached(pt) as g:
        nodes = g.run("ls /sys/firmware/devicetree/base/")
        assert "virtio_mmio@a000000" in nodes and "virtio_mmio@a001000" in nodes
        assert "pl011@9000000" in nodes            # its own, emulated
        ram = g.run("grep 'System RAM' /proc/iomem")
        m = re.search(r"([0-9a-f]+)-[0-9a-f]+ : System RAM", ram)
        assert m, ram
        assert re.search(rf"guest0: 256 MiB RAM at 0x0*{int(m.group(1), 16):x}\b", pt.boot_log)


def _load_modules(g: GuestShell) -> None:
    out = g.run("for m in $(cat /etc/mamoru/modules); do grep -q \"^$(basename $m .ko) \" "
                "/proc/modules || insmod $m || echo FAILED $m; done; ls /dev/vda", timeout=60)
    assert "FAILED" not in out and "/dev/vda" in out, out


def test_guest_reads_and_writes_the_passed_disk(pt: Passthrough) -> None:
    with _attached(pt) as g:
        _load_modules(g)
        got = g.run(f"dd if=/dev/vda bs={len(PATTERN)} count=1 2>/dev/null; echo")
        assert got == PATTERN.decode(), got
        out = g.run(f"printf '{REPLY.decode()}' | dd of=/dev/vda bs=4096 seek=1 conv=fsync "
                    "2>&1; sync; echo done")
        assert out.endswith("done"), out
    data = pt.disk.read_bytes()
    assert data[4096:4096 + len(REPLY)] == REPLY, data[4096:4096 + 64]
    assert data[:len(PATTERN)] == PATTERN


def _guest_count(g: GuestShell) -> int:
    line = g.run("grep virtio /proc/interrupts")
    # The guest's irqchip: GIC-0 (GICv2) or GICv3 (virt-gicv3's list-register backend).
    found = [x for x in irq_lines(line) if x.hwirq == 56]
    assert len(found) == 1, line
    return found[0].total


def _host_count(t: Target) -> int:
    out = t.console.command("irqstat")
    m = re.search(r"^\s*56\s+(\d+) guest0's virtio_mmio@a001000$", out, re.M)
    assert m, out
    return int(m.group(1))


def test_device_interrupts_reach_the_guest(pt: Passthrough) -> None:
    host_before = _host_count(pt.target)
    with _attached(pt) as g:
        _load_modules(g)
        before = _guest_count(g)
        g.run("for i in 1 2 3 4 5 6 7 8; do dd if=/dev/vda of=/dev/null bs=4096 count=1 "
              "skip=$i iflag=direct 2>/dev/null; done")
        after = _guest_count(g)
        assert after >= before + 8, (before, after)
    assert _host_count(pt.target) >= host_before + 8
    # Nothing is left masked at the host: the guest completed every one.
    assert "(masked)" not in pt.target.console.command("guest list")


def test_halt_masks_and_a_new_boot_gets_the_devices_back(pt: Passthrough) -> None:
    """Halting guest0 masks its devices' interrupts at the host (and stops the virtio
    devices, so nothing is written into its RAM any more); starting it again reloads it
    with the same devices, which its new boot finds in a clean state and uses."""
    c = pt.target.console
    c.command("guest halt guest0")
    listing = c.command("guest list")
    assert re.search(r"^guest0\s+halted", listing, re.M), listing
    assert listing.count("(masked)") == 2, listing
    c.command("guest kick guest0")
    with _attached(pt) as g:
        _load_modules(g)
        before = _guest_count(g)
        assert g.run(f"dd if=/dev/vda bs={len(PATTERN)} count=1 2>/dev/null; echo") == \
            PATTERN.decode()
        got = g.run(f"dd if=/dev/vda bs=4096 skip=1 count=1 2>/dev/null | head -c {len(REPLY)}"
                    "; echo")
        assert got == REPLY.decode(), got
        assert _guest_count(g) > before
    assert "(masked)" not in c.command("guest list")
