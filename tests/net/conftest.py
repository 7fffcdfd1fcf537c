# SPDX-License-Identifier: GPL-2.0-only
"""Fixtures of the network and storage tests: guest_profile, the default guest kernel's
IDS profile (session). Helpers are in mamoru.testing.net and mamoru.testing.telnet."""

from __future__ import annotations

import pytest

from mamoru import bundle, guest_assets
from mamoru.profile import Profile, decode


@pytest.fixture(scope="session")
def guest_profile() -> Profile:
    return decode(bundle.kernel_profile(guest_assets.cloud_kernel()))
