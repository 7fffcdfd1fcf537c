# SPDX-License-Identifier: GPL-2.0-only
"""The portable code reaches the CPU side only through the arch interface headers.

core/, commands/ and emulators/ compile for any board: they may include the headers that
arch/arm/include/arch/ offers them (INTERFACE), never the CPU's private ones (system
registers, the vGIC's internals, trap decoding...). Each CPU architecture brings its own
struct arch_guest in arch/arm/cpu/<arch>/include/arch/guest_arch.h (PER_ARCH), which the
build puts first on the include path. core/ names no emulated device.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PORTABLE = ("core", "commands", "emulators")
# What a second CPU architecture must provide under its own include path.
INTERFACE = {"cpu.h", "guest_arch.h", "guest_irq.h", "guest_regs.h", "guest_setup.h",
             "guest_walk.h", "vcpu_run.h"}
PER_ARCH = {"guest_arch.h"}
ARCHES = ("arm64", "arm32")
INCLUDE = re.compile(r'^\s*#\s*include\s*<arch/([^>]+)>', re.M)


def portable_sources() -> list[Path]:
    return [p for d in PORTABLE for p in (ROOT / d).rglob("*") if p.suffix in (".c", ".h")]


def test_portable_code_includes_only_arch_interface_headers() -> None:
    sources = portable_sources()
    assert len(sources) > 50
    wrong = {f"{p.relative_to(ROOT)}: <arch/{h}>" for p in sources
             for h in INCLUDE.findall(p.read_text()) if h not in INTERFACE}
    assert not wrong, "private arch headers in portable code:\n" + "\n".join(sorted(wrong))


def test_interface_headers_exist() -> None:
    for h in INTERFACE - PER_ARCH:
        assert (ROOT / "arch/arm/include/arch" / h).is_file(), h
    for h in PER_ARCH:
        assert not (ROOT / "arch/arm/include/arch" / h).exists(), f"{h} is per architecture"
        for arch in ARCHES:
            assert (ROOT / f"arch/arm/cpu/{arch}/include/arch" / h).is_file(), (arch, h)


def test_core_reaches_guest_setup_through_the_interface() -> None:
    """core/ creates guests through arch/guest_setup.h: no stage 2 or vCPU calls of its own."""
    direct = re.compile(r"\b(stage2_\w+|vcpu_reset|S2_IPA_BITS)\b")
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "core").rglob("*.[ch]")
            for n, line in enumerate(p.read_text().splitlines(), 1) if direct.search(line)]
    assert not hits, hits


def test_core_names_no_emulated_device() -> None:
    devices = re.compile(r'"arm,pl011"|"arm,cortex-a15-gic"|"arm,gic-400"|\bvpl011_|\bvgic_')
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "core").rglob("*.[ch]")
            for n, line in enumerate(p.read_text().splitlines(), 1) if devices.search(line)]
    assert not hits, hits
