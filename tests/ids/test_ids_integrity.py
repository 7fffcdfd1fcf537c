# SPDX-License-Identifier: GPL-2.0-only
"""Issue 10: kernel text and read-only data integrity (`ids integrity`, part of `ids check`).

Each module-scoped boot (per board config, KASLR off and on) runs these tests in order: clean
runs first (also after toggling static keys and loading/unloading a module), then an inline
text patch and a kprobe (both undone by unloading), then the combination with a syscall-table
hook.
"""

from __future__ import annotations

import json
import re

import pytest

from mamoru.guest_module import (
    HOOKED_HANDLER,
    HOOKED_SYSCALL,
    attack_commands,
    integrity_commands,
    kallsyms_command,
    parse_kallsyms_address,
    runtime_sct,
)
from mamoru.testing.ids import IdsGuest, require_attack_module

# The IDS features are the same on every board; two configurations keep the suite in
# budget (tests/ids/test_ids.py runs on all of them).
pytestmark = pytest.mark.configs("virt-gicv2", "rpi3")

SUMMARY = re.compile(r"^(\d+) integrity findings? \(\d+ KiB of text, \d+ KiB of rodata checked\)$")
# sysctls that flip a static key (a jump label) in this kernel: (file, flipped, default).
STATIC_KEY_SYSCTLS = [
    ("/proc/sys/kernel/sched_schedstats", 1, 0),     # sched_schedstats
    ("/proc/sys/kernel/timer_migration", 0, 1),      # timers_migration_enabled
]


def set_sysctls(g: IdsGuest, flipped: bool) -> str:
    cmds = [f"echo {on if flipped else off} > {f}" for f, on, off in STATIC_KEY_SYSCTLS]
    return g.shell.run("; ".join(cmds) + "; cat " + " ".join(f for f, _, _ in STATIC_KEY_SYSCTLS))


def integrity(g: IdsGuest) -> tuple[int, str]:
    out = g.console.command("ids integrity", timeout=120)
    m = SUMMARY.match(out.splitlines()[-1]) if out else None
    assert m, out[-3000:]
    return int(m.group(1)), out


def assert_clean(g: IdsGuest, when: str) -> None:
    n, out = integrity(g)
    assert n == 0, f"{when}:\n{out[-4000:]}"
    check = g.console.command("ids check", timeout=120)
    assert check.splitlines()[-1] == "ids: OK", f"{when}:\n{check[-4000:]}"


def test_clean_guest_is_intact(ids: IdsGuest) -> None:
    for run in range(2):
        assert_clean(ids, f"clean run {run}")
    out = ids.console.command("ids integrity --json", timeout=120)
    objs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [o["type"] for o in objs] == ["integrity_scan", "summary"], out
    scan, summary = objs
    assert summary["findings"] == 0 and summary["scan"] == "integrity", summary
    assert scan["text_bytes"] > 10 << 20 and scan["rodata_bytes"] > 5 << 20, scan
    # Every page once (a page shared by two checked ranges is read for each).
    assert abs(scan["pages"] * 4096 - scan["text_bytes"] - scan["rodata_bytes"]) < 8 * 4096, scan


def test_static_keys_and_modules_raise_no_alarm(ids: IdsGuest) -> None:
    g = ids.shell
    g.attach()
    require_attack_module(g)
    values = set_sysctls(ids, True).split()
    assert values == [str(on) for _, on, _ in STATIC_KEY_SYSCTLS], values
    g.detach()
    assert_clean(ids, "static keys on")
    g.attach()
    assert "rc=0" in g.run("insmod /lib/modules/mamoru_attack.ko; echo rc=$?")
    g.detach()
    assert_clean(ids, "module loaded")
    g.attach()
    assert "rc=0" in g.run("rmmod mamoru_attack; echo rc=$?")
    values = set_sysctls(ids, False).split()
    assert values == [str(off) for _, _, off in STATIC_KEY_SYSCTLS], values
    g.detach()
    assert_clean(ids, "module unloaded, static keys off")


def test_ftrace_hook_is_reported(ids: IdsGuest) -> None:
    """The kernel's own function tracer on one handler: an ftrace hook (lower severity: a
    rootkit using ftrace looks the same); switched off, the scan is clean again."""
    g = ids.shell
    t = "/sys/kernel/tracing"
    g.attach()
    out = g.run(f"mount -t tracefs nodev {t} 2>/dev/null; "
                f"echo {HOOKED_HANDLER} > {t}/set_ftrace_filter && "
                f"echo function > {t}/current_tracer; echo rc=$?")
    assert "rc=0" in out, out
    g.detach()
    try:
        n, text = integrity(ids)
    finally:
        g.attach()
        g.run(f"echo nop > {t}/current_tracer; echo > {t}/set_ftrace_filter")
        g.detach()
    assert n == 2, text
    assert re.search(rf"^finding: text {HOOKED_HANDLER}\+0x0: mov x9, x30; bl 0x[0-9a-f]+ "
                     r"\(ftrace, calls ftrace(_regs)?_caller\)$", text, re.M), text
    # ftrace's trampoline now calls the function tracer: where a rootkit's callback shows.
    assert re.search(r"^finding: text ftrace_call\+0x0: bl 0x[0-9a-f]+ \(ftrace callback, "
                     r"into kernel text function_trace_call\)$", text, re.M), text
    assert_clean(ids, "function tracer off")


def _load(ids: IdsGuest, args: str) -> str:
    g = ids.shell
    g.attach()
    require_attack_module(g)
    out = g.run(f"insmod /lib/modules/mamoru_attack.ko {args}; echo rc=$?", timeout=60)
    assert "rc=0" in out, out
    # The patched/probed handler still works: listing a directory goes through it.
    assert "bin" in g.run("ls /"), "getdents64 broken"
    calls = g.run("cat /sys/module/mamoru_attack/parameters/calls")
    g.detach()
    return calls


def _unload(ids: IdsGuest) -> None:
    g = ids.shell
    g.attach()
    assert "rc=0" in g.run("rmmod mamoru_attack; echo rc=$?", timeout=60)
    g.detach()


def test_inline_patch_is_detected(ids: IdsGuest) -> None:
    calls = _load(ids, integrity_commands(inline=True))
    try:
        _inline_findings(ids, calls)
    finally:
        _unload(ids)
    assert_clean(ids, "inline patch undone")


def _inline_findings(ids: IdsGuest, calls: str) -> None:
    assert int(calls) > 0, calls               # the trampoline ran
    n, out = integrity(ids)
    assert n >= 1, out
    assert re.search(rf"^finding: text {HOOKED_HANDLER}\+0x0: "
                     r"(b 0x[0-9a-f]+|adrp x16, 0x[0-9a-f]+; br x16) "
                     r"\(into module mamoru_attack\)$", out, re.M), out
    check = ids.console.command("ids check", timeout=120)
    assert check.splitlines()[-1].startswith("ids: ALERT"), check
    assert f"finding: text {HOOKED_HANDLER}+0x0:" in check, check


def test_kprobe_is_detected(ids: IdsGuest) -> None:
    calls = _load(ids, integrity_commands(kprobe=True))
    try:
        assert int(calls) > 0, calls
        n, out = integrity(ids)
    finally:
        _unload(ids)
    assert n == 1, out
    assert re.search(rf"^finding: text {HOOKED_HANDLER}\+0x[0-9a-f]+: brk #0x4 \(kprobe\)$",
                     out, re.M), out
    assert_clean(ids, "kprobe removed")


def test_every_hook_is_reported_together(ids: IdsGuest) -> None:
    """Inline patch + kprobe + syscall-table hook from a module that hides itself."""
    g = ids.shell
    g.attach()
    require_attack_module(g)
    sct = runtime_sct(ids.profile, parse_kallsyms_address(g.run(kallsyms_command())))
    cmd = attack_commands(sct, HOOKED_SYSCALL) + " " + integrity_commands(inline=True, kprobe=True)
    out = g.run(cmd + "; echo rc=$?", timeout=60)
    assert "rc=0" in out, out
    assert "bin" in g.run("ls /")
    g.detach()
    _, text = integrity(ids)
    print(text)                                  # shown with -rP: what an operator sees
    assert re.search(rf"^finding: text {HOOKED_HANDLER}\+0x0: .* \(into memory no listed module "
                     r"owns\)$", text, re.M), text
    assert re.search(r"^finding: text \S+\+0x[0-9a-f]+: brk #0x4 \(kprobe\)$", text, re.M), text
    assert re.search(r"^finding: rodata sys_call_table\+0x1e8: 0x[0-9a-f]{16} "
                     r"\(pointer into memory no listed module owns, "
                     rf"was {HOOKED_HANDLER}\)$", text, re.M), text
    check = ids.console.command("ids check", timeout=120)
    assert check.splitlines()[-1].startswith("ids: ALERT"), check
    assert f"finding: syscall {HOOKED_SYSCALL:4d}" in check, check
    assert f"finding: text {HOOKED_HANDLER}+0x0:" in check, check
    assert "(kprobe)" in check, check
    # The syscall-table slot is reported once, by the syscall check.
    assert "finding: rodata sys_call_table" not in check, check
