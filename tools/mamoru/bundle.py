"""The guest bundle: one cpio archive holding each guest's kernel, initrd, DTB and profile.

Entries are <guest>/kernel, <guest>/initrd, <guest>/dtb and (optionally) <guest>/profile.
QEMU loads the bundle with -initrd; the Raspberry Pi firmware with `initramfs <file>
followkernel`. The hypervisor finds it through /chosen in its own device tree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from mamoru import guest_assets
from mamoru.cpio import CpioWriter
from mamoru.guest_platform import GuestPlatform, device_tree_blob


@dataclass
class GuestSpec:
    platform: GuestPlatform
    kernel: Path
    initrd: bytes
    profile: bytes | None = None
    integrity: bytes | None = None      # kernel integrity manifest (mamoru.integrity)


def write_bundle(out: Path, guests: list[GuestSpec]) -> Path:
    """Writes the bundle atomically (a partial file never replaces a good one)."""
    buf = io.BytesIO()
    with CpioWriter(buf) as w:
        for g in guests:
            name = g.platform.name
            w.add_dir(name)
            w.add_file(f"{name}/kernel", g.kernel.read_bytes())
            w.add_file(f"{name}/initrd", g.initrd)
            w.add_file(f"{name}/dtb", device_tree_blob(g.platform))
            if g.profile is not None:
                w.add_file(f"{name}/profile", g.profile)
            if g.integrity is not None:
                w.add_file(f"{name}/integrity", g.integrity)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(out)
    return out


def kernel_profile(kernel: guest_assets.GuestKernel) -> bytes:
    """The IDS profile of a Debian kernel (Image + System.map), cached next to the kernel.

    Rebuilt when the profile tool's sources are newer than the cached profile.
    """
    from mamoru.profile import build_profile, encode

    cached = kernel.directory / "guest.profile"
    tool_sources = Path(__file__).parent / "profile"
    newest = max(p.stat().st_mtime for p in tool_sources.glob("*.py"))
    if cached.is_file() and cached.stat().st_mtime >= newest:
        return cached.read_bytes()
    k = guest_assets.debug_files(kernel)
    if k.system_map is None:
        raise RuntimeError(f"no System.map for {kernel.version}")
    data = encode(build_profile(k.image, k.system_map, k.config).profile)
    tmp = cached.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(cached)
    return data


def kernel_integrity(kernel: guest_assets.GuestKernel) -> bytes:
    """The integrity manifest of a Debian kernel (Image + System.map), cached next to it."""
    from mamoru.integrity import manifest_from_files

    cached = kernel.directory / "guest.integrity"
    newest = max(p.stat().st_mtime for p in (Path(__file__).parent / "integrity.py",
                                              kernel.image))
    if cached.is_file() and cached.stat().st_mtime >= newest:
        return cached.read_bytes()
    k = guest_assets.debug_files(kernel)
    if k.system_map is None:
        raise RuntimeError(f"no System.map for {kernel.version}")
    data = manifest_from_files(k.image, k.system_map)
    tmp = cached.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(cached)
    return data


def default_guest(
    platform: GuestPlatform | None = None,
    extra_files: dict[str, bytes | Path] | None = None,
    *,
    profile: bool = True,
) -> GuestSpec:
    """Debian's arm64 cloud kernel with the busybox initramfs (and its IDS profile)."""
    kernel = guest_assets.cloud_kernel()
    initrd = guest_assets.initramfs_bytes(guest_assets.default_init_script(), extra_files)
    return GuestSpec(platform or GuestPlatform(), kernel.image, initrd,
                     kernel_profile(kernel) if profile else None,
                     kernel_integrity(kernel) if profile else None)


def default_bundle(out: Path, *, kaslr: bool = False) -> Path:
    """A bundle with the default guest (guest0) at out."""
    return write_bundle(out, [default_guest(GuestPlatform(kaslr=kaslr))])


def stale(target: Path, inputs: list[Path]) -> bool:
    """True when target is missing or older than any of inputs."""
    if not target.is_file():
        return True
    t = target.stat().st_mtime
    return any(p.stat().st_mtime > t for p in inputs if p.exists())


def bundle_inputs(kernel: guest_assets.GuestKernel) -> list[Path]:
    """What a bundle with the default guest is made from (for staleness checks)."""
    here = Path(__file__).parent
    return [kernel.image, here / "bundle.py", here / "guest_platform.py", here / "guest_assets.py",
            here / "cpio.py", here / "integrity.py", *(here / "profile").glob("*.py")]


def ensure_board_bundles(boards: list[str]) -> list[Path]:
    """build/<board>/guests.cpio for each board, rebuilt only when an input changed.

    The guest platform does not depend on the host board, so one bundle is made
    (build/guests/guests.cpio) and copied next to each board's image.
    """
    import shutil

    from mamoru import paths

    kernel = guest_assets.cloud_kernel()
    inputs = bundle_inputs(kernel)
    common = paths.BUILD / "guests" / "guests.cpio"
    if stale(common, inputs):
        print(f"bundle: writing {common} (guest0: Debian {kernel.version})", flush=True)
        default_bundle(common)
    out = []
    for board in boards:
        target = paths.BUILD / board / "guests.cpio"
        if stale(target, [common]):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(common, target)
        out.append(target)
    return out
