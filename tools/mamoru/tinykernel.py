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

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mamoru import debian, paths

SOURCE_META = "linux-source"
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


class TinyKernelError(RuntimeError):
    """Fetching, configuring or building the tiny kernel failed."""


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
    return hashlib.sha256(FRAGMENT.encode()).hexdigest()[:10]


def _note(msg: str) -> None:
    print(f"tinykernel: {msg}", file=sys.stderr, flush=True)


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


def builds_for(root: Path, fragment_hash: str) -> list[Path]:
    """The finished build directories under root (`<debversion>-<fragment_hash>` with an
    `.ok` stamp), newest stamp first. Matching by name needs no apt query on the warm path."""
    try:
        entries = list(root.iterdir())
    except OSError:
        return []
    found: list[tuple[float, str, Path]] = []
    for d in entries:
        if d.name.startswith(".") or not d.name.endswith("-" + fragment_hash):
            continue
        try:
            found.append(((d / ".ok").stat().st_mtime, d.name, d))
        except OSError:
            continue
    return [d for _, _, d in sorted(found, reverse=True)]


def write_stamp(d: Path, stamp: dict[str, object]) -> None:
    """Writes d/.ok atomically: a reader sees no stamp or the whole one."""
    tmp = d / ".ok.tmp"
    tmp.write_text(json.dumps(stamp, indent=1) + "\n")
    os.replace(tmp, d / ".ok")


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


def _deb_version(deb: Path) -> str:
    parts = deb.name.removesuffix(".deb").split("_")
    if len(parts) != 3:
        raise TinyKernelError(f"unexpected package file name {deb.name}")
    return parts[1].replace("%3a", "-")  # an epoch, quoted in file names


def _run_logged(args: list[str], log: Path, cwd: Path | None = None) -> None:
    """Runs args, appending its output to log; the log's tail goes into the error."""
    with log.open("a") as f:
        f.write(f"$ {' '.join(args)}\n")
        f.flush()
        try:
            r = subprocess.run(args, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, check=False,
                               env={**os.environ, "LC_ALL": "C", "KBUILD_BUILD_USER": "mamoru",
                                    "KBUILD_BUILD_HOST": "mamoru"})
        except FileNotFoundError as e:
            raise TinyKernelError(f"{args[0]} not found (run ./mamoru setup)") from e
    if r.returncode != 0:
        tail = log.read_text(errors="replace")[-6000:]
        raise TinyKernelError(f"{' '.join(args)} exited {r.returncode} (log {log}):\n{tail}")


def _tarball(deb: Path, dest: Path) -> Path:
    found = debian.extract(deb, ["usr/src/linux-source-*.tar.xz"], dest)
    tars = [p for p in found if p.name.endswith(".tar.xz")]
    if len(tars) != 1:
        raise TinyKernelError(f"{deb.name}: expected one source tarball, found {found}")
    return tars[0]


def check_config(config_text: str, fragment: str = FRAGMENT) -> list[str]:
    """The fragment's lines that the final .config does not honour."""
    have: dict[str, str] = {}
    for line in config_text.splitlines():
        if line.startswith("CONFIG_") and "=" in line:
            key, _, value = line.partition("=")
            have[key] = value
    wrong = []
    for line in fragment.splitlines():
        if line.startswith("CONFIG_"):
            key, _, value = line.partition("=")
            if have.get(key) != value:
                wrong.append(f"{line} (got {have.get(key, 'unset')})")
        elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
            key = line[2:].removesuffix(" is not set")
            if have.get(key, "n") not in ("n", ""):
                wrong.append(f"{line} (got {have[key]})")
    return wrong


def _build() -> TinyKernel:
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    try:
        package = debian.resolve_depends(SOURCE_META, prefix="linux-source-")
    except debian.DebianError as e:
        raise TinyKernelError(str(e)) from e
    debs = paths.cache_dir() / "debs"
    if debian.cached_deb(package, debs) is None:
        _note(f"downloading {package} (about 140 MB)")
    try:
        deb = debian.apt_download(package, debs)
    except debian.DebianError as e:
        raise TinyKernelError(str(e)) from e
    timings["download"] = time.monotonic() - t0

    out = tiny_dir() / f"{_deb_version(deb)}-{fragment_hash()}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    log = out / "build.log"
    with tempfile.TemporaryDirectory(prefix=".build-", dir=tiny_dir()) as tmp:
        work = Path(tmp)
        t = time.monotonic()
        _note(f"unpacking {deb.name}")
        tarball = _tarball(deb, work / "deb")
        src = work / "src"
        src.mkdir()
        _run_logged(["tar", "-xf", str(tarball), "-C", str(src), "--strip-components=1",
                     "--no-same-owner"], log)
        shutil.rmtree(work / "deb")
        timings["unpack"] = time.monotonic() - t

        t = time.monotonic()
        (src / "arch" / ARCH / "configs" / FRAGMENT_NAME).write_text(FRAGMENT)
        obj = work / "obj"
        make = ["make", "-C", str(src), f"O={obj}", f"ARCH={ARCH}",
                f"CROSS_COMPILE={CROSS_COMPILE}"]
        _run_logged([*make, "tinyconfig", FRAGMENT_NAME], log)
        _run_logged([*make, "olddefconfig"], log)
        wrong = check_config((obj / ".config").read_text())
        if wrong:
            raise TinyKernelError("the tiny kernel's .config lacks:\n  " + "\n  ".join(wrong))
        timings["configure"] = time.monotonic() - t

        t = time.monotonic()
        _note(f"building {package} (tinyconfig + DWARF 5, -j{JOBS}; log {log})")
        _run_logged([*make, f"-j{JOBS}", "Image"], log)
        timings["build"] = time.monotonic() - t

        release = (obj / "include" / "config" / "kernel.release").read_text().strip()
        if not release:
            raise TinyKernelError(f"no kernel.release in {obj}")
        for src_name, name in (("arch/arm64/boot/Image", "Image"), ("vmlinux", "vmlinux"),
                               (".config", "config"), ("System.map", "System.map")):
            os.replace(obj / src_name, out / f"{name}-{release}")
    timings["total"] = time.monotonic() - t0
    stamp = {"release": release, "package": deb.name, "fragment": fragment_hash(),
             "seconds": {k: round(v, 1) for k, v in timings.items()}}
    write_stamp(out, stamp)
    _note(f"built {release} in {timings['total']:.0f} s "
          f"({', '.join(f'{k} {v:.0f} s' for k, v in timings.items() if k != 'total')})")
    k = _files(out)
    if k is None:
        raise TinyKernelError(f"the build in {out} left incomplete outputs")
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
