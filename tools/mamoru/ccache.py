# SPDX-License-Identifier: GPL-2.0-only
"""ccache in front of the compilers the builds call (SConstruct).

A folder of links to ccache, named after the compilers (the hypervisor's cross compilers,
the host tests' gcc and clang), goes first on the PATH that the builds' environments take
(ENV=os.environ): ccache then finds the real compiler further down the PATH. The cache is
the download cache's ccache folder (~/.cache/mamoru/ccache), shared by every clone: the
build commands name files relative to the root, so a fresh clone's build, and a test's
variant build (its own output folder: a Kconfig option off, fault injection, the host
tests), compile again only what changed since a build of the same folder, in any clone.
Objects built with -g keep the compile folder of the clone that built them first
(CCACHE_NOHASHDIR): a debugger may look there for sources. `./mamoru setup` installs
ccache; without it builds run as before. MAMORU_CCACHE=0 turns it off.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import MutableMapping
from pathlib import Path

from mamoru import paths

COMPILERS = ("aarch64-linux-gnu-gcc", "arm-linux-gnueabi-gcc", "gcc", "clang")


def use_ccache(root: str | Path, environ: MutableMapping[str, str],
               ccache: str | None = None) -> bool:
    """Puts ccache in front of the COMPILERS that environ's PATH has; returns whether it
    did. ccache: the ccache binary (default: found on the PATH)."""
    links = Path(root) / "build" / "ccache-bin"
    # The PATH without the links (a scons started by a build inherits them).
    path = os.pathsep.join(d for d in environ.get("PATH", "").split(os.pathsep)
                           if d and Path(d) != links)
    ccache = ccache or shutil.which("ccache", path=path)
    if ccache is None or environ.get("MAMORU_CCACHE", "1") == "0":
        environ["PATH"] = path
        return False
    links.mkdir(parents=True, exist_ok=True)
    for name in COMPILERS:
        link = links / name
        # Only for compilers that are there: a missing one stays missing (a clear error).
        if shutil.which(name, path=path) is None:
            link.unlink(missing_ok=True)
        elif not link.is_symlink() or os.readlink(link) != ccache:
            link.unlink(missing_ok=True)
            link.symlink_to(ccache)
    environ["PATH"] = os.pathsep.join([str(links), path]) if path else str(links)
    environ.setdefault("CCACHE_DIR", str(paths.cache_dir() / "ccache"))
    environ.setdefault("CCACHE_BASEDIR", str(root))
    environ.setdefault("CCACHE_NOHASHDIR", "1")   # -g's build folder: any clone's will do
    return True
