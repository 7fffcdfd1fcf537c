# SPDX-License-Identifier: GPL-2.0-only
"""Debian packages as a source of files: download a .deb, resolve a metapackage, extract members.

Foreign-architecture packages (":arm64") need `dpkg --add-architecture arm64` and
`apt-get update` first; `./mamoru setup` does both. Nothing here needs root or installs
anything: packages are only downloaded and unpacked into directories of our choosing.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

SETUP_HINT = "run `./mamoru setup` (it adds the arm64 architecture and runs apt-get update)"
_UNKNOWN_RE = re.compile(
    r"Unable to locate package|Can't select candidate version|No packages found|"
    r"has no installation candidate|Can't select versions",
)
_APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}


class DebianError(RuntimeError):
    """apt or dpkg failed, or a package or member is not there."""


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            args, cwd=cwd, capture_output=True, text=True, check=False,
            env={**os.environ, **_APT_ENV},
        )
    except FileNotFoundError as e:
        raise DebianError(f"{args[0]} not found: this needs a Debian host ({SETUP_HINT})") from e


def split_arch(package: str) -> tuple[str, str | None]:
    """"name:arch" -> ("name", "arch"); "name" -> ("name", None)."""
    name, sep, arch = package.partition(":")
    return name, (arch if sep else None)


def cached_deb(package: str, dest: Path) -> Path | None:
    """A .deb of `package` already in dest (the newest by mtime), if any."""
    name, arch = split_arch(package)
    pattern = f"{name}_*_{arch}.deb" if arch else f"{name}_*.deb"
    found = [p for p in dest.glob(pattern) if p.is_file()]
    if not found:
        return None
    return max(found, key=lambda p: (p.stat().st_mtime, p.name))


def apt_download(package: str, dest: Path) -> Path:
    """`apt-get download package` into dest; returns the .deb.

    Cached: an existing `<name>_*[_<arch>].deb` in dest is returned without asking apt. The
    download goes to a temporary directory first, so an interrupted one leaves no partial
    .deb behind to be mistaken for a complete one.
    """
    dest.mkdir(parents=True, exist_ok=True)
    have = cached_deb(package, dest)
    if have is not None:
        return have
    with tempfile.TemporaryDirectory(prefix=".download-", dir=dest) as tmp:
        r = _run(["apt-get", "download", "-q", package], cwd=Path(tmp))
        if r.returncode != 0:
            if _UNKNOWN_RE.search(r.stderr):
                raise DebianError(f"apt does not know the package {package}: {SETUP_HINT}")
            raise DebianError(f"apt-get download {package} failed:\n{r.stderr.strip()}")
        debs = sorted(Path(tmp).glob("*.deb"))
        if len(debs) != 1:
            raise DebianError(f"apt-get download {package} left {len(debs)} .deb files")
        final = dest / debs[0].name
        os.replace(debs[0], final)
    return final


def resolve_depends(meta: str, prefix: str | None = None) -> str:
    """The package a metapackage depends on, from `apt-cache depends` (candidate version).

    `linux-image-cloud-arm64:arm64` -> `linux-image-6.1.0-56-cloud-arm64`. The name is
    returned without an architecture suffix. With several dependencies, the first whose
    name starts with `prefix` (default: the first one). Virtual packages are skipped.
    """
    r = _run(["apt-cache", "depends", "--no-recommends", "--no-suggests",
              "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", meta])
    if r.returncode != 0 or not r.stdout.strip():
        if _UNKNOWN_RE.search(r.stderr) or not r.stdout.strip():
            raise DebianError(f"apt does not know the package {meta}: {SETUP_HINT}")
        raise DebianError(f"apt-cache depends {meta} failed:\n{r.stderr.strip()}")
    for line in r.stdout.splitlines():
        key, sep, value = line.strip().lstrip("|").partition(":")
        if not sep or key != "Depends":
            continue
        value = value.strip()
        if value.startswith("<"):  # a virtual package
            continue
        name = split_arch(value)[0]
        if prefix is None or name.startswith(prefix):
            return name
    raise DebianError(f"{meta} has no dependency" + (f" named {prefix}*" if prefix else ""))


def _is_pattern(member: str) -> bool:
    return any(c in member for c in "*?[")


def _first_name(deb: Path) -> str:
    """The name of the first entry of deb's data archive, as tar stores it."""
    dpkg = subprocess.Popen(
        ["dpkg-deb", "--fsys-tarfile", str(deb)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    assert dpkg.stdout is not None
    try:
        header = dpkg.stdout.read(512)
    finally:
        dpkg.stdout.close()
        dpkg.wait()
    if len(header) < 512:
        raise DebianError(f"{deb.name}: cannot read its data archive")
    return header[:100].split(b"\0", 1)[0].decode(errors="replace")


def extract(deb: Path, members: list[str], dest: Path) -> list[Path]:
    """Extracts only the named members (shell wildcards allowed) of deb's data into dest.

    Member names are as `dpkg-deb -c` shows them, with or without the leading "./". Returns
    the extracted paths (directories matched by a pattern left out) in archive order.
    Raises DebianError when a member is not in the package. Without wildcards, tar stops
    reading as soon as it has every member, which saves most of the time on large
    packages whose wanted files come first (the -dbg kernel packages).
    """
    if not members:
        return []
    if not deb.is_file():
        raise DebianError(f"no such package file: {deb}")
    dest.mkdir(parents=True, exist_ok=True)
    # Debian's packages say "./usr/...", some others "usr/...": tar wants the exact spelling.
    dot = _first_name(deb).startswith(".")
    names = [m.lstrip("/").removeprefix("./") for m in members]
    names = [f"./{n}" if dot else n for n in names]
    opts = ["--wildcards"] if any(c in n for n in names for c in "*?[") else ["--occurrence"]
    dpkg = subprocess.Popen(
        ["dpkg-deb", "--fsys-tarfile", str(deb)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert dpkg.stdout is not None and dpkg.stderr is not None
    try:
        tar = subprocess.run(
            ["tar", "-x", "-v", "--no-same-owner", "-C", str(dest), *opts, "--", *names],
            stdin=dpkg.stdout, capture_output=True, text=True, check=False,
        )
    finally:
        dpkg.stdout.close()  # with --occurrence tar may stop early: dpkg-deb gets SIGPIPE
        dpkg_err = dpkg.stderr.read().decode(errors="replace")
        dpkg.stderr.close()
        dpkg_rc = dpkg.wait()
    if tar.returncode != 0:
        missing = re.findall(r"tar: (.*): Not found in archive", tar.stderr)
        if missing:
            raise DebianError(f"{deb.name} has no {', '.join(missing)}")
        raise DebianError(
            f"extracting {members} from {deb.name} failed:\n{(tar.stderr + dpkg_err).strip()}"
        )
    if dpkg_rc != 0 and "Broken pipe" not in dpkg_err and dpkg_rc != -13:
        raise DebianError(f"dpkg-deb --fsys-tarfile {deb.name} exited {dpkg_rc}: {dpkg_err}")
    paths = [dest / line.removeprefix("./") for line in tar.stdout.splitlines() if line]
    files = [p for p in paths if p.is_symlink() or not p.is_dir()]
    if not files:
        raise DebianError(f"{deb.name}: {', '.join(members)} matched only directories")
    return files
