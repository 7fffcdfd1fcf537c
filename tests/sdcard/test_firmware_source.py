# SPDX-License-Identifier: GPL-2.0-only
"""`./mamoru setup` enables Debian's non-free-firmware component (raspi-firmware) only when
no apt source has it yet: one-line and deb822 sources, disabled entries, other suites."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamoru.verbs import setup


def apt_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    d = tmp_path / "apt"
    (d / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (d / name).write_text(text)
    return d


DEBIAN_MAIN = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
"""
BACKPORTS = setup.BACKPORTS_SOURCE


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"sources.list.d/debian.sources": DEBIAN_MAIN}, False),
        # backports' non-free-firmware is another suite: raspi-firmware is in bookworm's
        ({"sources.list.d/debian.sources": DEBIAN_MAIN,
          "sources.list.d/bp.sources": BACKPORTS}, False),
        ({"sources.list.d/debian.sources":
          DEBIAN_MAIN.replace("main", "main contrib non-free non-free-firmware")}, True),
        ({"sources.list.d/x.sources": DEBIAN_MAIN.replace("main", "non-free-firmware")
          + "Enabled: no\n"}, False),
        ({"sources.list":
          "deb [signed-by=/k.gpg] http://deb.debian.org/debian bookworm main non-free-firmware\n"},
         True),
        ({"sources.list": "# deb http://deb.debian.org/debian bookworm non-free-firmware\n"
          "deb http://deb.debian.org/debian bookworm main\n"}, False),
        ({"sources.list": "deb-src http://deb.debian.org/debian bookworm non-free-firmware\n"},
         False),
        ({"sources.list.d/mamoru-non-free-firmware.sources": setup.firmware_source("bookworm")},
         True),
    ],
)
def test_sources_have_firmware(tmp_path: Path, files: dict[str, str], expected: bool) -> None:
    d = apt_dir(tmp_path, files)
    assert setup.sources_have("bookworm", setup.FIRMWARE_COMPONENT, d) is expected


def test_suite_check_unchanged(tmp_path: Path) -> None:
    d = apt_dir(tmp_path, {"sources.list.d/bp.sources": BACKPORTS})
    assert setup.sources_have_suite(setup.SUITE, d)
    assert not setup.sources_have_suite("trixie", d)
