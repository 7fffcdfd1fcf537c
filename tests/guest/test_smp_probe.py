# SPDX-License-Identifier: GPL-2.0-only
"""Issue 16: a guest of four vCPUs that uses PSCI and the emulated GIC the way a buggy or
hostile kernel would (tests/guest/probe/smp_probe.S, bare metal: no Linux).

It asks to start vCPUs that do not exist, at entry points outside its RAM, one that is
already on; starts vCPU 1, which reads its context and MPIDR and stops with CPU_OFF, and
starts it again; writes GIC targets beyond its four vCPUs; then starts vCPU 2 on a page of
zeros, where it takes an exception to a vector base outside its RAM for ever. Each answer
is PSCI's; the hypervisor shell answers all along, the runaway vCPU's aborts are counted
and their reports capped, and halting and restarting the guest works with it running.
On every vGIC backend: GICv2 list registers (virt-gicv2), GICv3 list registers with the
guest seeing a GICv3 (virt-gicv3: the probe finds which from the distributor's PIDR2), the
emulated GICv2 CPU interface (the Pi 3)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from mamoru.boards import BoardConfig
from mamoru.testing import Launcher
from mamoru.testing.probe import probe_bundle, probe_results

pytestmark = [pytest.mark.configs("virt-gicv2", "virt-gicv3", "rpi3"), pytest.mark.qemu]

PROBE = Path(__file__).resolve().parent / "probe" / "smp_probe.S"
NEG = {-2: 2**64 - 2, -4: 2**64 - 4, -9: 2**64 - 9}   # PSCI errors as the guest's x0


def test_hostile_psci_and_a_runaway_vcpu(launch: Launcher, board_config: BoardConfig,
                                         tmp_path: Path) -> None:
    t = launch.boot(board_config, initrd=probe_bundle(PROBE, tmp_path, vcpus=4))
    deadline = time.monotonic() + 60
    out = ""
    while "PROBE DONE" not in out and time.monotonic() < deadline:
        time.sleep(1)
        out = t.console.command("vserial dump guest0")
    r = {k: int(v, 16) for k, v in probe_results(out).items()}

    assert r["mpidr0"] & 0xFF_00FF_FFFF == 0 and r["mpidr0"] >> 31 & 1, hex(r["mpidr0"])
    assert r["aff1_initial"] == 1                      # OFF
    assert r["on7"] == NEG[-2]                         # INVALID_PARAMETERS: no vCPU 7
    assert r["on1_badentry"] == NEG[-9]                # INVALID_ADDRESS: not in its RAM
    assert r["on0"] == NEG[-4]                         # ALREADY_ON
    assert r["on1"] == 0
    assert r["on1_again"] == NEG[-4] and r["aff1_on"] == 0
    assert r["ctx1"] == 0x1111 and r["mpidr1"] & 0xFF_00FF_FFFF == 1, r
    assert r["aff1_off"] == 1                          # CPU_OFF took it down
    if board_config.gic == 3:
        # A GICv3 host: the guest sees a GICv3 (its PIDR2), one redistributor per vCPU,
        # the last marked Last with affinity 3; an SPI routed to Aff0 7 goes nowhere;
        # SGIs to other clusters, to RS 15 and to "all but self" trap and change nothing
        # the probe could not take.
        assert r["gic"] == 3 and r["rdists"] == 4 and r["last_aff"] == 3, r
        assert r["irouter32"] == 0xFF, r
    else:
        assert r["gic"] == 2, r
        assert (r["typer"] >> 5) & 7 == 3              # GICD_TYPER.CPUNumber: four vCPUs
        assert r["itargets32"] == 0x0F                 # targets beyond vCPU 3 dropped
    assert r["on1_restart"] == 0 and r["ctx1b"] == 0x2222
    assert r["on2_hostile"] == 0

    # vCPU 2 spins through injected aborts; the shell answers and sees it.
    time.sleep(2)
    listing = t.console.command("guest list")
    assert re.search(r"^guest0\s+running", listing, re.M), listing
    assert "vcpus: 0 on 1 off 2 on 3 off" in listing, listing
    stats = t.console.command("guest stats guest0")
    assert re.search(r"other sync\s+\d{3,}", stats), stats     # the aborts, in the hundreds
    # Their reports stop after a few lines.
    full = t.console.transcript
    assert full.count("abort injected") <= 10 and "further reports suppressed" in full, \
        full[-3000:]

    # Halted with a runaway vCPU, started again: the probe runs from the start.
    t.console.command("guest halt guest0")
    assert re.search(r"^guest0\s+halted", t.console.command("guest list"), re.M)
    t.console.command("guest kick guest0")
    deadline = time.monotonic() + 60
    out = ""
    while out.count("PROBE DONE") < 1 and time.monotonic() < deadline:
        time.sleep(1)
        out = t.console.command("vserial dump guest0")
    assert probe_results(out)["on1"] == "0x" + "0" * 16, out
    assert "vcpus: 0 on 1 off 2 on 3 off" in t.console.command("guest list")
