# SPDX-License-Identifier: GPL-2.0-only
"""Test-side helpers of Mamoru's suite, split by job:

  target.py    the Target state machine (off -> hypervisor prompt -> guest shell), at_state,
               new_target (QEMU or --console), Launcher and qemu_target
  backends.py  power and console backends: QEMU, a real board on a serial line
  plugin.py    the pytest plugin: options, markers, reports, the real board's backends
  kconfig.py   the `kconfig` marker's reading of build/<board>/.config
  guest.py     guest bundle helpers; ids.py the IDS tests' guest and bundles;
               guest_irqs.py a guest's /proc/interrupts
  report.py    console transcripts in failure reports; options.py --board/--console
  cli.py       running ./mamoru as a user would
  fuzz.py      libFuzzer run lengths; hostcheck.py the host C test programs' check output

Everything tests used to import from `mamoru.testing` is still importable from here.
"""

from mamoru.testing.backends import BoardPower, QemuPower, QemuSerial, SerialLine
from mamoru.testing.cli import Run, mamoru_cli
from mamoru.testing.options import hardware, selected_configs
from mamoru.testing.report import (
    REPORTS,
    WATCHED,
    failed,
    printable,
    transcript_section,
    watch,
)
from mamoru.testing.target import (
    BOOT_TIMEOUT,
    GUEST_BOOT_TIMEOUT,
    Launcher,
    State,
    Target,
    at_state,
    in_guest,
    module_target,
    new_target,
    qemu_target,
)

__all__ = [
    "BOOT_TIMEOUT",
    "GUEST_BOOT_TIMEOUT",
    "REPORTS",
    "WATCHED",
    "BoardPower",
    "Launcher",
    "QemuPower",
    "QemuSerial",
    "Run",
    "SerialLine",
    "State",
    "Target",
    "at_state",
    "failed",
    "hardware",
    "in_guest",
    "mamoru_cli",
    "module_target",
    "new_target",
    "printable",
    "qemu_target",
    "selected_configs",
    "transcript_section",
    "watch",
]
