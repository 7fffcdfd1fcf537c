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
