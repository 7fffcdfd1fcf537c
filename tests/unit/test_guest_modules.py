# SPDX-License-Identifier: GPL-2.0-only
"""mamoru.guest_modules: the virtio modules of the default initramfs, resolved through each
module's .modinfo `depends=`, on a fake Debian package of tiny ELF modules."""

from __future__ import annotations

import lzma
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from mamoru import debian, guest_modules
from mamoru.cpio import read_cpio
from mamoru.guest_assets import GuestKernel, initramfs_bytes
from mamoru.guest_modules import (
    LOAD_LIST,
    GuestModulesError,
    check_builtins,
    load_order,
    module_index,
    module_name,
    modules_dep,
)

RELEASE = "6.1.0-99-cloud-arm64"


def fake_ko(modinfo: dict[str, str]) -> bytes:
    """A minimal ELF64 relocatable file with a .modinfo section (all pyelftools reads)."""
    info = b"".join(f"{k}={v}".encode() + b"\0" for k, v in modinfo.items())
    shstr = b"\0.modinfo\0.shstrtab\0"
    ehsize, shentsize = 64, 64
    info_off = ehsize
    shstr_off = info_off + len(info)
    sh_off = (shstr_off + len(shstr) + 7) & ~7
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack("<HHIQQQIHHHHHH", 1, 183, 1, 0, 0, sh_off, 0, ehsize, 0, 0,
                                 shentsize, 3, 2)

    def sh(name: int, kind: int, off: int, size: int) -> bytes:
        return struct.pack("<IIQQQQIIQQ", name, kind, 0, 0, off, size, 0, 0, 1, 0)

    sections = sh(0, 0, 0, 0) + sh(1, 1, info_off, len(info)) + sh(10, 3, shstr_off, len(shstr))
    body = header + info + shstr
    return body + bytes(sh_off - len(body)) + sections


# name -> (path under /lib/modules/<release>, depends)
FAKE_TREE: dict[str, tuple[str, str]] = {
    "virtio_ring": ("kernel/drivers/virtio/virtio_ring.ko", ""),
    "virtio": ("kernel/drivers/virtio/virtio.ko", "virtio_ring"),
    "virtio_mmio": ("kernel/drivers/virtio/virtio_mmio.ko", "virtio,virtio_ring"),
    "failover": ("kernel/net/core/failover.ko", ""),
    "net_failover": ("kernel/drivers/net/net_failover.ko", "failover"),
    "virtio_net": ("kernel/drivers/net/virtio_net.ko", "net_failover,virtio,virtio_ring"),
    "virtio_blk": ("kernel/drivers/block/virtio_blk.ko", "virtio,virtio_ring"),
    "virtio_rng": ("kernel/drivers/char/hw_random/virtio-rng.ko", "virtio"),
    "unrelated": ("kernel/fs/unrelated.ko", ""),
}


def test_module_names_and_index() -> None:
    assert module_name("kernel/drivers/char/hw_random/virtio-rng.ko") == "virtio_rng"
    with pytest.raises(GuestModulesError):
        module_name("kernel/drivers/virtio/virtio.o")
    index = module_index(["kernel/a/b-c.ko\n", "", "kernel/d.ko"])
    assert index == {"b_c": "kernel/a/b-c.ko", "d": "kernel/d.ko"}


def _deps(name: str) -> list[str]:
    return [d for d in FAKE_TREE[name][1].split(",") if d]


def test_load_order_puts_dependencies_first() -> None:
    order = load_order(guest_modules.DEFAULT_MODULES, _deps)
    assert order == ["virtio_ring", "virtio", "virtio_mmio", "failover", "net_failover",
                     "virtio_net", "virtio_blk"]
    for i, name in enumerate(order):
        assert set(_deps(name)) <= set(order[:i]), name


def test_load_order_rejects_a_cycle() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a"]}
    with pytest.raises(GuestModulesError, match="a -> b -> c -> a"):
        load_order(["a"], lambda n: graph[n])


def test_modules_dep_lists_transitive_dependencies_right_to_left() -> None:
    order = load_order(["virtio_net"], _deps)
    index = {n: p for n, (p, _) in FAKE_TREE.items()}
    text = modules_dep(order, _deps, index)
    line = [x for x in text.splitlines() if x.startswith("kernel/drivers/net/virtio_net.ko:")]
    # order: failover, net_failover, virtio_ring, virtio: modprobe loads from the right
    assert line == ["kernel/drivers/net/virtio_net.ko: kernel/drivers/virtio/virtio.ko "
                    "kernel/drivers/virtio/virtio_ring.ko kernel/drivers/net/net_failover.ko "
                    "kernel/net/core/failover.ko"]
    assert "kernel/net/core/failover.ko:\n" in text


def test_builtins_checked() -> None:
    ok = "".join(f"{o}=y\n" for o in guest_modules.BUILTIN_NEEDED)
    check_builtins(ok)
    with pytest.raises(GuestModulesError, match="CONFIG_EXT4_FS"):
        check_builtins(ok.replace("CONFIG_EXT4_FS=y", "CONFIG_EXT4_FS=m"))


@pytest.fixture
def fake_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GuestKernel:
    return _fake_kernel(tmp_path, monkeypatch, xz=False)


# The generic flavour's package adds the Pi's SD host driver and ext4 as modules.
GENERIC_RELEASE = "6.1.0-99-arm64"
GENERIC_TREE: dict[str, tuple[str, str]] = {
    **FAKE_TREE,
    "sdhci": ("kernel/drivers/mmc/host/sdhci.ko", ""),
    "sdhci_pltfm": ("kernel/drivers/mmc/host/sdhci-pltfm.ko", "sdhci"),
    "sdhci_iproc": ("kernel/drivers/mmc/host/sdhci-iproc.ko", "sdhci-pltfm,sdhci"),
    "sdhci_of_arasan": ("kernel/drivers/mmc/host/sdhci-of-arasan.ko", "sdhci-pltfm,sdhci"),
    "crc32c_generic": ("kernel/crypto/crc32c_generic.ko", ""),
    "jbd2": ("kernel/fs/jbd2/jbd2.ko", ""),
    "mbcache": ("kernel/fs/mbcache.ko", ""),
    "crc16": ("kernel/lib/crc16.ko", ""),
    "ext4": ("kernel/fs/ext4/ext4.ko", "jbd2,mbcache,crc16"),
    # The USB controller and the network behind it (depends= as Debian's 6.1 build has them).
    "usb_common": ("kernel/drivers/usb/common/usb-common.ko", ""),
    "usbcore": ("kernel/drivers/usb/core/usbcore.ko", "usb-common"),
    "roles": ("kernel/drivers/usb/roles/roles.ko", ""),
    "udc_core": ("kernel/drivers/usb/gadget/udc/udc-core.ko", "usb-common"),
    "dwc2": ("kernel/drivers/usb/dwc2/dwc2.ko", "usbcore,usb-common,roles,udc-core"),
    "mii": ("kernel/drivers/net/mii.ko", ""),
    "usbnet": ("kernel/drivers/net/usb/usbnet.ko", "usbcore,mii"),
    "cdc_ether": ("kernel/drivers/net/usb/cdc_ether.ko", "usbcore,usbnet"),
    "rndis_host": ("kernel/drivers/net/usb/rndis_host.ko", "cdc_ether,usbnet,usbcore"),
    "libphy": ("kernel/drivers/net/phy/libphy.ko", ""),
    "selftests": ("kernel/net/core/selftests.ko", ""),
    "smsc95xx": ("kernel/drivers/net/usb/smsc95xx.ko", "usbnet,libphy,selftests,usbcore,crc16"),
}


def _fake_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, xz: bool,
                 release: str = RELEASE, tree: dict[str, tuple[str, str]] = FAKE_TREE,
                 builtins: tuple[str, ...] = guest_modules.BUILTIN_NEEDED) -> GuestKernel:
    """A cache ($MAMORU_CACHE) holding a kernel whose -unsigned package is a fake .deb
    (with xz: its modules compressed, as CONFIG_MODULE_COMPRESS_XZ makes them)."""
    if not shutil.which("dpkg-deb"):
        pytest.skip("needs dpkg-deb")
    cache = tmp_path / "cache"
    monkeypatch.setenv("MAMORU_CACHE", str(cache))
    pkg = tmp_path / "pkg"
    base = pkg / "lib" / "modules" / release
    for name, (path, deps) in tree.items():
        ko = base / path
        ko.parent.mkdir(parents=True, exist_ok=True)
        data = fake_ko({"name": name, "depends": deps,
                        "vermagic": f"{release} SMP mod_unload aarch64"})
        if xz:
            ko = ko.with_name(ko.name + ".xz")
            data = lzma.compress(data)
        ko.write_bytes(data)
    (base / "modules.order").write_text("".join(p + "\n" for p, _ in tree.values()))
    (pkg / "DEBIAN").mkdir()
    (pkg / "DEBIAN" / "control").write_text(
        f"Package: linux-image-{release}-unsigned\nVersion: 1\nArchitecture: arm64\n"
        "Maintainer: test <test@example.org>\nDescription: fake\n")
    deb = tmp_path / "fake.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(pkg), str(deb)],
                   check=True, capture_output=True)
    asked: list[str] = []

    def download(package: str, dest: Path) -> Path:
        asked.append(package)
        return deb

    monkeypatch.setattr(debian, "apt_download", download)
    kdir = cache / "guest" / release
    kdir.mkdir(parents=True)
    config = kdir / f"config-{release}"
    config.write_text("".join(f"{o}=y\n" for o in builtins)
                      + ("CONFIG_MODULE_COMPRESS_XZ=y\n" if xz else ""))
    k = GuestKernel(release, kdir / f"vmlinuz-{release}", config, None, None)
    k.image.write_bytes(b"")
    assert asked == []
    return k


def test_guest_modules_unpacks_what_is_needed_and_caches(fake_kernel: GuestKernel) -> None:
    s = guest_modules.guest_modules(fake_kernel)
    assert s.names == ("virtio_ring", "virtio", "virtio_mmio", "failover", "net_failover",
                       "virtio_net", "virtio_blk")
    root = fake_kernel.directory / "modules" / "lib" / "modules" / RELEASE
    assert not (root / FAKE_TREE["unrelated"][0]).exists(), "only the needed modules"
    assert not (root / FAKE_TREE["virtio_rng"][0]).exists()
    for name, path in s.files().items():
        assert path.is_file() and path == root / FAKE_TREE[name][0]
    again = guest_modules.guest_modules(fake_kernel)
    assert again == s

    files = s.initramfs_files()
    load = files[LOAD_LIST]
    assert isinstance(load, bytes)
    assert load.decode().splitlines() == [f"/lib/modules/{RELEASE}/{FAKE_TREE[n][0]}"
                                          for n in s.names]
    dep = files[f"lib/modules/{RELEASE}/modules.dep"]
    assert isinstance(dep, bytes) and b"virtio_blk.ko: kernel/drivers/virtio/virtio.ko" in dep


def test_modules_land_in_the_initramfs(fake_kernel: GuestKernel, tmp_path: Path) -> None:
    busybox = tmp_path / "busybox"
    busybox.write_bytes(b"\x7fELF fake")
    files = guest_modules.default_initramfs_files(fake_kernel)
    entries = {e.name: e for e in read_cpio(initramfs_bytes("#!/bin/sh\n", files,
                                                            busybox=busybox))}
    ko = f"lib/modules/{RELEASE}/kernel/drivers/net/virtio_net.ko"
    assert entries[ko].is_file and entries[ko].data.startswith(b"\x7fELF")
    assert entries[LOAD_LIST].data.count(b"\n") == 7


def test_missing_module_is_refused(fake_kernel: GuestKernel) -> None:
    with pytest.raises(GuestModulesError, match="no module nosuch"):
        guest_modules.guest_modules(fake_kernel, ("virtio_blk", "nosuch"))


def test_compressed_modules_are_stored_plain(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    k = _fake_kernel(tmp_path, monkeypatch, xz=True)
    s = guest_modules.guest_modules(k, ("virtio_blk",))
    assert s.names == ("virtio_ring", "virtio", "virtio_blk")
    for name, path in s.files().items():
        assert path.name.endswith(".ko") and path.read_bytes().startswith(b"\x7fELF"), name
        assert not path.with_name(path.name + ".xz").exists()
    assert guest_modules.compressed_suffix("CONFIG_MODULE_COMPRESS_GZIP=y\n") == ".gz"
    assert guest_modules.compressed_suffix("# CONFIG_MODULE_COMPRESS_XZ is not set\n") == ""


def test_the_generic_kernel_gets_the_sd_host_and_ext4_modules(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The flavour picks the set: the generic kernel's adds sdhci-iproc and ext4 (with what
    .modinfo says they need, crc32c_generic first: nothing loads it on demand), the USB
    controller (dwc2) and the USB network drivers (cdc_ether, smsc95xx) to the virtio
    drivers, and needs the MMC core built in, not ext4."""
    builtins = guest_modules.BUILTIN_BY_FLAVOUR["generic"]
    assert "CONFIG_EXT4_FS" not in builtins and "CONFIG_MMC" in builtins
    k = _fake_kernel(tmp_path, monkeypatch, xz=False, release=GENERIC_RELEASE,
                     tree=GENERIC_TREE, builtins=builtins)
    assert k.flavour == "generic"
    s = guest_modules.guest_modules(k)
    assert s.names == ("virtio_ring", "virtio", "virtio_mmio", "failover", "net_failover",
                       "virtio_net", "virtio_blk", "sdhci", "sdhci_pltfm", "sdhci_iproc",
                       "crc32c_generic", "jbd2", "mbcache", "crc16", "ext4",
                       "usb_common", "usbcore", "roles", "udc_core", "dwc2", "mii", "usbnet",
                       "cdc_ether", "libphy", "selftests", "smsc95xx")
    root = k.directory / "modules" / "lib" / "modules" / GENERIC_RELEASE
    assert not (root / GENERIC_TREE["sdhci_of_arasan"][0]).exists()
    assert not (root / GENERIC_TREE["rndis_host"][0]).exists()   # QEMU's usb-net: CDC ECM


def test_a_generic_kernel_without_the_mmc_core_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    k = _fake_kernel(tmp_path, monkeypatch, xz=False, release=GENERIC_RELEASE,
                     tree=GENERIC_TREE, builtins=("CONFIG_MMC",))
    with pytest.raises(GuestModulesError, match="CONFIG_MMC_BLOCK"):
        guest_modules.guest_modules(k)
