# SPDX-License-Identifier: GPL-2.0-only
"""Soak: guest0 under a busy workload for N minutes with `ids watch 1` running.

Not part of the default `./mamoru bench` run (it takes as long as asked):
  ./mamoru bench --only soak --minutes 60 [-- --board rpi4 --sample 30]

The guest runs, all at once: a CPU loop, process churn (fork/exec/exit), /proc readers
(`ps`, /proc/*/status) and file churn in its tmpfs. The hypervisor scans it every second
(`ids watch 1`). Every --sample seconds the hypervisor's shell must answer (else: a hang,
reported with the time it happened); the table shows the scans so far, the verdicts `ids
watch` reported (a healthy guest: one OK, no ALERT), the hypervisor heap (`meminfo`: used,
live blocks, failed allocations) and the guest's exits. At the end the guest must still
answer in its shell. Exit code 1 on a hang, a stalled watch, an ALERT or a failed allocation.
"""

from __future__ import annotations

import argparse
import re
import sys
import time

from guestbench import guest_under_mamoru

from mamoru.boards import select_configs
from mamoru.console import Console, ConsoleError, ConsoleTimeout

WORKLOAD = [
    "while :; do :; done &",                                         # CPU
    "while :; do sleep 0.05 & wait; /bin/true; done &",               # fork/exec/exit
    "while :; do ps > /dev/null; cat /proc/[0-9]*/status > /dev/null 2>&1; done &",
    "while :; do dd if=/dev/zero of=/tmp/soak bs=64k count=16 2>/dev/null; rm -f /tmp/soak;"
    " done &",                                                        # memory and files
]
WATCH_LINE = re.compile(r"\[ids watch\] guest0: (OK|ALERT \((\d+) findings?\)|cannot check)")
HEAP_KEYS = ("heap used", "heap free", "heap largest free")


def meminfo(c: Console) -> dict[str, int]:
    out = c.command("meminfo", timeout=30)
    info = {k: int(v) for k, v in re.findall(r"^(heap [a-z ]+): (\d+)$", out, re.M)}
    m = re.search(r"heap allocs: (\d+) frees: (\d+) failures: (\d+) live: (\d+)", out)
    assert m and all(k in info for k in HEAP_KEYS), out
    info.update(allocs=int(m.group(1)), frees=int(m.group(2)), failures=int(m.group(3)),
                live=int(m.group(4)))
    return info


def scans(c: Console) -> int:
    out = c.command("ids watch", timeout=30)
    m = re.search(r"(\d+) scans so far", out)
    assert m, out
    return int(m.group(1))


def exits(c: Console) -> int:
    regs = c.command("guest regs guest0", timeout=30)
    m = re.search(r"exits: sync (\d+) irq (\d+) mmio (\d+) hvc (\d+) wfi (\d+)", regs)
    return sum(int(x) for x in m.groups()) if m else -1


def listen(c: Console, seconds: float) -> None:
    """Reads the console (so its output never backs up) for this long."""
    try:
        c.settle(quiet=seconds, timeout=seconds)
    except ConsoleTimeout:
        pass          # it talked the whole time; the transcript has it


def soak(config_id: str, minutes: float, sample: float) -> int:
    config = select_configs([config_id])[0]
    problems: list[str] = []
    with guest_under_mamoru(config) as (q, g, boot_s):
        assert q.console is not None
        c = q.console
        g.run("dmesg -n 1")
        for job in WORKLOAD:
            g.write(job)
        g.run("true")
        workers = g.run("jobs | wc -l")
        g.detach()
        start_mem = meminfo(c)
        mark = c.mark()
        assert "checking guest0 every 1 s" in c.command("ids watch 1")
        t0 = time.monotonic()
        print(f"soak: {config.id}, guest up in {boot_s:.1f} s, {workers} workload jobs, "
              f"ids watch every 1 s, {minutes:g} min, a sample every {sample:g} s", flush=True)
        print(f"{'min':>6} {'scans':>7} {'scans/s':>8} {'OK':>4} {'ALERT':>6} {'findings':>9} "
              f"{'heap used':>10} {'live':>6} {'allocs':>9} {'fail':>5} {'answer s':>9} "
              f"{'guest exits':>12}", flush=True)
        last_scans, last_t = 0, t0
        peak_used = start_mem["heap used"]
        mem = start_mem
        n = 0
        while time.monotonic() - t0 < minutes * 60:
            listen(c, min(sample, max(0.0, minutes * 60 - (time.monotonic() - t0))))
            asked = time.monotonic()
            try:
                c.sync(timeout=30)
                answer = time.monotonic() - asked
                s, mem, ex = scans(c), meminfo(c), exits(c)
            except ConsoleError as e:
                problems.append(f"hang at {(asked - t0) / 60:.1f} min: the shell stopped "
                                f"answering ({str(e).splitlines()[0]})")
                break
            now = time.monotonic()
            verdicts = WATCH_LINE.findall(c.since(mark))
            oks = sum(v[0] == "OK" for v in verdicts)
            alerts = [v for v in verdicts if v[0].startswith("ALERT")]
            found = c.since(mark).count("\nfinding: ")
            peak_used = max(peak_used, mem["heap used"])
            rate = (s - last_scans) / max(now - last_t, 1e-6)
            n += 1
            print(f"{(now - t0) / 60:>6.1f} {s:>7} {rate:>8.2f} {oks:>4} {len(alerts):>6} "
                  f"{found:>9} {mem['heap used']:>10} {mem['live']:>6} {mem['allocs']:>9} "
                  f"{mem['failures']:>5} {answer:>9.2f} {ex:>12}", flush=True)
            if n > 1 and s == last_scans:
                problems.append(f"ids watch stalled at {(now - t0) / 60:.1f} min ({s} scans)")
            last_scans, last_t = s, now
        elapsed = time.monotonic() - t0
        if not problems:
            c.command("ids watch off")
            g.attach()
            if g.run("echo alive", timeout=60) != "alive":
                problems.append("the guest's shell did not answer at the end")
            g.detach()
        text = c.since(mark)
        alerts = len([v for v in WATCH_LINE.findall(text) if v[0].startswith("ALERT")])
        if alerts:
            problems.append(f"{alerts} ALERT report(s) from a guest nobody attacked")
        if mem["failures"] > start_mem["failures"]:
            problems.append(f"{mem['failures'] - start_mem['failures']} failed heap allocations")
        print(f"soak: {config.id}: {elapsed / 60:.1f} min, {last_scans} scans "
              f"({last_scans / max(elapsed, 1e-6):.2f}/s), {alerts} ALERT, heap used "
              f"{start_mem['heap used']} -> {mem['heap used']} bytes (peak {peak_used}), live "
              f"blocks {start_mem['live']} -> {mem['live']}, hang: "
              f"{'yes' if any(p.startswith('hang') for p in problems) else 'none'}", flush=True)
    for p in problems:
        print(f"soak: PROBLEM: {p}", flush=True)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="how long (60)")
    parser.add_argument("--board", action="append", default=[], metavar="NAME",
                        help="board configs (repeatable; default virt-gicv2)")
    parser.add_argument("--sample", type=float, default=30.0,
                        help="seconds between samples (30)")
    args = parser.parse_args()
    worst = 0
    for config in select_configs(args.board or ["virt-gicv2"]):
        worst = max(worst, soak(config.id, args.minutes, args.sample))
    return worst


if __name__ == "__main__":
    sys.exit(main())
