# SPDX-License-Identifier: GPL-2.0-only
"""build/<board>/.config and the board's defconfig (SConstruct load_config): a .config
written from the defconfig and never edited follows the defconfig when it changes (a
checkout that built versatilepb before its defconfig turned GUESTS on gets guests); an
edited one (menuconfig) is kept, with a note. <out>/.config.origin holds the digests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mamoru.testing.scons import scons

BOARD = "versatilepb"


def _configure(out: Path) -> str:
    """SCons reads the configuration (a dry run builds nothing); its messages."""
    r = scons("-n", f"board={BOARD}", f"out={out}", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stderr


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pretend_the_defconfig_changed(out: Path) -> None:
    origin = out / ".config.origin"
    _, config_digest = origin.read_text().split()
    origin.write_text(f"{'0' * 64} {config_digest}\n")


def test_an_unedited_config_follows_its_defconfig(tmp_path: Path) -> None:
    out = tmp_path / "b"
    _configure(out)
    config = out / ".config"
    assert "CONFIG_GUESTS=y" in config.read_text()
    assert "changed" not in _configure(out)           # nothing moved: nothing said
    # As an older defconfig (GUESTS off, another digest) would have written it.
    config.write_text(config.read_text().replace("CONFIG_GUESTS=y", "# CONFIG_GUESTS is not set"))
    (out / ".config.origin").write_text(f"{'0' * 64} {_digest(config)}\n")
    err = _configure(out)
    assert f"{BOARD}_defconfig changed; written again from it" in err, err
    assert "CONFIG_GUESTS=y" in config.read_text()


def test_an_edited_config_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "b"
    _configure(out)
    config = out / ".config"
    config.write_text(config.read_text().replace("CONFIG_GUESTS=y", "# CONFIG_GUESTS is not set"))
    _pretend_the_defconfig_changed(out)
    err = _configure(out)
    assert "edited, and versatilepb_defconfig has changed since" in err, err
    assert f"scons board={BOARD} defconfig" in err
    assert "CONFIG_GUESTS=y" not in config.read_text()


def test_every_object_depends_on_the_configuration() -> None:
    """Files get the configuration through `-include generated/config.h`, which SCons's C
    scanner does not see: an explicit dependency makes a configuration change rebuild them
    (before it, turning GUESTS on linked stale objects)."""
    obj = f"build/{BOARD}/obj/core/console.o"
    r = scons("-n", "--tree=prune", f"board={BOARD}", obj, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    tree = r.stdout[r.stdout.index(f"+-{obj}"):]
    assert f"+-build/{BOARD}/include/generated/config.h" in tree, tree[:2000]
