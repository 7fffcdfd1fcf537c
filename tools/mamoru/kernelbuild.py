# SPDX-License-Identifier: GPL-2.0-only
"""Building a Linux kernel from Debian's linux-source into the cache: what the tiny arm64
kernel (mamoru.tinykernel) and the versatilepb kernel (mamoru.versatilekernel) share.

A build is described by a KernelSpec (architecture, compiler, base configuration, the
fragment merged on top and checked line by line, make targets, files kept). `build_kernel`
downloads the linux-source package (the `.deb` stays in the cache), unpacks it in a
temporary directory beside the result, configures, builds, moves the kept files into
`<root>/<debversion>-<fragment hash>/` and writes the `.ok` stamp last (atomically): a
directory without it is an unfinished build. Lookups (`builds_for`) match the fragment's
hash by directory name, so a warm lookup needs no apt query.
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

SOURCE_META = "linux-source"      # the metapackage naming the current linux-source-<series>


class KernelBuildError(RuntimeError):
    """Fetching, configuring or building a kernel failed (one message, with the log's tail)."""


@dataclass(frozen=True)
class KernelSpec:
    """One kernel build: `make <base_config> <fragment_name>` with `fragment` in
    arch/<arch>/configs/, every line of it checked in the final .config, then `make targets`;
    `outputs` maps files of the build (relative to its O= directory) to the names they get in
    the cache (`{release}` filled in)."""

    name: str                  # for messages: "tinykernel", "versatilekernel"
    arch: str
    cross_compile: str
    base_config: str
    fragment_name: str
    fragment: str
    targets: tuple[str, ...]
    outputs: tuple[tuple[str, str], ...]
    jobs: int = 2

    @property
    def fragment_hash(self) -> str:
        return hashlib.sha256(self.fragment.encode()).hexdigest()[:10]

    def note(self, msg: str) -> None:
        print(f"{self.name}: {msg}", file=sys.stderr, flush=True)


def deb_version(deb: Path) -> str:
    parts = deb.name.removesuffix(".deb").split("_")
    if len(parts) != 3:
        raise KernelBuildError(f"unexpected package file name {deb.name}")
    return parts[1].replace("%3a", "-")  # an epoch, quoted in file names


def run_logged(args: list[str], log: Path, cwd: Path | None = None) -> None:
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
            raise KernelBuildError(f"{args[0]} not found (run ./mamoru setup)") from e
    if r.returncode != 0:
        tail = log.read_text(errors="replace")[-6000:]
        raise KernelBuildError(f"{' '.join(args)} exited {r.returncode} (log {log}):\n{tail}")


def source_tarball(deb: Path, dest: Path) -> Path:
    """The linux-source-*.tar.xz inside a linux-source .deb, extracted into dest."""
    found = debian.extract(deb, ["usr/src/linux-source-*.tar.xz"], dest)
    tars = [p for p in found if p.name.endswith(".tar.xz")]
    if len(tars) != 1:
        raise KernelBuildError(f"{deb.name}: expected one source tarball, found {found}")
    return tars[0]


def unpack_source(deb: Path, dest: Path, log: Path, excludes: tuple[str, ...] = ()) -> Path:
    """The kernel sources of a linux-source .deb unpacked into dest (created), without the
    paths matching `excludes` (tar wildcards); the tarball is removed afterwards."""
    scratch = dest.parent / f".{dest.name}-deb"
    tarball = source_tarball(deb, scratch)
    dest.mkdir(parents=True)
    run_logged(["tar", "-xf", str(tarball), "-C", str(dest), "--strip-components=1",
                "--no-same-owner", *(["--wildcards"] if excludes else []),
                *(f"--exclude={p}" for p in excludes)], log)
    shutil.rmtree(scratch)
    return dest


def check_config(config_text: str, fragment: str) -> list[str]:
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


def build_kernel(spec: KernelSpec, root: Path) -> Path:
    """Builds spec from the current linux-source into root/<debversion>-<fragment hash>/
    (replacing an unfinished one there) and returns that directory, stamped. The caller
    holds root's lock."""
    if shutil.which(f"{spec.cross_compile}gcc") is None:
        raise KernelBuildError(f"{spec.cross_compile}gcc not found (run ./mamoru setup)")
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    debs = paths.cache_dir() / "debs"
    try:
        package = debian.resolve_depends(SOURCE_META, prefix="linux-source-")
        if debian.cached_deb(package, debs) is None:
            spec.note(f"downloading {package} (about 140 MB)")
        deb = debian.apt_download(package, debs)
    except debian.DebianError as e:
        raise KernelBuildError(str(e)) from e
    timings["download"] = time.monotonic() - t0

    out = root / f"{deb_version(deb)}-{spec.fragment_hash}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    log = out / "build.log"
    with tempfile.TemporaryDirectory(prefix=".build-", dir=root) as tmp:
        work = Path(tmp)
        t = time.monotonic()
        spec.note(f"unpacking {deb.name}")
        src = unpack_source(deb, work / "src", log)
        timings["unpack"] = time.monotonic() - t

        t = time.monotonic()
        (src / "arch" / spec.arch / "configs" / spec.fragment_name).write_text(spec.fragment)
        obj = work / "obj"
        make = ["make", "-C", str(src), f"O={obj}", f"ARCH={spec.arch}",
                f"CROSS_COMPILE={spec.cross_compile}"]
        run_logged([*make, spec.base_config, spec.fragment_name], log)
        run_logged([*make, "olddefconfig"], log)
        wrong = check_config((obj / ".config").read_text(), spec.fragment)
        if wrong:
            raise KernelBuildError(f"{spec.name}: the .config lacks:\n  " + "\n  ".join(wrong))
        timings["configure"] = time.monotonic() - t

        t = time.monotonic()
        spec.note(f"building {package} ({spec.base_config} + {spec.fragment_name}, "
                  f"-j{spec.jobs}; log {log})")
        run_logged([*make, f"-j{spec.jobs}", *spec.targets], log)
        timings["build"] = time.monotonic() - t

        release = (obj / "include" / "config" / "kernel.release").read_text().strip()
        if not release:
            raise KernelBuildError(f"no kernel.release in {obj}")
        for built, name in spec.outputs:
            os.replace(obj / built, out / name.format(release=release))
    timings["total"] = time.monotonic() - t0
    write_stamp(out, {"release": release, "package": deb.name, "fragment": spec.fragment_hash,
                      "seconds": {k: round(v, 1) for k, v in timings.items()}})
    spec.note(f"built {release} in {timings['total']:.0f} s "
              f"({', '.join(f'{k} {v:.0f} s' for k, v in timings.items() if k != 'total')})")
    return out
