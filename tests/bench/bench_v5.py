# SPDX-License-Identifier: GPL-2.0-only
"""The versatilepb Linux guest under Mamoru (issue 15) against the same kernel on bare QEMU.

Boots the versatile 6.1 kernel (a) unpatched, directly on `qemu-system-arm -M versatilepb
-m 256` (its raw Image, the bundle's guest tree and initramfs, placed where the hypervisor
places them; same command line) and (b) patched, as guest0 under Mamoru (a GUESTS build)
with the versatilepb guest bundle. For each: boot to the guest's shell prompt, then shell
loops timed inside the guest (busybox `time`), by the host's wall clock and by the QEMU
process's CPU time (the steadier measure on a shared machine); under Mamoru
also the traps per second while the guest is idle and while it runs each loop (the
hypervisor's own counters: `guest list`'s exits, `guest regs`'s traps by kind) and the cost
of `ids plist` with N extra tasks in the guest. One run of each; prints a table with the
ratios Mamoru / bare. Run through ./mamoru bench --only v5 [--no-build] [-- --quick].
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from guestbench import busybox_time

from mamoru import bundle, paths, versatile_guest, versatilekernel
from mamoru.boards import config_for
from mamoru.console import BANNER_RE, Console
from mamoru.guest_assets import GUEST_PROMPT
from mamoru.guestshell import GuestShell, clean
from mamoru.plainqemu import StdioQemu
from mamoru.qemu import Qemu

# -- what is measured ------------------------------------------------------------------------

# name -> (what it does, the loop body; $N is its iteration count)
LOOPS: dict[str, tuple[str, str]] = {
    "arith": ("shell arithmetic, no system calls",
              "i=0; while [ $i -lt $N ]; do i=$((i+1)); done"),
    "syscall": ("echo > /dev/null: open/write/close, no fork",
                "i=0; while [ $i -lt $N ]; do echo x > /dev/null; i=$((i+1)); done"),
    "exec": ("fork + exec of an applet (ls)",
             "i=0; while [ $i -lt $N ]; do ls /proc/version > /dev/null; i=$((i+1)); done"),
}
# Iterations: under Mamoru a system call costs a few hundred times what it does on bare
# QEMU, and so does a fork + exec; these keep each loop around a minute there (the whole run
# about 10 minutes on a loaded 2-core machine; --quick about 5).
FULL_COUNTS = {"arith": 30000, "syscall": 400, "exec": 15}
QUICK_COUNTS = {"arith": 10000, "syscall": 100, "exec": 5}

# The counters `guest regs` prints on arm32: "traps: svc N (+M fast) undef N pabt N dabt N
# irq N; emulated N, mmio N" and "shadow: faults N fills N ...". svc is the full SVC traps,
# fast the SVC fast path's (guest_trap.S): together with undef, pabt, dabt and irq they
# make `guest list`'s exits. emulated (instructions), mmio (device accesses) and fills
# (shadow page table fills) count what the traps did.
TRAP_KINDS = ("fast", "svc", "undef", "pabt", "dabt", "irq", "emulated", "mmio", "fills")
_REGS_ORDER = ("svc", "fast", "undef", "pabt", "dabt", "irq", "emulated", "mmio")
PLIST_RUNS = 3      # ids plist: the best of this many at each task count


@dataclass
class LoopTime:
    guest_s: float     # busybox `time` in the guest (the guest's clock)
    host_s: float      # the host's wall clock between the shell's two markers
    cpu_s: float       # the QEMU process's CPU time (user + system) in that interval


@dataclass
class Side:
    """One environment's boot and loop times."""

    boot_s: float                          # QEMU start -> the guest's shell prompt
    boot_cpu_s: float                      # the QEMU process's CPU time by then
    prompt_s: float | None = None          # QEMU start -> Mamoru's prompt (Mamoru only)
    loops: dict[str, LoopTime] = field(default_factory=dict)


@dataclass
class TrapRate:
    """The hypervisor's counters over `seconds` of host time while the guest did `what`."""

    what: str
    seconds: float
    exits: int
    kinds: dict[str, int]
    cpu_s: float = 0.0      # the QEMU process's CPU time over those seconds

    def per_s(self, n: int) -> float:
        return n / self.seconds if self.seconds > 0 else 0.0


@dataclass
class PlistPoint:
    extra: int          # `sleep` tasks started in the guest
    listed: int         # processes `ids plist` listed
    wall_s: float       # `ids plist` as seen on the console (scan and printing), best run
    held_s: float       # how long it held the guest (--json summary's stopped_us), best run


@dataclass
class Results:
    bare: Side | None = None
    mamoru: Side | None = None
    counts: dict[str, int] = field(default_factory=dict)
    traps: list[TrapRate] = field(default_factory=list)
    plist: list[PlistPoint] = field(default_factory=list)
    load: list[tuple[str, tuple[float, float, float]]] = field(default_factory=list)


# -- parsing (pure) --------------------------------------------------------------------------

def guest_exits(guest_list: str, guest: str = "guest0") -> int:
    """The exits column of `guest list` for guest."""
    m = re.search(rf"^{guest}\s+\S+\s+\d+ MiB\s+\d+\s+(\d+)", guest_list, re.M)
    if m is None:
        raise ValueError(f"no {guest} in guest list:\n{guest_list}")
    return int(m.group(1))


def trap_counters(regs: str) -> dict[str, int]:
    """The arm32 trap and shadow MMU counters of `guest regs`."""
    m = re.search(r"traps: svc (\d+) \(\+(\d+) fast\) undef (\d+) pabt (\d+) dabt (\d+) "
                  r"irq (\d+); emulated (\d+), mmio (\d+)", regs)
    if m is None:
        raise ValueError(f"no trap counters in guest regs:\n{regs}")
    out = dict(zip(_REGS_ORDER, (int(x) for x in m.groups()), strict=True))
    s = re.search(r"shadow: faults \d+ fills (\d+)", regs)
    out["fills"] = int(s.group(1)) if s else 0
    return out


def plist_summary(out: str) -> tuple[int, float]:
    """(processes listed, guest-held seconds) from `ids plist --json` output."""
    objs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    if not objs or objs[-1].get("type") != "summary":
        raise ValueError(f"no summary in ids plist --json output:\n{out[-500:]}")
    return sum(o["type"] == "process" for o in objs), objs[-1]["stopped_us"] / 1e6


def per_task_ms(points: list[PlistPoint], attr: str = "wall_s") -> float | None:
    """The least-squares slope of attr against the processes listed, in ms per task
    (None with fewer than two distinct process counts)."""
    xs = [float(p.listed) for p in points]
    ys = [getattr(p, attr) * 1e3 for p in points]
    if len(set(xs)) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return (sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
            / sum((x - mx) ** 2 for x in xs))


# -- the report (pure) -----------------------------------------------------------------------

def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "-"


def _num(x: float | None, fmt: str = ".2f") -> str:
    return "-" if x is None else format(x, fmt)


def format_report(r: Results) -> str:
    """The whole table, as printed."""
    lines = [f"load average {when}: {a:.2f} {b:.2f} {c:.2f} ({os.cpu_count()} CPUs)"
             for when, (a, b, c) in r.load]
    bare, mam = r.bare, r.mamoru
    lines += ["", f"{'measure':<40} {'bare QEMU':>10} {'Mamoru':>10} {'ratio':>6}"]

    def row(label: str, b: float | None, m: float | None) -> None:
        lines.append(f"{label:<40} {_num(b):>10} {_num(m):>10} {_ratio(m, b):>6}")

    row("boot to shell s (from QEMU start)", bare and bare.boot_s, mam and mam.boot_s)
    row("boot to shell, QEMU CPU s", bare and bare.boot_cpu_s, mam and mam.boot_cpu_s)
    if mam and mam.prompt_s is not None:
        row("  QEMU start -> Mamoru's prompt s", None, mam.prompt_s)
        row("  Mamoru's prompt -> guest's shell s", None, mam.boot_s - mam.prompt_s)
    notes = []
    for name, (what, body) in LOOPS.items():
        b = bare.loops.get(name) if bare else None
        m = mam.loops.get(name) if mam else None
        if b is None and m is None:
            continue
        n = r.counts.get(name, 0)
        row(f"{name} x{n}, host wall s", b and b.host_s, m and m.host_s)
        row(f"{name} x{n}, QEMU CPU s", b and b.cpu_s, m and m.cpu_s)
        row(f"{name} x{n}, guest's clock s", b and b.guest_s, m and m.guest_s)
        notes.append(f"  {name}: {what}: sh -c '{body.replace('$N', str(n))}'")
    if notes:
        lines += ["loops (busybox `time` in the guest; host wall clock between the shell's "
                  "markers):", *notes]
    if r.traps:
        lines += ["", "Mamoru's traps per second (host wall clock): exits = all traps "
                  "(fast + svc + undef + pabt + dabt + irq);",
                  "fast = SVC fast path, svc = full SVC traps; emulated, mmio, fills = "
                  "what the traps did",
                  "QEMU CPU % = the QEMU process's CPU time / wall time; us/exit = that CPU "
                  "time per exit",
                  f"{'guest doing':<22} {'s':>5} {'CPU %':>6} {'us/exit':>7} {'exits/s':>8} "
                  + " ".join(f"{k:>8}" for k in TRAP_KINDS)]
        for t in r.traps:
            per_exit = t.cpu_s * 1e6 / t.exits if t.exits else 0.0
            lines.append(f"{t.what:<22} {t.seconds:>5.1f} {t.per_s(t.cpu_s) * 100:>6.0f} "
                         f"{per_exit:>7.0f} {t.per_s(t.exits):>8.0f} "
                         + " ".join(f"{t.per_s(t.kinds.get(k, 0)):>8.0f}" for k in TRAP_KINDS))
    if r.plist:
        lines += ["", f"ids plist on Mamoru's console (best of {PLIST_RUNS}): console = the "
                  "command with its output, held = guest stopped",
                  f"{'extra tasks':>11} {'listed':>7} {'console ms':>11} {'held ms':>8} "
                  f"{'console ms/task':>16}"]
        for p in r.plist:
            lines.append(f"{p.extra:>11} {p.listed:>7} {p.wall_s * 1e3:>11.1f} "
                         f"{p.held_s * 1e3:>8.1f} {p.wall_s * 1e3 / max(p.listed, 1):>16.2f}")
        wall, held = per_task_ms(r.plist), per_task_ms(r.plist, "held_s")
        lines.append(f"per task (least-squares slope over the listed counts): console "
                     f"{_num(wall, '.2f')} ms, held {_num(held, '.3f')} ms")
    return "\n".join(lines)


# -- running shells --------------------------------------------------------------------------

def process_cpu_s(pid: int) -> float:
    """A process's CPU time so far (user + system, all its threads), from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()     # from field 3 (state) on
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Clock:
    """Wall time and the QEMU process's CPU time, read together. The CPU time is the
    steadier measure on a shared machine: other jobs stretch the wall clock, not it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.wall0, self.cpu0 = time.monotonic(), process_cpu_s(pid)

    def read(self) -> tuple[float, float]:
        """(wall s, CPU s) since this Clock was made."""
        return time.monotonic() - self.wall0, process_cpu_s(self.pid) - self.cpu0


class Shell(Protocol):
    def timed(self, cmd: str, timeout: float) -> tuple[str, float, float]:
        """Runs cmd in the guest's shell: (its output, host wall s, QEMU CPU s)."""
        ...


_marks = iter(range(1, 1 << 30))


def _framed(cmd: str) -> tuple[str, str, str]:
    """The line to type and the two markers around cmd's output ("@@"b1@@ typed, so the
    echoed line never contains the marker as printed)."""
    n = next(_marks)
    return f'echo "@@"b{n}@@; {cmd}; echo "@@"e{n}@@', f"@@b{n}@@", f"@@e{n}@@"


def loop_command(name: str, count: int) -> str:
    return "time sh -c '" + LOOPS[name][1].replace("$N", str(count)) + "'"


def run_loops(sh: Shell, counts: dict[str, int]) -> dict[str, LoopTime]:
    out = {}
    for name, n in counts.items():
        text, host, cpu = sh.timed(loop_command(name, n), timeout=900)
        out[name] = LoopTime(busybox_time(text), host, cpu)
        print(f"  {name} x{n}: guest {out[name].guest_s:.2f} s, host {host:.2f} s, "
              f"QEMU CPU {cpu:.2f} s", flush=True)
    return out


# -- bare QEMU -------------------------------------------------------------------------------

INITRD_GPA = 0x0200_0000     # as tests/arm32/bundle: the initramfs at 32 MiB,
DTB_GPA = 0x0600_0000 - (2 << 20)   # the tree in the top 2 MiB of the guest's 96 MiB
BOOT_STUB = (0xE3A00000,     # mov r0, #0
             0xE3E01000,     # mvn r1, #0          no machine number: boot by device tree
             0xE59F2000,     # ldr r2, [pc, #0]    the tree (word at 0x10)
             0xE59FF000)     # ldr pc, [pc, #0]    the Image (word at 0x14)


class StdioShell:
    """The guest's shell on bare QEMU's serial console."""

    def __init__(self, q: StdioQemu) -> None:
        self.q = q

    def timed(self, cmd: str, timeout: float) -> tuple[str, float, float]:
        line, beg, end = _framed(cmd)
        self.q.send(line)
        b = self.q.expect(re.escape(beg) + r"\r?\n", timeout)
        clock = Clock(self.q.proc.pid)
        e = self.q.expect(re.escape(end), timeout)
        host, cpu = clock.read()
        self.q.expect(re.escape(GUEST_PROMPT), 30)
        text = e.string[b.end():e.start()]
        return text.replace("\r", ""), host, cpu


def run_bare(counts: dict[str, int], bundle_path: Path, tmp: Path) -> Side:
    """The unpatched Image on plain QEMU, with the guest tree and initramfs of the bundle
    Mamoru boots, placed as the hypervisor places them (QEMU's own -kernel would put a raw
    Image at 0x10000: PHYS_OFFSET not 2 MiB aligned)."""
    k = versatilekernel.versatile_kernel()
    guest = bundle.read_bundle(bundle_path)["guest0"]
    if bundle.image_release(guest["kernel"]) != k.version:
        raise BenchError(f"{bundle_path}'s kernel is not the cached {k.version}: "
                         "./mamoru build --board versatilepb")
    dtb, initrd, stub = tmp / "guest.dtb", tmp / "initrd.cpio", tmp / "stub.bin"
    dtb.write_bytes(guest["dtb"])
    initrd.write_bytes(guest["initrd"])
    for prop, value in (("linux,initrd-start", INITRD_GPA),
                        ("linux,initrd-end", INITRD_GPA + len(guest["initrd"]))):
        subprocess.run(["fdtput", "-t", "x", str(dtb), "/chosen", prop, f"{value:x}"],
                       check=True)
    stub.write_bytes(struct.pack("<6I", *BOOT_STUB, DTB_GPA, versatile_guest.IMAGE_GPA))
    argv = ["qemu-system-arm", "-M", "versatilepb", "-m", "256M", "-audio", "none",
            "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
            "-device", f"loader,file={stub},addr=0",
            "-device", f"loader,file={k.image},addr={versatile_guest.IMAGE_GPA:#x}",
            "-device", f"loader,file={initrd},addr={INITRD_GPA:#x}",
            "-device", f"loader,file={dtb},addr={DTB_GPA:#x}"]
    print("bare QEMU: booting the unpatched kernel", flush=True)
    start = time.monotonic()
    with StdioQemu(argv) as q:
        q.expect(re.escape(GUEST_PROMPT), 300)
        side = Side(time.monotonic() - start, process_cpu_s(q.proc.pid))
        print(f"  shell after {side.boot_s:.2f} s (QEMU CPU {side.boot_cpu_s:.2f} s)",
              flush=True)
        sh = StdioShell(q)
        sh.timed("dmesg -n 1", 30)
        side.loops = run_loops(sh, counts)
    return side


# -- Mamoru ----------------------------------------------------------------------------------

class BenchError(RuntimeError):
    """Something the benchmark needs is missing; one line."""


def mamoru_build() -> tuple[Path, Path]:
    """(image, guest bundle) of the board's own build (GUESTS is on in its defconfig)."""
    out = paths.BUILD / "versatilepb"
    image, cpio, config = out / "mamoru.img", out / "guests.cpio", out / ".config"
    if not (image.is_file() and cpio.is_file() and config.is_file()):
        raise BenchError(f"{out} has no image or guest bundle: ./mamoru build --board "
                         "versatilepb (./mamoru bench builds it unless --no-build)")
    if "CONFIG_GUESTS=y" not in config.read_text():
        raise BenchError(f"{config} has no CONFIG_GUESTS=y: Mamoru there runs no guest")
    return image, cpio


class MamoruShell:
    """The guest's shell through `vserial bind guest0` on Mamoru's console."""

    def __init__(self, g: GuestShell, pid: int) -> None:
        self.g = g
        self.pid = pid

    def timed(self, cmd: str, timeout: float) -> tuple[str, float, float]:
        c = self.g.console
        line, beg, end = _framed(cmd)
        c.write(line + "\r")
        c.expect(re.compile(re.escape(beg) + r"\r?\n"), timeout, fail_on=[BANNER_RE])
        clock = Clock(self.pid)
        c.expect(end, timeout, fail_on=[BANNER_RE])
        host, cpu = clock.read()
        text = clean(c.before)
        c.expect(GUEST_PROMPT, 30, fail_on=[BANNER_RE])
        return text, host, cpu


@contextmanager
def mamoru_guest() -> Iterator[tuple[Console, MamoruShell, Side]]:
    """(console, guest shell, Side with the boot times) of Mamoru with guest0 at its shell."""
    image, cpio = mamoru_build()
    print(f"Mamoru: booting {image.relative_to(paths.ROOT)} with "
          f"{cpio.relative_to(paths.ROOT)}", flush=True)
    with Qemu(config_for("versatilepb"), initrd=cpio, image=image) as q:
        assert q.console is not None and q.proc is not None
        q.console.wait_prompt(120)
        prompt = time.monotonic() - q.started_at
        g = GuestShell(q.console)
        shown = g.attach(900)
        side = Side(shown - q.started_at, process_cpu_s(q.proc.pid), prompt)
        print(f"  Mamoru's prompt after {prompt:.2f} s, the guest's shell after "
              f"{side.boot_s:.2f} s (QEMU CPU {side.boot_cpu_s:.2f} s)", flush=True)
        yield q.console, MamoruShell(g, q.proc.pid), side


def sample(console: Console, pid: int, what: str, seconds: float) -> TrapRate:
    """The counters' growth over `seconds` with the console detached from the guest."""
    def read() -> tuple[float, float, int, dict[str, int]]:
        exits = guest_exits(console.command("guest list", timeout=30))
        kinds = trap_counters(console.command("guest regs guest0", timeout=30))
        return time.monotonic(), process_cpu_s(pid), exits, kinds

    t0, c0, e0, k0 = read()
    time.sleep(seconds)
    t1, c1, e1, k1 = read()
    rate = TrapRate(what, t1 - t0, e1 - e0, {k: k1[k] - k0[k] for k in k1}, c1 - c0)
    print(f"  {what}: {rate.per_s(rate.exits):.0f} exits/s, QEMU CPU "
          f"{rate.per_s(rate.cpu_s) * 100:.0f} %", flush=True)
    return rate


def run_mamoru(r: Results, counts: dict[str, int], plist_counts: list[int],
               sample_s: float) -> None:
    with mamoru_guest() as (console, sh, side):
        g = sh.g
        sh.timed("dmesg -n 1", 60)
        side.loops = run_loops(sh, counts)
        r.mamoru = side
        g.detach()
        time.sleep(2)
        r.traps.append(sample(console, sh.pid, "idle at its shell", sample_s))
        for name in counts:
            g.attach(60)
            body = LOOPS[name][1].replace("$N", "1000000000")
            pid = sh.timed(f"sh -c '{body}' > /dev/null 2>&1 & echo bg=$!", 60)[0]
            m = re.search(r"bg=(\d+)", pid)
            assert m, pid
            g.detach()
            r.traps.append(sample(console, sh.pid, f"busy: {name} loop", sample_s))
            g.attach(60)
            sh.timed(f"kill {m.group(1)}; wait", 60)
            g.detach()
        running = 0
        for n in plist_counts:
            if n > running:
                g.attach(60)
                sh.timed(f"for i in $(seq {n - running}); do sleep 100000 & done", 900)
                g.detach()
                running = n
            walls, helds, listed = [], [], 0
            for _ in range(PLIST_RUNS):
                start = time.monotonic()
                console.command("ids plist", timeout=300)
                walls.append(time.monotonic() - start)
                listed, held = plist_summary(console.command("ids plist --json", timeout=300))
                helds.append(held)
            wall = min(walls)
            r.plist.append(PlistPoint(n, listed, wall, min(helds)))
            print(f"  ids plist with {n} extra tasks: {listed} listed, {wall * 1e3:.0f} ms",
                  flush=True)


# -- main ------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="shorter loops, 5 s trap samples, ids plist with 0 and 10 tasks")
    parser.add_argument("--side", choices=("bare", "mamoru"), default=None,
                        help="run one side only (no ratios)")
    parser.add_argument("--plist", default=None, metavar="N,N,...",
                        help="extra guest tasks for ids plist (default 0,10,25: each costs a "
                        "fork + exec, seconds under Mamoru)")
    parser.add_argument("--sample", type=float, default=None, metavar="S",
                        help="seconds per traps-per-second sample (default 10)")
    args = parser.parse_args(argv)
    args.counts = dict(QUICK_COUNTS if args.quick else FULL_COUNTS)
    plist = args.plist or ("0,10" if args.quick else "0,10,25")
    args.plist_counts = sorted({int(n) for n in plist.split(",")})
    if args.sample is None:
        args.sample = 5.0 if args.quick else 10.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    r = Results(counts=args.counts)
    r.load.append(("at start", os.getloadavg()))
    try:
        _, cpio = mamoru_build()          # before anything is measured
        if args.side != "mamoru":
            with tempfile.TemporaryDirectory() as tmp:
                r.bare = run_bare(args.counts, cpio, Path(tmp))
        if args.side != "bare":
            run_mamoru(r, args.counts, args.plist_counts, args.sample)
    except BenchError as e:
        print(f"bench_v5: {e}", file=sys.stderr)
        return 1
    r.load.append(("at end", os.getloadavg()))
    print(format_report(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
