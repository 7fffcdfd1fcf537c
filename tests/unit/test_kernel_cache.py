# SPDX-License-Identifier: GPL-2.0-only
"""The cached kernel lookups (mamoru.tinykernel, mamoru.versatilekernel; mamoru.kernelbuild)
on fake cache directories: only a finished build of the current FRAGMENT is used, found by
its directory name without asking apt; a build of another FRAGMENT is ignored (and left
alone), whatever the old `current` file names; an unfinished build (no .ok) is not used; the
newest wins."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mamoru import debian, kernelbuild, tinykernel, versatilekernel

RELEASE = "6.1.999-test"


def _fake_build(root: Path, name: str, files: list[str], *, ok: bool = True,
                mtime: float | None = None) -> Path:
    d = root / name
    d.mkdir(parents=True)
    for f in files:
        (d / f.format(r=RELEASE)).write_bytes(b"x")
    if ok:
        kernelbuild.write_stamp(d, {"release": RELEASE, "package": "fake.deb"})
        if mtime is not None:
            os.utime(d / ".ok", (mtime, mtime))
    return d


TINY_FILES = ["Image-{r}", "vmlinux-{r}", "config-{r}", "System.map-{r}"]
VERSATILE_FILES = ["zImage-{r}", "Image-{r}", "vmlinux-{r}", "config-{r}", "System.map-{r}",
                   "versatile-pb-{r}.dtb"]
CASES: list[tuple[str, Any, str, list[str], Callable[[], Any]]] = [
    ("tiny", tinykernel, "tiny-kernel", TINY_FILES, lambda: tinykernel.cached_tiny_kernel()),
    ("versatile", versatilekernel, "versatile-kernel", VERSATILE_FILES,
     lambda: versatilekernel.cached_versatile_kernel()),
]


@pytest.fixture(autouse=True)
def no_apt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A private cache, and a lookup that asks apt fails the test."""
    monkeypatch.setenv("MAMORU_CACHE", str(tmp_path / "cache"))

    def refuse(*a: object, **k: object) -> None:
        raise AssertionError("the cached-kernel lookup asked apt")
    monkeypatch.setattr(debian, "resolve_depends", refuse)
    monkeypatch.setattr(debian, "apt_download", refuse)


@pytest.mark.parametrize("kind, module, folder, files, lookup", CASES, ids=[c[0] for c in CASES])
def test_a_build_of_another_fragment_is_not_used(tmp_path: Path, kind: str, module: Any,
                                                 folder: str, files: list[str],
                                                 lookup: Callable[[], Any]) -> None:
    root = tmp_path / "cache" / folder
    stale = _fake_build(root, "6.1.192-3-0123456789", files)
    assert module.fragment_hash() != "0123456789"
    # What earlier versions wrote: `current` naming the stale build. It must not count.
    (root / "current").write_text(stale.name + "\n")
    assert lookup() is None
    good = _fake_build(root, f"6.1.192-3-{module.fragment_hash()}", files)
    hit = lookup()
    assert hit is not None and hit.vmlinux == good / f"vmlinux-{RELEASE}"
    assert hit.version == RELEASE
    assert (stale / ".ok").is_file()          # left alone for the checkout that made it


@pytest.mark.parametrize("kind, module, folder, files, lookup", CASES, ids=[c[0] for c in CASES])
def test_unfinished_and_incomplete_builds_are_not_used(tmp_path: Path, kind: str, module: Any,
                                                       folder: str, files: list[str],
                                                       lookup: Callable[[], Any]) -> None:
    root = tmp_path / "cache" / folder
    _fake_build(root, f"6.1.1-1-{module.fragment_hash()}", files, ok=False)
    assert lookup() is None
    _fake_build(root, f"6.1.2-1-{module.fragment_hash()}", files[1:])   # a file missing
    assert lookup() is None


@pytest.mark.parametrize("kind, module, folder, files, lookup", CASES, ids=[c[0] for c in CASES])
def test_the_newest_finished_build_wins(tmp_path: Path, kind: str, module: Any, folder: str,
                                        files: list[str], lookup: Callable[[], Any]) -> None:
    root = tmp_path / "cache" / folder
    h = module.fragment_hash()
    _fake_build(root, f"6.1.1-1-{h}", files, mtime=1_000_000)
    newer = _fake_build(root, f"6.1.2-1-{h}", files, mtime=2_000_000)
    _fake_build(root, f"6.1.3-1-{h}", files, mtime=1_500_000)
    hit = lookup()
    assert hit is not None and hit.vmlinux.parent == newer


def test_a_stale_build_is_rebuilt_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    """versatile_kernel() with only another FRAGMENT's build in the cache builds (here: a
    fake _build) instead of returning it; with the current one, it builds nothing."""
    root = tmp_path / "cache" / "versatile-kernel"
    _fake_build(root, "6.1.192-3-0123456789", VERSATILE_FILES)
    built: list[bool] = []

    def fake_build() -> versatilekernel.VersatileKernel:
        built.append(True)
        d = _fake_build(root, f"6.1.192-3-{versatilekernel.fragment_hash()}", VERSATILE_FILES)
        k = versatilekernel._files(d)
        assert k is not None
        return k
    monkeypatch.setattr(versatilekernel, "_build", fake_build)
    k = versatilekernel.versatile_kernel()
    assert built == [True] and k.directory.name.endswith(versatilekernel.fragment_hash())
    assert versatilekernel.versatile_kernel() == k and built == [True]


def test_the_stamp_records_the_fragment_and_is_written_whole(tmp_path: Path) -> None:
    d = tmp_path / "b"
    d.mkdir()
    kernelbuild.write_stamp(d, {"release": RELEASE, "fragment": "abc"})
    assert json.loads((d / ".ok").read_text())["fragment"] == "abc"
    assert sorted(p.name for p in d.iterdir()) == [".ok"]      # no temporary left


def test_the_fragments_ask_for_what_the_guest_needs() -> None:
    """The versatile guest kernel: no software PAN (its DACR writes would each trap under
    Mamoru), modules and all symbols for the IDS attack module, DWARF, initramfs, OABI."""
    for line in ("# CONFIG_CPU_SW_DOMAIN_PAN is not set", "CONFIG_MODULES=y",
                 "CONFIG_KALLSYMS_ALL=y", "CONFIG_DEBUG_INFO_DWARF5=y",
                 "CONFIG_BLK_DEV_INITRD=y", "CONFIG_OABI_COMPAT=y", "CONFIG_DEVTMPFS=y"):
        assert line in versatilekernel.FRAGMENT.splitlines(), line
    config = "CONFIG_CPU_SW_DOMAIN_PAN=y\nCONFIG_MODULES=y\n"
    assert any("CPU_SW_DOMAIN_PAN" in w
               for w in tinykernel.check_config(config, versatilekernel.FRAGMENT))
