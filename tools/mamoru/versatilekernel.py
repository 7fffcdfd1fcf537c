# SPDX-License-Identifier: GPL-2.0-only
"""A 32-bit ARM (ARMv5, ARM926) guest kernel for QEMU versatilepb: Debian's linux-source,
`versatile_defconfig` plus DWARF and KALLSYMS_ALL, built with gcc-arm-linux-gnueabi. It is the
real-data input of the 32-bit introspection tests (tests/vmi/test_vmi_versatile.py): its
vmlinux makes the profile, its zImage and DTB boot under plain `qemu-system-arm -M
versatilepb`. No Debian binary kernel runs on an ARM926 any more, hence the build.

Built like the tiny arm64 kernel (both by mamoru.kernelbuild): once per
linux-source package and FRAGMENT, about 12 minutes on 2 cores (measured 706 s, most of it
the DWARF-laden compile); the build tree is deleted
afterwards, the .deb stays. Cache layout (under `paths.cache_dir()`):

    versatile-kernel/<debversion>-<hash>/     <hash>: of FRAGMENT
        zImage-<release>, Image-<release> (the raw, uncompressed one), vmlinux-<release>,
        config-<release>, System.map-<release>, versatile-pb-<release>.dtb,
        build.log, .ok (JSON: release, package, fragment hash, seconds)
    versatile-kernel/.lock

A lookup takes the newest finished build of the current FRAGMENT (by directory name, like
mamoru.tinykernel; a build of another FRAGMENT is neither used nor displaced). Readers in
other processes only ever see a build directory once its `.ok` is there, written last.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from mamoru import debian, guest_assets, kernelbuild, paths
from mamoru.kernelbuild import KernelBuildError, KernelSpec, builds_for

ARCH = "arm"
CROSS_COMPILE = "arm-linux-gnueabi-"
JOBS = 2
LOCALVERSION = "-mamoru-versatile"
FRAGMENT_NAME = "mamoru_versatile.config"  # merged by `make <name>` from arch/arm/configs/
DTB = "versatile-pb.dtb"
# The ARMv5TE userland for its initramfs (needs `dpkg --add-architecture armel`).
BUSYBOX_PACKAGE = "busybox-static:armel"
EM_ARM = 40

# On top of versatile_defconfig; every line is checked in the final .config. What the guest
# does not need (network, DRM, sound, flash) is off to shorten the build.
FRAGMENT = f"""\
# Mamoru's versatilepb test kernel (mamoru.versatilekernel), on top of versatile_defconfig.
CONFIG_LOCALVERSION="{LOCALVERSION}"
# CONFIG_LOCALVERSION_AUTO is not set
CONFIG_AEABI=y
CONFIG_OABI_COMPAT=y
# Off for the Mamoru guest: PAN's DACR writes on every user access (2109 of the 2317 cp15
# sites in the patcher's report) would each trap; domains themselves stay.
# CONFIG_CPU_SW_DOMAIN_PAN is not set
# The IDS attack module loads into the guest and looks symbols up.
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_PROC_FS=y
# /dev/ttyAMA0 for the initramfs's job-control shell (it mounts devtmpfs).
CONFIG_DEVTMPFS=y
CONFIG_SERIAL_AMBA_PL011=y
CONFIG_SERIAL_AMBA_PL011_CONSOLE=y
# CONFIG_NET is not set
# CONFIG_DRM is not set
# CONFIG_SOUND is not set
# CONFIG_MTD is not set
CONFIG_DEBUG_KERNEL=y
CONFIG_KALLSYMS=y
CONFIG_KALLSYMS_ALL=y
CONFIG_DEBUG_INFO_DWARF5=y
# CONFIG_DEBUG_INFO_REDUCED is not set
# CONFIG_DEBUG_INFO_SPLIT is not set
# CONFIG_DEBUG_INFO_BTF is not set
"""


SPEC = KernelSpec(
    name="versatilekernel", arch=ARCH, cross_compile=CROSS_COMPILE,
    base_config="versatile_defconfig", fragment_name=FRAGMENT_NAME, fragment=FRAGMENT,
    targets=("zImage", DTB), jobs=JOBS,
    outputs=(("arch/arm/boot/zImage", "zImage-{release}"),
             ("arch/arm/boot/Image", "Image-{release}"), ("vmlinux", "vmlinux-{release}"),
             (".config", "config-{release}"), ("System.map", "System.map-{release}"),
             (f"arch/arm/boot/dts/{DTB}", "versatile-pb-{release}.dtb")))


@dataclass(frozen=True)
class VersatileKernel:
    """A built versatilepb kernel in the cache. `version` is its release (`uname -r`)."""

    version: str
    zimage: Path
    image: Path
    vmlinux: Path
    config: Path
    system_map: Path
    dtb: Path

    @property
    def directory(self) -> Path:
        """The build's cache directory (derived files such as the patched Image go here)."""
        return self.vmlinux.parent


def kernel_dir() -> Path:
    return paths.cache_dir() / "versatile-kernel"


def fragment_hash() -> str:
    return SPEC.fragment_hash


def _files(d: Path) -> VersatileKernel | None:
    if not d.name.endswith("-" + fragment_hash()):
        return None
    try:
        release = json.loads((d / ".ok").read_text())["release"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    k = VersatileKernel(release, d / f"zImage-{release}", d / f"Image-{release}",
                        d / f"vmlinux-{release}", d / f"config-{release}",
                        d / f"System.map-{release}", d / f"versatile-pb-{release}.dtb")
    if not all(p.is_file() for p in (k.zimage, k.image, k.vmlinux, k.config, k.system_map,
                                     k.dtb)):
        return None
    return k


def cached_versatile_kernel() -> VersatileKernel | None:
    """The newest finished kernel built from the current FRAGMENT, if there is one; never
    downloads or builds."""
    for d in builds_for(kernel_dir(), fragment_hash()):
        k = _files(d)
        if k is not None:
            return k
    return None


def versatile_kernel() -> VersatileKernel:
    """The versatilepb kernel, built once per linux-source package and FRAGMENT."""
    hit = cached_versatile_kernel()
    if hit is not None:
        return hit
    with paths.locked(kernel_dir()):
        hit = cached_versatile_kernel()
        if hit is not None:
            return hit
        return _build()


def _build() -> VersatileKernel:
    k = _files(kernelbuild.build_kernel(SPEC, kernel_dir()))
    if k is None:
        raise KernelBuildError(f"the versatile kernel's build in {kernel_dir()} left "
                              "incomplete outputs")
    return k


def busybox_armel() -> Path:
    """Debian's static armel busybox (ARMv5TE), cached beside the arm64 one."""
    d = guest_assets.guest_dir() / "busybox-static-armel"
    binary = d / "busybox"
    if (d / ".ok").is_file() and binary.is_file():
        return binary
    with paths.locked(guest_assets.guest_dir()):
        if (d / ".ok").is_file() and binary.is_file():
            return binary
        try:
            deb = debian.apt_download(BUSYBOX_PACKAGE, guest_assets.debs_dir())
        except debian.DebianError as e:
            raise KernelBuildError(f"{e} (armel needs `dpkg --add-architecture armel`: "
                                  "./mamoru setup)") from e
        guest_assets._unpack(deb, {"bin/busybox": "busybox"}, d)
        head = binary.read_bytes()[:20]
        if (head[:4] != b"\x7fELF" or head[4] != 1 or head[5] != 1
                or int.from_bytes(head[18:20], "little") != EM_ARM):
            raise KernelBuildError(f"{binary} is not a 32-bit little-endian ARM ELF")
        binary.chmod(0o755)
        (d / ".ok").write_text(deb.name + "\n")
    return binary


def main() -> int:
    """`python -m mamoru.versatilekernel`: build (or find) the kernel and print its files."""
    try:
        k = versatile_kernel()
    except KernelBuildError as e:
        print(f"versatilekernel: {e}", file=sys.stderr)
        return 1
    print(f"release {k.version}\nzimage {k.zimage}\nimage {k.image}\nvmlinux {k.vmlinux}\n"
          f"config {k.config}\nsystem_map {k.system_map}\ndtb {k.dtb}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
