# SPDX-License-Identifier: GPL-2.0-only
"""mamoru.guest_stats reads `guest stats` output (core/guest_stats.c) as the tests and the
benchmark see it: kinds, detail rows, devices; anything else is an error."""

import pytest

from mamoru.guest_stats import GuestStatsError, parse

ARM64 = """guest0: 2.500 s counted (since its boot or --clear), 2.000 s in the guest (80%)
exits                       count        per s
total                        5000         2000
  device (mmio)              3000         1200
  system register              10            4
  hvc/smc (psci)                2            0
  wfi/wfe                     988          395
  other sync                    0            0
  irq                        1000          400
  serror                        0            0
device accesses             reads       writes        per s
  gicv2-dist@8000000          100           50           60
  pl011@9000000                20         2830         1140
aborts injected             count        per s
  bad accesses                 12            4
"""

V5 = """guest0: 0.000 s counted (since its boot or --clear), 0.000 s in the guest (0%)
exits                       count        per s
total                          12            -
  svc (patched insn)            4            -
  svc fast path                 6            -
  undefined insn                2            -
    insns emulated              2            -
  prefetch abort                0            -
  data abort                    0            -
    device accesses             0            -
  irq                           0            -
  other                         0            -
device accesses             reads       writes        per s
  vic@10140000                  0            0            -
"""


def test_arm64_rows() -> None:
    s = parse(ARM64)
    assert (s.guest, s.seconds, s.in_guest, s.total) == ("guest0", 2.5, 2.0, 5000)
    assert sum(s.kinds.values()) == s.total and s.kinds["wfi/wfe"] == 988
    assert s.devices == {"gicv2-dist@8000000": (100, 50), "pl011@9000000": (20, 2830)}
    assert s.per_second(s.kinds["irq"]) == 400.0
    assert s.bad_accesses == 12


def test_detail_rows_and_no_time() -> None:
    s = parse(V5)
    assert s.details == {"insns emulated": 2, "device accesses": 0}
    assert "insns emulated" not in s.kinds and sum(s.kinds.values()) == s.total == 12
    assert s.seconds == 0 and s.per_second(12) == 0.0
    assert s.devices == {"vic@10140000": (0, 0)}


@pytest.mark.parametrize("text", ["", "error: no guest named guest9",
                                  ARM64.splitlines()[0] + "\n"])
def test_not_guest_stats(text: str) -> None:
    with pytest.raises(GuestStatsError):
        parse(text)
