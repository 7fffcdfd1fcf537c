# SPDX-License-Identifier: GPL-2.0-only
"""Patch a 32-bit ARM guest kernel for software virtualization on ARMv5 (versatilepb).

  ./mamoru patch-guest vmlinux -o Image [--report FILE] [--json]
  ./mamoru patch-guest module.ko -o module.patched.ko

Every sensitive instruction in the code ($a regions) of the executable sections becomes an
SVC whose immediate encodes it (docs/armv5-patching.md). A vmlinux gives the raw Image
(`objcopy -O binary` with the patched words), a module (.ko, relocatable) a patched .ko.
Words without a compact encoding go to a side table written to OUT.sidetab. The report
(per-kind and per-section counts, skipped regions) goes to stdout or --report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mamoru.armv5patch.elfscan import PatchError
from mamoru.armv5patch.patcher import (
    dumps_json,
    patch_bytes,
    report_dict,
    report_text,
    side_table_bytes,
    write_atomic,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="vmlinux (ELF32 ARM) or kernel module (.ko)")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT",
                        help="raw Image (from a vmlinux) or patched .ko (from a module)")
    parser.add_argument("--report", type=Path, metavar="FILE",
                        help="write the report here instead of stdout")
    parser.add_argument("--json", action="store_true",
                        help="report as JSON (with every site and the side table)")
    parser.add_argument("--side-table", type=Path, metavar="FILE",
                        help="where the side table goes when there is one "
                             "(default OUT.sidetab)")


def main(args: argparse.Namespace) -> int:
    try:
        data = args.input.read_bytes()
    except OSError as e:
        print(f"patch-guest: cannot read {args.input}: {e.strerror}", file=sys.stderr)
        return 1
    try:
        res = patch_bytes(data)
    except PatchError as e:
        print(f"patch-guest: {args.input}: {e}", file=sys.stderr)
        return 1
    report = (dumps_json(report_dict(res, str(args.input))) if args.json
              else report_text(res, str(args.input)))
    side = args.side_table or args.output.with_name(args.output.name + ".sidetab")
    try:
        write_atomic(args.output, res.output)
        if res.side_table:
            write_atomic(side, side_table_bytes(res.side_table))
        elif side.exists() and args.side_table is None:
            side.unlink()  # a stale table from an earlier run would not match
        if args.report:
            write_atomic(args.report, report.encode())
    except OSError as e:
        print(f"patch-guest: cannot write: {e}", file=sys.stderr)
        return 1
    if not args.report:
        sys.stdout.write(report)
    return 0
