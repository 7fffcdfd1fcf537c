# SPDX-License-Identifier: GPL-2.0-only
"""A second Debian kernel series next to the default: guest_assets.cloud_kernel(series=...)
finds the newest build of the series through its versioned metapackage, like the default
kernel through linux-image-cloud-arm64, and caches it the same way."""

from __future__ import annotations

import time

import pytest

from mamoru import guest_assets


def test_612_series_is_cached_and_newest() -> None:
    k = guest_assets.cloud_kernel(series="6.12")
    assert k.version.startswith("6.12.") and k.version.endswith("-cloud-arm64"), k.version
    guest_assets.check_arm64_image(k.image)
    assert k.config is not None and k.config.is_file()
    assert k.version != guest_assets.cloud_kernel().version
    t0 = time.perf_counter()
    again = guest_assets.cloud_kernel(series="6.12")
    assert time.perf_counter() - t0 < 0.2 and again == k


def test_unknown_series_is_refused() -> None:
    with pytest.raises(guest_assets.GuestAssetError, match=r"no kernel series '5.10'"):
        guest_assets.cloud_kernel(series="5.10", refresh=True)
