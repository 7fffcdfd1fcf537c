# SPDX-License-Identifier: GPL-2.0-only
"""Every source file names its licence (SPDX) and the LICENSE file is there."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = re.compile(r"(\.(c|h|S|ld|dts|py|toml)|SConscript|SConstruct|Kconfig|Kbuild"
                    r"|requirements\.txt)$")


def test_license_file() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 2" in text


def test_every_source_file_has_spdx() -> None:
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True,
                             check=True).stdout.split()
    sources = [f for f in tracked if SOURCE.search(f) or f in ("mamoru", ".ci/run")]
    assert len(sources) > 200
    missing = [f for f in sources if (ROOT / f).exists()
               and "SPDX-License-Identifier:" not in (ROOT / f).read_text()[:400]]
    assert not missing, f"no SPDX-License-Identifier line: {missing}"
