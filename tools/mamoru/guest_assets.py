# SPDX-License-Identifier: GPL-2.0-only
"""The default guest: Debian's arm64 cloud kernel and a busybox initramfs, fetched and cached.

Cache layout (under `paths.cache_dir()`: $MAMORU_CACHE or ~/.cache/mamoru):

    debs/<name>_<version>_arm64.deb     downloaded packages (kept; see MAMORU_DROP_DBG_DEB)
    guest/cloud-kernel                  which kernel release the cloud metapackage gave last
    guest/cloud-kernel-<series>         the same for a newer series (e.g. 6.12, see SERIES)
    guest/generic-kernel                the same for the generic flavour (FLAVOURS)
    guest/<release>/vmlinuz-<release>   the raw arm64 Image (EFI "MZ" stub, not compressed)
    guest/<release>/config-<release>    its kernel configuration
    guest/<release>/System.map-<release>, vmlinux-<release>   from the -dbg package (on demand)
    guest/<release>/.kernel-ok, .debug-ok                       stamps: extraction finished
    guest/busybox-static/busybox        the static arm64 busybox, with its stamp .ok
    guest/.lock                         serializes fetches between processes

A warm call only reads stamps. The metapackage is resolved again (apt-cache, ~2 s) only when
apt's package lists changed after the last resolution, so a new Debian point release is picked
up after `apt-get update` and the kernel version is never written down in code.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from mamoru import debian, paths
from mamoru.cpio import CpioWriter

# Debian's arm64 kernel flavours a guest can run, by the part of the package name after the
# series: "cloud" (made for VMs: virtio, no board drivers; the default guest's) and
# "generic" (Debian's arm64 kernel with the board drivers as modules: the Raspberry Pi's
# SD host, sdhci-iproc, for passthrough on the Pis; ext4 is a module there).
FLAVOURS: dict[str, str] = {"cloud": "cloud-arm64", "generic": "arm64"}
META = "linux-image-{flavour}:arm64"
# Newer kernel series than the default, by the versioned metapackage that always points at
# the newest build of the series (bookworm-backports / bookworm-security; `./mamoru setup`
# adds bookworm-backports to apt's sources).
SERIES_META = "linux-image-{series}-{flavour}:arm64"
SERIES: tuple[str, ...] = ("6.12",)
ARCH = "arm64"
BUSYBOX_PACKAGE = "busybox-static:arm64"
APT_LISTS = Path("/var/lib/apt/lists")
DROP_DBG_DEB_ENV = "MAMORU_DROP_DBG_DEB"  # "1": delete the ~260 MB -dbg .deb once extracted

# What the default /init prints once the guest is up, and the prompt of its shell.
INIT_DONE = "mamoru-guest: init done"
GUEST_PROMPT = "guest# "
# The default /init's devices: modules it loads (one path a line; guest_modules writes it),
# eth0's address on QEMU's user network and its gateway, where /dev/vda is mounted.
MODULES_LIST = "etc/mamoru/modules"
GUEST_IP = "10.0.2.15"
GUEST_GATEWAY = "10.0.2.2"
TELNET_PORT = 23
DATA_DIR = "/data"
# Where /init looks for virtio-mmio nodes: the compatibles of the device tree's first two levels.
DT_COMPATIBLES = ("/sys/firmware/devicetree/base/*/compatible "
                  "/sys/firmware/devicetree/base/*/*/compatible")
# The passed devices whose drivers MODULES_LIST holds (a grep -E pattern), and the SD host's.
PASSED_COMPATIBLES = "virtio,mmio|brcm,bcm2835-sdhci|brcm,bcm2835-usb"
SDHCI_COMPATIBLE = "brcm,bcm2835-sdhci"
# The Pis' USB controller (DWC2): /init waits for the network interface behind it, eth0
# (the Pi 3 B's LAN9514) or usb0 (QEMU's usb-net: cdc_ether names an interface with a
# locally administered address usb<n>), up to USB_NET_WAIT_S.
USB_COMPATIBLE = "brcm,bcm2835-usb"
USB_NET_WAIT_S = 10
# What the default /init logs (the kernel's log, not the console: the background wait must
# not print into the shell's output), with the interface's name, its address and "(dhcp)"
# or "(static)", once its telnetd is up.
NET_UP = "mamoru-guest: network up on"
# DHCP discovers /init sends, a second apart, before it falls back to the static address
# (after waiting up to CARRIER_WAIT_S for the interface's link).
DHCP_TRIES = 3
CARRIER_WAIT_S = 5
# A disk whose file system holds this file is the guest's root: /init switches to it
# (disk_root_tree makes one; `./mamoru sdcard` puts it on the card's partition 2).
ROOT_MARKER = "etc/mamoru/root-on-disk"
ROOT_MARKER_TEXT = b"The default guest's /init makes this file system its root (switch_root).\n"
# The disks /init mounts at DATA_DIR: virtio-blk, else the SD card's first partition.
DATA_DISKS = ("/dev/vda", "/dev/mmcblk0p1")

ARM64_IMAGE_MAGIC = b"ARM\x64"  # at offset 0x38 of an arm64 Linux Image header
ARM64_MAGIC_OFFSET = 0x38
EM_AARCH64 = 183

# Applets linked to /bin/busybox. An explicit list: the arm64 busybox cannot run on the host
# to say what it has. Every name here is in Debian 12's busybox-static (checked in a guest
# with `busybox --list`; the asset test checks it again).
DEFAULT_APPLETS: tuple[str, ...] = (
    "[", "[[", "ash", "awk", "base64", "basename", "cat", "chmod", "chown", "chroot", "clear",
    "cmp", "cp", "cttyhack", "cut", "date", "dd", "devmem", "df", "diff", "dirname", "dmesg",
    "du", "echo", "env", "expr", "false", "find", "free", "grep", "halt", "head", "hexdump",
    "hostname", "id", "ifconfig", "insmod", "ip", "kill", "killall", "less", "ln", "ls",
    "lsmod", "md5sum", "mkdir", "mknod", "mktemp", "modprobe", "more", "mount", "mv",
    "netstat", "nproc", "od", "pidof", "poweroff", "printf", "ps", "pwd", "readlink", "reboot",
    "rm", "rmdir", "rmmod", "route", "sed", "seq", "setsid", "sh", "sha256sum", "sleep", "sort",
    "stat", "strings", "stty", "switch_root", "sync", "sysctl", "tac", "tail", "taskset", "tee",
    "telnetd", "test", "time", "timeout", "top", "touch", "tr", "true", "truncate", "umount",
    "udhcpc", "uname", "uniq", "uptime",
    "usleep", "vi", "watch", "wc", "which", "xargs", "xxd", "yes",
)

INITRAMFS_DIRS: dict[str, int] = {
    "bin": 0o755, "sbin": 0o755, "dev": 0o755, "proc": 0o555, "sys": 0o555,
    "tmp": 0o1777, "root": 0o700, "etc": 0o755, "mnt": 0o755,
}
ETC_FILES: dict[str, bytes] = {
    "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\n",
    "etc/group": b"root:x:0:\n",
}
# udhcpc's script (busybox calls it with the lease in its environment): the address,
# netmask and first router of a lease, when it is bound and when a renewal brings another;
# what a lost lease leaves (deconfig, leasefail, nak) stays as it was: the device keeps
# its address rather than dropping off the network.
DHCP_SCRIPT = "etc/mamoru/udhcpc.script"
DHCP_SCRIPT_TEXT = b"""#!/bin/sh
# Applies a DHCP lease (mamoru.guest_assets; udhcpc -s).
case "$1" in
bound|renew)
    ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
    for r in $router; do
        while route del default dev "$interface" 2>/dev/null; do :; done
        route add default gw "$r" dev "$interface"
        break
    done
    ;;
esac
exit 0
"""


class GuestAssetError(RuntimeError):
    """A downloaded file is not what the guest needs."""


@dataclass(frozen=True)
class GuestKernel:
    """A guest kernel build in the cache. `version` is its release (`uname -r`)."""

    version: str
    image: Path
    config: Path | None
    system_map: Path | None
    vmlinux: Path | None

    @property
    def directory(self) -> Path:
        return self.image.parent

    @property
    def flavour(self) -> str:
        """Its FLAVOURS key, from the release's suffix ("6.1.0-57-cloud-arm64": "cloud")."""
        for name, suffix in sorted(FLAVOURS.items(), key=lambda f: -len(f[1])):
            if self.version.endswith(f"-{suffix}"):
                return name
        raise GuestAssetError(f"kernel {self.version}: not one of the flavours "
                              f"{', '.join(FLAVOURS)}")

    @property
    def package(self) -> str:
        """The Debian image package (without -unsigned), e.g. linux-image-6.1.0-56-cloud-arm64."""
        return f"linux-image-{self.version}"


def debs_dir() -> Path:
    return paths.cache_dir() / "debs"


def guest_dir() -> Path:
    return paths.cache_dir() / "guest"


def _note(msg: str) -> None:
    print(f"guest-assets: {msg}", file=sys.stderr, flush=True)


# -- checks --------------------------------------------------------------------------------


def check_arm64_image(path: Path) -> None:
    """Raises GuestAssetError unless path is an uncompressed arm64 Linux Image."""
    with open(path, "rb") as f:
        head = f.read(64)
    magic = head[ARM64_MAGIC_OFFSET:ARM64_MAGIC_OFFSET + 4]
    if magic != ARM64_IMAGE_MAGIC:
        raise GuestAssetError(
            f"{path} is not an arm64 Image: {magic!r} at 0x38, expected {ARM64_IMAGE_MAGIC!r}"
        )


def check_aarch64_elf(path: Path) -> None:
    """Raises GuestAssetError unless path is a 64-bit little-endian AArch64 ELF file."""
    with open(path, "rb") as f:
        head = f.read(20)
    if (len(head) < 20 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1
            or int.from_bytes(head[18:20], "little") != EM_AARCH64):
        raise GuestAssetError(f"{path} is not an AArch64 ELF executable")


# -- the kernel ----------------------------------------------------------------------------


def _kernel_files(version: str) -> GuestKernel:
    d = guest_dir() / version
    system_map = d / f"System.map-{version}"
    vmlinux = d / f"vmlinux-{version}"
    debug = (d / ".debug-ok").is_file()
    return GuestKernel(
        version=version,
        image=d / f"vmlinuz-{version}",
        config=d / f"config-{version}",
        system_map=system_map if debug else None,
        vmlinux=vmlinux if debug else None,
    )


def cached_kernel(version: str) -> GuestKernel | None:
    """The cached kernel of that release, if its extraction finished; never downloads."""
    if not (guest_dir() / version / ".kernel-ok").is_file():
        return None
    return _kernel_files(version)


def _lists_changed_since(marker: Path) -> bool:
    try:
        return APT_LISTS.stat().st_mtime > marker.stat().st_mtime
    except OSError:
        return False


def _marker(series: str | None, flavour: str = "cloud") -> Path:
    name = f"{flavour}-kernel"
    return guest_dir() / (name if series is None else f"{name}-{series}")


def _meta(series: str | None, flavour: str = "cloud") -> str:
    if flavour not in FLAVOURS:
        raise GuestAssetError(f"no kernel flavour {flavour!r}: known are {', '.join(FLAVOURS)}")
    if series is None:
        return META.format(flavour=FLAVOURS[flavour])
    if series not in SERIES:
        raise GuestAssetError(f"no kernel series {series!r}: known are {', '.join(SERIES)}")
    return SERIES_META.format(series=series, flavour=FLAVOURS[flavour])


def _current_release(refresh: bool, series: str | None = None, flavour: str = "cloud") -> str:
    """The release the flavour's metapackage points at; from the marker when apt has not
    moved."""
    marker = _marker(series, flavour)
    known = marker.read_text().strip() if marker.is_file() else ""
    if known and not refresh and not _lists_changed_since(marker):
        return known
    try:
        package = debian.resolve_depends(_meta(series, flavour), prefix="linux-image-")
    except debian.DebianError:
        if known:  # apt is broken or was reset: the cached kernel still works
            return known
        raise
    release = package.removeprefix("linux-image-")
    marker.write_text(release + "\n")  # also its mtime: apt lists seen at this time
    return release


def cloud_kernel(*, refresh: bool = False, series: str | None = None) -> GuestKernel:
    """Debian's arm64 cloud kernel (debian_kernel with flavour "cloud")."""
    return debian_kernel(refresh=refresh, series=series, flavour="cloud")


def generic_kernel(*, refresh: bool = False, series: str | None = None) -> GuestKernel:
    """Debian's generic arm64 kernel, with the Raspberry Pi drivers as modules
    (debian_kernel with flavour "generic")."""
    return debian_kernel(refresh=refresh, series=series, flavour="generic")


def debian_kernel(*, refresh: bool = False, series: str | None = None,
                  flavour: str = "cloud") -> GuestKernel:
    """Debian's arm64 kernel Image and config of a flavour (FLAVOURS), downloaded and
    unpacked once.

    Resolves linux-image-cloud-arm64:arm64 (generic: linux-image-arm64:arm64; with
    `series`, e.g. "6.12": linux-image-6.12-cloud-arm64:arm64, the newest build of that
    series) to
    linux-image-<release>, downloads linux-image-<release>-unsigned:arm64 and keeps
    boot/vmlinuz-<release> (checked for the arm64 Image magic) and boot/config-<release> in
    guest/<release>/. `refresh` asks apt for the current release even when its lists have
    not changed. system_map and vmlinux are set when debug_files() has already fetched them
    for this release, else None.
    """
    marker = _marker(series, flavour)
    if not refresh and marker.is_file() and not _lists_changed_since(marker):
        hit = cached_kernel(marker.read_text().strip())
        if hit is not None:
            return hit
    with paths.locked(guest_dir()):
        release = _current_release(refresh, series, flavour)
        hit = cached_kernel(release)
        if hit is not None:
            return hit
        _note(f"fetching the {flavour} kernel {release}")
        deb = debian.apt_download(f"linux-image-{release}-unsigned:{ARCH}", debs_dir())
        d = guest_dir() / release
        names = [f"vmlinuz-{release}", f"config-{release}"]
        _unpack(deb, {f"boot/{n}": n for n in names}, d)
        k = _kernel_files(release)
        check_arm64_image(k.image)
        (d / ".kernel-ok").write_text(deb.name + "\n")
        return _kernel_files(release)


def _unpack(deb: Path, members: dict[str, str], dest: Path) -> None:
    """Extracts members (archive path -> file name in dest) through a scratch directory."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".unpack-", dir=dest) as tmp:
        debian.extract(deb, list(members), Path(tmp))
        for member, name in members.items():
            src = Path(tmp) / member
            if not src.is_file():
                raise GuestAssetError(f"{deb.name}: {member} is not a regular file")
            os.replace(src, dest / name)


def debug_files(k: GuestKernel) -> GuestKernel:
    """k with System.map and vmlinux (DWARF) from linux-image-<release>-dbg:arm64.

    The -dbg package is a ~260 MB download (~320 MB for 6.12); only
    usr/lib/debug/boot/System.map-<release> and usr/lib/debug/boot/vmlinux-<release> (what
    lib/modules/<release>/vmlinux links to) are unpacked, into the kernel's own cache
    directory. The .deb is kept unless
    MAMORU_DROP_DBG_DEB=1.
    """
    d = guest_dir() / k.version
    if not (d / ".debug-ok").is_file():
        with paths.locked(guest_dir()):
            if not (d / ".debug-ok").is_file():
                _fetch_debug(k.version, d)
    full = _kernel_files(k.version)
    return replace(k, system_map=full.system_map, vmlinux=full.vmlinux)


def _fetch_debug(release: str, d: Path) -> None:
    package = f"linux-image-{release}-dbg:{ARCH}"
    if debian.cached_deb(package, debs_dir()) is None:
        _note(f"downloading {package} (about 260 MB)")
    deb = debian.apt_download(package, debs_dir())
    names = [f"System.map-{release}", f"vmlinux-{release}"]
    _unpack(deb, {f"usr/lib/debug/boot/{n}": n for n in names}, d)
    check_aarch64_elf(d / f"vmlinux-{release}")
    (d / ".debug-ok").write_text(deb.name + "\n")
    if os.environ.get(DROP_DBG_DEB_ENV) == "1":
        deb.unlink(missing_ok=True)


# -- busybox and the initramfs -------------------------------------------------------------


def busybox_static() -> Path:
    """Debian's static arm64 busybox (busybox-static:arm64's bin/busybox), cached."""
    d = guest_dir() / "busybox-static"
    binary = d / "busybox"
    if (d / ".ok").is_file() and binary.is_file():
        return binary
    with paths.locked(guest_dir()):
        if (d / ".ok").is_file() and binary.is_file():
            return binary
        deb = debian.apt_download(BUSYBOX_PACKAGE, debs_dir())
        _unpack(deb, {"bin/busybox": "busybox"}, d)
        check_aarch64_elf(binary)
        binary.chmod(0o755)
        (d / ".ok").write_text(deb.name + "\n")
    return binary


def default_init_script() -> str:
    """A busybox /init: mounts, loads the modules of MODULES_LIST (the kernel's drivers of
    passed devices, see guest_modules) when the device tree has a virtio-mmio, SD host or
    USB controller node, brings up eth0 (DHCP, else QEMU user networking's addresses; with
    the USB controller passed: eth0 or usb0, whichever appears within USB_NET_WAIT_S, waited for in
    the background) with a telnetd on port 23 (logging NET_UP and the interface) and
    mounts /dev/vda, else the SD card's first partition (ext4; waited for up to 5 s when
    the SD host is there: the card is found asynchronously), at /data when those exist;
    when that file system holds ROOT_MARKER and /sbin/init it becomes the root
    (switch_root, /proc, /sys and /dev moved along; the same script runs again there as
    /sbin/init with MAMORU_ROOT set and skips what is done); then it
    prints INIT_DONE, a job-control shell, then powers off. Without the devices it prints
    nothing more."""
    return f"""#!/bin/sh
# /init of Mamoru's default guest (busybox, made by mamoru.guest_assets).
export PATH=/bin:/sbin HOME=/root TERM=vt100 PS1='{GUEST_PROMPT}'
if [ -z "$MAMORU_ROOT" ]; then
    mount -t proc proc /proc 2>/dev/null
    mount -t sysfs sysfs /sys 2>/dev/null
    mount -t devtmpfs devtmpfs /dev 2>/dev/null
fi
# The drivers, when the device tree has a virtio-mmio transport or an SD host (passed).
if [ -f /{MODULES_LIST} ] && grep -qsE '{PASSED_COMPATIBLES}' {DT_COMPATIBLES}; then
    while read -r m; do insmod "$m" 2>/dev/null; done < /{MODULES_LIST}
fi
if grep -qs {SDHCI_COMPATIBLE} {DT_COMPATIBLES}; then
    i=0
    while [ ! -b {DATA_DISKS[1]} ] && [ $i -lt 50 ]; do usleep 100000; i=$((i + 1)); done
fi
for disk in {" ".join(DATA_DISKS)}; do
    [ -z "$MAMORU_ROOT" ] && [ -b $disk ] || continue
    mkdir -p {DATA_DIR}
    mount -t ext4 $disk {DATA_DIR} 2>/dev/null \\
        || echo "mamoru-guest: $disk has no ext4 file system, not mounted"
    break
done
# A disk made to be the root (the SD card's partition 2): this init again from there,
# before any service starts.
if [ -z "$MAMORU_ROOT" ] && [ -f {DATA_DIR}/{ROOT_MARKER} ] && [ -x {DATA_DIR}/sbin/init ]; then
    echo "mamoru-guest: root file system on $disk"
    for m in /proc /sys /dev; do mount --move $m {DATA_DIR}$m; done
    export MAMORU_ROOT=$disk
    exec switch_root {DATA_DIR} /sbin/init
fi
[ -e /sys/class/net/lo ] && ifconfig lo 127.0.0.1 up
# Interface $1 gets an address from DHCP (QEMU's user network hands out {GUEST_IP}), else
# the static {GUEST_IP}/24 with the gateway {GUEST_GATEWAY}; then the device's network
# service (telnet, no login: the stand-in for a vulnerable one).
net_up() {{
    ifconfig $1 up
    # A real PHY takes a few seconds to bring its link up; discovers sent before that
    # are lost.
    i=0
    while [ "$(cat /sys/class/net/$1/carrier 2>/dev/null)" != 1 ] \\
            && [ $i -lt {CARRIER_WAIT_S * 10} ]; do
        usleep 100000; i=$((i + 1))
    done
    how=dhcp
    # With a lease udhcpc goes on in the background and renews it; without one (-n) it
    # gives up after its tries: the static address, and udhcpc asks on in the background
    # (-b), so a DHCP server that answers later still gives the device its address.
    if ! udhcpc -i $1 -n -t {DHCP_TRIES} -T 1 -s /{DHCP_SCRIPT} >/dev/null 2>&1; then
        how=static
        ifconfig $1 {GUEST_IP} netmask 255.255.255.0 up
        route add default gw {GUEST_GATEWAY}
        udhcpc -i $1 -b -s /{DHCP_SCRIPT} >/dev/null 2>&1
    fi
    mkdir -p /dev/pts
    mount -t devpts devpts /dev/pts
    telnetd -l /bin/sh
    addr=$(ifconfig $1 | sed -n 's/.*inet addr:\\([0-9.]*\\).*/\\1/p')
    echo "<6>{NET_UP} $1: $addr ($how)" > /dev/kmsg
}}
if [ -e /sys/class/net/eth0 ]; then
    net_up eth0
elif grep -qs {USB_COMPATIBLE} {DT_COMPATIBLES}; then
    # The network behind a passed USB controller appears once the bus is enumerated, or
    # never (nothing plugged in): waited for in the background, the shell comes at once.
    (
        i=0
        while [ $i -lt {USB_NET_WAIT_S * 10} ]; do
            for n in /sys/class/net/eth0 /sys/class/net/usb*; do
                [ -e $n ] && {{ net_up ${{n##*/}}; exit 0; }}
            done
            usleep 100000; i=$((i + 1))
        done
    ) </dev/null >/dev/null 2>&1 &
fi
cd /root
echo "{INIT_DONE}"
# A new session with the console as its controlling terminal: job control, Ctrl-C.
setsid cttyhack sh
poweroff -f
"""


def _extra_mode(value: bytes | Path) -> int:
    if isinstance(value, Path):
        return 0o755 if os.stat(value).st_mode & stat.S_IXUSR else 0o644
    return 0o755 if value.startswith((b"#!", b"\x7fELF")) else 0o644


@dataclass(frozen=True)
class RootTree:
    """The files of the default guest's root: directories (mode), files (bytes, mode),
    symlinks (target) and character devices (major, minor)."""

    dirs: dict[str, int]
    files: dict[str, tuple[bytes, int]]
    links: dict[str, str]
    devices: dict[str, tuple[int, int]]

    def names(self) -> list[str]:
        return sorted({*self.dirs, *self.files, *self.links, *self.devices})


def root_tree(
    init_script: str,
    extra_files: dict[str, bytes | Path] | None = None,
    *,
    busybox: Path | None = None,
    applets: tuple[str, ...] | list[str] = DEFAULT_APPLETS,
    init_path: str = "init",
) -> RootTree:
    """What the initramfs holds (build_initramfs has the list), /init at init_path."""
    bb = (busybox or busybox_static()).read_bytes()
    dirs: dict[str, int] = dict(INITRAMFS_DIRS)
    files: dict[str, tuple[bytes, int]] = {
        "bin/busybox": (bb, 0o755),
        init_path: (init_script.encode(), 0o755),
        **{p: (data, 0o644) for p, data in ETC_FILES.items()},
        DHCP_SCRIPT: (DHCP_SCRIPT_TEXT, 0o755),
    }
    links = {f"bin/{a}": "busybox" for a in applets if a != "busybox"}
    for path, value in {**(extra_files or {})}.items():
        name = path.strip("/")
        data = value.read_bytes() if isinstance(value, Path) else bytes(value)
        links.pop(name, None)  # an extra file may replace an applet link or a default file
        files[name] = (data, _extra_mode(value))
    for name in list(files):
        parent = Path(name).parent
        while str(parent) != ".":
            dirs.setdefault(str(parent), 0o755)
            parent = parent.parent
    clash = set(dirs) & (set(files) | set(links))
    if clash:
        raise ValueError(f"initramfs paths both a directory and a file: {sorted(clash)}")
    return RootTree(dirs, files, links, {"dev/console": (5, 1), "dev/null": (1, 3)})


def initramfs_bytes(
    init_script: str,
    extra_files: dict[str, bytes | Path] | None = None,
    *,
    busybox: Path | None = None,
    applets: tuple[str, ...] | list[str] = DEFAULT_APPLETS,
) -> bytes:
    """The uncompressed newc archive that build_initramfs writes."""
    t = root_tree(init_script, extra_files, busybox=busybox, applets=applets)
    out = io.BytesIO()
    with CpioWriter(out) as w:
        for name in t.names():
            if name in t.dirs:
                w.add_dir(name, t.dirs[name])
            elif name in t.devices:
                w.add_device(name, *t.devices[name], mode=stat.S_IFCHR | 0o600)
            elif name in t.files:
                w.add_file(name, *t.files[name])
            else:
                w.add_symlink(name, t.links[name])
    return out.getvalue()


def disk_root_tree(*, busybox: Path | None = None) -> RootTree:
    """The default guest's root file system for a disk (the SD card's partition 2): the
    initramfs's files with the default /init as /sbin/init and ROOT_MARKER, which makes the
    initramfs's /init switch to it; no device nodes (devtmpfs is moved over /dev)."""
    t = root_tree(default_init_script(), {ROOT_MARKER: ROOT_MARKER_TEXT}, busybox=busybox,
                  init_path="sbin/init")
    t.dirs.setdefault(DATA_DIR.strip("/"), 0o755)
    return RootTree(t.dirs, t.files, t.links, {})


def build_initramfs(
    out: Path,
    init_script: str,
    extra_files: dict[str, bytes | Path] | None = None,
    *,
    compress: bool = False,
    busybox: Path | None = None,
    applets: tuple[str, ...] | list[str] = DEFAULT_APPLETS,
) -> Path:
    """Writes a busybox initramfs (cpio newc, gzip if `compress`) to out and returns out.

    Contents: the directories of INITRAMFS_DIRS, /bin/busybox with a symlink per applet,
    /dev/console (c 5,1) and /dev/null (c 1,3), a minimal /etc/passwd and /etc/group,
    /init = init_script (0755), then extra_files ("/path" -> bytes or a host file; parent
    directories made; mode 0755 for a host file with its x bit or bytes starting with "#!" or
    an ELF header, else 0644; an extra file replaces a default file or applet link).
    The same inputs give the same bytes: mtime 0, uid 0, sorted names, sequential inodes.
    """
    data = initramfs_bytes(init_script, extra_files, busybox=busybox, applets=applets)
    if compress:
        data = gzip.compress(data, compresslevel=6, mtime=0)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return out


def drop_kernel(version: str) -> None:
    """Removes one kernel release from the cache (e.g. one Debian has replaced)."""
    shutil.rmtree(guest_dir() / version, ignore_errors=True)
