# SPDX-License-Identifier: GPL-2.0-only
"""One module per ./mamoru verb; each has add_arguments(parser) and main(args) -> int."""

from types import ModuleType

from mamoru.verbs import (
    bench,
    build,
    bundle,
    menuconfig,
    patch_guest,
    profile,
    run,
    sdcard,
    setup,
    test,
)

VERBS: dict[str, ModuleType] = {
    "setup": setup,
    "build": build,
    "menuconfig": menuconfig,
    "run": run,
    "test": test,
    "bench": bench,
    "sdcard": sdcard,
    "profile": profile,
    "patch-guest": patch_guest,
    "bundle": bundle,
}
