# SPDX-License-Identifier: GPL-2.0-only
"""./mamoru: build, run and test the Mamoru hypervisor. Every verb has --help."""

from __future__ import annotations

import argparse
import sys

from mamoru.verbs import VERBS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mamoru",
        description="Build, run and test the Mamoru hypervisor.",
        epilog="Run 'mamoru <verb> --help' for a verb's options.",
    )
    sub = parser.add_subparsers(dest="verb", metavar="<verb>", required=True)
    for name, module in VERBS.items():
        doc = (module.__doc__ or "").strip()
        summary = doc.splitlines()[0] if doc else name
        passthrough = getattr(module, "PASSTHROUGH", None)
        p = sub.add_parser(
            name,
            help=summary,
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,
            usage=f"%(prog)s [options] [{passthrough} ...]" if passthrough else None,
        )
        module.add_arguments(p)
        p.set_defaults(handler=module.main, passthrough_ok=bool(passthrough))
    args, rest = parser.parse_known_args(argv)
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if rest and not args.passthrough_ok:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.passthrough = rest
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("mamoru: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
