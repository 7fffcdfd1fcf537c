# SPDX-License-Identifier: GPL-2.0-only
"""mamoru.guest_assets: Debian's kernel flavours (cloud, generic) as one parameter, and the
default /init that loads the drivers of passed devices (virtio, the Pi's SD host) and
mounts /data from virtio-blk or the SD card."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamoru import guest_assets
from mamoru.guest_assets import GuestAssetError, GuestKernel, default_init_script


def test_metapackages_by_flavour_and_series() -> None:
    assert guest_assets._meta(None) == "linux-image-cloud-arm64:arm64"
    assert guest_assets._meta(None, "generic") == "linux-image-arm64:arm64"
    assert guest_assets._meta("6.12") == "linux-image-6.12-cloud-arm64:arm64"
    assert guest_assets._meta("6.12", "generic") == "linux-image-6.12-arm64:arm64"
    with pytest.raises(GuestAssetError, match="no kernel flavour 'rt'"):
        guest_assets._meta(None, "rt")


def test_markers_keep_flavours_apart(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAMORU_CACHE", str(tmp_path))
    names = {guest_assets._marker(s, f).name for s in (None, "6.12") for f in ("cloud", "generic")}
    assert names == {"cloud-kernel", "cloud-kernel-6.12", "generic-kernel", "generic-kernel-6.12"}


@pytest.mark.parametrize("release,flavour", [("6.1.0-57-cloud-arm64", "cloud"),
                                             ("6.1.0-57-arm64", "generic"),
                                             ("6.12.117+deb12-cloud-arm64", "cloud"),
                                             ("6.12.117+deb12-arm64", "generic")])
def test_flavour_of_a_release(tmp_path: object, release: str, flavour: str) -> None:
    k = GuestKernel(release, guest_assets.guest_dir() / release / "vmlinuz", None, None, None)
    assert k.flavour == flavour


def test_an_unknown_flavour_is_an_error() -> None:
    k = GuestKernel("6.1.0-57-rt-amd64", guest_assets.guest_dir() / "x", None, None, None)
    with pytest.raises(GuestAssetError, match="not one of the flavours"):
        _ = k.flavour


def test_init_loads_drivers_for_passed_devices_and_mounts_the_sd_card() -> None:
    init = default_init_script()
    assert f"grep -qsE '{guest_assets.PASSED_COMPATIBLES}'" in init
    assert "virtio,mmio" in guest_assets.PASSED_COMPATIBLES
    assert "brcm,bcm2835-sdhci" in guest_assets.PASSED_COMPATIBLES
    # The card is found asynchronously: /init waits (bounded) for its partition, then
    # mounts the first of virtio-blk and the SD card that exists.
    assert "while [ ! -b /dev/mmcblk0p1 ] && [ $i -lt 50 ]" in init
    assert "for disk in /dev/vda /dev/mmcblk0p1; do" in init
    assert init.index("insmod") < init.index("mmcblk0p1") < init.index("mount -t ext4 $disk")


def test_init_brings_up_the_network_behind_a_passed_usb_controller() -> None:
    """With the Pis' USB controller in the tree, /init waits (bounded, 10 s) in the
    background for eth0 (the Pi 3 B's LAN9514) or usb0 (QEMU's usb-net under cdc_ether) and
    configures whichever came, eth0 first, while the shell already runs; eth0 there at once
    is configured at once, as on virt."""
    init = default_init_script()
    assert "brcm,bcm2835-usb" in guest_assets.PASSED_COMPATIBLES
    assert guest_assets.USB_NET_WAIT_S == 10
    usb = init[init.index(f"grep -qs {guest_assets.USB_COMPATIBLE} "):]
    usb = usb[:usb.index("\nfi\n")]
    assert "while [ $i -lt 100 ]; do" in usb
    assert "for n in /sys/class/net/eth0 /sys/class/net/usb*; do" in usb
    assert "[ -e $n ] && { net_up ${n##*/}; exit 0; }" in usb
    # In a subshell of its own, in the background, printing nothing on the console.
    assert usb.rstrip().endswith(") </dev/null >/dev/null 2>&1 &"), usb
    assert "if [ -e /sys/class/net/eth0 ]; then\n    net_up eth0\nelif " in init
    assert init.index("insmod") < init.index("net_up() {") < init.index(usb)
    assert init.index(usb) < init.index(guest_assets.INIT_DONE)


def test_init_asks_dhcp_then_falls_back_to_the_static_address() -> None:
    init = default_init_script()
    up = init[init.index("net_up() {"):]
    up = up[:up.index("\n}\n")]
    # No -q: with a lease it stays, in the background, to renew it.
    dhcp = f"udhcpc -i $1 -n -t {guest_assets.DHCP_TRIES} -T 1 -s /{guest_assets.DHCP_SCRIPT}"
    assert f"if ! {dhcp} " in up, up
    assert up.index(dhcp) < up.index(f"ifconfig $1 {guest_assets.GUEST_IP} netmask") \
        < up.index("telnetd -l /bin/sh") < up.index(guest_assets.NET_UP)
    # The lease script is in the image, executable, and applies address, mask and router.
    tree = guest_assets.root_tree(init, busybox=Path(__file__))
    data, mode = tree.files[guest_assets.DHCP_SCRIPT]
    assert mode == 0o755 and data.startswith(b"#!/bin/sh\n")
    for word in (b'ifconfig "$interface" "$ip" netmask', b'route add default gw "$r"'):
        assert word in data
    assert tree.links["bin/udhcpc"] == "busybox"
