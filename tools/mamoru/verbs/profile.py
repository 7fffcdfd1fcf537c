# SPDX-License-Identifier: GPL-2.0-only
"""Make a guest kernel profile for the IDS, or show one.

  ./mamoru profile vmlinux -o guest.profile                 (ELF with DWARF, or .BTF;
                                                             arm64 ELF64 or 32-bit ARM ELF32)
  ./mamoru profile vmlinuz --system-map System.map -o guest.profile   (raw arm64 Image + BTF)
  ./mamoru profile --show guest.profile [--text]

A System.map-<release> and config-<release> next to vmlinuz-<release> are used when not given.
The format is documented in docs/profile-format.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mamoru.profile import ProfileError, build_profile, decode, encode, show_lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kernel", type=Path,
                        help="vmlinux ELF (arm64 or 32-bit ARM) or raw arm64 Image; with "
                        "--show: the profile")
    parser.add_argument("--system-map", type=Path, metavar="F",
                        help="System.map for a raw Image (not the image package's placeholder)")
    parser.add_argument("--config", type=Path, metavar="F",
                        help="the kernel's .config (VA bits, page size, ...; derived otherwise)")
    parser.add_argument("--no-syscall-table", dest="syscall_table", action="store_false",
                        help="leave out the expected sys_call_table entries (sct.<n>) when "
                             "the kernel's relocations cannot be found")
    parser.add_argument("-o", "--output", type=Path, metavar="F", help="profile to write")
    parser.add_argument("--show", action="store_true", help="print a profile as text")
    parser.add_argument("--text", action="store_true", help="with --show: list text symbols")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print notes, timings and the profile size")


def show(path: Path, text: bool) -> int:
    try:
        prof = decode(path.read_bytes())
    except OSError as e:
        print(f"profile: cannot read {path}: {e.strerror}", file=sys.stderr)
        return 1
    for line in show_lines(prof, text=text):
        print(line)
    return 0


def make(args: argparse.Namespace) -> int:
    if args.output is None:
        print("profile: give -o FILE (or --show PROFILE)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    result = build_profile(args.kernel, args.system_map, args.config, args.syscall_table)
    t1 = time.perf_counter()
    data = encode(result.profile)
    args.output.write_bytes(data)
    t2 = time.perf_counter()
    if args.verbose:
        for note in result.notes:
            print(f"profile: {note}")
        steps = ", ".join(f"{k} {v:.3f}s" for k, v in result.timings.items())
        print(f"profile: timings: {steps}; encode+write {t2 - t1:.3f}s")
        print(f"profile: {args.output}: {len(data)} bytes, {len(result.profile.values)} keys, "
              f"{len(result.profile.text)} text symbols, types from {result.source}, "
              f"{t2 - t0:.2f}s in all")
    return 0


def main(args: argparse.Namespace) -> int:
    try:
        return show(args.kernel, args.text) if args.show else make(args)
    except ProfileError as e:
        print(f"profile: {e}", file=sys.stderr)
        return 1
