# SPDX-License-Identifier: GPL-2.0-only
"""The Versatile PB guest's device tree: the kernel's own versatile-pb.dtb cut down to
96 MiB of RAM at 0 and the devices Mamoru emulates for that guest (the PL190 VIC, the
SIC, one SP804, UART0, the system registers with the clocks they provide); every other
node goes, and aliases naming removed nodes with them.

Done on the blob with dtc's fdtget/fdtput (device-tree-compiler), as sdcard_dtb.py does.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

GUEST_RAM = 96 << 20

# The nodes kept, with all their children.
KEEP_SUBTREES = (
    "/chosen",
    "/aliases",
    "/memory",
    "/xtal24mhz@24M",                       # the 24 MHz the UART and TIMCLK derive from
    "/core-module@10000000",                # system registers: LEDs and clocks under it
    "/amba/interrupt-controller@10140000",  # PL190 VIC
    "/amba/interrupt-controller@10003000",  # Versatile SIC, on VIC line 31
    "/amba/uart@101f1000",                  # UART0, the console
    "/amba/timer@101e2000",                 # SP804 timers 0 and 1, VIC line 4
)
KEEP_ALIASES = ("serial0",)


class GuestDtError(RuntimeError):
    """The source blob is not the versatile-pb tree this expects, or dtc's tools failed."""


def _run(cmd: list[str]) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise GuestDtError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


def _child(parent: str, name: str) -> str:
    return f"{parent.rstrip('/')}/{name}"


def node_paths(dtb: Path) -> list[str]:
    """Every node path of dtb, parents before children."""
    out = ["/"]
    todo = ["/"]
    while todo:
        node = todo.pop(0)
        for name in _run(["fdtget", "-l", str(dtb), node]).split():
            path = _child(node, name)
            out.append(path)
            todo.append(path)
    return out


def _kept(path: str) -> bool:
    return any(path == k or path.startswith(k + "/") or k.startswith(path.rstrip("/") + "/")
               for k in KEEP_SUBTREES) or path == "/"


def make_guest_dtb(src: Path, dst: Path, *, bootargs: str | None = None,
                   initrd_placeholders: bool = False) -> None:
    """Writes the guest tree derived from src (the kernel's versatile-pb.dtb) to dst.
    bootargs goes into /chosen; initrd_placeholders adds linux,initrd-start and -end (one
    32-bit cell each, 0) for the hypervisor to fill in (the guest bundle's tree)."""
    paths = node_paths(src)
    missing = [k for k in KEEP_SUBTREES if k not in paths]
    if missing:
        raise GuestDtError(f"{src}: not the versatile-pb tree expected (no {', '.join(missing)})")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "guest.dtb"
        shutil.copyfile(src, work)
        removed: list[str] = []
        for path in paths:
            if _kept(path) or any(path.startswith(r + "/") for r in removed):
                continue
            _run(["fdtput", "-r", str(work), path])
            removed.append(path)
        for alias in _run(["fdtget", "-p", str(work), "/aliases"]).split():
            if alias not in KEEP_ALIASES:
                _run(["fdtput", "-d", str(work), "/aliases", alias])
        _run(["fdtput", "-t", "x", str(work), "/memory", "reg", "0", f"{GUEST_RAM:x}"])
        if bootargs is not None:
            _run(["fdtput", "-t", "s", str(work), "/chosen", "bootargs", bootargs])
        if initrd_placeholders:
            for prop in ("linux,initrd-start", "linux,initrd-end"):
                _run(["fdtput", "-t", "x", str(work), "/chosen", prop, "0"])
        # A compact blob: fdtput leaves the space removed nodes took.
        dts = _run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(work)])
        r = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(dst), "-"],
                           input=dts, capture_output=True, text=True, check=False)
        if r.returncode != 0:
            raise GuestDtError(f"dtc: {r.stderr.strip()}")


def versatile_guest_dtb(dst: Path) -> Path:
    """The guest tree from the versatile kernel cache's DTB (built if missing), at dst."""
    from mamoru import versatilekernel

    make_guest_dtb(versatilekernel.versatile_kernel().dtb, dst)
    return dst
