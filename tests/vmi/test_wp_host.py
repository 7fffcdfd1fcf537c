# SPDX-License-Identifier: GPL-2.0-only
"""Stage-2 write protection's pure C on the host (tests/vmi/host/wp_test.c, sanitizers on):
block splitting with break-before-make and permission changes (arch/arm/cpu/arm64/stage2_pt.c), the
pages `ids protect` protects, how it names them and its report rate limit
(commands/ids/protect_plan.c)."""

from __future__ import annotations

import subprocess

from vmi_pt import host_program

from mamoru.testing.hostcheck import SAN_ENV, checks_passed


def test_wp_host() -> None:
    r = subprocess.run([str(host_program("wp_test"))], capture_output=True, text=True,
                       env=SAN_ENV, timeout=60, check=False)
    checks_passed(r, "wp_test", 50, only=True)
