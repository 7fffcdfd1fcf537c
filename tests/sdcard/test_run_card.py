# SPDX-License-Identifier: GPL-2.0-only
"""`./mamoru run --board rpi3` puts the card `./mamoru sdcard` writes into QEMU's SD slot
(build/rpi3/qemu-sd.img, made anew here with --fresh-disk): the hypervisor finds the card,
gives guest0 its partition 2 as a disk, and the guest's root file system is that partition.
The run verb replaces itself with QEMU on this process's pipes; it is killed on every path."""

from __future__ import annotations

import os
import select
import subprocess
import time

import pytest

from mamoru import paths, sdcard
from mamoru.boards import BoardConfig
from mamoru.testing import hardware

pytestmark = [pytest.mark.configs("rpi3"), pytest.mark.guests("arm64")]

TIMEOUT = 120.0


class Run:
    """`./mamoru run` on pipes: what it printed so far, and a way to type."""

    def __init__(self, argv: list[str]) -> None:
        self.p = subprocess.Popen(argv, cwd=paths.ROOT, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.seen = b""

    def wait_for(self, needle: bytes, timeout: float, what: str) -> None:
        assert self.p.stdout is not None
        deadline = time.monotonic() + timeout
        while needle not in self.seen:
            if time.monotonic() > deadline or self.p.poll() is not None:
                raise AssertionError(f"waiting for {what}; the console so far:\n"
                                     + self.seen.decode(errors="replace")[-3000:])
            ready, _, _ = select.select([self.p.stdout], [], [], 0.5)
            if ready:
                self.seen += os.read(self.p.stdout.fileno(), 65536)

    def type(self, text: bytes) -> None:
        assert self.p.stdin is not None
        self.p.stdin.write(text)
        self.p.stdin.flush()

    def kill(self) -> None:
        self.p.kill()
        self.p.wait(10)


def test_run_boots_the_pi_with_its_card(request: pytest.FixtureRequest,
                                        board_config: BoardConfig) -> None:
    if hardware(request.config):
        pytest.skip("`./mamoru run` is QEMU's")
    board = board_config.board.name
    run = Run([str(paths.ROOT / "mamoru"), "run", "--board", board, "--no-build",
               "--fresh-disk"])
    try:
        run.wait_for(b"mamoru# ", TIMEOUT, "the hypervisor's prompt")
        text = run.seen.decode(errors="replace")
        card = sdcard.qemu_card_path(board)
        assert f"SD card: {card} (guest0's root: partition 2)" in text, text[-3000:]
        assert f"run: made the SD card {card}" in text, text[-3000:]
        assert "guest0: disk sd:2 (64 MiB) at 0x9001000" in text, text[-3000:]
        size = card.stat().st_size
        assert size & (size - 1) == 0, size              # QEMU's SD cards: a power of 2
        run.type(b"vserial bind guest0\r")
        run.wait_for(b"mamoru-guest: init done", TIMEOUT, "the guest's init")
        run.type(b"\r")
        run.wait_for(b"guest# ", 30, "the guest's prompt")
        run.type(b"grep ' / ' /proc/mounts\r")
        run.wait_for(b"/dev/vda / ext4 ", 30, "the guest's root on the card's partition 2")
        assert b"mamoru-guest: root file system on /dev/vda" in run.seen
    finally:
        run.kill()
