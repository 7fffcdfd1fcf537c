# SPDX-License-Identifier: GPL-2.0-only
"""The guest kernel's modules the default initramfs carries: the drivers of passed devices.

Debian's cloud kernel has virtio-mmio, virtio-net and virtio-blk as modules (ext4, jbd2,
crc16 and crc32c are built in: checked against the kernel's config). The generic kernel
(guest_assets.FLAVOURS) has those and the Raspberry Pi's SD host driver (sdhci-iproc, with
sdhci-pltfm and sdhci) as modules, and ext4 and crc32c too (the MMC core and mmc_block are
built in), and the Pi's USB controller (dwc2) with the USB network drivers (cdc_ether,
smsc95xx). They come from the same `linux-image-<release>-unsigned` package as the kernel
(guest_assets caches it).

Modules compressed by the kernel's build (6.12: .ko.xz) are stored decompressed. That
package has no modules.dep (Debian's postinst runs depmod on the installed system),
so dependencies come from each module's own `.modinfo` section: modpost writes there
`depends=` (the modules whose symbols it uses), the same relation depmod derives. Starting
from DEFAULT_MODULES, the needed .ko files are unpacked round by round until every
dependency is there:

    guest/<release>/modules/lib/modules/<release>/kernel/...   the unpacked .ko files
    guest/<release>/modules/<names>.order                      the load order (stamp)

In the initramfs they sit at /lib/modules/<release>/kernel/..., with a modules.dep
(depmod's format, for busybox modprobe) and LOAD_LIST: one absolute path a line, each
module after its dependencies, which the default /init loads with insmod.
"""

from __future__ import annotations

import gzip
import lzma
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile

from mamoru import debian, guest_assets, paths
from mamoru.guest_assets import GuestKernel

# The devices of the QEMU virt demo: virtio-mmio transports, a network card, a disk.
DEFAULT_MODULES: tuple[str, ...] = ("virtio_mmio", "virtio_net", "virtio_blk")
# Built-in options the guest's /data (ext4 on virtio-blk) needs besides the modules.
BUILTIN_NEEDED: tuple[str, ...] = ("CONFIG_EXT4_FS", "CONFIG_JBD2", "CONFIG_CRC16",
                                   "CONFIG_CRYPTO_CRC32C")
# The generic kernel: the Pi's SD host (sdhci-iproc; sdhci-pltfm, sdhci by depends=) and
# ext4 (jbd2, mbcache, crc16 by depends=). crc32c_generic is named: ext4 and jbd2 ask the
# crypto API for "crc32c", and with no /sbin/modprobe in the initramfs nothing loads it
# on demand, so it comes first.
MMC_MODULES: tuple[str, ...] = ("sdhci_iproc", "crc32c_generic", "ext4")
# The generic kernel: the Pis' USB controller (dwc2; usbcore, usb-common, udc-core and roles
# by depends=: Debian builds it dual-role) and the network behind it: cdc_ether for QEMU's
# usb-net (it offers RNDIS as its first configuration and CDC ECM as its second; Linux
# takes the second, the first non-vendor-specific one, so rndis_host is not needed) and
# smsc95xx for the Pi 3 B's on-board LAN9514 (usbnet, mii, libphy by depends=). All =m in
# Debian's generic config (CONFIG_USB, CONFIG_USB_DWC2, CONFIG_USB_NET_CDCETHER,
# CONFIG_USB_NET_SMSC95XX).
USB_MODULES: tuple[str, ...] = ("dwc2", "cdc_ether", "smsc95xx")
MODULES_BY_FLAVOUR: dict[str, tuple[str, ...]] = {
    "cloud": DEFAULT_MODULES,
    "generic": DEFAULT_MODULES + MMC_MODULES + USB_MODULES,
}
BUILTIN_BY_FLAVOUR: dict[str, tuple[str, ...]] = {
    "cloud": BUILTIN_NEEDED,
    "generic": ("CONFIG_MMC", "CONFIG_MMC_BLOCK", "CONFIG_MSDOS_PARTITION"),
}
# In the initramfs: the modules to load, in order, one absolute path a line (the default
# /init reads it).
LOAD_LIST = guest_assets.MODULES_LIST


class GuestModulesError(RuntimeError):
    """A module is missing, malformed, or its dependencies cannot be ordered."""


def module_name(path: str) -> str:
    """The kernel's name of a module file: "kernel/.../virtio-rng.ko" -> "virtio_rng"."""
    base = path.rsplit("/", 1)[-1]
    if not base.endswith(".ko"):
        raise GuestModulesError(f"{path} is not a .ko file")
    return base.removesuffix(".ko").replace("-", "_")


def module_index(order: Iterable[str]) -> dict[str, str]:
    """modules.order's lines ("kernel/drivers/virtio/virtio.ko") by module name."""
    index: dict[str, str] = {}
    for line in order:
        line = line.strip()
        if line:
            index[module_name(line)] = line
    return index


def parse_modinfo(ko: Path) -> dict[str, str]:
    """The key=value strings of a module's .modinfo section (the last of a repeated key)."""
    with open(ko, "rb") as f:
        try:
            elf = ELFFile(f)
            section = elf.get_section_by_name(".modinfo")
            data = section.data() if section is not None else None
        except Exception as e:  # pyelftools raises several types on malformed input
            raise GuestModulesError(f"{ko}: not a readable ELF module: {e}") from e
    if data is None:
        raise GuestModulesError(f"{ko} has no .modinfo section")
    info: dict[str, str] = {}
    for item in data.split(b"\0"):
        key, sep, value = item.decode(errors="replace").partition("=")
        if sep:
            info[key] = value
    return info


def depends_of(info: Mapping[str, str]) -> list[str]:
    """The `depends=` list of a parsed .modinfo (names as the kernel spells them)."""
    return [d.replace("-", "_") for d in info.get("depends", "").split(",") if d]


def load_order(wanted: Iterable[str], depends: Callable[[str], list[str]]) -> list[str]:
    """wanted and everything they depend on, each after its dependencies (depth first, in
    the order given, so the result is stable). Raises GuestModulesError on a cycle."""
    order: list[str] = []
    state: dict[str, str] = {}  # name -> "visiting" | "done"

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise GuestModulesError(f"dependency cycle: {' -> '.join([*chain, name])}")
        state[name] = "visiting"
        for dep in depends(name):
            visit(dep, [*chain, name])
        state[name] = "done"
        order.append(name)

    for name in wanted:
        visit(name, [])
    return order


def modules_dep(order: list[str], depends: Callable[[str], list[str]],
                index: Mapping[str, str]) -> str:
    """depmod's modules.dep for the modules of `order`: "path: dep-paths", the transitive
    dependencies listed so that loading them from the right to the left works."""
    lines = []
    for name in order:
        deps = [d for d in load_order([name], depends) if d != name]
        line = f"{index[name]}:"
        if deps:
            line += " " + " ".join(index[d] for d in reversed(deps))
        lines.append(line)
    return "".join(f"{line}\n" for line in lines)


@dataclass(frozen=True)
class ModuleSet:
    """Modules unpacked for one kernel release: root/<path> for each path of `paths`
    (relative to /lib/modules/<release>, in load order)."""

    release: str
    root: Path
    names: tuple[str, ...]
    paths: tuple[str, ...]
    dep: str

    def files(self) -> dict[str, Path]:
        return {name: self.root / path for name, path in zip(self.names, self.paths, strict=True)}

    def initramfs_files(self) -> dict[str, bytes | Path]:
        """extra_files for guest_assets.initramfs_bytes: the .ko files, modules.dep and
        LOAD_LIST."""
        base = f"lib/modules/{self.release}"
        out: dict[str, bytes | Path] = {
            f"{base}/{p}": self.root / p for p in self.paths
        }
        out[f"{base}/modules.dep"] = self.dep.encode()
        out[LOAD_LIST] = "".join(f"/{base}/{p}\n" for p in self.paths).encode()
        return out


def check_builtins(config: str, needed: tuple[str, ...] = BUILTIN_NEEDED) -> None:
    """Raises GuestModulesError unless every option of needed is `=y` in config."""
    have = {line.split("=", 1)[0] for line in config.splitlines() if line.endswith("=y")}
    missing = [o for o in needed if o not in have]
    if missing:
        raise GuestModulesError(f"the guest kernel lacks built-in {', '.join(missing)}: "
                               "the default initramfs carries no module for them")


# CONFIG_MODULE_COMPRESS_<kind>=y: the package's .ko files end in the suffix (modules.order
# still says .ko); busybox insmod loads only plain .ko files, so they are stored decompressed.
COMPRESSION: dict[str, str] = {"CONFIG_MODULE_COMPRESS_XZ": ".xz",
                               "CONFIG_MODULE_COMPRESS_GZIP": ".gz",
                               "CONFIG_MODULE_COMPRESS_ZSTD": ".zst"}


def compressed_suffix(config: str) -> str:
    """The suffix of the kernel's compressed modules from its config ("" when plain)."""
    lines = set(config.splitlines())
    for option, suffix in COMPRESSION.items():
        if f"{option}=y" in lines:
            return suffix
    return ""


def _decompress(src: Path, dest: Path) -> None:
    """src (a .ko, .ko.xz or .ko.gz) as the plain .ko dest; src removed."""
    if src == dest:
        return
    if src.suffix == ".xz":
        data = lzma.decompress(src.read_bytes())
    elif src.suffix == ".gz":
        data = gzip.decompress(src.read_bytes())
    else:
        raise GuestModulesError(f"{src.name}: cannot decompress {src.suffix} modules")
    dest.write_bytes(data)
    src.unlink()


def _modules_dir(kernel: GuestKernel) -> Path:
    return kernel.directory / "modules"


def _read_set(kernel: GuestKernel, stamp: Path, wanted: tuple[str, ...]) -> ModuleSet:
    root = _modules_dir(kernel) / "lib" / "modules" / kernel.version
    lines = [line.split() for line in stamp.read_text().splitlines() if line.strip()]
    names = tuple(n for n, _ in lines)
    rels = tuple(p for _, p in lines)
    index = dict(zip(names, rels, strict=True))
    deps = {n: depends_of(parse_modinfo(root / p)) for n, p in index.items()}
    return ModuleSet(kernel.version, root, names, rels,
                     modules_dep(list(names), lambda n: deps[n], index))


def guest_modules(kernel: GuestKernel,
                  wanted: tuple[str, ...] | None = None) -> ModuleSet:
    """The modules `wanted` (None: those of the kernel's flavour, MODULES_BY_FLAVOUR) and
    their dependencies for kernel, unpacked once and cached."""
    if wanted is None:
        wanted = MODULES_BY_FLAVOUR[kernel.flavour]
    d = _modules_dir(kernel)
    stamp = d / f"{'+'.join(sorted(wanted))}.order"
    if stamp.is_file():
        return _read_set(kernel, stamp, wanted)
    if kernel.config is not None and kernel.config.is_file():
        check_builtins(kernel.config.read_text(), BUILTIN_BY_FLAVOUR[kernel.flavour])
    with paths.locked(guest_assets.guest_dir()):
        if not stamp.is_file():
            _fetch(kernel, wanted, d, stamp)
    return _read_set(kernel, stamp, wanted)


def _fetch(kernel: GuestKernel, wanted: tuple[str, ...], d: Path, stamp: Path) -> None:
    rel = kernel.version
    deb = debian.apt_download(f"linux-image-{rel}-unsigned:{guest_assets.ARCH}",
                              guest_assets.debs_dir())
    base = f"lib/modules/{rel}"
    config = kernel.config.read_text() if kernel.config and kernel.config.is_file() else ""
    suffix = compressed_suffix(config)
    d.mkdir(parents=True, exist_ok=True)
    root = d / base
    order_file = root / "modules.order"
    if not order_file.is_file():
        debian.extract(deb, [f"{base}/modules.order"], d)
    index = module_index(order_file.read_text().splitlines())
    deps: dict[str, list[str]] = {}
    todo = list(wanted)
    while todo:  # one dpkg-deb pass per round of newly named dependencies
        missing = [n for n in todo if n not in index]
        if missing:
            raise GuestModulesError(f"{deb.name} has no module {', '.join(missing)}")
        fetch = [f"{base}/{index[n]}" for n in todo if not (root / index[n]).is_file()]
        if fetch:
            debian.extract(deb, [f + suffix for f in fetch], d)
            for f in fetch:
                _decompress(d / (f + suffix), d / f)
        for n in todo:
            info = parse_modinfo(root / index[n])
            if not info.get("vermagic", "").startswith(f"{rel} "):
                raise GuestModulesError(f"{index[n]}: vermagic {info.get('vermagic')!r} "
                                       f"is not for {rel}")
            deps[n] = depends_of(info)
        todo = sorted({x for n in todo for x in deps[n]} - set(deps))
    order = load_order(wanted, lambda n: deps[n])
    with tempfile.NamedTemporaryFile("w", dir=d, delete=False, prefix=".order-") as f:
        f.write("".join(f"{n} {index[n]}\n" for n in order))
    os.replace(f.name, stamp)


def default_initramfs_files(kernel: GuestKernel) -> dict[str, bytes | Path]:
    """The modules of the kernel's flavour (MODULES_BY_FLAVOUR) as initramfs extra_files."""
    return guest_modules(kernel).initramfs_files()
