# SPDX-License-Identifier: GPL-2.0-only
"""A small user-built arm64 guest kernel: Debian's linux-source, tinyconfig plus what a guest
needs, DWARF 5. It is the "user-built kernel" input of the profile tool (vmlinux with DWARF,
not a distribution's BTF + System.map), and its struct layouts differ from Debian's build.

Cold: download linux-source-<series> (arch all, ~139 MB, via the `linux-source` metapackage),
unpack it, `make tinyconfig mamoru_tiny.config` (our FRAGMENT below, merged and checked), then
`make -j2 Image` (vmlinux comes with it); about 2-3 minutes on 2 cores plus the download. The
build tree is deleted afterwards (~1.5 GB); the .deb stays, so a rebuild needs no network.

Cache layout (under `paths.cache_dir()`):

    debs/linux-source-<series>_<version>_all.deb
    tiny-kernel/<debversion>-<hash>/     <hash>: of FRAGMENT, so a changed config rebuilds
        Image-<release>, vmlinux-<release>, config-<release>, System.map-<release>
        build.log, .ok (JSON: release, package, fragment hash, per-phase seconds)
    tiny-kernel/.lock                    serializes builds between processes

A lookup takes the newest finished build whose directory ends in the current FRAGMENT's hash
(`builds_for`): a build of another FRAGMENT (an older checkout) is never used, and never
displaced either, so two checkouts with different fragments do not rebuild each other's
kernel. (Earlier versions kept a `current` file naming the last build; it is ignored.) The
`.ok` stamp is written last and atomically: a directory without it is an unfinished build.

The files are named like a distribution's /boot so that `./mamoru profile vmlinux-<release>`
finds config-<release> next to it. A warm call reads two small files.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mamoru import kernelbuild, paths
from mamoru.kernelbuild import KernelSpec, builds_for

ARCH = "arm64"
CROSS_COMPILE = "aarch64-linux-gnu-"
JOBS = 2
LOCALVERSION = "-mamoru-tiny"
FRAGMENT_NAME = "mamoru_tiny.config"  # merged by `make <name>` from arch/arm64/configs/

# On top of tinyconfig. Every line is checked in the final .config: an option whose
# dependencies are not met fails the build instead of silently going missing.
FRAGMENT = f"""\
# Mamoru's tiny arm64 guest kernel (mamoru.tinykernel), on top of tinyconfig.
CONFIG_LOCALVERSION="{LOCALVERSION}"
# CONFIG_LOCALVERSION_AUTO is not set
CONFIG_64BIT=y
CONFIG_SMP=y
# Console: printk on the PL011 of QEMU virt (and earlycon).
CONFIG_PRINTK=y
CONFIG_TTY=y
CONFIG_SERIAL_AMBA_PL011=y
CONFIG_SERIAL_AMBA_PL011_CONSOLE=y
# Interrupts and time.
CONFIG_ARM_GIC=y
CONFIG_ARM_GIC_V3=y
CONFIG_ARM_ARCH_TIMER=y
# A busybox initramfs as the only root file system.
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_PROC_FS=y
CONFIG_SYSFS=y
CONFIG_DEVTMPFS=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_MULTIUSER=y
CONFIG_FUTEX=y
CONFIG_POSIX_TIMERS=y
CONFIG_SHMEM=y
# What the introspection needs: data symbols in kallsyms (ground truth), DWARF 5 for the
# profile, and the relocations (RELOCATABLE) the profile reads the syscall table from.
CONFIG_DEBUG_KERNEL=y
CONFIG_KALLSYMS=y
CONFIG_KALLSYMS_ALL=y
CONFIG_DEBUG_INFO_DWARF5=y
# CONFIG_DEBUG_INFO_REDUCED is not set
# CONFIG_DEBUG_INFO_SPLIT is not set
# CONFIG_DEBUG_INFO_BTF is not set
CONFIG_RELOCATABLE=y
CONFIG_RANDOMIZE_BASE=y
# CONFIG_MODULES is not set
"""


# Fetching, configuring or building the tiny kernel (or another built kernel) failed.
TinyKernelError = kernelbuild.KernelBuildError

SPEC = KernelSpec(
    name="tinykernel", arch=ARCH, cross_compile=CROSS_COMPILE, base_config="tinyconfig",
    fragment_name=FRAGMENT_NAME, fragment=FRAGMENT, targets=("Image",), jobs=JOBS,
    outputs=(("arch/arm64/boot/Image", "Image-{release}"), ("vmlinux", "vmlinux-{release}"),
             (".config", "config-{release}"), ("System.map", "System.map-{release}")))


@dataclass(frozen=True)
class TinyKernel:
    """A built tiny kernel in the cache. `version` is its release (`uname -r`)."""

    version: str
    image: Path
    vmlinux: Path
    config: Path
    system_map: Path

    @property
    def directory(self) -> Path:
        return self.image.parent

    def stamp(self) -> dict[str, object]:
        """What the build recorded: release, package and seconds per phase."""
        data = json.loads((self.directory / ".ok").read_text())
        assert isinstance(data, dict)
        return data


def tiny_dir() -> Path:
    return paths.cache_dir() / "tiny-kernel"


def fragment_hash() -> str:
    return SPEC.fragment_hash


def _files(d: Path) -> TinyKernel | None:
    """The kernel built in d, if that build finished and matches the current FRAGMENT."""
    if not d.name.endswith("-" + fragment_hash()):
        return None
    try:
        release = json.loads((d / ".ok").read_text())["release"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    k = TinyKernel(release, d / f"Image-{release}", d / f"vmlinux-{release}",
                   d / f"config-{release}", d / f"System.map-{release}")
    if not all(p.is_file() for p in (k.image, k.vmlinux, k.config, k.system_map)):
        return None
    return k


def cached_tiny_kernel() -> TinyKernel | None:
    """The newest finished tiny kernel built from the current FRAGMENT, if there is one;
    never downloads or builds."""
    for d in builds_for(tiny_dir(), fragment_hash()):
        k = _files(d)
        if k is not None:
            return k
    return None


def tiny_kernel() -> TinyKernel:
    """The tiny kernel, built once per linux-source package and FRAGMENT (see the module
    docstring); a warm call only reads the cache."""
    hit = cached_tiny_kernel()
    if hit is not None:
        return hit
    with paths.locked(tiny_dir()):
        hit = cached_tiny_kernel()
        if hit is not None:
            return hit
        return _build()


def check_config(config_text: str, fragment: str = FRAGMENT) -> list[str]:
    """The fragment's lines (the tiny kernel's by default) the final .config does not honour."""
    return kernelbuild.check_config(config_text, fragment)


def _build() -> TinyKernel:
    k = _files(kernelbuild.build_kernel(SPEC, tiny_dir()))
    if k is None:
        raise TinyKernelError(f"the tiny kernel's build in {tiny_dir()} left incomplete outputs")
    return k


def main() -> int:
    """`python -m mamoru.tinykernel`: build (or find) the tiny kernel and print its files."""
    t = time.monotonic()
    try:
        k = tiny_kernel()
    except TinyKernelError as e:
        print(f"tinykernel: {e}", file=sys.stderr)
        return 1
    print(f"release {k.version}\nimage {k.image}\nvmlinux {k.vmlinux}\nconfig {k.config}\n"
          f"system_map {k.system_map}\nseconds {time.monotonic() - t:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
