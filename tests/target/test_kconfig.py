# SPDX-License-Identifier: GPL-2.0-only
"""Kconfig reaches the code, and configurations build side by side in their own folders.

A virt configuration without the `fault` command (CONFIG_CMD_FAULT off) is built into its
own output folder next to the default build/virt, booted, and checked: the command is gone
from that image only.
"""

from __future__ import annotations

import pytest

from mamoru import paths
from mamoru.boards import config_for
from mamoru.qemu import Qemu
from mamoru.testing.scons import scons

OUT = "build/test-configs/virt-nofault"


@pytest.mark.qemu
def test_config_option_off_in_its_own_output_folder() -> None:
    out = paths.ROOT / OUT
    out.mkdir(parents=True, exist_ok=True)
    (out / ".config").write_text("CONFIG_BOARD_QEMU_VIRT=y\n# CONFIG_CMD_FAULT is not set\n")
    build = scons("board=virt", f"out={OUT}")
    assert build.returncode == 0, build.stdout + build.stderr
    header = (out / "include" / "generated" / "config.h").read_text()
    assert "CONFIG_CMD_FAULT" not in header and "#define CONFIG_DRIVER_PL011 1" in header
    assert "CONFIG_CMD_FAULT=y" in (paths.BUILD / "virt" / ".config").read_text()

    with Qemu(config_for("virt", 2), image=out / "mamoru.img") as q:
        assert q.console is not None
        q.console.wait_prompt(30)
        help_text = q.console.command("help")
        listed = [line.split()[0] for line in help_text.splitlines() if line.strip()]
        assert "fault" not in listed and "version" in listed, listed
        unknown = "error: unknown command 'fault' (try 'help')"
        assert q.console.command("fault write-text") == unknown
    with Qemu(config_for("virt", 2)) as q:                    # the default build, untouched
        assert q.console is not None
        q.console.wait_prompt(30)
        assert "fault" in q.console.command("help fault")


SINGLE = {"rpi3": "build/test-configs/rpi3-nosmp", "virt": "build/test-configs/virt-nosmp"}


@pytest.mark.qemu
@pytest.mark.parametrize("board", sorted(SINGLE))
def test_smp_off_keeps_mamoru_on_the_boot_cpu(board: str) -> None:
    """Kconfig SMP off: the single-core build of before. The Pi's other cores sleep in the WFI
    park (they say they arrived), virt's stay off (PSCI), `cpus` lists the boot CPU alone and
    `cpus ping` has nobody to reach."""
    out = paths.ROOT / SINGLE[board]
    out.mkdir(parents=True, exist_ok=True)
    kconfig = {"rpi3": "BOARD_RPI3", "virt": "BOARD_QEMU_VIRT"}[board]
    (out / ".config").write_text(f"CONFIG_{kconfig}=y\n# CONFIG_SMP is not set\n")
    build = scons(f"board={board}", f"out={SINGLE[board]}")
    assert build.returncode == 0, build.stdout + build.stderr
    assert "CONFIG_SMP" not in (out / "include" / "generated" / "config.h").read_text()
    config = config_for(board, 2) if board == "virt" else config_for(board)
    with Qemu(config, image=out / "mamoru.img") as q:
        assert q.console is not None
        log = q.console.wait_prompt(30)
        cpus = q.console.command("cpus")
        ping = q.console.command("cpus ping")
    line = {"rpi3": "cpus: 4 in the device tree, Mamoru on the boot CPU; 3 parked in the "
                    "hypervisor (spin-table)",
            "virt": "cpus: 4 in the device tree, Mamoru on the boot CPU; the others off (psci)"}
    assert line[board] in log, log
    rows = [r for r in cpus.splitlines() if r.strip() and r.split()[0].isdigit()]
    assert len(rows) == 1 and "online" in rows[0] and "(this CPU)" in rows[0], cpus
    assert ping.strip() == "cpus: no other CPU online", ping
