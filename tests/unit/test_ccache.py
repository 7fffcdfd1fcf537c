# SPDX-License-Identifier: GPL-2.0-only
"""mamoru.ccache: ccache goes in front of the compilers that are there, once, and off
when asked; and a compile through the links is a cache hit the second time."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mamoru.ccache import use_ccache


def _tool(d: Path, name: str) -> Path:
    p = d / name
    p.write_text("#!/bin/sh\nexit 0\n")
    p.chmod(0o755)
    return p


def test_links_for_the_compilers_that_are_there(tmp_path: Path) -> None:
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    ccache = _tool(bin_, "ccache")
    _tool(bin_, "gcc")
    _tool(bin_, "aarch64-linux-gnu-gcc")
    env = {"PATH": str(bin_)}
    assert use_ccache(tmp_path, env)
    links = tmp_path / "build" / "ccache-bin"
    assert sorted(p.name for p in links.iterdir()) == ["aarch64-linux-gnu-gcc", "gcc"]
    assert all(os.readlink(p) == str(ccache) for p in links.iterdir())
    assert env["PATH"].split(os.pathsep) == [str(links), str(bin_)]
    assert env["CCACHE_BASEDIR"] == str(tmp_path)
    # Again (a scons started by a test inherits the PATH): the links stay first, once.
    assert use_ccache(tmp_path, env)
    assert env["PATH"].split(os.pathsep) == [str(links), str(bin_)]


def test_off_without_ccache_or_when_asked(tmp_path: Path) -> None:
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    _tool(bin_, "gcc")
    links = tmp_path / "build" / "ccache-bin"
    env = {"PATH": os.pathsep.join([str(links), str(bin_)])}
    assert not use_ccache(tmp_path, env)          # no ccache on the PATH
    assert env["PATH"] == str(bin_)
    _tool(bin_, "ccache")
    env = {"PATH": str(bin_), "MAMORU_CCACHE": "0"}
    assert not use_ccache(tmp_path, env)
    assert env["PATH"] == str(bin_) and not links.exists()


@pytest.mark.skipif(shutil.which("ccache") is None or shutil.which("gcc") is None,
                    reason="needs ccache and gcc (./mamoru setup installs ccache)")
def test_second_compile_is_a_hit(tmp_path: Path) -> None:
    env = dict(os.environ, CCACHE_DIR=str(tmp_path / "cache"))
    assert use_ccache(tmp_path, env)
    src = tmp_path / "t.c"
    src.write_text("int f(int x) { return x * 7; }\n")
    for _ in range(2):
        subprocess.run(["gcc", "-c", str(src), "-o", str(tmp_path / "t.o")], env=env,
                       check=True, cwd=tmp_path, timeout=60)
    stats = subprocess.run(["ccache", "--print-stats"], env=env, capture_output=True,
                           text=True, check=True).stdout
    counts = dict(line.split("\t") for line in stats.splitlines() if "\t" in line)
    assert int(counts.get("direct_cache_hit", "0")) + int(counts.get("preprocessed_cache_hit",
                                                                      "0")) == 1, stats
    assert int(counts.get("cache_miss", "0")) == 1, stats
