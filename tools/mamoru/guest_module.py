# SPDX-License-Identifier: GPL-2.0-only
"""The IDS test attack: a kernel module for the default guest, built against Debian's headers.

tests/guest_module/mamoru_attack.c hooks one system call table entry, unlinks a process from
the task list and unlinks itself from the module list (see the comment at its top). This file
builds it for the guest kernel and says how to load it from a guest shell:

    files = attack_initramfs_files()               # {"lib/modules/mamoru_attack.ko": Path}
    initrd = guest_assets.initramfs_bytes(guest_assets.default_init_script(), files)
    ... boot, read the slide symbol's address from /proc/kallsyms in the guest ...
    sct = runtime_sct(profile, kallsyms_address)   # sys_call_table with the KASLR slide
    shell.send(attack_commands(sct, HOOKED_SYSCALL, victim_pid))

The build cross-compiles on the host, as Debian's own packages allow: the guest kernel's
`linux-headers-<release>:arm64`, its `linux-headers-<abi>-common` (arch all) and
`linux-kbuild-<series>` for the host's architecture (its fixdep and modpost run here) are
downloaded (never installed) and unpacked into the cache:

    debs/                                       the .deb files (shared with guest_assets)
    kbuild/<release>/usr/src/linux-headers-*    the unpacked trees; .ok when complete
    guest-module/<release>/mamoru_attack-<hash>.ko   built modules, by hash of the sources

A warm call hashes the sources and returns the cached .ko. Needs aarch64-linux-gnu-gcc-12
(`gcc-aarch64-linux-gnu`) and make; `./mamoru setup` installs both.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mamoru import debian, guest_assets, paths
from mamoru.profile import Profile

SOURCE_DIR = paths.ROOT / "tests" / "guest_module"
MODULE_NAME = "mamoru_attack"
# Where the module sits in the guest's initramfs (attack_initramfs_files) and its shell.
GUEST_MODULE_PATH = f"/lib/modules/{MODULE_NAME}.ko"
# The module's default hook: getdents64 (arm64 number 61). The hook forwards every call and
# counts it; given hide_pid, it also drops that PID from listings of the /proc root, which is
# what hides the process from `ps` (/proc lists the PID table, not the unlinked task list).
HOOKED_SYSCALL = 61
HOOKED_HANDLER = "__arm64_sys_getdents64"
# A text symbol both /proc/kallsyms (root) and the profile know: its runtime address minus
# its link address is the KASLR slide.
SLIDE_SYMBOL = "__arm64_sys_read"

CROSS_COMPILE = "aarch64-linux-gnu-"
CROSS_CC = "aarch64-linux-gnu-gcc-12"   # Debian built its 6.1 and 6.12 bookworm kernels with it
GUEST_ARCH = "arm64"
BUILD_TIMEOUT = 300.0
# 6.1.0-57-cloud-arm64 (abi 6.1.0-57) or 6.12.117+deb12-cloud-arm64 (abi 6.12.117+deb12).
_RELEASE_RE = re.compile(r"^(?P<abi>\d+\.\d+\.\d+(?:-\d+|\+deb\d+))-(?P<flavour>.+)$")
_INCLUDE_RE = re.compile(r"^include\s+(/usr/src/(linux-headers-[^/\s]+)/Makefile)\s*$", re.M)


class GuestModuleError(RuntimeError):
    """The attack module cannot be built (missing tool or package, compiler error)."""


def _note(msg: str) -> None:
    print(f"guest-module: {msg}", file=sys.stderr, flush=True)


def kbuild_dir(release: str) -> Path:
    return paths.cache_dir() / "kbuild" / release


def module_dir(release: str) -> Path:
    return paths.cache_dir() / "guest-module" / release


def host_arch() -> str:
    """The host's Debian architecture (amd64 here): the one linux-kbuild must be for."""
    try:
        r = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                           check=False)
    except FileNotFoundError as e:
        raise GuestModuleError("dpkg not found: building the guest module needs a Debian "
                               "host") from e
    arch = r.stdout.strip()
    if r.returncode != 0 or not arch:
        raise GuestModuleError(f"dpkg --print-architecture failed: {r.stderr.strip()}")
    return arch


def _deb_version(deb: Path) -> str:
    """The version part of a `name_version_arch.deb` file name (epoch colon still %3a)."""
    parts = deb.name.removesuffix(".deb").split("_")
    return parts[1] if len(parts) == 3 else ""


def _kbuild_package(headers: str, release: str) -> str:
    """linux-kbuild-<series> (no architecture), from the headers' dependencies."""
    try:
        return debian.resolve_depends(f"{headers}:{GUEST_ARCH}", prefix="linux-kbuild-")
    except debian.DebianError:
        m = re.match(r"(\d+\.\d+)\.", release)
        if m is None:
            raise
        return f"linux-kbuild-{m.group(1)}"


def _download(release: str) -> list[Path]:
    """The three .debs for release: arch headers, common headers, host kbuild."""
    m = _RELEASE_RE.match(release)
    if m is None:
        raise GuestModuleError(f"kernel release {release!r} is not <x.y.z-abi>-<flavour>")
    dest = guest_assets.debs_dir()
    headers = f"linux-headers-{release}"
    common = f"linux-headers-{m.group('abi')}-common"
    try:
        arch_deb = debian.apt_download(f"{headers}:{GUEST_ARCH}", dest)
        common_deb = debian.apt_download(common, dest)
        kbuild = f"{_kbuild_package(headers, release)}:{host_arch()}"
        kbuild_deb = debian.apt_download(kbuild, dest)
        if _deb_version(kbuild_deb) != _deb_version(arch_deb):
            # A kbuild .deb left from an older point release: fetch apt's candidate instead.
            kbuild_deb.unlink()
            kbuild_deb = debian.apt_download(kbuild, dest)
            if _deb_version(kbuild_deb) != _deb_version(arch_deb):
                _note(f"{kbuild_deb.name} and {arch_deb.name} differ in version "
                      "(fine within a series)")
    except debian.DebianError as e:
        raise GuestModuleError(f"cannot fetch the headers for {release}: {e}") from e
    return [arch_deb, common_deb, kbuild_deb]


def _fix_tree(root: Path, release: str) -> Path:
    """Points the unpacked headers at their new place; returns the arch headers directory.

    Debian's arch headers Makefile is one line, `include /usr/src/linux-headers-<abi>-common/
    Makefile`; `scripts` and `tools` are relative symlinks to the kbuild tree, which resolve
    when all three packages are unpacked under one root (re-pointed if they do not).
    """
    src = root / "usr" / "src"
    headers = src / f"linux-headers-{release}"
    makefile = headers / "Makefile"
    if not makefile.is_file():
        raise GuestModuleError(f"{makefile} is missing: the headers package changed layout")
    text = makefile.read_text()
    m = _INCLUDE_RE.search(text)
    if m is not None:
        common = src / m.group(2)
        if not (common / "Makefile").is_file():
            raise GuestModuleError(f"{headers.name} includes {m.group(1)}, not unpacked")
        makefile.write_text(_INCLUDE_RE.sub(f"include {common / 'Makefile'}", text))
    elif str(root) not in text:
        raise GuestModuleError(f"{makefile}: no `include /usr/src/...` line to fix:\n{text}")
    kbuilds = sorted((root / "usr" / "lib").glob("linux-kbuild-*"))
    if not kbuilds:
        raise GuestModuleError(f"no usr/lib/linux-kbuild-* under {root}")
    for tree in sorted(src.glob("linux-headers-*")):
        for name in ("scripts", "tools"):
            link = tree / name
            if link.is_symlink() and not link.exists():
                link.unlink()
                link.symlink_to(os.path.relpath(kbuilds[0] / name, tree))
    if not (headers / "scripts" / "mod" / "modpost").exists():
        raise GuestModuleError(f"{headers}/scripts/mod/modpost is missing (linux-kbuild?)")
    return headers


def prepare_headers(release: str) -> Path:
    """The unpacked, fixed headers tree for `release` (downloads on first use)."""
    root = kbuild_dir(release)
    headers = root / "usr" / "src" / f"linux-headers-{release}"
    stamp = root / ".ok"
    if stamp.is_file():
        return headers
    debs = _download(release)
    _note(f"unpacking {', '.join(d.name for d in debs)}")
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{release}-", dir=root.parent))
    try:
        for deb in debs:
            debian.extract(deb, ["./usr/*"], tmp)
        tmp.rename(root)   # the Makefile names the final path: fix after the move
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        headers = _fix_tree(root, release)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    stamp.write_text("".join(f"{d.name}\n" for d in debs))
    return headers


def _source_files() -> list[Path]:
    files = sorted(p for p in SOURCE_DIR.iterdir()
                   if p.is_file() and (p.suffix in (".c", ".h") or p.name == "Kbuild"))
    if not any(p.name == f"{MODULE_NAME}.c" for p in files):
        raise GuestModuleError(f"{SOURCE_DIR / MODULE_NAME}.c is missing")
    return files


def _source_hash(release: str, files: list[Path]) -> str:
    h = hashlib.sha256(f"{release}\0{CROSS_CC}\0".encode())
    for p in files:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _check_tools() -> None:
    for tool, package in ((CROSS_CC, "gcc-aarch64-linux-gnu"), ("make", "make")):
        if shutil.which(tool) is None:
            raise GuestModuleError(f"{tool} not found: install {package} (`./mamoru setup`)")


def build_attack_module(release: str | None = None) -> Path:
    """The attack module built for `release` (default: the cloud kernel's); cached.

    Rebuilt when a file in tests/guest_module changes. Raises GuestModuleError with the
    compiler's output when the build fails.
    """
    release = release or guest_assets.cloud_kernel().version
    files = _source_files()
    out = module_dir(release) / f"{MODULE_NAME}-{_source_hash(release, files)}.ko"
    if out.is_file():
        return out
    _check_tools()
    with paths.locked(paths.cache_dir() / "guest-module", f".{release}.lock"):
        if out.is_file():
            return out
        headers = prepare_headers(release)
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".build-", dir=out.parent) as tmp:
            build = Path(tmp)
            for p in files:
                shutil.copy2(p, build / p.name)
            # No BTF for the module: 6.12's headers would run pahole (dwarves) for it, and
            # nothing here reads a module's BTF.
            argv = ["make", "-C", str(headers), f"M={build}", f"ARCH={GUEST_ARCH}",
                    f"CROSS_COMPILE={CROSS_COMPILE}", f"CC={CROSS_CC}",
                    "CONFIG_DEBUG_INFO_BTF_MODULES=", "modules"]
            try:
                r = subprocess.run(argv, capture_output=True, text=True, check=False,
                                   timeout=BUILD_TIMEOUT, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired as e:
                raise GuestModuleError(f"{' '.join(argv)} took over {BUILD_TIMEOUT:.0f} s") from e
            ko = build / f"{MODULE_NAME}.ko"
            if r.returncode != 0 or not ko.is_file():
                raise GuestModuleError(
                    f"building {MODULE_NAME}.ko failed ({' '.join(argv)}):\n"
                    f"{(r.stdout + r.stderr).strip()[-6000:]}"
                )
            check_vermagic(ko, release)
            warnings = [line for line in (r.stdout + r.stderr).splitlines()
                        if "warning:" in line]
            if warnings:
                _note("compiler warnings:\n" + "\n".join(warnings))
            for old in out.parent.glob(f"{MODULE_NAME}-*.ko"):
                old.unlink()
            os.replace(ko, out)
    return out


def check_vermagic(ko: Path, release: str) -> None:
    """Raises GuestModuleError unless the module's vermagic names `release`."""
    m = re.search(rb"vermagic=([^\0]*)", ko.read_bytes())
    if m is None or not m.group(1).decode(errors="replace").startswith(f"{release} "):
        found = m.group(1).decode(errors="replace") if m else "none"
        raise GuestModuleError(f"{ko.name}: vermagic {found!r} is not for {release}")


# -- using it from a guest shell --------------------------------------------------------------


def attack_initramfs_files(release: str | None = None) -> dict[str, bytes | Path]:
    """extra_files for guest_assets.initramfs_bytes: the module at GUEST_MODULE_PATH."""
    return {GUEST_MODULE_PATH.lstrip("/"): build_attack_module(release)}


def link_address(profile: Profile, name: str) -> int:
    """A symbol's link-time address from the profile: `sym.<name>` or a text symbol."""
    v = profile.get(f"sym.{name}")
    if isinstance(v, int):
        return v
    for addr, sym in profile.text:
        if sym == name:
            return addr
    raise KeyError(f"the profile has no symbol {name}")


def kallsyms_command(symbol: str = SLIDE_SYMBOL) -> str:
    """A guest shell command printing `<address> <type> <symbol>` from /proc/kallsyms."""
    return f"grep ' {symbol}$' /proc/kallsyms"


def parse_kallsyms_address(text: str, symbol: str = SLIDE_SYMBOL) -> int:
    """The address of `symbol` in kallsyms_command's output (ValueError if absent or 0)."""
    m = re.search(rf"^([0-9a-fA-F]{{8,16}}) [tTwW] {re.escape(symbol)}\r?$", text, re.M)
    if m is None:
        raise ValueError(f"no {symbol} line in:\n{text}")
    addr = int(m.group(1), 16)
    if addr == 0:
        raise ValueError("/proc/kallsyms shows zero addresses (kptr_restrict, not root?)")
    return addr


def runtime_address(profile: Profile, slide_symbol_runtime: int, name: str,
                    slide_symbol: str = SLIDE_SYMBOL) -> int:
    """A kernel symbol's runtime address: its link address plus the KASLR slide, which is
    slide_symbol's runtime address (from /proc/kallsyms) minus its link address. The
    guest's kallsyms lists no data symbols (no CONFIG_KALLSYMS_ALL): the profile has them."""
    slide = slide_symbol_runtime - link_address(profile, slide_symbol)
    return (link_address(profile, name) + slide) & 0xFFFF_FFFF_FFFF_FFFF


def runtime_sct(profile: Profile, slide_symbol_runtime: int,
                slide_symbol: str = SLIDE_SYMBOL) -> int:
    """sys_call_table's runtime address (see runtime_address)."""
    return runtime_address(profile, slide_symbol_runtime, "sys_call_table", slide_symbol)


def insmod_command(**params: int | str | bool) -> str:
    """`insmod` of the attack module with these parameters (ints in hex, bools as 1/0,
    lists as comma-separated strings), e.g. insmod_command(banner=addr, hide_self=True)."""
    args = []
    for name, value in params.items():
        if isinstance(value, bool):      # the kernel reads "0x1" as false: first char '0'
            args.append(f"{name}={int(value)}")
        elif isinstance(value, int):
            args.append(f"{name}={value:#x}")
        else:
            args.append(f"{name}={value}")
    return f"insmod {GUEST_MODULE_PATH} {' '.join(args)}"


def attack_commands(sct_runtime: int, nr: int = HOOKED_SYSCALL, pid: int | None = None,
                    *, hide_self: bool = True) -> str:
    """The guest shell command line that loads the module and performs the attack.

    Its kernel messages say what it did: `mamoru_attack: hooked syscall N at <slot>: <old> ->
    <new> (<symbol>)`, `mamoru_attack: hid pid P`, `mamoru_attack: hid module`.
    """
    args = [f"sct={sct_runtime:#x}", f"nr={nr}"]
    if pid is not None:
        args.append(f"hide_pid={pid}")
    if hide_self:
        args.append("hide_self=1")
    return f"insmod {GUEST_MODULE_PATH} {' '.join(args)}"


def integrity_commands(*, inline: bool = False, kprobe: bool = False) -> str:
    """Module parameters for the kernel-text attacks on HOOKED_HANDLER: `inline_hook=1` (a
    branch over its first instruction into the module) and/or `kprobe_hook=1` (a kprobe)."""
    args = []
    if inline:
        args.append("inline_hook=1")
    if kprobe:
        args.append("kprobe_hook=1")
    return " ".join(args)
