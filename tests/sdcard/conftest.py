# SPDX-License-Identifier: GPL-2.0-only
"""Fixtures for the SD card tests: the card images of the selected Pi boards, built once
per session into a temporary directory from build/<board>/, and their files read back
out of the FAT partition (sdcard_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sdcard_helpers import Card, CardFactory

from mamoru import sdcard
from mamoru.testing import selected_configs


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "card_board" in metafunc.fixturenames:
        boards = [
            c.board.name for c in selected_configs(metafunc.config)
            if c.board.name in sdcard.CARDS
        ]
        metafunc.parametrize("card_board", boards, scope="module")


@pytest.fixture(scope="session")
def card_factory(tmp_path_factory: pytest.TempPathFactory) -> CardFactory:
    return CardFactory(tmp_path_factory)


@pytest.fixture(scope="module")
def card(card_factory: CardFactory, card_board: str) -> Card:
    """The board's SD card image (built once per session)."""
    return card_factory.get(card_board)


@pytest.fixture(scope="module")
def card_files(card: Card, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Every file of the card's boot partition, read back out of the image."""
    yield card.extract(tmp_path_factory.mktemp(f"read-back-{card.board}"))
