# SPDX-License-Identifier: GPL-2.0-only
"""Moved to mamoru.testing.ids; this name stays importable for tests written against it."""

from mamoru.testing.ids import (
    GUEST_BOOT_TIMEOUT,
    IdsGuest,
    fresh_ids,
    ids_bundle,
    protection_off,
    require_attack_module,
)

__all__ = ["GUEST_BOOT_TIMEOUT", "IdsGuest", "fresh_ids", "ids_bundle", "protection_off",
           "require_attack_module"]
