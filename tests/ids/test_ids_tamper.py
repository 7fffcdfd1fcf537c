# SPDX-License-Identifier: GPL-2.0-only
"""Issue 10: the IDS fails closed and sees what rootkits do besides the syscall table.

One guest per board configuration (KASLR on), attacked in turn by the project's attack module
and by the guest's own tracing facilities:

- one byte of linux_banner changed, together with three syscall-table hooks: the banner is a
  finding and the three hooks are still reported (one failed anchor must not blind the rest);
- the exception vectors redirected (VBAR_EL1 and this_cpu_vector) to a table of the module's;
- a kprobe and an ftrace callback registered through tracefs;
- process names with terminal escape sequences;
- a module hidden from the module list (its sysfs object stays): last, it cannot be undone.

Each attack that can be undone is undone (rmmod) and `ids check` must be OK again: the findings
come from the attack, not from the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from mamoru.guest_module import (
    HOOKED_HANDLER,
    HOOKED_SYSCALL,
    insmod_command,
    kallsyms_command,
    parse_kallsyms_address,
    runtime_address,
    runtime_sct,
)
from mamoru.guestshell import kill_command
from mamoru.testing.ids import (
    IdsGuest,
    fresh_ids,
    require_attack_module,
)

# The IDS features are the same on every board; two configurations keep the suite in
# budget (tests/ids/test_ids.py runs on all of them).
pytestmark = [pytest.mark.configs("virt-gicv2", "rpi3"),
              pytest.mark.xdist_group("ids-attack-pool")]   # one worker: the pool of conftest.py

MORE_SYSCALLS = (62, 79)      # lseek, newfstatat: hooked too, forwarding to the originals
CHECK_TIMEOUT = 60.0
TRACING = "/sys/kernel/tracing"


@pytest.fixture(scope="module")
def tamper_guest(attack_guest: IdsGuest) -> IdsGuest:
    """guest0 with the attack module, KASLR on, protection off: booted once per board for
    this module and test_ids_net.py (tests/ids/conftest.py, attack_guest)."""
    return attack_guest


@pytest.fixture
def tg(request: pytest.FixtureRequest, tamper_guest: IdsGuest) -> Iterator[IdsGuest]:
    with fresh_ids(tamper_guest, request.node) as g:  # type: ignore[arg-type]
        yield g
    # Whatever a failed test left behind must not fail the next one (a failure reboots; a
    # passing test may still leave tracing on): unload the module (unless it hid itself),
    # stop tracing.
    t = tamper_guest.target
    if not t.dirty and t.power.alive():
        in_guest(tamper_guest, f"rmmod mamoru_attack 2>/dev/null; t={TRACING}; "
                               "echo nop > $t/current_tracer 2>/dev/null; "
                               "echo 0 > $t/events/kprobes/enable 2>/dev/null; "
                               "echo > $t/kprobe_events 2>/dev/null; true")


def slide_base(g: IdsGuest) -> int:
    """The runtime address of the slide symbol, from the guest's /proc/kallsyms."""
    return parse_kallsyms_address(g.shell.run(kallsyms_command()))


def check(g: IdsGuest) -> list[str]:
    out = g.console.command("ids check", timeout=CHECK_TIMEOUT).splitlines()
    assert out and out[-1].startswith("ids: "), out
    return out


def findings(lines: list[str]) -> list[str]:
    return [x for x in lines if x.startswith("finding: ")]


def in_guest(g: IdsGuest, cmd: str, timeout: float = 60.0) -> str:
    g.shell.attach()
    try:
        return g.shell.run(cmd, timeout=timeout)
    finally:
        g.shell.detach()


def rmmod_and_expect_ok(g: IdsGuest) -> None:
    out = in_guest(g, "rmmod mamoru_attack; echo rc=$?")
    assert "rc=0" in out, out
    lines = check(g)
    assert lines[-1] == "ids: OK", lines


@pytest.mark.qemu
def test_clean_guest_is_ok(tg: IdsGuest) -> None:
    assert check(tg)[-1] == "ids: OK"
    assert tg.console.command("ids hooks", timeout=CHECK_TIMEOUT).splitlines()[-1] == "0 hooks"
    lsmod = tg.console.command("ids lsmod", timeout=CHECK_TIMEOUT)
    assert "finding" not in lsmod, lsmod


@pytest.mark.qemu
def test_banner_byte_does_not_blind_the_syscall_checks(tg: IdsGuest) -> None:
    g = tg.shell
    g.attach()
    require_attack_module(g)
    base = slide_base(tg)
    cmd = insmod_command(sct=runtime_sct(tg.profile, base), nr=HOOKED_SYSCALL,
                         more_nr=",".join(map(str, MORE_SYSCALLS)),
                         banner=runtime_address(tg.profile, base, "linux_banner"))
    out = g.run(cmd + "; echo rc=$?", timeout=60)
    assert "rc=0" in out, out
    # The guest's own view does not even change: /proc/version is formatted anew.
    assert g.run("cat /proc/version").startswith("Linux version ")
    g.detach()

    lines = check(tg)
    found = findings(lines)
    banner = [x for x in found if x.startswith("finding: kernel: TAMPERED: linux_banner:")]
    assert len(banner) == 1 and 'reads "linux version' in banner[0], lines
    # The integrity check sees the changed byte too (syscall slots are the syscall check's).
    changed = [x for x in found if x.startswith("finding: rodata linux_banner+0x0: ")]
    assert len(changed) == 1, lines
    hooked = {int(m.group(1)) for x in found
              if (m := re.match(r"finding: syscall\s+(\d+) 0x[0-9a-f]+ \?\s+HOOKED", x))}
    assert hooked == {HOOKED_SYSCALL, *MORE_SYSCALLS}, lines
    assert len(found) == 5 and lines[-1] == "ids: ALERT (5 findings)", lines
    assert HOOKED_HANDLER in "\n".join(found)
    # `ids banner` shows what the guest holds, and says it is not what the profile expects.
    banner_out = tg.console.command("ids banner")
    assert "linux version" in banner_out and "finding: kernel: TAMPERED" in banner_out

    # ids watch reports it unasked, as an ALERT with its findings, never "cannot check".
    c = tg.console
    c.command("ids watch 1")
    try:
        c.expect("[ids watch] guest0: ALERT (5 findings)", 30)
    finally:
        c.sync()
        assert c.command("ids watch off") == "ids watch: off"
    rmmod_and_expect_ok(tg)


@pytest.mark.qemu
def test_redirected_vectors_are_found(tg: IdsGuest) -> None:
    g = tg.shell
    g.attach()
    require_attack_module(g)
    base = slide_base(tg)
    addr = {name: runtime_address(tg.profile, base, name)
            for name in ("this_cpu_vector", "tramp_vectors", "tramp_pg_dir")}
    # Together with a syscall-table hook: both are reported.
    out = g.run(insmod_command(vbar=True, tcv=addr["this_cpu_vector"],
                               tramp_start=addr["tramp_vectors"], tramp_end=addr["tramp_pg_dir"],
                               sct=runtime_sct(tg.profile, base), nr=HOOKED_SYSCALL)
                + "; echo rc=$?", timeout=60)
    assert "rc=0" in out, out
    # The module's table branches to the kernel's entries: the guest keeps working.
    assert g.run("echo alive; ls /proc | grep -c .").startswith("alive")
    g.detach()
    # Wherever the vCPU stopped (kernel or user mode), what the kernel loads into VBAR_EL1
    # is the module's table: the KPTI trampoline's pointer (KASLR turns KPTI on), and
    # VBAR_EL1 itself while the vCPU is in the kernel.
    lines = check(tg)
    vec = [x for x in findings(lines) if re.match(
        r"finding: kernel: TAMPERED: (VBAR_EL1|this_cpu_vector|KPTI trampoline): ", x)]
    assert any(x.startswith("finding: kernel: TAMPERED: KPTI trampoline: ") for x in vec), lines
    assert all("outside kernel text" in x and "not the kernel's" in x for x in vec), lines
    hooked = [x for x in findings(lines) if x.startswith(f"finding: syscall {HOOKED_SYSCALL:4d}")]
    assert len(hooked) == 1 and "in module mamoru_attack" in hooked[0], lines
    # Anything else is the integrity check seeing the trampoline's changed pointer.
    others = [x for x in findings(lines) if x not in vec and x not in hooked]
    assert all(re.match(r"finding: (text|rodata) ", x) for x in others), lines
    assert lines[-1].startswith("ids: ALERT"), lines
    rmmod_and_expect_ok(tg)


@pytest.mark.qemu
def test_tracefs_kprobe_and_ftrace_are_reported(tg: IdsGuest) -> None:
    """The kernel's own kprobe and function tracers: what a hooking rootkit registers too."""
    tracing = TRACING
    out = in_guest(tg, f"mount -t tracefs nodev {tracing} 2>/dev/null; "
                       f"echo 'p:mamoru_probe {HOOKED_HANDLER}' > {tracing}/kprobe_events && "
                       f"echo 1 > {tracing}/events/kprobes/mamoru_probe/enable; echo rc=$?")
    assert out.endswith("rc=0"), out
    hooks = tg.console.command("ids hooks", timeout=CHECK_TIMEOUT)
    assert re.search(rf"^kprobe\s+{HOOKED_HANDLER}\s+handler \S+", hooks, re.M), hooks
    assert "HIDDEN" not in hooks, hooks             # the handler is kernel text
    lines = check(tg)
    assert any(x.startswith(f"finding: kprobe: {HOOKED_HANDLER} hooked") for x in lines), lines
    assert lines[-1].startswith("ids: ALERT"), lines
    in_guest(tg, f"echo 0 > {tracing}/events/kprobes/mamoru_probe/enable; "
                 f"echo > {tracing}/kprobe_events")
    assert check(tg)[-1] == "ids: OK"

    out = in_guest(tg, f"echo function > {tracing}/current_tracer; echo rc=$?")
    assert out.endswith("rc=0"), out
    try:
        hooks = tg.console.command("ids hooks", timeout=CHECK_TIMEOUT)
        assert re.search(r"^ftrace\s+traced functions\s+handler \S+", hooks, re.M), hooks
        lines = check(tg)
        assert any(x.startswith("finding: ftrace: ") for x in lines), lines
    finally:
        in_guest(tg, f"echo nop > {tracing}/current_tracer")
    assert check(tg)[-1] == "ids: OK"


@pytest.mark.qemu
def test_hostile_names_reach_the_operator_escaped(tg: IdsGuest) -> None:
    """A process named with terminal escape sequences must not drive the operator's terminal."""
    # Only a process may rename itself: a subshell does, then waits for its sleep.
    pid = int(in_guest(tg, r"(printf '\033[2J\033]0;x\007evil' > /proc/self/comm; sleep 1000; "
                           r"true) & echo $!"))
    try:
        out = tg.console.command("ids plist", timeout=CHECK_TIMEOUT)
        assert "\x1b" not in out and "\x07" not in out, repr(out[-500:])
        row = [x for x in out.splitlines() if re.match(rf"\s*{pid}\s", x)]
        assert row and row[0].endswith(r"\x1b[2J\x1b]0;x\x07evil"), row
    finally:
        in_guest(tg, kill_command([pid]))


@pytest.mark.qemu
def test_module_hidden_from_the_list_is_found(tg: IdsGuest) -> None:
    """Last: a module that unlinks itself cannot be unloaded."""
    g = tg.shell
    g.attach()
    require_attack_module(g)
    out = g.run(insmod_command(hide_self=True) + "; echo rc=$?", timeout=60)
    assert "rc=0" in out, out
    assert "mamoru_attack" not in g.run("cat /proc/modules")
    assert g.run("ls /sys/module/mamoru_attack >/dev/null && echo in-sysfs") == "in-sysfs"
    g.detach()
    lsmod = tg.console.command("ids lsmod", timeout=CHECK_TIMEOUT)
    assert re.search(r"^finding: module mamoru_attack at 0x[0-9a-f]+: HIDDEN \(not in the module "
                     r"list", lsmod, re.M), lsmod
    lines = check(tg)
    tg.target.mark_dirty()          # the hidden module stays: whoever comes next boots afresh
    assert lines[-1] == "ids: ALERT (1 finding)", lines
