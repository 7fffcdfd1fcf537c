# SPDX-License-Identifier: GPL-2.0-only
"""Tests of the downloaded guest assets (Debian's arm64 cloud kernel, busybox).

The first run downloads about 22 MB (the kernel and busybox) into the cache
($MAMORU_CACHE or ~/.cache/mamoru); later runs only read it.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "assets: downloads (once, cached) and checks the default guest's kernel and initramfs",
    )
