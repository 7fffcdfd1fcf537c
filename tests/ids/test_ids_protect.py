# SPDX-License-Identifier: GPL-2.0-only
"""Issue 10: the hypervisor write-protects the guest kernel's read-only data in stage 2.

One boot per board configuration (KASLR on), protection armed by itself (quietly: `ids
protect status` says so) once the guest has booted. The attack module's sys_call_table write
(through a vmap alias, which the guest's own page tables allow) is refused and reported at
once on the console; with `ids protect off` the same write goes through, which proves the
refusal is the protection's doing. A reset disarms, and the new boot arms again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from mamoru.boards import BoardConfig
from mamoru.console import Console
from mamoru.guest_module import (
    GUEST_MODULE_PATH,
    HOOKED_SYSCALL,
    MODULE_NAME,
    attack_commands,
    kallsyms_command,
    parse_kallsyms_address,
    runtime_sct,
)
from mamoru.profile import Profile
from mamoru.testing import hardware, new_target
from mamoru.testing.ids import (
    GUEST_BOOT_TIMEOUT,
    IdsGuest,
    fresh_ids,
    ids_bundle,
    require_attack_module,
)

# The IDS features are the same on every board; two configurations keep the suite in
# budget (tests/ids/test_ids.py runs on all of them).
pytestmark = [pytest.mark.configs("virt-gicv3", "rpi4"), pytest.mark.kconfig("IDS_PROTECT")]

FINDING = re.compile(r"\[ids protect\] guest0: finding: write to (\S+) \(ipa (0x[0-9a-f]+)\) "
                     r"refused at pc (0x[0-9a-f]+) \(([^)]*)\)")
# The attack module's code: a listed module while it loads, or (init code, or hidden) memory
# no listed module owns.
ATTACKER = re.compile(rf"module {MODULE_NAME}\+0x[0-9a-f]+|memory no listed module owns")
SLOT = f"sys_call_table+{HOOKED_SYSCALL * 8:#x}"


def wait_for(c: Console, mark: int, pattern: re.Pattern[str], what: str, timeout: float,
             count: int = 1) -> list[re.Match[str]]:
    """Waits until pattern has matched count times in the transcript since mark."""
    c.wait_until(lambda _: len(pattern.findall(c.since(mark))) >= count, what, timeout)
    return list(pattern.finditer(c.since(mark)))


def without_reports(text: str) -> str:
    """The console text with the hypervisor's [ids protect] lines taken out (they are printed
    whole, between a newline and a newline, wherever the guest's output happens to be)."""
    return re.sub(r"\n\[ids protect\][^\n]*\n", "", text)


def wait_armed(c: Console, timeout: float) -> str:
    """Polls `ids protect status` until guest0 is armed; returns that status."""
    deadline = time.monotonic() + timeout
    while True:
        out = c.command("ids protect status")
        if out.startswith("guest0: armed: "):
            return out
        assert time.monotonic() < deadline, f"not armed after {timeout:g} s:\n{out}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def pguest(request: pytest.FixtureRequest, board_config: BoardConfig,
           guest_profile: Profile) -> Iterator[IdsGuest]:
    """Mamoru with guest0 booted (KASLR on) and protection armed; shared by the module.

    On a real board (--console) the guest is the SD card's (KASLR off, no attack module: the
    attack tests skip there)."""
    t = new_target(request, board_config, initrd=lambda: ids_bundle(True),
                   label=f"{board_config.id} protect", guest_init=["dmesg -n 1"],
                   # Armed by itself, once the kernel had made its read-only data read-only.
                   after_guest=[lambda t: wait_armed(t.console, 10)])
    try:
        yield IdsGuest(t, None, not hardware(request.config), guest_profile)
    finally:
        t.close()


@pytest.fixture
def p(request: pytest.FixtureRequest, pguest: IdsGuest) -> Iterator[IdsGuest]:
    with fresh_ids(pguest, request.node) as g:  # type: ignore[arg-type]
        yield g


def status(g: IdsGuest) -> dict[str, str]:
    """`ids protect status` as {"state": first line, "refused": n, "last": ...}."""
    out = g.console.command("ids protect status")
    lines = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("guest0: ")]
    assert len(lines) >= 2, out
    info = {"state": lines[0], "text": out}
    m = re.search(r"writes refused: (\d+)", out)
    assert m, out
    info["refused"] = m.group(1)
    m = re.search(r"last offender: (.*)", out)
    if m:
        info["last"] = m.group(1)
    return info


def sct_address(g: IdsGuest) -> int:
    return runtime_sct(g.profile, parse_kallsyms_address(g.shell.run(kallsyms_command())))


def hooked(g: IdsGuest) -> str:
    return g.console.command("ids syscall --hooked", timeout=60).splitlines()[-1]


def test_armed_by_itself_and_a_clean_guest_runs(p: IdsGuest) -> None:
    """Armed after boot; normal work (module load/unload, static keys, /proc) writes nothing."""
    st = status(p)
    assert st["state"].startswith("armed: "), st["text"]
    pages = int(re.search(r"(\d+) pages", st["state"]).group(1))  # type: ignore[union-attr]
    assert pages >= 2, st["text"]
    assert st["refused"] == "0", st["text"]
    mark = p.console.mark()
    g = p.shell
    g.attach()
    # A module that hooks nothing: loading it applies relocations, alternatives, jump labels
    # and ro_after_init to module memory, all next to the protected kernel data. (The SD
    # card's guest has no such module.)
    if g.run(f"test -e {GUEST_MODULE_PATH} && echo present") == "present":
        assert "rc=0" in g.run(f"insmod {GUEST_MODULE_PATH}; echo rc=$?")
        assert MODULE_NAME in g.run("cat /proc/modules")
        assert "rc=0" in g.run(f"rmmod {MODULE_NAME}; echo rc=$?")
    # Static keys toggled at run time (they patch kernel text, which stays writable).
    g.run("for v in 1 0 1 0; do echo $v > /proc/sys/kernel/sched_schedstats; done 2>&1; true")
    assert int(g.run("ls /proc | wc -l")) > 10
    assert len(g.run("cat /proc/kallsyms | wc -l")) > 0
    g.run("sleep 1")
    assert g.run("echo alive") == "alive"
    g.detach()
    assert "[ids protect]" not in p.console.since(mark)
    assert status(p)["refused"] == "0"
    assert p.console.command("ids check", timeout=60).splitlines()[-1] == "ids: OK"


def test_syscall_table_write_is_refused_and_reported(p: IdsGuest) -> None:
    g = p.shell
    mark = p.console.mark()
    g.attach()
    require_attack_module(g)
    sct = sct_address(p)
    out = g.run(attack_commands(sct, HOOKED_SYSCALL, hide_self=False) + "; echo rc=$?",
                timeout=60)
    assert "rc=0" in out, out                    # skipped, not faulted: the load succeeds
    # Reported at once, unasked, while the operator is still in the guest's console.
    m = wait_for(p.console, mark, FINDING, "the [ids protect] finding", 10)[0]
    target, ipa, pc, who = m.groups()
    assert target == SLOT, m.group(0)
    assert ATTACKER.fullmatch(who), m.group(0)
    assert int(pc, 16) >> 48 == 0xFFFF and int(ipa, 16) % 4096 == (sct + 8 * HOOKED_SYSCALL) % 4096
    # The guest is fine: its shell answers, the module is loaded, the table intact.
    assert g.run("echo alive") == "alive"
    assert MODULE_NAME in g.run("cat /proc/modules")
    g.detach()
    assert hooked(p) == "0 hooked entries"
    st = status(p)
    assert st["refused"] == "1" and st["last"].startswith(f"write to {SLOT}"), st["text"]
    # Unloading writes the slot again (its "restore"): refused too, the table stays intact.
    g.attach()
    assert "rc=0" in g.run(f"rmmod {MODULE_NAME}; echo rc=$?")
    g.detach()
    wait_for(p.console, mark, FINDING, "a second [ids protect] finding", 10, count=2)
    assert status(p)["refused"] == "2"
    assert hooked(p) == "0 hooked entries"


SUMMARY = re.compile(r"\[ids protect\] guest0: finding: (\d+) more writes? refused, not shown one "
                     r"by one \((\d+) in all\); the last: write to (\S+) \(ipa 0x[0-9a-f]+\) "
                     r"refused at pc 0x[0-9a-f]+ \([^)]*\)")
FLOOD_LOADS = 12


def test_a_flood_is_counted_and_summarised(p: IdsGuest) -> None:
    """Many refused writes in a row: a few finding lines, then summaries; every write counted.

    Summary lines come by time, so one may land in the middle of anything the console shows:
    the test reads past them (without_reports) and issues no command until every write has
    been accounted for (after that nothing more is printed)."""
    c = p.console
    before = int(status(p)["refused"])
    total = 2 * FLOOD_LOADS      # each load writes the slot, each unload writes it back
    g = p.shell
    g.attach()
    require_attack_module(g)
    sct = sct_address(p)
    load = attack_commands(sct, HOOKED_SYSCALL, hide_self=False)
    mark = c.mark()
    g.write(f"for i in $(seq {FLOOD_LOADS}); do {load} && rmmod {MODULE_NAME}; done; "
            "echo flood-''done")

    def accounted(_: str) -> bool:
        text = c.since(mark)
        return ("flood-done" in without_reports(text) and
                len(FINDING.findall(text)) + sum(int(m.group(1)) for m in SUMMARY.finditer(text))
                >= total)

    c.wait_until(accounted, "the flood's end and every write reported or summarised", 120)
    text = c.since(mark)
    lines = FINDING.findall(text)
    assert 0 < len(lines) < total, text          # not one line per write
    summaries = list(SUMMARY.finditer(text))
    assert summaries and all(m.group(3) == SLOT for m in summaries), text
    assert before < int(summaries[-1].group(2)) <= before + total
    assert g.run("echo alive") == "alive"
    g.detach()
    assert int(status(p)["refused"]) - before == total
    assert hooked(p) == "0 hooked entries"


def test_off_lets_the_write_through_and_on_arms_again(p: IdsGuest) -> None:
    """Without protection the same write hooks the table: the refusal above was its doing."""
    c = p.console
    p.shell.attach()
    require_attack_module(p.shell)
    p.shell.detach()
    assert c.command("ids protect off") == ("guest0: protection off: guest writes to its "
                                            "kernel's read-only data are allowed")
    assert status(p)["state"] == "off: disarmed with 'ids protect off'"
    before = int(status(p)["refused"])
    mark = c.mark()
    g = p.shell
    g.attach()
    out = g.run(attack_commands(sct_address(p), HOOKED_SYSCALL, hide_self=False) + "; echo rc=$?",
                timeout=60)
    assert "rc=0" in out, out
    g.detach()
    assert hooked(p) == "1 hooked entry"
    g.attach()
    assert "rc=0" in g.run(f"rmmod {MODULE_NAME}; echo rc=$?")     # puts the handler back
    g.detach()
    assert hooked(p) == "0 hooked entries"
    assert "[ids protect]" not in c.since(mark)
    assert int(status(p)["refused"]) == before
    out = c.command("ids protect on")
    assert re.fullmatch(r"guest0: armed: .* read-only in stage 2 \(\d+ pages\)", out), out
    assert status(p)["state"].startswith("armed: ")
    assert c.command("ids protect on").startswith("guest0: already armed")
    assert c.command("ids protect bogus") == "error: no guest 'bogus' (see 'guest list')"
    assert c.command("ids protect on guest0 extra").startswith("usage: ids ")
    assert c.command("ids protect status guest7") == "error: no guest 'guest7' (see 'guest list')"


def test_reset_and_halt_disarm_and_the_new_boot_arms_again(p: IdsGuest) -> None:
    c = p.console
    p.shell.attach()
    require_attack_module(p.shell)
    p.shell.detach()
    assert status(p)["state"].startswith("armed: ")
    c.command("guest reset guest0", timeout=90)   # reloading the images is slow under TCG
    # Right after the reset the kernel boots (and relocates itself) unprotected.
    assert status(p)["state"].startswith("not armed yet: waiting for the guest kernel to boot")
    wait_armed(c, GUEST_BOOT_TIMEOUT)
    # Halted: disarmed; started again: armed again once booted.
    c.command("guest halt guest0")
    assert status(p)["state"] == ("not armed: the guest is halted; it arms again once it has "
                                  "booted")
    c.command("guest kick guest0", timeout=90)
    wait_armed(c, GUEST_BOOT_TIMEOUT)
    # The new boot's table (at a new KASLR slide) is protected like the first one's.
    mark = c.mark()
    g = p.shell
    g.attach(GUEST_BOOT_TIMEOUT)
    g.run("dmesg -n 1")
    out = g.run(attack_commands(sct_address(p), HOOKED_SYSCALL, hide_self=False) + "; echo rc=$?",
                timeout=60)
    assert "rc=0" in out, out
    assert g.run("echo alive") == "alive"
    g.detach()
    m = wait_for(c, mark, FINDING, "the [ids protect] finding after the restart", 10)[0]
    assert m.group(1) == SLOT, m.group(0)
    assert hooked(p) == "0 hooked entries"
