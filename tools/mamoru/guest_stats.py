# SPDX-License-Identifier: GPL-2.0-only
"""Reads the hypervisor's `guest stats` output (core/guest_stats.c): where a guest's exits
go, by kind, and its accesses to each emulated device, since its boot or the last
`guest stats --clear`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEAD = re.compile(r"^(\S+): (\d+\.\d{3}) s counted .*?(\d+\.\d{3}) s in the guest")
_KIND = re.compile(r"^(  |    )(\S.*?)\s+(\d+)\s+(\d+|-)$")
_DEVICE = re.compile(r"^  (\S+@[0-9a-f]+)\s+(\d+)\s+(\d+)\s+(\d+|-)$")


class GuestStatsError(ValueError):
    """The text is not `guest stats` output."""


@dataclass
class GuestStats:
    guest: str
    seconds: float
    in_guest: float          # the seconds of them the vCPU ran guest code
    total: int
    kinds: dict[str, int] = field(default_factory=dict)    # they add up to total
    details: dict[str, int] = field(default_factory=dict)  # parts of the kind above them
    devices: dict[str, tuple[int, int]] = field(default_factory=dict)   # (reads, writes)
    bad_accesses: int = 0    # accesses the guest got an abort for (unmapped, refused)

    def per_second(self, count: int) -> float:
        return count / self.seconds if self.seconds > 0 else 0.0


def parse(text: str) -> GuestStats:
    lines = text.strip("\n").splitlines()
    head = _HEAD.match(lines[0]) if lines else None
    if not head:
        raise GuestStatsError(f"not `guest stats` output: {text[:200]!r}")
    stats = GuestStats(head.group(1), float(head.group(2)), float(head.group(3)), -1)
    in_devices = False
    for line in lines[1:]:
        if line.startswith("device accesses"):
            in_devices = True
        elif line.lstrip().startswith("bad accesses"):
            stats.bad_accesses = int(line.split()[2])
        elif line.startswith("total"):
            stats.total = int(line.split()[1])
        elif in_devices and (d := _DEVICE.match(line)):
            stats.devices[d.group(1)] = (int(d.group(2)), int(d.group(3)))
        elif not in_devices and (k := _KIND.match(line)):
            (stats.details if k.group(1) == "    " else stats.kinds)[k.group(2)] = int(k.group(3))
    if stats.total < 0 or not stats.kinds:
        raise GuestStatsError(f"no exit counts in: {text[:400]!r}")
    return stats
