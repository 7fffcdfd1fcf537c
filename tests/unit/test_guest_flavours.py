# SPDX-License-Identifier: GPL-2.0-only
"""mamoru.guest_assets: Debian's kernel flavours (cloud, generic) as one parameter, and the
default /init that loads the drivers of passed devices (virtio, the Pi's SD host) and
mounts /data from virtio-blk or the SD card."""

from __future__ import annotations

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
    """With the Pis' USB controller in the tree, /init waits (bounded, 10 s) for eth0 (the Pi
    3 B's LAN9514) or usb0 (QEMU's usb-net under cdc_ether) and configures whichever came,
    eth0 first; without it eth0 as on virt."""
    init = default_init_script()
    assert "brcm,bcm2835-usb" in guest_assets.PASSED_COMPATIBLES
    assert guest_assets.USB_NET_WAIT_S == 10
    usb = init[init.index(f"if grep -qs {guest_assets.USB_COMPATIBLE} "):]
    usb = usb[:usb.index("\nfi\n")]
    assert "while [ $i -lt 100 ]; do" in usb
    assert "for n in /sys/class/net/eth0 /sys/class/net/usb*; do [ -e $n ] && break 2; done" \
        in usb
    assert init.index("net=eth0\n") < init.index(usb) < init.index("ifconfig $net ")
    assert "if [ -e /sys/class/net/$net ]; then" in init
    assert init.index("insmod") < init.index(usb) < init.index("telnetd -l /bin/sh")
