# SPDX-License-Identifier: GPL-2.0-only
"""The guest bundle: one cpio archive holding each guest's kernel, initrd, DTB and profile.

Entries are <guest>/kernel, <guest>/initrd, <guest>/dtb and (optionally) <guest>/profile,
<guest>/integrity and, for an ARMv5 guest whose patcher needed one, <guest>/sidetab.
QEMU loads the bundle with -initrd; the Raspberry Pi firmware with `initramfs <file>
followkernel`. The hypervisor finds it through /chosen in its own device tree.

Which guest a board's default bundle holds is the board's `default_guest` (board.toml, or
its architecture's in boards/boards.toml): "debian-cloud" or "debian-generic" (Debian's arm64
cloud or generic kernel, this module) or "versatile" (the patched ARMv5 kernel,
mamoru.versatile_guest).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mamoru import guest_assets
from mamoru.cpio import CpioWriter
from mamoru.guest_modules import default_initramfs_files
from mamoru.guest_platform import GuestPlatform, device_tree_blob


@dataclass
class GuestSpec:
    platform: GuestPlatform
    kernel: Path
    initrd: bytes
    profile: bytes | None = None
    integrity: bytes | None = None      # kernel integrity manifest (mamoru.integrity)
    dtb: bytes | None = None            # the guest's device tree; None: from platform
    extra: dict[str, bytes] = field(default_factory=dict)   # more <name>/<key> entries


def read_bundle(path: Path) -> dict[str, dict[str, bytes]]:
    """A bundle's guests: name -> {"kernel": ..., "initrd": ..., "dtb": ..., "profile": ...}."""
    from mamoru.cpio import read_cpio

    out: dict[str, dict[str, bytes]] = {}
    for e in read_cpio(path.read_bytes()):
        name, sep, what = e.name.partition("/")
        if sep and e.is_file:
            out.setdefault(name, {})[what] = e.data
    return out


def image_release(kernel: bytes) -> str | None:
    """The release (`uname -r`) in an uncompressed kernel Image's "Linux version" banner."""
    at = kernel.find(b"Linux version ")
    if at < 0:
        return None
    words = kernel[at:at + 256].split(b"\0", 1)[0].split()
    return words[2].decode(errors="replace") if len(words) > 2 else None


def bundle_bytes(guests: list[GuestSpec]) -> bytes:
    """The cpio archive of these guests."""
    buf = io.BytesIO()
    with CpioWriter(buf) as w:
        for g in guests:
            name = g.platform.name
            w.add_dir(name)
            w.add_file(f"{name}/kernel", g.kernel.read_bytes())
            w.add_file(f"{name}/initrd", g.initrd)
            w.add_file(f"{name}/dtb", g.dtb if g.dtb is not None else device_tree_blob(g.platform))
            if g.profile is not None:
                w.add_file(f"{name}/profile", g.profile)
            if g.integrity is not None:
                w.add_file(f"{name}/integrity", g.integrity)
            for key, data in sorted(g.extra.items()):
                w.add_file(f"{name}/{key}", data)
    return buf.getvalue()


def write_atomic(out: Path, data: bytes) -> Path:
    """Writes data to out through a temporary file: out is the old file or the whole new
    one, and no partial temporary file is left behind, whatever fails."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def write_bundle(out: Path, guests: list[GuestSpec]) -> Path:
    """Writes the bundle atomically (a partial file never replaces a good one)."""
    return write_atomic(out, bundle_bytes(guests))


def profile_tool_hash() -> str:
    """A digest of the profile tool's sources: a profile is cached per tool version, so
    checkouts with different tool versions sharing the cache never read each other's."""
    h = hashlib.sha256()
    for p in sorted((Path(__file__).parent / "profile").glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def kernel_profile(kernel: guest_assets.GuestKernel) -> bytes:
    """The IDS profile of a Debian kernel (Image + System.map), cached next to the kernel
    under the profile tool's source digest."""
    from mamoru.profile import build_profile, encode

    cached = kernel.directory / f"guest-{profile_tool_hash()}.profile"
    if cached.is_file():
        return cached.read_bytes()
    k = guest_assets.debug_files(kernel)
    if k.system_map is None:
        raise RuntimeError(f"no System.map for {kernel.version}")
    data = encode(build_profile(k.image, k.system_map, k.config).profile)
    tmp = cached.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(cached)
    return data


def _digest(*files: Path) -> str:
    h = hashlib.sha256()
    for p in files:
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def kernel_integrity(kernel: guest_assets.GuestKernel) -> bytes | None:
    """The integrity manifest of a Debian kernel (Image + System.map), cached next to it
    under the manifest tool's source digest (like the profile); None, with a note, for a
    kernel the manifest tool does not handle yet (`ids integrity` then says there is none)."""
    from mamoru.integrity import manifest_from_files
    from mamoru.profile import ProfileError

    cached = kernel.directory / f"guest-{_digest(Path(__file__).parent / 'integrity.py')}.integrity"
    if cached.is_file() and cached.stat().st_mtime >= kernel.image.stat().st_mtime:
        return cached.read_bytes()
    k = guest_assets.debug_files(kernel)
    if k.system_map is None:
        raise RuntimeError(f"no System.map for {kernel.version}")
    try:
        data = manifest_from_files(k.image, k.system_map)
    except ProfileError as e:
        print(f"bundle: no integrity manifest for {kernel.version}: {e}", file=sys.stderr,
              flush=True)
        return None
    tmp = cached.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(cached)
    return data


def kernel_guest(
    kernel: guest_assets.GuestKernel,
    platform: GuestPlatform | None = None,
    extra_files: dict[str, bytes | Path] | None = None,
    *,
    profile: bool = True,
) -> GuestSpec:
    """A cached Debian kernel with the busybox initramfs (its virtio modules: guest_modules)
    (and its IDS profile)."""
    files = {**default_initramfs_files(kernel), **(extra_files or {})}
    initrd = guest_assets.initramfs_bytes(guest_assets.default_init_script(), files)
    return GuestSpec(platform or GuestPlatform(), kernel.image, initrd,
                     kernel_profile(kernel) if profile else None,
                     kernel_integrity(kernel) if profile else None)


def default_guest(
    platform: GuestPlatform | None = None,
    extra_files: dict[str, bytes | Path] | None = None,
    *,
    profile: bool = True,
) -> GuestSpec:
    """Debian's arm64 cloud kernel with the busybox initramfs (and its IDS profile)."""
    return kernel_guest(guest_assets.cloud_kernel(), platform, extra_files, profile=profile)


# The Debian kernel flavour of each Debian default guest kind (boards.DEFAULT_GUESTS).
DEBIAN_KINDS = {"debian-cloud": "cloud", "debian-generic": "generic"}


def board_kernel(board: str | None) -> guest_assets.GuestKernel:
    """The Debian kernel of a board's default guest (its kind must be a Debian one)."""
    return guest_assets.debian_kernel(flavour=DEBIAN_KINDS[_default_kind(board)])


def board_platform(board: str | None, *, kaslr: bool = False) -> GuestPlatform:
    """The guest platform of a board's default Debian guest: its disk (board_disk), the
    devices it owns (board.toml default_passthrough) and a vCPU on each of the board's
    cores (board.toml cpus, up to VCPUS_MAX)."""
    from mamoru.boards import BOARDS, DEFAULT_BOARD
    from mamoru.guest_platform import VCPUS_MAX

    b = BOARDS[board or DEFAULT_BOARD]
    return GuestPlatform(kaslr=kaslr, disk=board_disk(board), passthrough=b.default_passthrough,
                         vcpus=min(b.cpus, VCPUS_MAX))


def default_bundle(out: Path, *, kaslr: bool = False, board: str | None = None) -> Path:
    """A bundle with the default guest (guest0) of board (default: the default board) at
    out. kaslr is for the Debian guest; the versatile guest has none (ValueError)."""
    kind = _default_kind(board)
    if kind == "versatile":
        from mamoru.versatile_guest import versatile_guest

        if kaslr:
            raise ValueError("the versatile guest has no KASLR")
        return write_bundle(out, [versatile_guest()])
    return write_bundle(out, [kernel_guest(board_kernel(board),
                                           board_platform(board, kaslr=kaslr))])


# The disk a board's default guest asks for: on a board that boots from an SD card (the
# Pis), partition 2 of that card, which `./mamoru sdcard` makes (docs/sdcard.md).
SD_DISK = "sd:2"


def board_disk(board: str | None) -> str | None:
    from mamoru.boards import BOARDS, DEFAULT_BOARD

    return SD_DISK if BOARDS[board or DEFAULT_BOARD].sdcard is not None else None


def _default_kind(board: str | None) -> str:
    from mamoru.boards import BOARDS, DEFAULT_BOARD

    b = BOARDS[board or DEFAULT_BOARD]
    if b.default_guest is None:
        raise ValueError(f"board {b.name} has no default guest (board.toml default_guest)")
    return b.default_guest


def stale(target: Path, inputs: list[Path]) -> bool:
    """True when target is missing or older than any of inputs."""
    if not target.is_file():
        return True
    t = target.stat().st_mtime
    return any(p.stat().st_mtime > t for p in inputs if p.exists())


def tool_inputs() -> list[Path]:
    """The tools' own sources a bundle depends on (for staleness checks)."""
    here = Path(__file__).parent
    return [here / "bundle.py", here / "guest_platform.py", here / "guest_assets.py",
            here / "guest_modules.py",
            here / "cpio.py", here / "integrity.py", *(here / "profile").glob("*.py")]


def bundle_inputs(kernel: guest_assets.GuestKernel) -> list[Path]:
    """What a bundle with the default guest is made from (for staleness checks)."""
    return [kernel.image, *tool_inputs()]


def guests_file_bundle(file: Path, out: Path, boards: list[str] | None = None) -> Path:
    """The bundle of a guest description file (mamoru.guestfile) at out, rebuilt only when
    the file, a file it names or the tools changed. Checks that the guests fit each of
    `boards`. Raises guestfile.GuestFileError (one line), and then writes nothing."""
    from mamoru import guestfile

    entries = guestfile.load(file)
    ram = sum(e.ram for e in entries)
    deps = [*guestfile.inputs(file, entries), here_file("guestfile.py"), *tool_inputs()]
    data = bundle_bytes(guestfile.make_specs(file, entries)) if stale(out, deps) else None
    for board in boards or []:
        guestfile.check_board(file, board, ram,
                              len(data) if data is not None else out.stat().st_size)
    if data is not None:
        write_atomic(out, data)
    return out


def here_file(name: str) -> Path:
    return Path(__file__).parent / name


# Next to build/<board>/guests.cpio: where a bundle from a guest file came from. The default
# bundle is copied over a board's bundle whenever this file exists.
ORIGIN = "guests.cpio.origin"


def install_board_bundle(source: Path, board: str, origin: str | None = None) -> Path:
    """Copies a bundle to build/<board>/guests.cpio (atomically) when it is missing, older,
    or came from elsewhere; origin names a guest file (None: the default bundle)."""
    from mamoru import paths

    target = paths.BUILD / board / "guests.cpio"
    marker = target.with_name(ORIGIN)
    had = marker.read_text().strip() if marker.is_file() else None
    if had != origin or stale(target, [source]):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
        try:
            shutil.copyfile(source, tmp)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
        if origin is None:
            marker.unlink(missing_ok=True)
        else:
            marker.write_text(origin + "\n")
    return target


def default_board_bundle(board: str) -> Path:
    """build/<board>/guests.cpio with the board's default guest, whether or not the board
    runs guests yet (`./mamoru bundle --board`); rebuilt only when an input changed.

    One bundle per kind of default guest is made (build/guests/guests.cpio for
    "debian-cloud" on a board without an SD card or devices of its own: the guest platform
    does not depend on the host board; a board whose default guest differs (the Pis:
    Debian's generic kernel, the SD card's partition 2 as a disk, the devices of board.toml
    default_passthrough) gets build/guests/guests-<board>.cpio;
    build/guests/versatile.cpio) and copied next to each board's image.
    """
    from mamoru import paths

    if _default_kind(board) == "versatile":
        from mamoru import versatile_guest, versatilekernel

        k = versatilekernel.versatile_kernel()
        common = paths.BUILD / "guests" / "versatile.cpio"
        if stale(common, [*versatile_guest.inputs(k), *tool_inputs()]):
            print(f"bundle: writing {common} (guest0: versatile {k.version}, patched)",
                  flush=True)
            write_bundle(common, [versatile_guest.versatile_guest(k)])
        return install_board_bundle(common, board)
    from mamoru.boards import BOARDS

    kernel = board_kernel(board)
    platform = board_platform(board)
    # The boards whose default guest is the shared one (the cloud kernel, no disk, the
    # hypervisor's default devices) share its bundle; the others (the Pis) have their own.
    shared = (_default_kind(board) == "debian-cloud" and platform.disk is None
              and platform.passthrough is None)
    common = paths.BUILD / "guests" / ("guests.cpio" if shared else f"guests-{board}.cpio")
    if stale(common, [*bundle_inputs(kernel), BOARDS[board].folder / "board.toml",
                      paths.ROOT / "boards" / "boards.toml"]):
        owns = ", ".join(platform.passthrough or ())
        print(f"bundle: writing {common} (guest0: Debian {kernel.version}"
              f"{', disk ' + platform.disk if platform.disk else ''}"
              f"{', owns ' + owns if owns else ''})", flush=True)
        default_bundle(common, board=board)
    return install_board_bundle(common, board)


def ensure_board_bundles(boards: list[str], guests: Path | None = None) -> list[Path]:
    """build/<board>/guests.cpio for each of boards that runs guests (board.toml guests;
    the others are skipped), rebuilt only when an input changed.

    With a guest file, one bundle (build/guests/from-file.cpio, which from-file.cpio.origin
    names) is copied next to each board's image; without, each board's default guest
    (default_board_bundle).
    """
    from mamoru import paths
    from mamoru.boards import BOARDS

    boards = [b for b in boards if BOARDS[b].guests]
    if guests is not None:
        origin = str(guests.resolve())
        common = paths.BUILD / "guests" / "from-file.cpio"
        marker = common.with_name(ORIGIN.replace("guests", "from-file"))
        if not marker.is_file() or marker.read_text().strip() != origin:
            common.unlink(missing_ok=True)      # made from another file: not reusable
        guests_file_bundle(guests, common, boards)
        marker.write_text(origin + "\n")
        print(f"bundle: {common} from {guests}", flush=True)
        return [install_board_bundle(common, b, origin) for b in boards]
    return [default_board_bundle(b) for b in boards]


