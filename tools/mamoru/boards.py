# SPDX-License-Identifier: GPL-2.0-only
"""The boards Mamoru builds for, and the configurations the tests boot them in."""

from dataclasses import dataclass
from typing import Literal

UartName = Literal["pl011", "mini", "both"]


@dataclass(frozen=True)
class Board:
    name: str                 # build name: build/<name>/, scons board=<name>
    title: str                # what the hypervisor prints as the board name
    machine: str              # QEMU -M
    dtb: str | None           # DTB file in the cache; None: QEMU generates one
    default_uart: UartName    # the console the upstream DTB's stdout-path picks
    ram: int = 1 << 30        # RAM of the QEMU model (virt: -m 1G) that guests share


BOARDS: dict[str, Board] = {
    b.name: b
    for b in (
        Board("virt", "QEMU virt", "virt", None, "pl011"),
        Board("rpi4", "Raspberry Pi 4 Model B", "raspi4b", "bcm2711-rpi-4-b.dtb", "mini",
              ram=2 << 30),
        Board("rpi3", "Raspberry Pi 3 Model B", "raspi3b", "bcm2837-rpi-3-b.dtb", "mini"),
    )
}

DTB_FILES: tuple[str, ...] = tuple(b.dtb for b in BOARDS.values() if b.dtb)


@dataclass(frozen=True)
class BoardConfig:
    """A board plus how QEMU runs it: the unit tests are parametrized over."""

    id: str
    board: Board
    gic: int | None = None            # virt only: 2 or 3
    console_uart: UartName | None = None  # None: the board's default

    @property
    def uart(self) -> UartName:
        return self.console_uart or self.board.default_uart


CONFIGS: tuple[BoardConfig, ...] = (
    BoardConfig("virt-gicv2", BOARDS["virt"], gic=2),
    BoardConfig("virt-gicv3", BOARDS["virt"], gic=3),
    BoardConfig("rpi4", BOARDS["rpi4"]),
    BoardConfig("rpi3", BOARDS["rpi3"]),
)


def config_for(board: str, gic: int | None = None) -> BoardConfig:
    """The standard configuration of a board (virt: GICv3 unless gic says otherwise)."""
    if board == "virt":
        return next(c for c in CONFIGS if c.gic == (gic or 3))
    return next(c for c in CONFIGS if c.board.name == board)


def select_configs(names: list[str] | None) -> list[BoardConfig]:
    """Configs matching names like 'virt' (both GICs), 'virt-gicv2', 'rpi4'; all if empty."""
    if not names:
        return list(CONFIGS)
    chosen = [c for c in CONFIGS if c.id in names or c.board.name in names]
    unknown = [n for n in names if not any(n in (c.id, c.board.name) for c in CONFIGS)]
    if unknown:
        raise ValueError(f"unknown board {', '.join(unknown)}")
    return chosen
