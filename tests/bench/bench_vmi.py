# SPDX-License-Identifier: GPL-2.0-only
"""Cost of guest introspection on the host build (optimized, no sanitizers): one kernel
virtual read (vmi_read_u64) and a full task walk, per task, with and without the per-page
translation cache.

Memory: a real RAM dump of Debian's arm64 cloud kernel booted under QEMU (KASLR on), or with
--fake the small synthetic guest of the hostile-memory tests (no QEMU). Run through
./mamoru bench, or with PYTHONPATH=tools.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from mamoru import paths

sys.path.insert(0, str(paths.ROOT / "tests" / "vmi"))

from vmi_pt import HOST_BIN, host_program


def inputs(tmp: Path, fake: bool) -> tuple[Path, Path, Path, str]:
    if fake:
        from vmi_fake import FakeGuest

        g = FakeGuest(ntasks=200)
        mem, regs, prof = g.write(tmp)
        return mem, regs, prof, "synthetic guest, 200 tasks"
    from vmi_guest import capture_guest, write_regs

    from mamoru import guest_assets

    k = guest_assets.debug_files(guest_assets.cloud_kernel())
    prof = tmp / "debian.profile"
    subprocess.run([str(paths.ROOT / "mamoru"), "profile", str(k.image), "--system-map",
                    str(k.system_map), "--config", str(k.config), "-o", str(prof)], check=True,
                   capture_output=True)
    cap = capture_guest(tmp, kaslr=True)
    return cap.dump, write_regs(tmp / "regs.txt", cap.regs), prof, f"Debian {k.version} dump"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fake", action="store_true", help="synthetic guest, no QEMU")
    parser.add_argument("--reads", type=int, default=2_000_000, help="reads to time")
    args, _ = parser.parse_known_args()
    host_program("vmi_tool")
    tool = HOST_BIN / "vmi_tool_fast"
    with tempfile.TemporaryDirectory() as t:
        mem, regs, prof, what = inputs(Path(t), args.fake)
        r = subprocess.run([str(tool), str(mem), "0x40000000", str(regs), str(prof), "bench",
                            str(args.reads)], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        print(f"bench_vmi: vmi_tool failed:\n{r.stdout}{r.stderr}", file=sys.stderr)
        return 1
    print(f"bench_vmi: {what}")
    for line in r.stdout.splitlines():
        w = line.split()
        if w[:2] == ["bench", "read_u64"] or w[:2] == ["bench", "read_u64_notlb"]:
            cache = "without" if "notlb" in w[1] else "with"
            print(f"  kernel virtual read (u64), {cache} translation cache: {int(w[2])} ns")
        elif w[0] == "bench" and w[1].startswith("task_walk"):
            cache = "without" if "notlb" in w[1] else "with"
            print(f"  task walk, {cache} translation cache: {int(w[2]) / 1000:.1f} us for "
                  f"{w[4]} tasks = {int(w[6])} ns per task")
    return 0


if __name__ == "__main__":
    sys.exit(main())
