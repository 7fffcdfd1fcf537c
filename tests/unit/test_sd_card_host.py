# SPDX-License-Identifier: GPL-2.0-only
"""The SD card protocol layer (drivers/mmc/sd_card.c) on the host, under ASan/UBSan
(tests/host/sd_card_check.c): a simulated card behind a fake controller. Identification of
an SDHC and of a version 1 SDSC card (block and byte addressing, CMD16, ACMD6 on a 4-bit
board), multi-block transfers split at the controller's limit and stopped with CMD12 when
the controller does not (and after one that failed partway even when it does), SEND_STATUS
until a written card is ready, and the failures the boot log names: no card, a card that
never powers up (bounded at 1 s of simulated time), an unknown CSD, a controller that does
not reset."""

from __future__ import annotations

from pathlib import Path

from hostprog import run_prog

from mamoru.testing.hostcheck import checks_passed


def test_selftest(host_build: Path) -> None:
    checks_passed(run_prog(host_build, "sd_card_check", ["selftest"]), "sd card selftest",
                  least=60, only=True)
