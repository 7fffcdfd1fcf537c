# SPDX-License-Identifier: GPL-2.0-only
"""A guest's /proc/interrupts as the tests read it: one count column per CPU the guest
has (the default guest has a vCPU on each of the board's cores), summed."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(r"^\s*\d+:(?P<counts>(?:\s+\d+)+)\s+(?P<chip>GIC-0|GICv3)\s+(?P<hwirq>\d+)\s"
                   r"(?P<rest>.*)$", re.M)


@dataclass(frozen=True)
class IrqLine:
    total: int      # taken on all CPUs
    chip: str       # GIC-0 (the guest's GICv2) or GICv3
    hwirq: int      # the GIC's interrupt number
    rest: str       # trigger and the handlers' names


def irq_lines(text: str) -> list[IrqLine]:
    """The GIC lines of (part of) a guest's /proc/interrupts."""
    return [IrqLine(sum(int(n) for n in m["counts"].split()), m["chip"], int(m["hwirq"]),
                    m["rest"]) for m in _LINE.finditer(text)]


def irq_line(text: str, name: str) -> IrqLine | None:
    """The first GIC line whose handlers' names contain name, or None."""
    return next((x for x in irq_lines(text) if name in x.rest), None)
