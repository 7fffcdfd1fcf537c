# SPDX-License-Identifier: GPL-2.0-only
"""The card's device tree with the console moved to the PL011 (`./mamoru sdcard --console
pl011`): what the firmware's disable-bt overlay would do, which Debian's DTBs cannot take
(they are built without __symbols__, so the firmware applies no overlays to them).

Three properties change, with dtc's fdtput/fdtget (device-tree-compiler):
  - the pin group uart0_gpio14 (GPIO 14/15 to ALT0) gets a phandle, the first unused;
  - the PL011's pinctrl-0 names that group instead of its Bluetooth pins (GPIO 30-33);
  - /chosen/stdout-path becomes serial0 (the PL011 in the upstream DTBs).
Mamoru applies the console node's pinctrl-0 at boot, which moves GPIO 14/15 to the PL011.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

MINI_UART_NODE = "/soc/serial@7e215040"
PL011_NODE = "/soc/serial@7e201000"
PL011_PINS = "/soc/gpio@7e200000/uart0_gpio14"
PL011_ALIAS = "serial0"


class DtbError(RuntimeError):
    """The device tree cannot be read or changed."""


def dt_tool(argv: list[str]) -> str:
    try:
        r = subprocess.run(argv, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise DtbError(f"{argv[0]} not found: install device-tree-compiler "
                       "(./mamoru setup does)") from None
    if r.returncode != 0:
        raise DtbError(f"{' '.join(argv)} failed: {(r.stderr or r.stdout).strip()}")
    return r.stdout


def phandles(dtb: Path) -> set[int]:
    """Every phandle the tree defines."""
    dts = dt_tool(["dtc", "-q", "-I", "dtb", "-O", "dts", str(dtb)])
    return {int(v, 16) for v in re.findall(r"\bphandle = <(0x[0-9a-f]+)>;", dts)}


def pl011_console_dtb(src: Path, dst: Path) -> int:
    """Writes src with the console on the PL011 and GPIO 14/15 given to it to dst.
    Returns the pin group's phandle."""
    dt_tool(["fdtget", str(src), PL011_NODE, "compatible"])      # both must exist
    dt_tool(["fdtget", str(src), PL011_PINS, "brcm,pins"])
    if dt_tool(["fdtget", "-t", "s", str(src), "/aliases", PL011_ALIAS]).strip() != PL011_NODE:
        raise DtbError(f"{src}: alias {PL011_ALIAS} is not {PL011_NODE}")
    tmp = dst.with_name(f".{dst.name}.partial")
    shutil.copyfile(src, tmp)
    try:
        try:
            handle = int(dt_tool(["fdtget", "-t", "x", str(tmp), PL011_PINS, "phandle"]), 16)
        except DtbError:
            handle = max(phandles(tmp), default=0) + 1
            dt_tool(["fdtput", "-t", "x", str(tmp), PL011_PINS, "phandle", f"{handle:x}"])
        dt_tool(["fdtput", "-t", "x", str(tmp), PL011_NODE, "pinctrl-0", f"{handle:x}"])
        dt_tool(["fdtput", "-t", "s", str(tmp), PL011_NODE, "pinctrl-names", "default"])
        dt_tool(["fdtput", "-t", "s", str(tmp), "/chosen", "stdout-path",
              f"{PL011_ALIAS}:115200n8"])
        tmp.replace(dst)
    finally:
        tmp.unlink(missing_ok=True)
    return handle
