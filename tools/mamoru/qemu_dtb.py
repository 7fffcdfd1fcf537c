# SPDX-License-Identifier: GPL-2.0-only
"""The device tree QEMU gets for a board whose machine model describes less RAM than it
backs (board.toml [qemu] dtb_memory).

QEMU 10's raspi4b backs 2 GiB but writes only the low 960 MiB into the tree's /memory; the
Pi firmware describes every bank. A copy of the board's DTB with a memory node for each
missing bank, build/<board>/qemu-<dtb>, makes QEMU's Pi 4 look like a 2 GiB board to the
hypervisor (docs/passthrough.md, "RAM inside the DMA window"). The nodes are named ram@<base>
(device_type "memory", which is what marks RAM): QEMU drops every memory@ node of the tree it
is given and writes its own. Written with dtc's fdtput.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mamoru import paths
from mamoru.boards import Board
from mamoru.sdcard_dtb import DtbError, dt_tool


def _cells(value: int, count: int) -> list[str]:
    if value >> (32 * count):
        raise DtbError(f"0x{value:x} does not fit in {count} cell(s)")
    return [f"0x{(value >> (32 * i)) & 0xffffffff:x}" for i in reversed(range(count))]


def add_memory(src: Path, dst: Path, banks: tuple[tuple[int, int], ...]) -> None:
    """Writes src to dst with a /ram@<base> memory node for each (base, size) bank."""
    def root_cells(name: str) -> int:
        value = dt_tool(["fdtget", "-t", "u", str(src), "/", name]).strip()
        if not value.isdigit():
            raise DtbError(f"{src}: the root's {name} is {value!r}")
        return int(value)
    acells, scells = root_cells("#address-cells"), root_cells("#size-cells")
    # A file of its own for each writer (test workers write dst too), renamed over dst.
    fd, name = tempfile.mkstemp(prefix=f".{dst.name}.", dir=dst.parent)
    tmp = Path(name)
    with os.fdopen(fd, "wb") as f:
        f.write(src.read_bytes())
    try:
        for base, size in banks:
            node = f"/ram@{base:x}"
            dt_tool(["fdtput", "-c", str(tmp), node])
            dt_tool(["fdtput", "-t", "s", str(tmp), node, "device_type", "memory"])
            dt_tool(["fdtput", "-t", "x", str(tmp), node, "reg",
                     *_cells(base, acells), *_cells(size, scells)])
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def qemu_dtb(board: Board, src: Path) -> Path:
    """The DTB to give QEMU for board: src itself, or a copy with the banks of
    board.dtb_memory (written anew each time: a few fdtput runs)."""
    if not board.dtb_memory:
        return src
    dst = paths.BUILD / board.name / f"qemu-{src.name}"
    dst.parent.mkdir(parents=True, exist_ok=True)
    add_memory(src, dst, board.dtb_memory)
    return dst
