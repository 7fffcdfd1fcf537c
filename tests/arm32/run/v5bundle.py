# SPDX-License-Identifier: GPL-2.0-only
"""A versatilepb guest bundle for the ARMv5 integration tests, made from the cached versatile
kernel (mamoru.versatilekernel): the vmlinux patched by `./mamoru patch-guest`, the guest device
tree (mamoru.versatile_guest_dt) with /chosen filled in, the armel busybox initramfs, the IDS
profile of the vmlinux (`./mamoru profile`); as <guest>/kernel, /initrd, /dtb, /profile in a
cpio like every bundle. A stand-in until the bundle pipeline
(tools/mamoru/bundle.py) builds the versatilepb bundle itself.

    python3 tests/arm32/run/v5bundle.py OUT.cpio
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))

from mamoru import guest_assets, versatile_guest_dt, versatilekernel  # noqa: E402
from mamoru.cpio import CpioWriter  # noqa: E402

BOOTARGS = "console=ttyAMA0 rdinit=/init"
SCTL = "/amba/sctl@101e0000"


def _fdtput(dtb: Path, *args: str) -> None:
    subprocess.run(["fdtput", str(dtb), *args], check=True, capture_output=True, text=True)


def guest_dtb(src: Path, out: Path) -> Path:
    """The guest tree with bootargs and 32-bit initrd placeholders the hypervisor fills in."""
    versatile_guest_dt.make_guest_dtb(src, out)
    subprocess.run(["fdtput", "-c", str(out), "/chosen"], capture_output=True, check=False)
    _fdtput(out, "-t", "s", "/chosen", "bootargs", BOOTARGS)
    _fdtput(out, "-t", "x", "/chosen", "linux,initrd-start", "0")
    _fdtput(out, "-t", "x", "/chosen", "linux,initrd-end", "0")
    # The system controller the versatile machine code uses through a fixed mapping
    # (emulators/sp810.c); the kernel's own node ("arm,primecell" only) is not kept.
    _fdtput(out, "-c", SCTL)
    _fdtput(out, "-t", "s", SCTL, "compatible", "arm,sp810")
    _fdtput(out, "-t", "x", SCTL, "reg", "101e0000", "1000")
    return out


def make_bundle(out: Path, init_script: str | None = None) -> Path:
    """Writes the bundle (guest0) to out, reusing the patched Image beside it if current."""
    k = versatilekernel.versatile_kernel()
    work = out.parent
    work.mkdir(parents=True, exist_ok=True)
    image = work / "v5-Image"
    stamp = work / "v5-Image.src"
    key = hashlib.sha256(k.vmlinux.read_bytes()).hexdigest()
    if not image.exists() or not stamp.exists() or stamp.read_text() != key:
        subprocess.run([str(ROOT / "mamoru"), "patch-guest", str(k.vmlinux), "-o", str(image),
                        "--report", str(work / "v5-Image.report")], check=True)
        (work / "v5-guest.profile").unlink(missing_ok=True)
        stamp.write_text(key)
    profile = work / "v5-guest.profile"
    if not profile.exists():
        subprocess.run([str(ROOT / "mamoru"), "profile", str(k.vmlinux), "-o", str(profile)],
                       check=True, capture_output=True)
    dtb = guest_dtb(k.dtb, work / "v5-guest.dtb")
    initrd = guest_assets.build_initramfs(work / "v5-initramfs.cpio",
                                          init_script or guest_assets.default_init_script(),
                                          busybox=versatilekernel.busybox_armel())
    with open(out, "wb") as f, CpioWriter(f) as w:
        w.add_dir("guest0")
        w.add_file("guest0/kernel", image.read_bytes())
        w.add_file("guest0/initrd", initrd.read_bytes())
        w.add_file("guest0/dtb", dtb.read_bytes())
        w.add_file("guest0/profile", profile.read_bytes())
    return out


if __name__ == "__main__":
    print(make_bundle(Path(sys.argv[1])))
