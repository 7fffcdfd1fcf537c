# SPDX-License-Identifier: GPL-2.0-only
"""Fixtures for the host unit tests: one `scons host` build per session and
the DTB fixtures compiled from tests/unit/data/*.dts."""
import subprocess
from pathlib import Path

import pytest
from hostprog import DATA

from mamoru.testing.hostcheck import build_host


@pytest.fixture(scope="session")
def host_build() -> Path:
    """Builds the host programs once; returns build/host."""
    return build_host()


@pytest.fixture(scope="session")
def dtb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every tests/unit/data/*.dts compiled with dtc, as <name>.dtb."""
    out = tmp_path_factory.mktemp("dtb")
    for dts in sorted(DATA.glob("*.dts")):
        subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o",
                        str(out / (dts.stem + ".dtb")), str(dts)], check=True)
    return out
