# SPDX-License-Identifier: GPL-2.0-only
"""Install what building and running Mamoru needs (idempotent; fast when done).

On Debian 12: the bookworm-backports apt source, the arm64 and armel dpkg architectures, make,
QEMU >= 10 (qemu-system-arm from backports), the aarch64 and armel cross toolchains, dtc,
cpio, mtools and dosfstools; on Debian also the release's non-free-firmware component
(for `raspi-firmware`, the Pi boot firmware `./mamoru sdcard` puts on the card) when no
apt source enables it yet. Then the Raspberry Pi device trees
(bcm2711-rpi-4-b.dtb, bcm2837-rpi-3-b.dtb) taken from Debian's current arm64
kernel package into <cache>/dtb/ (cache: $MAMORU_CACHE or ~/.cache/mamoru).
Uses sudo when not root; without either it prints the commands to run.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from mamoru import paths
from mamoru.boards import DTB_FILES

SUITE = "bookworm-backports"
APT_DIR = Path("/etc/apt")
BACKPORTS_FILE = APT_DIR / "sources.list.d" / "mamoru-backports.sources"
BACKPORTS_SOURCE = f"""\
# Added by ./mamoru setup: QEMU >= 10 (raspi4b) comes from {SUITE}.
Types: deb
URIs: http://deb.debian.org/debian
Suites: {SUITE}
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
FIRMWARE_COMPONENT = "non-free-firmware"
FIRMWARE_FILE = APT_DIR / "sources.list.d" / "mamoru-non-free-firmware.sources"


def firmware_source(codename: str) -> str:
    """A deb822 source enabling only non-free-firmware of codename (and its updates)."""
    return f"""\
# Added by ./mamoru setup: raspi-firmware (the Raspberry Pi boot firmware for
# ./mamoru sdcard) is in Debian's {FIRMWARE_COMPONENT} component.
Types: deb
URIs: http://deb.debian.org/debian
Suites: {codename} {codename}-updates
Components: {FIRMWARE_COMPONENT}
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


QEMU_PACKAGE = "qemu-system-arm"
MIN_QEMU = (10, 0)
PACKAGES = (
    "gcc-aarch64-linux-gnu",
    "binutils-aarch64-linux-gnu",
    "gcc-arm-linux-gnueabi",  # versatilepb: the hypervisor and its test kernel (armv5te)
    "binutils-arm-linux-gnueabi",
    "make",                 # the IDS test module (Debian's kbuild; headers are downloaded)
    "device-tree-compiler",
    "cpio",
    "mtools",
    "dosfstools",
    "clang",                # libFuzzer targets (tests/vmi/host): -fsanitize=fuzzer
    "libclang-rt-14-dev",   # ... whose runtime Debian 12 ships separately
    "flex",                 # the tiny guest kernel built from linux-source (mamoru.tinykernel)
    "bison",
    "bc",
)
# Installed when it can be, else left out with a word: builds only run slower without them.
OPTIONAL_PACKAGES = (
    "ccache",               # compiles cached across builds and clones (mamoru.ccache)
)
# Foreign dpkg architectures: arm64 (the guest kernels, busybox), armel (the versatilepb
# guest's busybox, an ARMv5TE userland).
FOREIGN_ARCHES = ("arm64", "armel")
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="only print what would be done"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing when there is nothing to do"
    )
    parser.add_argument(
        "--retry-optional", action="store_true",
        help="try again to install optional packages (ccache) whose install failed before"
    )


# -- checks (pure, testable with another apt dir or cache) ------------------------


def os_release(path: Path = Path("/etc/os-release")) -> dict[str, str]:
    info: dict[str, str] = {}
    try:
        text = path.read_text()
    except OSError:
        return info
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            info[key.strip()] = value.strip().strip('"')
    return info


def _deb822_paragraphs(text: str) -> Iterable[dict[str, str]]:
    para: dict[str, str] = {}
    key = ""
    for line in [*text.splitlines(), ""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if para:
                yield para
            para, key = {}, ""
        elif line[0] in " \t" and key:
            para[key] += " " + line.strip()
        else:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            para[key] = value.strip()


def sources_have(suite: str, component: str | None = None, apt_dir: Path = APT_DIR) -> bool:
    """Whether an enabled apt source (sources.list, *.list, *.sources) names suite
    (and, if given, component for it)."""
    files = [apt_dir / "sources.list"]
    d = apt_dir / "sources.list.d"
    if d.is_dir():
        files += sorted(d.glob("*.list")) + sorted(d.glob("*.sources"))
    for f in files:
        try:
            text = f.read_text()
        except OSError:
            continue
        if f.suffix == ".sources":
            for p in _deb822_paragraphs(text):
                if p.get("enabled", "yes").lower() == "no":
                    continue
                if "deb" not in p.get("types", "").split():
                    continue
                if suite not in p.get("suites", "").split():
                    continue
                if component is None or component in p.get("components", "").split():
                    return True
        else:
            for line in text.splitlines():
                words = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
                if len(words) >= 3 and words[0] == "deb" and words[2] == suite and (
                    component is None or component in words[3:]
                ):
                    return True
    return False


def sources_have_suite(suite: str, apt_dir: Path = APT_DIR) -> bool:
    """Whether an enabled apt source (sources.list, *.list, *.sources) names suite."""
    return sources_have(suite, None, apt_dir)


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )


def foreign_architectures() -> set[str]:
    r = _run(["dpkg", "--print-foreign-architectures"])
    native = _run(["dpkg", "--print-architecture"]).stdout.strip()
    return set(r.stdout.split()) | {native}


def parse_qemu_version(text: str) -> tuple[int, ...] | None:
    m = re.search(r"version (\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(g) for g in m.groups() if g is not None) if m else None


def qemu_version(binary: str = "qemu-system-aarch64") -> tuple[int, ...] | None:
    if shutil.which(binary) is None:
        return None
    return parse_qemu_version(_run([binary, "--version"]).stdout)


def missing_packages(packages: Sequence[str]) -> list[str]:
    r = _run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n", *packages])
    installed = {
        line.split()[0]
        for line in r.stdout.splitlines()
        if line.endswith(" installed")
    }
    return [p for p in packages if p not in installed]


def missing_dtbs(dtb_dir: Path) -> list[str]:
    return [name for name in DTB_FILES if not (dtb_dir / name).is_file()]


def kernel_package_from_depends(text: str) -> str | None:
    """The versioned image package in `apt-cache depends linux-image-arm64` output."""
    for m in re.finditer(r"Depends:\s*(linux-image-[0-9][^\s:]*-arm64)\b", text):
        return m.group(1)
    return None


# -- doing ------------------------------------------------------------------------


class Runner:
    """Runs commands (as root via sudo when needed), or only prints them."""

    def __init__(self, dry_run: bool) -> None:
        self.dry_run = dry_run
        if os.geteuid() == 0:
            self.root_prefix: list[str] | None = []
        elif shutil.which("sudo"):
            self.root_prefix = ["sudo"]
        else:
            self.root_prefix = None
        self.owed: list[str] = []   # commands we could not run ourselves

    def can_root(self) -> bool:
        return self.root_prefix is not None and not self.dry_run

    def root(self, argv: Sequence[str], env: dict[str, str] | None = None) -> bool:
        shown = " ".join(
            [*(f"{k}={v}" for k, v in (env or {}).items()), *map(shlex.quote, argv)]
        )
        if not self.can_root():
            self.owed.append(shown)
            return False
        assert self.root_prefix is not None
        full = [*self.root_prefix]
        if env:
            full += ["env", *(f"{k}={v}" for k, v in env.items())]
        full += argv
        print(f"setup: running: {shown}", flush=True)
        r = subprocess.run(full, stdin=subprocess.DEVNULL, check=False)
        if r.returncode != 0:
            raise SystemExit(f"setup: '{shown}' failed with exit code {r.returncode}")
        return True

    def root_write(self, path: Path, content: str) -> bool:
        if not self.can_root():
            self.owed.append(f"cat > {path} <<'EOF'\n{content}EOF")
            return False
        print(f"setup: writing {path}", flush=True)
        if self.root_prefix == []:
            path.write_text(content)
        else:
            assert self.root_prefix is not None
            subprocess.run(
                [*self.root_prefix, "tee", str(path)],
                input=content,
                text=True,
                stdout=subprocess.DEVNULL,
                check=True,
            )
        return True


def ensure_packages(runner: Runner, codename: str, debian: bool = True) -> list[str]:
    """The apt part. Returns descriptions of what it did (or would do).

    debian: the host is Debian itself (not a derivative), whose archive has the
    non-free-firmware component with raspi-firmware.
    """
    did: list[str] = []
    sources_changed = False
    use_backports = codename == "bookworm"
    if use_backports and not sources_have_suite(SUITE):
        did.append(f"add apt source {SUITE}")
        runner.root_write(BACKPORTS_FILE, BACKPORTS_SOURCE)
        sources_changed = True
    if debian and codename and not sources_have(codename, FIRMWARE_COMPONENT):
        did.append(f"enable {FIRMWARE_COMPONENT} of {codename} (raspi-firmware)")
        runner.root_write(FIRMWARE_FILE, firmware_source(codename))
        sources_changed = True
    have_arches = foreign_architectures()
    for arch in FOREIGN_ARCHES:
        if arch not in have_arches:
            did.append(f"add dpkg architecture {arch}")
            runner.root(["dpkg", "--add-architecture", arch])
            sources_changed = True

    version = qemu_version()
    need_qemu = version is None or version < MIN_QEMU
    missing = missing_packages(PACKAGES)
    optional = optional_to_try() if runner.can_root() else []
    if need_qemu or missing or sources_changed:
        runner.root(["apt-get", "update"], APT_ENV)
    elif optional:
        try:
            runner.root(["apt-get", "update"], APT_ENV)
        except SystemExit as e:
            optional_failed(optional, str(e))
            optional = []
    if need_qemu:
        have = ".".join(map(str, version)) if version else "none"
        did.append(f"install {QEMU_PACKAGE} (qemu-system-aarch64 {have} < 10)")
        target = ["-t", SUITE] if use_backports else []
        runner.root(["apt-get", "install", "-y", *target, QEMU_PACKAGE], APT_ENV)
    if missing:
        did.append(f"install {' '.join(missing)}")
        runner.root(["apt-get", "install", "-y", *missing], APT_ENV)
    if optional:
        try:
            runner.root(["apt-get", "install", "-y", *optional], APT_ENV)
            did.append(f"install {' '.join(optional)} (optional)")
        except SystemExit as e:
            optional_failed(optional, str(e))
    return did


def _optional_marker() -> Path:
    return paths.cache_dir() / "setup-optional-failed"


def _optional_failed_before() -> set[str]:
    marker = _optional_marker()
    return set(marker.read_text().split()) if marker.is_file() else set()


def optional_to_try() -> list[str]:
    """The optional packages missing and worth an install: not turned off (MAMORU_CCACHE=0
    for ccache), and not failed before (tried once; `./mamoru setup --retry-optional`
    forgets the failure)."""
    failed = _optional_failed_before()
    wanted = [p for p in OPTIONAL_PACKAGES
              if p not in failed and not (p == "ccache" and os.environ.get("MAMORU_CCACHE") == "0")]
    return missing_packages(wanted)


def optional_failed(packages: Sequence[str], why: str) -> None:
    """Says so once and remembers it, so that later runs do not try again."""
    print(f"setup: warning: {why}; building without {' '.join(packages)} "
          "(`./mamoru setup --retry-optional` tries again)", flush=True)
    failed = _optional_failed_before() | set(packages)
    marker = _optional_marker()
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(" ".join(sorted(failed)) + "\n")


def fetch_dtbs(runner: Runner, dtb_dir: Path) -> list[str]:
    """Extracts the Pi DTBs from Debian's current generic arm64 kernel package."""
    missing = missing_dtbs(dtb_dir)
    if not missing:
        return []
    if runner.dry_run:
        return [f"download the arm64 kernel package for {', '.join(missing)} into {dtb_dir}"]

    depends = _run(["apt-cache", "depends", "linux-image-arm64:arm64"])
    image = kernel_package_from_depends(depends.stdout)
    if image is None and runner.root(["apt-get", "update"], APT_ENV):
        depends = _run(["apt-cache", "depends", "linux-image-arm64:arm64"])
        image = kernel_package_from_depends(depends.stdout)
    if image is None:
        raise SystemExit(
            "setup: apt does not know linux-image-arm64:arm64; needs "
            "'dpkg --add-architecture arm64' and 'apt-get update'\n" + depends.stderr
        )
    package = f"{image}-unsigned"
    if _run(["apt-cache", "show", "--no-all-versions", f"{package}:arm64"]).returncode != 0:
        package = image

    dtb_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dtb_dir.parent, prefix="dl-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)   # apt's _apt user may download into it
        print(f"setup: downloading {package}:arm64 (about 60 MB) for the Pi device trees")
        # As root, apt would drop to its _apt user, who may not reach the cache.
        sandbox = ["-o", "APT::Sandbox::User=root"] if os.geteuid() == 0 else []
        r = subprocess.run(
            ["apt-get", *sandbox, "download", f"{package}:arm64"],
            cwd=work,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        debs = sorted(work.glob("*.deb"))
        if r.returncode != 0 or not debs:
            raise SystemExit(f"setup: apt-get download {package}:arm64 failed")
        wildcards = [f"./usr/lib/linux-image-*/broadcom/{name}" for name in DTB_FILES]
        fsys = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(debs[0])],
                                stdout=subprocess.PIPE)
        tar = subprocess.run(
            ["tar", "-x", "-C", str(work), "--wildcards", *wildcards],
            stdin=fsys.stdout,
            check=False,
        )
        assert fsys.stdout is not None
        fsys.stdout.close()
        if fsys.wait() != 0 or tar.returncode != 0:
            raise SystemExit(f"setup: could not extract the DTBs from {debs[0].name}")
        for name in DTB_FILES:
            found = sorted(work.glob(f"usr/lib/linux-image-*/broadcom/{name}"))
            if not found:
                raise SystemExit(f"setup: {name} is not in {debs[0].name}")
            shutil.move(found[0], dtb_dir / name)
        (dtb_dir / "SOURCE").write_text(f"{debs[0].name}\n")
    print(f"setup: device trees from {package} are in {dtb_dir}")
    return [f"fetch {', '.join(missing)} from {package}"]


def ensure(dry_run: bool = False, quiet: bool = False) -> int:
    """Makes the host ready; 0 when it is (or, with dry_run, when nothing is due)."""
    info = os_release()
    runner = Runner(dry_run)
    did: list[str] = []
    debian_like = info.get("ID") == "debian" or "debian" in info.get("ID_LIKE", "").split()
    if debian_like and shutil.which("apt-get"):
        did += ensure_packages(
            runner, info.get("VERSION_CODENAME", ""), debian=info.get("ID") == "debian"
        )
        if not runner.owed:
            did += fetch_dtbs(runner, paths.dtb_dir())
    else:
        return _unsupported_host()

    if runner.owed:
        if dry_run:
            print("setup: dry run; would run as root:")
        else:
            print("setup: need root and there is no sudo; run these as root, then again:")
        for cmd in runner.owed:
            print(f"  {cmd}")
        return 0 if dry_run else 1
    if dry_run:
        for d in did:
            print(f"setup: would {d}")
    if not did and not quiet:
        version = ".".join(map(str, qemu_version() or ()))
        print(f"setup: host ready (qemu {version}, device trees in {paths.dtb_dir()})")
    return 0


def _unsupported_host() -> int:
    problems = []
    version = qemu_version()
    if version is None or version < MIN_QEMU:
        problems.append("qemu-system-aarch64 >= 10.0")
    for tool in ("aarch64-linux-gnu-gcc", "dtc"):
        if shutil.which(tool) is None:
            problems.append(tool)
    missing = missing_dtbs(paths.dtb_dir())
    if missing:
        problems.append(
            f"{', '.join(missing)} in {paths.dtb_dir()} (from any arm64 Linux kernel build)"
        )
    if problems:
        print("setup: this host is not Debian; install by hand:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    return 0


def main(args: argparse.Namespace) -> int:
    if args.retry_optional:
        _optional_marker().unlink(missing_ok=True)
    return ensure(dry_run=args.dry_run, quiet=args.quiet)
