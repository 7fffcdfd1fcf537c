# SPDX-License-Identifier: GPL-2.0-only
"""Helpers shared by the guest benchmarks: boot Mamoru with a bundle, reach guest0's shell."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mamoru import bundle, guest_assets, paths
from mamoru.boards import BoardConfig
from mamoru.guest_platform import GuestPlatform
from mamoru.guestshell import GuestShell
from mamoru.qemu import Qemu

GUEST_TIMEOUT = 120.0


def smp_bundle(vcpus: int) -> Path:
    """build/test-bundles/smp-<vcpus>.cpio: the (cloud) default guest with vcpus
    vCPUs, cached: the benchmarks say how many, whatever a board's default guest has."""
    out = paths.BUILD / "test-bundles" / f"smp-{vcpus}.cpio"
    if bundle.stale(out, bundle.bundle_inputs(guest_assets.cloud_kernel())):
        bundle.write_bundle(out, [bundle.default_guest(GuestPlatform(vcpus=vcpus))])
    return out


@contextmanager
def guest_under_mamoru(config: BoardConfig, bundle: Path | None = None
                       ) -> Iterator[tuple[Qemu, GuestShell, float]]:
    """QEMU running Mamoru + guest0, attached to its shell; also the seconds from QEMU's
    start to the guest's prompt (as the direct baselines time it: at the prompt)."""
    bundle = bundle or paths.BUILD / config.board.name / "guests.cpio"
    with Qemu(config, initrd=bundle) as q:
        assert q.console is not None
        g = GuestShell(q.console)
        q.console.wait_prompt(60)
        shown = g.attach(GUEST_TIMEOUT)
        yield q, g, shown - q.started_at


def busybox_time(output: str) -> float:
    """Seconds from busybox `time` output ("real\\t0m 1.23s")."""
    m = re.search(r"real\s+(?:(\d+)m\s*)?([\d.]+)s", output)
    if m is None:
        raise ValueError(f"no 'real' time in:\n{output}")
    return int(m.group(1) or 0) * 60 + float(m.group(2))


CPU_LOOP = "time sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done'"


# The guest kernel's own clock at "Run /init as init process": its boot up to user space
# by its printk time, which starts with its timer early in the boot (sched_clock), so
# without QEMU loading it, Mamoru's own start or the kernel's first steps before that.
INIT_STAMP = "dmesg | grep 'Run /init as init process'"
_INIT_RE = re.compile(r"\[\s*(\d+\.\d+)\]\s+Run /init as init process")


def init_stamp(output: str) -> float:
    """The kernel's timestamp (s) of its last "Run /init" line in output."""
    found = _INIT_RE.findall(output)
    if not found:
        raise ValueError(f"no 'Run /init as init process' line in:\n{output}")
    return float(found[-1])
