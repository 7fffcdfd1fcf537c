# SPDX-License-Identifier: GPL-2.0-only
"""tests/bench/bench_v5.py without QEMU: its arguments, the parsing of what the hypervisor
prints (`guest list`, arm32 `guest regs`, `ids plist --json`, busybox `time`) and the report
on canned numbers."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(BENCH))       # it imports its neighbour guestbench, as when run
    try:
        import bench_v5
    finally:
        sys.path.remove(str(BENCH))
    return bench_v5


# What the hypervisor prints (commands/guest.c, arch/arm/cpu/arm32/guest_regs.c).
GUEST_LIST = ("name     state        memory vcpus      exits  notes\n"
              "guest0   running       96 MiB     1    1234567  \n")
GUEST_REGS = """guest0: pc 0xc0009f3c  cpsr 0x60000013 (virtual svc mode)
r0  0x00000000  r1  0x00000000  r2  0x00000000  r3  0x00000000
c1 0x0005317f  ttbr 0x05e8c000  dacr 0x00000015  dfsr 0x00000007  far 0x000b3f40
traps: svc 1000 (+25000 fast) undef 300 pabt 40 dabt 500 irq 7; emulated 1200, mmio 450
shadow: faults 600 fills 80 guest faults 12 mmio 450 emulate 3
"""
PLIST_JSON = """{"type":"process","pid":1,"comm":"init"}
{"type":"process","pid":2,"comm":"kthreadd"}
{"type":"process","pid":60,"comm":"sh"}
{"type":"summary","scan":"plist","findings":0,"stopped_us":18500}
"""


def test_arguments_full_and_quick(bench: ModuleType) -> None:
    full = bench.parse_args([])
    assert full.counts == bench.FULL_COUNTS and full.plist_counts == [0, 10, 25]
    assert full.sample == 10.0 and full.side is None
    quick = bench.parse_args(["--quick", "--plist", "30,0,30", "--side", "bare"])
    assert quick.counts == bench.QUICK_COUNTS and quick.plist_counts == [0, 30]
    assert quick.sample == 5.0 and quick.side == "bare"
    assert all(quick.counts[k] < full.counts[k] for k in full.counts)
    with pytest.raises(SystemExit):
        bench.parse_args(["--side", "xen"])


def test_parses_the_hypervisors_counters(bench: ModuleType) -> None:
    assert bench.guest_exits(GUEST_LIST) == 1234567
    assert bench.trap_counters(GUEST_REGS) == {
        "svc": 1000, "fast": 25000, "undef": 300, "pabt": 40, "dabt": 500, "irq": 7,
        "emulated": 1200, "mmio": 450, "fills": 80}
    with pytest.raises(ValueError):
        bench.guest_exits("name state memory vcpus exits notes\n")
    with pytest.raises(ValueError):
        bench.trap_counters("guest0: pc 0x0 (an arm64 guest's regs)")


def test_parses_plist_and_time(bench: ModuleType) -> None:
    assert bench.plist_summary(PLIST_JSON) == (3, 0.0185)
    with pytest.raises(ValueError):
        bench.plist_summary('{"type":"process","pid":1}\n')
    assert bench.busybox_time("real\t1m 2.50s\nuser\t0m 1.00s\nsys\t0m 0.20s") == 62.5


def test_per_task_slope(bench: ModuleType) -> None:
    P = bench.PlistPoint
    points = [P(0, 18, 0.100, 0.020), P(20, 38, 0.110, 0.021), P(50, 68, 0.125, 0.0225)]
    assert bench.per_task_ms(points) == pytest.approx(0.5)
    assert bench.per_task_ms(points, "held_s") == pytest.approx(0.05)
    assert bench.per_task_ms(points[:1]) is None


def test_process_cpu_time(bench: ModuleType) -> None:
    import os
    spent = bench.process_cpu_s(os.getpid())
    sum(range(3_000_000))
    assert 0 < spent < bench.process_cpu_s(os.getpid())


def test_loop_commands(bench: ModuleType) -> None:
    cmd = bench.loop_command("syscall", 200)
    assert cmd.startswith("time sh -c '") and "-lt 200 ]" in cmd and "$N" not in cmd
    line, beg, end = bench._framed("uname -r")
    assert beg not in line and end not in line      # the echo never shows the markers
    assert "uname -r" in line


def test_report_with_ratios(bench: ModuleType) -> None:
    b = bench
    r = b.Results(counts={"arith": 1000, "syscall": 200, "exec": 10})
    r.load = [("at start", (1.5, 1.25, 1.0)), ("at end", (2.0, 1.5, 1.1))]
    r.bare = b.Side(2.0, 1.5, loops={"arith": b.LoopTime(1.0, 1.1, 1.0),
                                     "syscall": b.LoopTime(0.5, 0.5, 0.4)})
    r.mamoru = b.Side(60.0, 45.0, 0.5, loops={"arith": b.LoopTime(4.0, 5.5, 4.0),
                                               "syscall": b.LoopTime(40.0, 50.0, 48.0)})
    kinds = b.trap_counters(GUEST_REGS)
    r.traps = [b.TrapRate("idle at its shell", 10.0, 26847, kinds, 5.0)]
    r.plist = [b.PlistPoint(0, 18, 0.100, 0.020), b.PlistPoint(20, 38, 0.110, 0.021)]
    text = b.format_report(r)
    lines = text.splitlines()
    assert lines[0].startswith("load average at start: 1.50 1.25 1.00")

    def row(prefix: str) -> list[str]:
        return next(line for line in lines if line.startswith(prefix)).split()[-3:]

    assert row("boot to shell s") == ["2.00", "60.00", "30.00"]
    assert row("boot to shell, QEMU CPU") == ["1.50", "45.00", "30.00"]
    assert row("  Mamoru's prompt -> guest's shell") == ["-", "59.50", "-"]
    assert row("arith x1000, host wall") == ["1.10", "5.50", "5.00"]
    assert row("syscall x200, guest's clock") == ["0.50", "40.00", "80.00"]
    assert row("syscall x200, QEMU CPU") == ["0.40", "48.00", "120.00"]
    assert not any(line.startswith("exec x") for line in lines)     # not measured: no row
    idle = next(line for line in lines if line.startswith("idle at its shell")).split()
    # seconds, QEMU CPU %, us of it per exit, exits/s, then TRAP_KINDS per second
    assert idle[-13:] == ["10.0", "50", "186", "2685", "2500", "100", "30", "4", "50", "1",
                          "120", "45", "8"]
    assert "console 0.50 ms, held 0.050 ms" in text


def test_report_of_one_side_has_no_ratios(bench: ModuleType) -> None:
    r = bench.Results(counts=dict(bench.QUICK_COUNTS))
    r.bare = bench.Side(1.5, 1.2, loops={"exec": bench.LoopTime(0.3, 0.32, 0.3)})
    text = bench.format_report(r)
    boot = next(line for line in text.splitlines() if line.startswith("boot to shell s"))
    assert boot.split()[-3:] == ["1.50", "-", "-"]
    assert "traps per second" not in text and "ids plist" not in text


def test_needs_the_boards_guests_build(bench: ModuleType, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench.paths, "BUILD", tmp_path)
    out = tmp_path / "versatilepb"
    with pytest.raises(bench.BenchError, match="no image or guest bundle"):
        bench.mamoru_build()
    out.mkdir()
    for name in ("mamoru.img", "guests.cpio"):
        (out / name).write_bytes(b"x")
    (out / ".config").write_text("CONFIG_BOARD_VERSATILEPB=y\n# CONFIG_GUESTS is not set\n")
    with pytest.raises(bench.BenchError, match="no CONFIG_GUESTS=y"):
        bench.mamoru_build()
    (out / ".config").write_text("CONFIG_BOARD_VERSATILEPB=y\nCONFIG_GUESTS=y\n")
    assert bench.mamoru_build() == (out / "mamoru.img", out / "guests.cpio")
