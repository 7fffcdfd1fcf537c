"""Where things live: the repository, build outputs and the download cache."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"


def cache_dir() -> Path:
    """$MAMORU_CACHE, else ~/.cache/mamoru (downloads such as the Pi DTBs)."""
    env = os.environ.get("MAMORU_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "mamoru"


def dtb_dir() -> Path:
    return cache_dir() / "dtb"


def image_path(board: str) -> Path:
    """The bootable image (arm64 Image format) of a board's build."""
    return BUILD / board / "mamoru.img"


def elf_path(board: str) -> Path:
    return BUILD / board / "mamoru.elf"


def venv_bin(tool: str) -> Path:
    """A tool installed in the virtualenv that runs this package."""
    return Path(sys.prefix) / "bin" / tool
