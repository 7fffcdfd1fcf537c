# SPDX-License-Identifier: GPL-2.0-only
"""Reading an SD card image back the way a card reader would: an MBR parser written here
(independently of mamoru.sdcard's), mtools for the FAT partition; and building the cards
the tests share."""

from __future__ import annotations

import os
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from mamoru import paths, sdcard


@dataclass(frozen=True)
class MbrEntry:
    status: int
    type: int
    start: int      # sectors
    sectors: int


def read_mbr(image: Path) -> tuple[bytes, list[MbrEntry]]:
    """The first sector and its four partition entries (written independently of
    mamoru.sdcard's own parser, so a shared mistake cannot hide)."""
    with open(image, "rb") as f:
        head = f.read(512)
    entries = []
    for i in range(4):
        status, ptype, start, count = struct.unpack_from("<B3xB3xII", head, 446 + 16 * i)
        entries.append(MbrEntry(status, ptype, start, count))
    return head, entries


def mtools(*argv: str) -> str:
    r = subprocess.run(
        list(argv), capture_output=True, text=True, check=False,
        env={**os.environ, "MTOOLS_SKIP_CHECK": "1"},
    )
    assert r.returncode == 0, f"{' '.join(argv)} failed:\n{r.stderr}"
    return r.stdout


@dataclass
class Card:
    board: str
    image: Path
    contents: sdcard.CardContents

    @property
    def offset(self) -> int:
        return read_mbr(self.image)[1][0].start * 512

    @property
    def drive(self) -> str:
        return f"{self.image}@@{self.offset}"

    def names(self) -> list[str]:
        return [n.removeprefix("::/") for n in mtools("mdir", "-b", "-i", self.drive, "::/")
                .splitlines() if n.strip()]

    def extract(self, dest: Path) -> dict[str, Path]:
        """Copies every file of the boot partition into dest (mcopy, as a reader would)."""
        dest.mkdir(parents=True, exist_ok=True)
        names = self.names()
        mtools("mcopy", "-n", "-i", self.drive, *(f"::/{n}" for n in names), str(dest))
        return {n: dest / n for n in names}


class CardFactory:
    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self.tmp = tmp
        self.cards: dict[str, Card] = {}

    def get(self, board: str) -> Card:
        if board not in self.cards:
            kernel = paths.image_path(board)
            if not kernel.is_file():
                pytest.fail(f"{kernel} is missing: ./mamoru build --board {board}",
                            pytrace=False)
            out = self.tmp.mktemp(f"card-{board}") / f"mamoru-{board}.img"
            contents = sdcard.build_card(board, out)
            self.cards[board] = Card(board, out, contents)
        return self.cards[board]
