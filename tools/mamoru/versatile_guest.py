# SPDX-License-Identifier: GPL-2.0-only
"""The default guest of the Versatile PB board (board.toml `default_guest = "versatile"`):
the versatile kernel (mamoru.versatilekernel) patched for software virtualization, the
guest device tree, the armel busybox initramfs and the kernel's IDS profile, as one
bundle.GuestSpec. docs/armv5-virt.md ("Guest bundle") describes the entries.

The slow parts are cached beside the kernel build they come from, each under a digest of
the tool that makes it (so checkouts with different tool versions sharing the cache never
read each other's):

    versatile-kernel/<build>/patched-<patcher digest>/
        Image            the patched raw Image (`./mamoru patch-guest vmlinux -o Image`)
        Image.sidetab    the side table, only when the patcher needed one
        report.json      the patcher's JSON report (every site)
        .ok              written last: the directory is complete
    versatile-kernel/<build>/guest-<profile tool digest>.profile
    versatile-kernel/<build>/module-tree/, module-<digest>/   the attack module in the
                     initramfs (mamoru.versatile_module)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mamoru import guest_assets, paths, versatile_testprogs, versatilekernel
from mamoru.bundle import GuestSpec, profile_tool_hash, write_atomic
from mamoru.guest_platform import GuestPlatform
from mamoru.versatile_guest_dt import make_guest_dtb
from mamoru.versatilekernel import VersatileKernel

NAME = "guest0"
BOOTARGS = "console=ttyAMA0 rdinit=/init"
HERE = Path(__file__).parent
# Where the hypervisor puts the kernel: the Image's first byte is _text, linked at
# PAGE_OFFSET + TEXT_OFFSET (0xc0008000); the kernel takes PHYS_OFFSET from where it runs
# (ARM_PATCH_PHYS_VIRT), so guest RAM at 0 means the Image at 0x8000.
IMAGE_GPA = 0x8000
SCTL_BASE = 0x101E_0000
SCTL_NODE = f"/amba/sctl@{SCTL_BASE:x}"


class VersatileGuestError(RuntimeError):
    """The versatile guest could not be made (patcher, device tree, profile); one line."""


@dataclass(frozen=True)
class PatchedKernel:
    image: Path
    sidetab: Path | None
    report: Path

    def sites(self) -> list[dict[str, str]]:
        """The patcher's sites (section, address, kind, original, svc), from its report."""
        data = json.loads(self.report.read_text())
        sites = data["sites"]
        assert isinstance(sites, list)
        return sites


def _digest(files: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def patcher_sources() -> list[Path]:
    return sorted((HERE / "armv5patch").glob("*.py"))


def patcher_hash() -> str:
    return _digest(patcher_sources())


def _patched_files(d: Path) -> PatchedKernel | None:
    if not (d / ".ok").is_file() or not (d / "Image").is_file():
        return None
    side = d / "Image.sidetab"
    return PatchedKernel(d / "Image", side if side.is_file() else None, d / "report.json")


def patched_kernel(k: VersatileKernel) -> PatchedKernel:
    """The patched Image of k (cached beside k's build, see the module docstring)."""
    from mamoru.armv5patch.elfscan import PatchError
    from mamoru.armv5patch.patcher import (
        dumps_json,
        patch_bytes,
        report_dict,
        side_table_bytes,
    )

    d = k.directory / f"patched-{patcher_hash()}"
    hit = _patched_files(d)
    if hit is not None:
        return hit
    with paths.locked(k.directory, ".patch.lock"):
        hit = _patched_files(d)
        if hit is not None:
            return hit
        try:
            res = patch_bytes(k.vmlinux.read_bytes())
        except PatchError as e:
            raise VersatileGuestError(f"patch-guest: {k.vmlinux}: {e}") from e
        shutil.rmtree(d, ignore_errors=True)      # an unfinished earlier attempt
        tmp = Path(tempfile.mkdtemp(prefix=".patched-", dir=k.directory))
        tmp.chmod(0o755)
        try:
            (tmp / "Image").write_bytes(res.output)
            if res.side_table:
                (tmp / "Image.sidetab").write_bytes(side_table_bytes(res.side_table))
            (tmp / "report.json").write_text(dumps_json(report_dict(res, str(k.vmlinux))))
            (tmp / ".ok").write_text(f"{len(res.sites)} sites\n")
            os.replace(tmp, d)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    hit = _patched_files(d)
    if hit is None:
        raise VersatileGuestError(f"the patched kernel in {d} is incomplete")
    return hit


def guest_dtb(k: VersatileKernel, bootargs: str = BOOTARGS) -> bytes:
    """The guest device tree with its /chosen for the bundle: bootargs and the 32-bit
    linux,initrd-start/end placeholders the hypervisor fills in; plus the SP810 system
    controller (SCTL_NODE) for the hypervisor's emulator (emulators/sp810.c)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "guest.dtb"
        make_guest_dtb(k.dtb, out, bootargs=bootargs, initrd_placeholders=True)
        # Linux's versatile machine code rewrites SCCTRL through a fixed mapping whatever
        # the tree says; this node only tells the hypervisor to emulate it. Not
        # "arm,primecell" (the kernel's own node, removed): the AMBA bus would probe it.
        # No Linux driver binds "arm,sp810" here (CONFIG_CLK_SP810 is off).
        for cmd in (["-c", SCTL_NODE], ["-t", "s", SCTL_NODE, "compatible", "arm,sp810"],
                    ["-t", "x", SCTL_NODE, "reg", f"{SCTL_BASE:x}", "1000"]):
            subprocess.run(["fdtput", str(out), *cmd], check=True, capture_output=True)
        return out.read_bytes()


def initrd_files(k: VersatileKernel) -> dict[str, bytes | Path]:
    """The initramfs's files beyond busybox and /init: the IDS test attack module built for k
    and patched (mamoru.versatile_module), at the arm64 guests' GUEST_MODULE_PATH, so that
    mamoru.guest_module.attack_commands works in this guest's shell too, and the test
    programs of mamoru.versatile_testprogs."""
    from mamoru.guest_module import GUEST_MODULE_PATH
    from mamoru.versatile_module import VersatileModuleError, build_attack_module
    from mamoru.versatile_testprogs import COW_GUEST_PATH, GuestProgramError, cow_binary

    try:
        module = build_attack_module(k)
        cow = cow_binary()
    except (VersatileModuleError, GuestProgramError) as e:
        raise VersatileGuestError(f"the initramfs: {e}") from e
    return {GUEST_MODULE_PATH.lstrip("/"): module.patched, COW_GUEST_PATH.lstrip("/"): cow}


def initrd_bytes(k: VersatileKernel) -> bytes:
    """The armel busybox initramfs with Mamoru's default /init and initrd_files(k)
    (uncompressed newc)."""
    return guest_assets.initramfs_bytes(guest_assets.default_init_script(), initrd_files(k),
                                        busybox=versatilekernel.busybox_armel())


def guest_profile(k: VersatileKernel) -> bytes:
    """The IDS profile of k from its vmlinux's DWARF (`./mamoru profile vmlinux`), cached
    beside the build under the profile tool's digest."""
    from mamoru.profile import ProfileError, build_profile, encode

    cached = k.directory / f"guest-{profile_tool_hash()}.profile"
    if cached.is_file():
        return cached.read_bytes()
    try:
        data = encode(build_profile(k.vmlinux, None, k.config).profile)
    except ProfileError as e:
        raise VersatileGuestError(f"profile of {k.vmlinux}: {e}") from e
    write_atomic(cached, data)
    return data


def versatile_guest(k: VersatileKernel | None = None) -> GuestSpec:
    """The bundle entry of the versatile guest: patched Image (+ side table), guest tree,
    busybox initramfs with the patched attack module, profile. No integrity manifest: that
    tool reads arm64 Images only."""
    k = k or versatilekernel.versatile_kernel()
    patched = patched_kernel(k)
    extra = {"sidetab": patched.sidetab.read_bytes()} if patched.sidetab else {}
    return GuestSpec(GuestPlatform(name=NAME, ram_base=0, ram_size=96 << 20, bootargs=BOOTARGS),
                     patched.image, initrd_bytes(k), guest_profile(k), None,
                     dtb=guest_dtb(k), extra=extra)


def inputs(k: VersatileKernel) -> list[Path]:
    """What the versatile guest's bundle entry is made from (for staleness checks)."""
    return [k.vmlinux, k.dtb, k.config, versatilekernel.busybox_armel(),
            HERE / "versatile_guest.py", HERE / "versatile_guest_dt.py",
            HERE / "versatilekernel.py", HERE / "versatile_module.py", *patcher_sources(),
            *versatile_module_sources(), *versatile_testprogs.sources()]


def versatile_module_sources() -> list[Path]:
    """The attack module's sources (tests/guest_module), an input of the initramfs."""
    from mamoru.versatile_module import module_sources

    return module_sources()
