# SPDX-License-Identifier: GPL-2.0-only
"""Bare-metal probe guests for tests (tests/guest/probe/*.S): an arm64 Image assembled with
Debian's cross compiler, put into a guest bundle of its own, and the "name=0x<value>" lines
it prints between its "PROBE START" and "PROBE DONE"."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from mamoru import paths

__all__ = ["build_probe", "probe_bundle", "probe_results"]

CROSS = "aarch64-linux-gnu-"


def build_probe(source: Path, out: Path) -> Path:
    """source assembled and linked at 0, as a raw Image in out."""
    elf, img = out / f"{source.stem}.elf", out / f"{source.stem}.img"
    subprocess.run([f"{CROSS}gcc", "-march=armv8.2-a", "-nostdlib", "-static", "-Wl,-Ttext=0",
                    "-Wl,--build-id=none", "-o", str(elf), str(source)], check=True)
    subprocess.run([f"{CROSS}objcopy", "-O", "binary", str(elf), str(img)], check=True)
    return img


def probe_bundle(source: Path, tmp: Path, *, vcpus: int = 1) -> Path:
    """A guest bundle in tmp whose guest0 is the probe (32 MiB, vcpus vCPUs), made by
    `./mamoru bundle` from a guest file as a user would."""
    img = build_probe(source, tmp)
    toml = tmp / "guests.toml"
    toml.write_text(f'[[guest]]\nname = "guest0"\nkernel = "{img}"\nram = "32M"\n'
                    f"vcpus = {vcpus}\n")
    out = tmp / "guests.cpio"
    r = subprocess.run([str(paths.ROOT / "mamoru"), "bundle", "--guests", str(toml), "-o",
                        str(out), "--board", "virt"], cwd=paths.ROOT, capture_output=True,
                       text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def probe_results(text: str) -> dict[str, str]:
    """name -> value of the probe's lines between PROBE START and PROBE DONE."""
    assert "PROBE START" in text and "PROBE DONE" in text, text
    body = text[text.index("PROBE START"):text.index("PROBE DONE")]
    return dict(m.groups() for m in re.finditer(r"^(\w+)=(\S+(?: esr=\S+)?)\s*$", body, re.M))
