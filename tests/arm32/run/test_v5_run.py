# SPDX-License-Identifier: GPL-2.0-only
"""A real Linux guest under Mamoru on versatilepb (issue 15, the integration): the versatile
6.1 kernel, patched, boots in USR mode on the shadow tables to its busybox shell.

One QEMU boot for the module (the guest takes minutes under TCG): the board's own build
(its defconfig has GUESTS on) and its guest bundle, build/versatilepb/guests.cpio (what
`./mamoru build --board versatilepb` writes: mamoru.versatile_guest). What it checks:
the guest's boot log through the emulated PL011 (`vserial dump`), its shell through `vserial
bind`, that touching the hypervisor's memory or a host device from the guest faults inside
the guest and is reported on the hypervisor's console, the IDS commands against the guest's
own view, the attack module (mamoru.versatile_module, in the bundle's initramfs) and what
the IDS reports of it, pause/resume and reset.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mamoru import versatile_guest, versatilekernel
from mamoru.boards import BoardConfig
from mamoru.guest_module import (
    GUEST_MODULE_PATH,
    MODULE_NAME,
    attack_commands,
    kallsyms_command,
    link_address,
    parse_kallsyms_address,
    runtime_sct,
)
from mamoru.guest_stats import parse as parse_guest_stats
from mamoru.guestshell import GuestShell
from mamoru.profile import Profile, decode
from mamoru.testing import Target, at_state
from mamoru.testing.guest import bundle_for
from mamoru.testing.target import qemu_target
from mamoru.versatile_module import HOOKED_HANDLER, HOOKED_SYSCALL, SLIDE_SYMBOL
from mamoru.versatile_testprogs import COW_GUEST_PATH

RUN_INIT = "Run /init as init process"
GUEST_SHELL_TIMEOUT = 900.0      # boot to shell: 2-3 minutes, more under load
# A guest shell command: seconds, but the guest stalls for 30 s and more when the host is
# loaded (seen with a load average of 5.7 on 2 cores).
GUEST_CMD_TIMEOUT = 120.0

pytestmark = pytest.mark.guests("arm32")


@pytest.fixture(scope="module")
def v5(board_config: BoardConfig) -> Iterator[Target]:
    # Kernel messages off the console once the shell is up: a late one ("random: crng init
    # done") landed in the middle of a command's output.
    t = qemu_target(board_config, initrd=bundle_for(board_config), guest_init=["dmesg -n 1"])
    t.guest_timeout = GUEST_SHELL_TIMEOUT
    t.guest_command_timeout = GUEST_CMD_TIMEOUT
    t.sync_timeout = 30.0       # the shell answers between the guest's time slices
    try:
        t.boot()
        yield t
    finally:
        t.close()


def _dump(t: Target) -> str:
    return t.console.command("vserial dump guest0 16384", timeout=30)


def test_guest_prints_its_banner(request: pytest.FixtureRequest, v5: Target) -> None:
    """The kernel's boot log reaches the emulated PL011: its banner and machine."""
    with at_state(v5, request.node) as t:  # type: ignore[arg-type]
        deadline = time.monotonic() + 300
        log = _dump(t)
        while "Machine model: ARM Versatile PB" not in log and time.monotonic() < deadline:
            time.sleep(2)
            log = _dump(t)
        assert re.search(r"Linux version 6\.1\.\S+-mamoru-versatile", log), log[-2000:]
        assert "CPU: ARM926EJ-S [41069265]" in log
        assert "Machine model: ARM Versatile PB" in log


def test_guest_reaches_its_shell(request: pytest.FixtureRequest, v5: Target) -> None:
    """`vserial bind guest0` reaches busybox's shell and real commands run there."""
    with at_state(v5, request.node, guest=True) as t:  # type: ignore[arg-type]
        g: GuestShell = t.shell
        g.attach()
        assert g.run("echo hello-$((6 * 7))") == "hello-42"
        assert "6.1." in g.run("uname -r")
        assert "Versatile" in g.run("cat /proc/cpuinfo")
        g.detach()


# Above the guest's 96 MiB: host RAM (the hypervisor's heap and pages live up there); the
# host's second SP804 (timers 2 and 3): not one of the guest's devices. One test for both:
# as two parametrized tests pytest ran the second after the reset test, on a fresh boot.
OUT_OF_REACH = {"hypervisor memory": 0x0F000000, "host device": 0x101E3000}


def test_guest_cannot_reach_the_host(request: pytest.FixtureRequest, v5: Target) -> None:
    """A read of memory that is not the guest's faults inside the guest (busybox's devmem
    dies of SIGBUS) and the hypervisor reports it; the guest runs on."""
    with at_state(v5, request.node, guest=True) as t:  # type: ignore[arg-type]
        g: GuestShell = t.shell
        for what, address in OUT_OF_REACH.items():
            start = t.console.mark()
            g.attach()
            g.run("[ -e /dev/mem ] || mknod /dev/mem c 1 1")   # in case /dev is not devtmpfs
            out = g.run(f"devmem 0x{address:08x} 32; echo rc=$?")
            assert "rc=135" in out or "Bus error" in out, (what, out)   # 128 + SIGBUS
            assert g.run("echo still-here") == "still-here"
            g.detach()
            log = t.console.command("guest list", timeout=10)
            assert "running" in log
            report = re.search(rf"guest0: read of nothing at guest-physical 0x{address:x}",
                               t.console.since(start))
            assert report, f"no report of the {what} access"


def test_ids_banner_is_the_guests_proc_version(request: pytest.FixtureRequest, v5: Target) -> None:
    """`ids banner` reads linux_banner from the live guest's memory: /proc/version."""
    with at_state(v5, request.node, guest=True) as t:  # type: ignore[arg-type]
        g: GuestShell = t.shell
        g.attach()
        # (a kernel message on the console may come first: "hrtimer: interrupt took ...")
        out = g.run("cat /proc/version")
        g.detach()
        version = next((x for x in out.splitlines() if x.startswith("Linux version")), out)
        banner = t.console.command("ids banner", timeout=60).strip()
        assert version.startswith("Linux version 6.1.")
        assert banner == version


def test_ids_plist_is_the_guests_process_list(request: pytest.FixtureRequest, v5: Target) -> None:
    """`ids plist` walks the live guest's task list: the PIDs and names /proc shows."""
    with at_state(v5, request.node, guest=True) as t:  # type: ignore[arg-type]
        g: GuestShell = t.shell
        g.attach()
        # Shell builtins only: no process of its own shows up in the list.
        listing = g.run("for p in /proc/[0-9]*; do read n < $p/comm; echo ${p#/proc/} $n; done")
        g.detach()
        # (kernel messages on the console may come in between)
        guest = {int(m.group(1)): m.group(2)
                 for m in re.finditer(r"^(\d+) (\S+)$", listing, re.M)}
        assert guest.get(1) == "init", listing
        out = t.console.command("ids plist", timeout=120)
        ids = {int(m.group(1)): m.group(2).strip("[]")
               for m in re.finditer(r"^\s*(\d+)\s+\d+\s+\d+\s+\S+\s+(\S+)\s*$", out, re.M)}
        assert ids.get(1) == "init" and "sh" in ids.values(), out
        lasting = {p: n for p, n in guest.items() if not n.startswith("kworker")}
        assert {p: ids.get(p) for p in lasting} == lasting, out


def test_ids_syscall_is_the_guests_kallsyms(request: pytest.FixtureRequest, v5: Target) -> None:
    """`ids syscall` reads sys_call_table from the live guest: its entries are the addresses
    /proc/kallsyms gives those functions, nothing is hooked, and `ids check` is clean."""
    with at_state(v5, request.node, guest=True) as t:  # type: ignore[arg-type]
        out = t.console.command("ids syscall", timeout=120)
        table = {name: int(addr, 16) for nr, addr, name in
                 re.findall(r"^\s*(\d+) 0x([0-9a-f]{8}) (\w+)\s*$", out, re.M)}
        assert re.search(r"^0 hooked entries", out, re.M), out[-500:]
        names = ["sys_exit", "sys_read", "sys_write", "sys_execve", "sys_getpid"]
        assert all(n in table for n in names), out[:1000]
        g: GuestShell = t.shell
        g.attach()
        syms = g.run("grep -E ' T (" + "|".join(names) + ")$' /proc/kallsyms")
        g.detach()
        guest = {name: int(addr, 16) for addr, name in
                 re.findall(r"^([0-9a-f]{8}) T (\w+)$", syms, re.M)}
        assert guest == {n: table[n] for n in names}, syms
        check = t.console.command("ids check", timeout=120)
        assert "ids: OK" in check, check


def _exits(t: Target) -> int:
    m = re.search(r"^guest0\s+\S+\s+\d+ MiB\s+\d+\s+(\d+)", t.console.command("guest list"), re.M)
    assert m, "no guest0 in guest list"
    return int(m.group(1))


def test_pause_and_resume(request: pytest.FixtureRequest, v5: Target) -> None:
    """A paused guest does not run (its exit count stands still); resumed, its shell answers."""
    with at_state(v5, request.node, guest=True) as t:  # type: ignore[arg-type]
        assert "paused" in t.console.command("guest pause guest0")
        before = _exits(t)
        time.sleep(3)
        assert _exits(t) == before
        assert "paused" in t.console.command("guest list")
        t.console.command("guest resume guest0")
        g: GuestShell = t.shell
        g.attach()
        assert g.run("echo resumed") == "resumed"
        g.detach()
        assert _exits(t) > before


def test_guest_regs_and_dumpmem(request: pytest.FixtureRequest, v5: Target) -> None:
    """`guest regs` shows the ARMv5 vCPU (the virtual CPSR's mode, cp15 state, the trap
    counts); `guest dumpmem` reads guest-physical memory, within the guest's RAM only."""
    with at_state(v5, request.node, guest=True) as t:  # type: ignore[arg-type]
        regs = t.console.command("guest regs guest0")
        assert re.search(r"guest0: pc 0x[0-9a-f]{8}  cpsr 0x[0-9a-f]{8} \(virtual \w+ mode\)",
                         regs), regs
        ttbr = re.search(r"ttbr 0x([0-9a-f]{8})", regs)
        c1 = re.search(r"c1 0x([0-9a-f]{8})", regs)
        assert ttbr and c1, regs
        assert int(c1.group(1), 16) & 1, "the guest kernel runs with its MMU on"
        assert int(ttbr.group(1), 16) & ~0x3FFF, regs
        assert re.search(r"traps: svc \d+ \(\+\d+ fast\)", regs), regs
        # The guest's level 1 table, through its TTBR: 16 bytes of descriptors.
        table = int(ttbr.group(1), 16) & ~0x3FFF
        dump = t.console.command(f"guest dumpmem guest0 {table:#x} 32")
        assert dump.startswith(f"{table:016x}:") and len(dump.splitlines()) == 2, dump
        ram_end = 96 << 20                                   # the bundle's guest RAM
        assert "outside guest0's RAM" in t.console.command(
            f"guest dumpmem guest0 {ram_end - 16:#x} 32")
        assert "outside guest0's RAM" in t.console.command("guest dumpmem guest0 0x10000000 16")
        assert "at most 4096" in t.console.command("guest dumpmem guest0 0 5000")


def test_guest_stats_count_the_v5_traps(request: pytest.FixtureRequest, v5: Target) -> None:
    """`guest stats` on ARMv5: the exits by vector (and the SVC fast path) add up to the total;
    the guest's console UART (a PL011, emulated) takes a write per byte it prints."""
    with at_state(v5, request.node, guest=True) as t:  # type: ignore[arg-type]
        t.console.command("guest stats guest0 --clear")
        g: GuestShell = t.shell
        g.attach()
        n = 2000
        assert g.run(f"head -c {n} /dev/zero | tr '\\0' y; echo") == "y" * n
        g.detach()
        s = parse_guest_stats(t.console.command("guest stats guest0"))
        assert s.total == sum(s.kinds.values()) and s.kinds["svc fast path"] > 0, s
        assert 0 < s.in_guest <= s.seconds, s
        assert s.details["device accesses"] >= n, s
        uart = [w for d, (_, w) in s.devices.items() if d.startswith("pl011@")]
        assert len(uart) == 1 and uart[0] >= n, s.devices



def test_the_guest_kernel_keeps_copy_on_write(request: pytest.FixtureRequest,
                                              v5: Target) -> None:
    """A child process has the guest kernel write (read() from a pipe) into a page it still
    shares copy-on-write with its parent. The kernel writes user memory with STRT, which
    must fault on the read-only page as on hardware so that the child gets a copy: the
    parent keeps its data. (User read-only pages once went into a shadow MiB that the
    guest kernel's view made a manager domain, where nothing checks STRT.) The program,
    tests/arm32/run/cow_strt.c, is in the bundle's initramfs (mamoru.versatile_testprogs)."""
    with at_state(v5, request.node, guest=True) as t:  # type: ignore[arg-type]
        g: GuestShell = t.shell
        g.attach()
        out = g.run(COW_GUEST_PATH, timeout=60)
        g.detach()
        assert out == "parent: parent-data child-ok", out


# -- the attack module (mamoru.versatile_module, in the guest's initramfs) ------------------


@pytest.fixture(scope="module")
def v5_profile() -> Profile:
    """The versatile guest's IDS profile (the one in the bundle; cached)."""
    return decode(versatile_guest.guest_profile(versatilekernel.versatile_kernel()))


def _ids_json(t: Target, cmd: str, timeout: float = 120.0) -> list[dict[str, Any]]:
    out = t.console.command(f"{cmd} --json", timeout=timeout)
    objs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert objs and objs[-1]["type"] == "summary", out[-2000:]
    return objs


def _proc_modules(g: GuestShell) -> dict[str, tuple[int, int]]:
    """name -> (size, address) from the guest's /proc/modules."""
    out = g.run("cat /proc/modules")
    return {m.group(1): (int(m.group(2)), int(m.group(3), 16))
            for m in re.finditer(r"^(\w+) (\d+) \d+ \S+ \S+ 0x([0-9a-f]+)", out, re.M)}


def test_ids_lsmod_is_the_guests_module_list(request: pytest.FixtureRequest,
                                              v5: Target) -> None:
    """The patched attack module loads without parameters (it does nothing then): `ids lsmod`
    lists what the guest's /proc/modules lists, name, address and size; after rmmod, neither
    lists it."""
    with at_state(v5, request.node, guest=True) as t:  # type: ignore[arg-type]
        g: GuestShell = t.shell
        g.attach()
        g.run("dmesg -n 1")                  # module messages off the shell's console
        assert g.run(f"test -e {GUEST_MODULE_PATH} && echo present") == "present"
        assert "rc=0" in g.run(f"insmod {GUEST_MODULE_PATH}; echo rc=$?")
        guest = _proc_modules(g)
        g.detach()
        assert set(guest) == {MODULE_NAME}, guest
        ids = {o["name"]: (o["size"], int(o["base"], 16))
               for o in _ids_json(t, "ids lsmod") if o["type"] == "module"}
        assert ids == guest
        assert "finding" not in t.console.command("ids lsmod", timeout=120)
        g.attach()
        assert "rc=0" in g.run(f"rmmod {MODULE_NAME}; echo rc=$?")
        assert _proc_modules(g) == {}
        g.detach()
        out = t.console.command("ids lsmod", timeout=120)
        assert MODULE_NAME not in out and out.splitlines()[-1] == "0 module(s)", out


def test_attack_is_detected(request: pytest.FixtureRequest, v5: Target,
                            v5_profile: Profile) -> None:
    """The attack module hooks getdents64 (217), hides a `sleep` and unlinks itself: `ids
    watch` reports it unasked, and `ids check`, `ids syscall --hooked`, `ids plist --hidden`
    and `ids lsmod` each show their finding. (Nothing undoes it: the reset test is next.)"""
    with at_state(v5, request.node, guest=True) as t:  # type: ignore[arg-type]
        c = t.console
        g: GuestShell = t.shell
        g.attach()
        g.run("dmesg -n 1")
        victim = int(g.run("sleep 1000 & echo $!"))
        runtime = parse_kallsyms_address(g.run(kallsyms_command(SLIDE_SYMBOL)), SLIDE_SYMBOL)
        sct = runtime_sct(v5_profile, runtime, SLIDE_SYMBOL)
        # No KASLR on 32-bit ARM: the profile's address is the runtime one.
        assert sct == link_address(v5_profile, "sys_call_table")
        g.detach()

        assert "checking guest0 every 1 s" in c.command("ids watch 1")
        c.expect("[ids watch] guest0: OK", 120)
        g.attach()
        g.write(attack_commands(sct, HOOKED_SYSCALL, victim))
        # The hook, the hidden process, the module off the list (a scan in the middle of
        # insmod may report a partial state first).
        c.expect("[ids watch] guest0: ALERT (3 findings)", 180)
        report = c.expect(re.compile(r"(finding: .*\n){3}"), 30).group(0)
        assert f"pid {victim} (sleep): HIDDEN" in report, report
        assert f"syscall {HOOKED_SYSCALL:4d}" in report, report
        assert f"module {MODULE_NAME} at 0x" in report, report
        g.detach()
        assert c.command("ids watch off") == "ids watch: off"

        # The guest's own view: the process and the module are gone, the process lives.
        g.attach()
        ps = g.run("ps")
        assert not re.search(rf"^\s*{victim}\s", ps, re.M), f"ps still shows {victim}:\n{ps}"
        assert g.run(f"kill -0 {victim} && echo exists") == "exists"
        assert MODULE_NAME not in g.run("cat /proc/modules")
        dmesg = g.run(f"dmesg | grep {MODULE_NAME}:")
        g.detach()
        hook = re.search(rf"hooked syscall {HOOKED_SYSCALL} at (\w+): (\w+) -> (\w+) "
                         rf"\({HOOKED_HANDLER}\+0x0/", dmesg)
        assert hook, dmesg
        slot, old, new = (int(x, 16) for x in hook.groups())
        assert slot == sct + 4 * HOOKED_SYSCALL
        assert old == link_address(v5_profile, HOOKED_HANDLER)
        assert f"hid pid {victim}" in dmesg and "hid module" in dmesg, dmesg

        hidden = c.command("ids plist --hidden", timeout=120)
        assert re.search(rf"^finding: pid {victim} \(sleep\): HIDDEN", hidden, re.M), hidden
        assert hidden.splitlines()[-1] == "1 hidden or unlinked process(es)", hidden

        hooked = [o for o in _ids_json(t, "ids syscall --hooked") if o["type"] == "syscall"]
        assert len(hooked) == 1, hooked
        h = hooked[0]
        assert (h["table"], h["nr"], int(h["addr"], 16)) == ("sys_call_table", HOOKED_SYSCALL,
                                                             new), h
        assert h["in_text"] is False and h["owner"] == MODULE_NAME and h["owner_hidden"], h
        text = c.command("ids syscall --hooked", timeout=120)
        assert (f"outside kernel text, in module {MODULE_NAME} (hidden from the module list)"
                in text), text

        lsmod = c.command("ids lsmod", timeout=120)
        assert not [x for x in lsmod.splitlines() if x.startswith(f"{MODULE_NAME} ")], lsmod
        assert re.search(rf"^finding: module {MODULE_NAME} at 0x[0-9a-f]+: HIDDEN", lsmod,
                         re.M), lsmod

        check = c.command("ids check", timeout=180)
        assert check.splitlines()[-1] == "ids: ALERT (3 findings)", check
        assert f"finding: syscall {HOOKED_SYSCALL:4d}" in check, check
        assert f"pid {victim}" in check, check
        assert f"finding: module {MODULE_NAME} at " in check, check


BOOTING = "Booting Linux on physical CPU"


def _since_last_boot(t: Target) -> str | None:
    """The guest's console output from its last boot's first line on; None when that line
    is not there (`vserial dump` keeps 16 KiB: an older boot's may have scrolled out)."""
    dump = _dump(t)
    i = dump.rfind(BOOTING)
    return dump[i:] if i >= 0 else None


def _wait_for_a_new_boot(t: Target, before: str | None, up_to: str) -> None:
    """Waits until the guest has booted again and printed up_to. `before` is what followed
    the previous boot's first line (up to init at least: longer than the new boot's first
    seconds); None when that line had scrolled out: then any first line is new."""
    def again(now: str | None) -> bool:
        return now is not None and (before is None or len(now) < len(before))

    deadline = time.monotonic() + 300
    now = _since_last_boot(t)
    while not again(now) and time.monotonic() < deadline:
        time.sleep(3)
        now = _since_last_boot(t)
    assert now is not None and again(now), _dump(t)[-2000:]
    while up_to not in now and time.monotonic() < deadline:
        time.sleep(2)
        now = _since_last_boot(t) or ""
    assert up_to in now, now[-2000:]


def test_reset_halt_and_kick(request: pytest.FixtureRequest, v5: Target) -> None:
    """`guest reset` reloads the images and the guest boots from the start; `guest halt`
    stops it (halted, its exit count stands still) and `guest kick` boots it again (the
    last test of the module)."""
    with at_state(v5, request.node) as t:  # type: ignore[arg-type]
        c = t.console
        before = _since_last_boot(t)
        c.command("guest reset guest0", timeout=30)
        # The kernel of the reloaded images boots through to running init (10 s; its user
        # space takes 45 s more under software virtualization, proven by the first boot).
        _wait_for_a_new_boot(t, before, up_to=RUN_INIT)
        assert "running" in c.command("guest list")
        c.command("guest halt guest0")
        assert re.search(r"^guest0\s+halted", c.command("guest list"), re.M)
        exits = _exits(t)
        time.sleep(2)
        assert _exits(t) == exits
        before = _since_last_boot(t)        # the reset boot's, up to init
        assert c.command("guest kick guest0", timeout=30) == "guest0: running"
        _wait_for_a_new_boot(t, before, up_to=BOOTING)
        assert _exits(t) > exits
        v5.mark_dirty()
