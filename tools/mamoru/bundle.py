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
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(out)
    return out


def default_guest(
    platform: GuestPlatform | None = None,
    extra_files: dict[str, bytes | Path] | None = None,
) -> GuestSpec:
    """Debian's arm64 cloud kernel with the busybox initramfs."""
    kernel = guest_assets.cloud_kernel()
    initrd = guest_assets.initramfs_bytes(guest_assets.default_init_script(), extra_files)
    return GuestSpec(platform or GuestPlatform(), kernel.image, initrd)


def default_bundle(board: str, out: Path | None = None) -> Path:
    """build/<board>/guests.cpio with the default guest."""
    from mamoru import paths

    target = out or paths.BUILD / board / "guests.cpio"
    return write_bundle(target, [default_guest()])
