# SPDX-License-Identifier: GPL-2.0-only
"""Fixtures of the ARMv5 patcher tests: the hand-assembled object (data/forms.S, built with
the cross gcc) and the real versatilepb vmlinux (mamoru.versatilekernel, built once and
cached; about 12 minutes when it is not)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from armv5_helpers import DATA, assemble


@pytest.fixture(scope="session")
def forms_obj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble(DATA / "forms.S", tmp_path_factory.mktemp("forms") / "forms.o")


@pytest.fixture(scope="session")
def vmlinux() -> Path:
    from mamoru import versatilekernel
    from mamoru.tinykernel import TinyKernelError

    try:
        k = versatilekernel.versatile_kernel()
    except TinyKernelError as e:
        pytest.fail(f"the versatilepb kernel could not be built: {e}", pytrace=False)
    print(f"armv5patch: {k.vmlinux}", file=sys.stderr)
    return k.vmlinux
