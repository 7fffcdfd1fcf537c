# SPDX-License-Identifier: GPL-2.0-only
"""The virtio-blk emulator's register state machine on the host (no QEMU): the real
emulators/virtio_blk.c driven through guest_mmio() as a guest's driver would drive it,
its SD card in memory, under ASan/UBSan (tests/disk/host/vblk_test.c; the stubs in
tests/disk/host/stub.c). One scenario a run:

- regs: identification, 32-bit registers only (other widths fault), unaligned and
  reserved offsets, read-only and write-only registers, the config space (capacity,
  size_max, seg_max) at widths 1, 2 and 4, queue registers that take no writes, a queue
  too large or outside RAM refused when made ready (the device needs a reset);
- features: FEATURES_OK only for a subset of the offered features with VERSION_1;
- budget, dup_heads: one notify moves at most 2 MiB, the main loop the rest 1 ms later,
  2 MiB a turn, and its task stops when the queue is empty or the guest halted;
- broken, wp: requests served before a broken one (or one that would write into
  write-protected memory) are completed with the used-buffer interrupt, then the device
  needs a reset (config interrupt) and serves nothing until a device reset;
- requeue: QueueReady 1 -> 0 -> 1 keeps the indices (no request served twice);
- reset_status, reset_guest: a device or guest reset in the middle of a budgeted
  queue forgets everything, and no more data moves;
- early: QueueNotify before DRIVER_OK or the queue is ready, or for queue 1: ignored;
- ioerr: a card failure is one request's IOERR; writes land in the partition only;
- absent, shared: disks refused at claim (boot partition, unreadable MBR, a partition
  another guest has, a second disk) leave a transport with device ID 0."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mamoru.testing.hostcheck import build_host, checks_passed, run_host

HERE = Path(__file__).resolve().parent

SCENARIOS = {
    "regs": 250, "features": 50, "budget": 60, "dup_heads": 150, "broken": 60,
    "requeue": 30, "reset_status": 40, "reset_guest": 40, "early": 20, "ioerr": 30,
    "wp": 40, "absent": 20, "shared": 5,
}


@pytest.fixture(scope="module")
def host_bin() -> Path:
    """Builds the host programs (scons host) once for this module."""
    return build_host("disk")


@pytest.fixture(scope="module")
def disk_dtb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vblk") / "disk.dtb"
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(out),
                    str(HERE / "host" / "disk.dts")], check=True)
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_vblk(host_bin: Path, disk_dtb: Path, scenario: str) -> None:
    r = run_host([host_bin / "vblk_test", disk_dtb, scenario], ok=(0, 1), timeout=120)
    checks_passed(r, "vblk_test", SCENARIOS[scenario], only=True)


def test_unknown_scenario_is_an_error(host_bin: Path, disk_dtb: Path) -> None:
    r = run_host([host_bin / "vblk_test", disk_dtb, "nothing"], ok=(2,))
    assert "no scenario nothing" in r.stderr
