# SPDX-License-Identifier: GPL-2.0-only
"""Helpers of the network and storage tests (tests/net): the default guest's bundle, the
intruder's copy of the attack module, a telnet session to a target's guest."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from mamoru import bundle, guest_assets, paths
from mamoru.guest_assets import GUEST_PROMPT
from mamoru.guest_module import build_attack_module
from mamoru.testing.target import Target
from mamoru.testing.telnet import TelnetShell

STRIP = "aarch64-linux-gnu-strip"


def net_bundle() -> Path:
    """build/test-bundles/net.cpio: the default guest (its virtio modules and /init; no
    attack module in the initramfs: the intruder brings it), cached."""
    out = paths.BUILD / "test-bundles" / "net.cpio"
    if bundle.stale(out, bundle.bundle_inputs(guest_assets.cloud_kernel())):
        bundle.write_bundle(out, [bundle.default_guest()])
    return out


def intruder_module() -> bytes:
    """The attack module as an intruder would carry it: without its debug sections (a
    tenth of the size to type through the shell) when binutils for aarch64 are there."""
    ko = build_attack_module()
    strip = shutil.which(STRIP)
    if strip is None:
        return ko.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / ko.name
        subprocess.run([strip, "--strip-debug", "-o", str(out), str(ko)], check=True)
        return out.read_bytes()


def telnet(t: Target, timeout: float = 30.0) -> TelnetShell:
    """A shell on target's guest through its forwarded telnet port."""
    port = t.telnet_port
    if port is None:
        raise AssertionError(f"{t.label}: QEMU forwards no telnet port (board.toml net_device)")
    return TelnetShell("127.0.0.1", port, GUEST_PROMPT, timeout=timeout)
