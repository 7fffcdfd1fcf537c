# SPDX-License-Identifier: GPL-2.0-only
"""Where things live: the repository, build outputs and the download cache."""

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"


def cache_dir() -> Path:
    """$MAMORU_CACHE, else ~/.cache/mamoru (downloads such as the Pi DTBs)."""
    env = os.environ.get("MAMORU_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "mamoru"


@contextmanager
def locked(directory: Path, name: str = ".lock") -> Iterator[None]:
    """Holds directory/name exclusively (flock), so two processes never download, unpack
    or build the same cached thing at once."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / name, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def scons_lock() -> AbstractContextManager[None]:
    """Held around every scons run of this checkout: all its builds (every board, the host
    programs, test configurations) share one .sconsign.dblite, which two scons processes
    at once would corrupt."""
    return locked(BUILD, ".scons.lock")


def dtb_dir() -> Path:
    return cache_dir() / "dtb"


def image_path(board: str) -> Path:
    """The bootable image of a board's build (its architecture's format, boards/boards.toml:
    an arm64 Linux Image on arm64)."""
    return BUILD / board / "mamoru.img"


def elf_path(board: str) -> Path:
    return BUILD / board / "mamoru.elf"


def venv_bin(tool: str) -> Path:
    """A tool installed in the virtualenv that runs this package."""
    return Path(sys.prefix) / "bin" / tool
