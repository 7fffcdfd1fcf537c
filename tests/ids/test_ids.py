# SPDX-License-Identifier: GPL-2.0-only
"""Issue 5: the `ids` commands against the live guest, checked against the guest's own view,
and against a real in-guest attack (a kernel module that hooks a syscall, hides a process
from ps and unlinks itself from the module list).

Each module-scoped boot (per board config, KASLR off and on; virt-gicv3 and rpi4 KASLR on
only, see conftest.py) runs these tests in order; the attack comes last because it cannot be
undone.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from mamoru.guest_module import (
    HOOKED_HANDLER,
    HOOKED_SYSCALL,
    attack_commands,
    kallsyms_command,
    parse_kallsyms_address,
    runtime_sct,
)
from mamoru.testing.ids import IdsGuest, require_attack_module

# Guest support needed: not parametrized over boards without it (board.toml guests).
pytestmark = pytest.mark.guests("arm64")

# __NR_syscalls of each kernel series the suite boots (test_ids_612.py runs these tests on 6.12).
NR_SYSCALLS = {"6.1": 451, "6.12": 463}


def ids_json(g: IdsGuest, cmd: str, timeout: float = 60.0) -> list[dict[str, Any]]:
    out = g.console.command(f"{cmd} --json", timeout=timeout)
    objs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert objs and objs[-1]["type"] == "summary", out[-2000:]
    return objs


def ps_view(g: IdsGuest) -> dict[int, tuple[int, str, str]]:
    """pid -> (ppid, user, comm) from busybox ps inside the guest."""
    g.shell.attach()
    out = g.shell.run("ps -o pid,ppid,user,comm")
    g.shell.detach()
    rows = {}
    for line in out.splitlines()[1:]:
        f = line.split(None, 3)
        if len(f) == 4 and f[0].isdigit():
            rows[int(f[0])] = (int(f[1]), f[2], f[3].strip())
    assert 1 in rows, out
    return rows


def ids_view(g: IdsGuest, extra: str = "") -> dict[int, dict[str, Any]]:
    return {o["pid"]: o for o in ids_json(g, f"ids plist{extra}") if o["type"] == "process"}


def diff(ps: dict[int, tuple[int, str, str]], ids: dict[int, dict[str, Any]]) -> str:
    only_ps = {p: ps[p] for p in ps.keys() - ids.keys()}
    only_ids = {p: ids[p]["name"] for p in ids.keys() - ps.keys()}
    return f"only in ps: {only_ps}\nonly in ids plist: {only_ids}"


def test_banner_equals_proc_version(ids: IdsGuest) -> None:
    ids.shell.attach()
    version = ids.shell.run("cat /proc/version")
    ids.shell.detach()
    banner = ids.console.command("ids banner")
    assert banner == version.strip(), f"ids banner: {banner!r}\n/proc/version: {version!r}"
    obj = ids_json(ids, "ids banner")[0]
    slide = int(obj["kaslr_slide"], 16)
    assert (slide != 0) == ids.kaslr, f"KASLR {'on' if ids.kaslr else 'off'} but slide {slide:#x}"


def test_plist_matches_ps(ids: IdsGuest) -> None:
    """`ids plist` before and after the guest's `ps`: a process in both views of the IDS
    lived through ps and must be in its list; one ps lists must be in one of them. (The
    guest runs between the views: with its network up, kernel workers come and go.)"""
    before = ids_view(ids)
    ps = ps_view(ids)
    after = ids_view(ids)
    for view in (before, after):
        view.pop(0, None)                  # the idle task, which ps never lists
    mine = {**after, **before}
    stable = before.keys() & after.keys()
    # `ps` and the shell that ran it exist only while ps runs.
    transient = {p for p, (_, _, comm) in ps.items() if comm in ("ps", "sh") and p not in mine}
    assert stable <= ps.keys(), diff(ps, {p: before[p] for p in stable})
    assert ps.keys() - transient <= mine.keys(), diff(ps, mine)
    for pid, (ppid, user, comm) in ps.items():
        if pid in transient:
            continue
        o = mine[pid]
        assert o["ppid"] == ppid, (pid, o, ps[pid])
        assert (user == "root") == (o["uid"] == 0), (pid, o, user)
        # busybox shows a kworker's name with its workqueue appended.
        assert comm == o["name"] or comm.startswith(o["name"]), (pid, o["name"], comm)
    text = ids.console.command("ids plist")
    assert re.search(r"^\s*1\s+0\s+0 [A-Z]\s+init$", text, re.M), text
    assert "[kthreadd]" in text


def test_plist_follows_processes(ids: IdsGuest) -> None:
    ids.shell.attach()
    pids = [int(ids.shell.run("sleep 1000 & echo $!")) for _ in range(3)]
    ids.shell.detach()
    view = ids_view(ids)
    for pid in pids:
        assert view.get(pid, {}).get("name") == "sleep", (pid, view.get(pid))
    ids.shell.attach()
    ids.shell.kill(pids[0])
    ids.shell.detach()
    view = ids_view(ids)
    assert pids[0] not in view and pids[1] in view and pids[2] in view


def test_syscall_names_match_kallsyms(ids: IdsGuest) -> None:
    ids.shell.attach()
    out = ids.shell.run("grep -E ' [tTwW] __arm64_(compat_)?sys_' /proc/kallsyms", timeout=60)
    ids.shell.detach()
    names: dict[int, set[str]] = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3:
            names.setdefault(int(f[0], 16), set()).add(f[2])
    assert len(names) > 300, out[:500]
    entries = [o for o in ids_json(ids, "ids syscall") if o["type"] == "syscall"]
    tables = {o["table"] for o in entries}
    assert tables == {"sys_call_table", "compat_sys_call_table"}, tables
    release = ids.profile.get("str.release")
    assert isinstance(release, str)
    series = ".".join(release.split(".")[:2])          # 6.1.0-57-... -> 6.1
    assert sum(o["table"] == "sys_call_table" for o in entries) == NR_SYSCALLS[series]
    for o in entries:
        addr = int(o["addr"], 16)
        assert "+" not in o["symbol"], o          # every handler is a function's start
        assert o["symbol"] in names.get(addr, set()), (o, names.get(addr))
        assert not o["flagged"], o


def test_clean_guest_has_no_findings(ids: IdsGuest) -> None:
    assert ids.console.command("ids check", timeout=60).splitlines()[-1] == "ids: OK"
    assert ids.console.command("ids syscall --hooked", timeout=60) == "0 hooked entries"
    hidden = ids.console.command("ids plist --hidden", timeout=60)
    assert hidden.splitlines()[-1] == "0 hidden or unlinked process(es)", hidden
    assert "finding" not in hidden


def test_ids_errors_are_clear(ids: IdsGuest) -> None:
    c = ids.console
    assert c.command("ids plist guest7") == "error: no guest 'guest7' (see 'guest list')"
    # Usage lines and `ids help` come from the subcommand table.
    assert c.command("ids plist --frobnicate") == "usage: ids plist [<guest>] [--json] [--hidden]"
    assert c.command("ids nosuch").startswith("error: no ids subcommand 'nosuch'")
    listing = c.command("ids help")
    for sub in ("banner", "syscall", "plist", "lsmod", "integrity", "hooks", "check", "watch",
                "protect"):
        assert re.search(rf"^\s+{sub}\s+\S", listing, re.M), listing
    assert listing.startswith("usage: ids banner [<guest>] [--json]\n"), listing
    c.command("guest pause guest0")
    assert "0 hidden" in c.command("ids plist --hidden", timeout=60)   # paused is fine
    c.command("guest resume guest0")


def test_visible_module_is_listed_and_owns_its_hook(ids: IdsGuest) -> None:
    """A module that does not hide: lsmod shows it and the hook is attributed to it."""
    g = ids.shell
    g.attach()
    require_attack_module(g)
    sct = runtime_sct(ids.profile, parse_kallsyms_address(g.run(kallsyms_command())))
    out = g.run(attack_commands(sct, HOOKED_SYSCALL, hide_self=False) + "; echo rc=$?")
    assert "rc=0" in out, out
    g.detach()
    modules = [o for o in ids_json(ids, "ids lsmod") if o["type"] == "module"]
    mine = [m for m in modules if m["name"] == "mamoru_attack"]
    assert len(mine) == 1 and mine[0]["size"] > 0, modules
    base, size = int(mine[0]["base"], 16), mine[0]["size"]
    hooked = [o for o in ids_json(ids, "ids syscall --hooked") if o["type"] == "syscall"]
    assert len(hooked) == 1 and hooked[0]["owner"] == "mamoru_attack", hooked
    assert base <= int(hooked[0]["addr"], 16) < base + size
    assert "outside kernel text, in module mamoru_attack" in ids.console.command(
        "ids syscall --hooked", timeout=60)
    # Unloading puts the original handler back: no findings.
    g.attach()
    assert "rc=0" in g.run("rmmod mamoru_attack; echo rc=$?")
    g.detach()
    assert ids.console.command("ids check", timeout=60).splitlines()[-1] == "ids: OK"


def test_attack_is_detected(ids: IdsGuest) -> None:
    """The module hooks getdents64, hides a sleep from ps and unlinks itself."""
    g = ids.shell
    g.attach()
    require_attack_module(g)
    victim = int(g.run("sleep 1000 & echo $!"))
    sct = runtime_sct(ids.profile, parse_kallsyms_address(g.run(kallsyms_command())))
    out = g.run(attack_commands(sct, HOOKED_SYSCALL, victim) + "; echo rc=$?", timeout=60)
    assert "rc=0" in out, out
    ps = g.run("ps")
    assert not re.search(rf"^\s*{victim}\s", ps, re.M), f"ps still shows {victim}:\n{ps}"
    assert g.run(f"kill -0 {victim} && echo exists") == "exists"
    assert "mamoru_attack" not in g.run("cat /proc/modules")
    g.detach()

    hidden = ids.console.command("ids plist --hidden", timeout=60)
    assert re.search(rf"^finding: pid {victim} \(sleep\): HIDDEN", hidden, re.M), hidden
    assert hidden.splitlines()[-1] == "1 hidden or unlinked process(es)", hidden

    hooked = [o for o in ids_json(ids, "ids syscall --hooked") if o["type"] == "syscall"]
    assert len(hooked) == 1, hooked
    h = hooked[0]
    assert (h["table"], h["nr"]) == ("sys_call_table", HOOKED_SYSCALL), h
    # The module left the list, but its sysfs object leads to it: the hook is its own.
    assert h["in_text"] is False and h["owner"] == "mamoru_attack" and h["owner_hidden"], h
    assert h["expected"] == HOOKED_HANDLER, h
    text = ids.console.command("ids syscall --hooked", timeout=60)
    assert "outside kernel text, in module mamoru_attack (hidden from the module list)" in text, \
        text

    # Off the module list, but its sysfs object gives it away.
    lsmod = ids.console.command("ids lsmod")
    listed = [x for x in lsmod.splitlines() if x.startswith("mamoru_attack ")]
    assert not listed, lsmod
    assert re.search(r"^finding: module mamoru_attack at 0x[0-9a-f]+: HIDDEN", lsmod, re.M), lsmod
    check = ids.console.command("ids check", timeout=60)
    assert check.splitlines()[-1] == "ids: ALERT (3 findings)", check
    assert f"finding: syscall {HOOKED_SYSCALL:4d}" in check and f"pid {victim}" in check, check
    assert "finding: module mamoru_attack at " in check, check
