# SPDX-License-Identifier: GPL-2.0-only
"""Issue 11: what a guest gets from the system registers it must not share.

A bare-metal probe guest (tests/guest/probe/sysreg_probe.S) reads the ID registers, the PMU,
breakpoint/watchpoint, debug-state, ACTLR, GICv3 SRE, pointer-authentication key and SVE
registers and prints what it got; it runs as guest0 under QEMU's `max` CPU (every feature
QEMU has). Before, the guest could program the core's watchpoints and read its cycle
counter (so could every other guest after it), saw SVE, PMU and pointer authentication in
its ID registers, and was halted when it touched SVE. Each boot takes seconds: no Linux.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mamoru.boards import BoardConfig
from mamoru.testing import Launcher
from mamoru.testing.probe import probe_bundle, probe_results

pytestmark = [pytest.mark.configs("virt-gicv2", "virt-gicv3"), pytest.mark.qemu]

PROBE = Path(__file__).resolve().parent / "probe" / "sysreg_probe.S"


def value(results: dict[str, str], name: str) -> int:
    assert name in results, results
    assert not results[name].startswith("undef"), f"{name}: {results[name]}"
    return int(results[name], 16)


def field(v: int, nibble: int) -> int:
    return (v >> (4 * nibble)) & 0xF


def test_probe_guest_sees_no_shared_registers(launch: Launcher, board_config: BoardConfig,
                                               tmp_path: Path) -> None:
    t = launch.boot(board_config, initrd=probe_bundle(PROBE, tmp_path), cpu="max")
    # The probe ends with PSCI SYSTEM_OFF: the guest stops as powered off, not crashed.
    t.console.expect("powered off (PSCI SYSTEM_OFF)", 60)
    row = t.console.command("guest list")
    assert re.search(r"^guest0\s+halted", row, re.M) and "crashed" not in row, row
    r = probe_results(t.console.command("vserial dump guest0"))

    # ID registers: no SVE, AMU, GIC system registers (but on a GICv3 host: below), MTE, SME,
    # pointer authentication, PMU, SPE or trace; the debug architecture and FP stay.
    pfr0, pfr1 = value(r, "id_aa64pfr0"), value(r, "id_aa64pfr1")
    assert field(pfr0, 8) == 0 and field(pfr0, 11) == 0, hex(pfr0)        # SVE, AMU
    assert field(pfr0, 4) != 0xF, hex(pfr0)                  # FP
    assert field(pfr1, 2) == 0 and field(pfr1, 6) == 0, hex(pfr1)   # MTE, SME
    isar1 = value(r, "id_aa64isar1")
    assert all(field(isar1, n) == 0 for n in (1, 2, 6, 7)), hex(isar1)
    dfr0 = value(r, "id_aa64dfr0")
    assert field(dfr0, 2) == 0 and field(dfr0, 8) == 0 and field(dfr0, 1) == 0, hex(dfr0)
    assert field(dfr0, 0) >= 6, hex(dfr0)                    # DebugVer: ARMv8 debug

    # PMU registers are UNDEFINED (ESR_EL1.EC 0: unknown reason).
    for reg in ("pmcr", "pmccntr", "pmuserenr"):
        assert r[reg].startswith("undef esr=0x0000000002"), (reg, r[reg])
    # Breakpoints and watchpoints do not reach the core: they read back as zero.
    assert value(r, "dbgbvr0") == 0 and value(r, "dbgwvr0") == 0 and value(r, "dbgbcr0") == 0
    # The guest's own debug state is kept for it.
    assert value(r, "mdscr") == 0x8000
    assert value(r, "oslsr") == 0xA                          # OS lock implemented and set
    assert value(r, "actlr") == 0
    # ICC_SRE_EL1 and ID_AA64PFR0.GIC (bits 27:24): a GICv2 host has no such register and the
    # guest no GIC system registers. On a GICv3 host the guest sees a GICv3 (the ICH
    # backend): the system-register interface is on (SRE, DFB, DIB: 0x7, from the CPU with
    # ICC_SRE_EL2.Enable set, or from the hypervisor where the access traps) and PFR0 says so.
    if board_config.gic == 2:
        assert r["icc_sre"].startswith("undef esr=0x0000000002"), r["icc_sre"]
        assert field(pfr0, 6) == 0, hex(pfr0)
    else:
        assert value(r, "icc_sre") == 0x7, r["icc_sre"]
        assert field(pfr0, 6) == 1, hex(pfr0)
    # Pointer-authentication keys and SVE (with the guest's CPACR_EL1.ZEN open, so the access
    # reaches CPTR_EL2.TZ) are UNDEFINED, not a reason to stop the guest.
    assert r["apiakeylo"].startswith("undef esr=0x0000000002"), r["apiakeylo"]
    assert r["zcr"].startswith("undef esr=0x0000000002"), r["zcr"]
