# SPDX-License-Identifier: GPL-2.0-only
"""`ids net` against the live guest: the sockets the hypervisor reads from the guest kernel's
hash tables equal what busybox netstat shows inside the guest (a few listeners and one
established loopback connection), with the right owners; then the attack module's hide_port
takes a port out of /proc/net/tcp (netstat loses it) and `ids net` / `ids check` see the
hooked /proc file and the socket it hides; the module's unhash_port unlinks a listener from
the kernel's table and `ids net` finds it through its owner's fd table (HIDDEN from the
second scan that sees it so on). One boot per board
(KASLR on, the harder case); each attack is undone by unloading the module."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from mamoru.guest_module import GUEST_MODULE_PATH
from mamoru.testing import hardware
from mamoru.testing.ids import (
    IdsGuest,
    fresh_ids,
    require_attack_module,
)

# The walks are the same on every board (test_ids.py covers each): the boards
# test_ids_tamper.py attacks, on the same boot, keep the suite's time in budget;
# test_ids_612.py runs these tests on 6.12 (virt).
pytestmark = [pytest.mark.guests("arm64"), pytest.mark.configs("virt-gicv2", "rpi3"),
              pytest.mark.xdist_group("ids-attack-pool")]   # one worker: the pool of conftest.py

TCP_LISTEN, TCP6_LISTEN = 7001, 7003
HIDDEN, VISIBLE = 7011, 7012
UNLINKED = 7021

Row = tuple[str, str, str, str]          # proto (tcp/udp), local, remote, state


@pytest.fixture(scope="module")
def ids_guest(request: pytest.FixtureRequest, attack_guest: IdsGuest) -> IdsGuest:
    """guest0 with the attack module, KASLR on (test_ids.py covers both settings): the boot
    test_ids_tamper.py attacks too (tests/ids/conftest.py, attack_guest)."""
    if hardware(request.config):
        pytest.skip("needs the attack module (the SD card's bundle carries none)")
    return attack_guest


@pytest.fixture
def ids(request: pytest.FixtureRequest, ids_guest: IdsGuest) -> Iterator[IdsGuest]:
    with fresh_ids(ids_guest, request.node) as g:  # type: ignore[arg-type]
        yield g


def ids_json(g: IdsGuest, cmd: str) -> list[dict[str, Any]]:
    out = g.console.command(f"{cmd} --json", timeout=60)
    objs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert objs and objs[-1]["type"] == "summary", out[-2000:]
    return objs


def endpoint(addr: str, port: int) -> str:
    return f"{addr}:{port if port else '*'}"


def ids_rows(objs: list[dict[str, Any]]) -> dict[Row, dict[str, Any]]:
    rows = {}
    for o in objs:
        if o["type"] != "socket" or o["state"] == "TIME_WAIT":
            continue
        row = (o["proto"].rstrip("6"), endpoint(o["local_addr"], o["local_port"]),
               endpoint(o["remote_addr"], o["remote_port"]), o["state"])
        rows[row] = o
    return rows


def netstat(g: IdsGuest) -> set[Row]:
    """(proto, local, remote, state) rows of busybox netstat -tuan in the guest (its tcp
    rows include tcp6 sockets; an IPv4 peer of an IPv6 socket reads ::ffff:a.b.c.d)."""
    g.shell.attach()
    out = g.shell.run("busybox netstat -tuan")
    g.shell.detach()
    rows = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) < 5 or f[0] not in ("tcp", "udp", "tcp6", "udp6"):
            continue
        state = f[5] if len(f) > 5 else ""
        if state != "TIME_WAIT":
            rows.add((f[0].rstrip("6"), f[3], f[4], state))
    assert rows, out
    return rows


def links(g: IdsGuest) -> None:
    """lo up, and links to busybox so each server runs under its own name."""
    g.shell.run("ifconfig lo 127.0.0.1 up; for a in httpd telnetd udhcpd nc; do "
                "ln -sf /bin/busybox /tmp/$a; done")


def start_sockets(g: IdsGuest) -> dict[str, int]:
    """Two TCP listeners (busybox httpd on 0.0.0.0, telnetd on ::), a UDP one (udhcpd on lo),
    one established loopback connection (nc to httpd). Each server runs in the foreground of
    a background job, so $! is its PID."""
    sh = g.shell
    sh.attach()
    links(g)
    sh.run("printf 'interface lo\\nstart 127.0.0.2\\nend 127.0.0.9\\n"
           "lease_file /tmp/leases\\n' > /tmp/udhcpd.conf; touch /tmp/leases")
    pids = {
        "httpd": int(sh.run(f"/tmp/httpd -f -p 0.0.0.0:{TCP_LISTEN} & echo $!")),
        "telnetd": int(sh.run(f"/tmp/telnetd -F -p {TCP6_LISTEN} & echo $!")),
        "udhcpd": int(sh.run("/tmp/udhcpd -f /tmp/udhcpd.conf >/dev/null 2>&1 & echo $!")),
    }
    sh.run("sleep 1")
    pids["nc"] = int(sh.run(f"sleep 10000 | /tmp/nc 127.0.0.1 {TCP_LISTEN} & echo $!"))
    sh.run("sleep 1")
    sh.detach()
    return pids


def test_net_equals_netstat(ids: IdsGuest) -> None:
    pids = start_sockets(ids)
    guest = netstat(ids)
    objs = ids_json(ids, "ids net")
    mine = ids_rows(objs)
    assert set(mine) == guest, f"only ids: {set(mine) - guest}\nonly netstat: {guest - set(mine)}"
    assert not any(o["flagged"] for o in mine.values())

    def one(proto: str, local: str, remote: str, state: str) -> dict[str, Any]:
        o = mine.get((proto, local, remote, state))
        assert o is not None, ((proto, local, remote, state), sorted(mine))
        return o

    # Owners: the processes started above (and httpd's child for the accepted end).
    assert one("tcp", f"0.0.0.0:{TCP_LISTEN}", "0.0.0.0:*", "LISTEN")["pid"] == pids["httpd"]
    o = one("tcp", f":::{TCP6_LISTEN}", ":::*", "LISTEN")
    assert (o["pid"], o["name"], o["proto"]) == (pids["telnetd"], "telnetd", "tcp6"), o
    o = one("udp", "0.0.0.0:67", "0.0.0.0:*", "")
    assert (o["pid"], o["name"]) == (pids["udhcpd"], "udhcpd"), o
    est = [o for r, o in mine.items() if r[3] == "ESTABLISHED"]
    client = [o for o in est if o["remote_port"] == TCP_LISTEN]
    assert len(client) == 1 and (client[0]["pid"], client[0]["name"]) == (pids["nc"], "nc"), est
    server = [o for o in est if o["local_port"] == TCP_LISTEN]
    assert len(server) == 1 and server[0]["name"] == "httpd" and server[0]["pid"], est
    assert objs[-1]["scan"] == "net" and objs[-1]["findings"] == 0

    text = ids.console.command("ids net", timeout=60)
    assert text.splitlines()[0].split() == ["PROTO", "LOCAL", "REMOTE", "STATE", "PID/NAME"]
    assert re.search(rf"^tcp\s+0\.0\.0\.0:{TCP_LISTEN}\s+0\.0\.0\.0:\*\s+LISTEN\s+"
                     rf"{pids['httpd']}/httpd$", text, re.M), text
    assert re.search(rf"^tcp6\s+:::{TCP6_LISTEN}\s+:::\*\s+LISTEN\s+{pids['telnetd']}/telnetd$",
                     text, re.M), text
    assert text.splitlines()[-1] == f"{len(objs) - 1} sockets, 0 findings", text
    assert ids.console.command("ids check", timeout=60).splitlines()[-1] == "ids: OK"
    assert re.search(r"^\s+net\s+TCP and UDP sockets", ids.console.command("ids help"), re.M)


def test_hidden_port_is_detected(ids: IdsGuest) -> None:
    """hide_port: a listener and both ends of a connection to it leave netstat's view."""
    sh = ids.shell
    sh.attach()
    require_attack_module(sh)
    links(ids)
    for port in (HIDDEN, VISIBLE):
        sh.run(f"/tmp/httpd -f -p 0.0.0.0:{port} &")
    sh.run("sleep 1")
    sh.run(f"sleep 10000 | /tmp/nc 127.0.0.1 {HIDDEN} &")
    sh.run("sleep 1")
    sh.detach()
    before = netstat(ids)
    assert (f"127.0.0.1:{HIDDEN}", "ESTABLISHED") in {(r[2], r[3]) for r in before}, before
    sh.attach()
    out = sh.run(f"insmod {GUEST_MODULE_PATH} hide_port={HIDDEN}; echo rc=$?", timeout=60)
    assert "rc=0" in out, out
    sh.detach()
    guest = netstat(ids)
    assert not any(f":{HIDDEN}" in r[1] or f":{HIDDEN}" in r[2] for r in guest), guest
    assert ("tcp", f"0.0.0.0:{VISIBLE}", "0.0.0.0:*", "LISTEN") in guest, guest

    objs = ids_json(ids, "ids net")
    hidden = [o for o in objs if o["type"] == "socket" and HIDDEN in
              (o["local_port"], o["remote_port"]) and o["state"] != "TIME_WAIT"]
    assert {o["state"] for o in hidden} == {"LISTEN", "ESTABLISHED"}, hidden
    assert all(o["flagged"] and o["finding"] == "HIDDEN?: /proc/net/tcp is hooked"
               for o in hidden), hidden
    visible = [o for o in objs if o["type"] == "socket" and o["local_port"] == VISIBLE]
    assert len(visible) == 1 and visible[0]["flagged"], visible  # listed through /proc/net/tcp
    udp = [o for o in objs if o["type"] == "socket" and o["proto"].startswith("udp")]
    assert not any(o["flagged"] for o in udp), udp
    hooked = [o for o in objs if o["type"] == "finding"]
    assert {o["check"] for o in hooked} == {"/proc/net/tcp", "/proc/net/tcp6"}, hooked
    for o in hooked:
        # The copy is module data: on 6.4+ (module_memory) only the module's text range is
        # attributed to it, so there the copy is in "memory no listed module owns".
        assert re.fullmatch(r"HOOKED: seq_operations 0x[0-9a-f]+ in (module mamoru_attack|"
                            r"memory no listed module owns), "
                            r"not tcp[46]_seq_ops; show is 0x[0-9a-f]+ in module "
                            r"mamoru_attack, outside kernel text \(tcp[46]_seq_show expected\)",
                            o["finding"]), o

    check = ids.console.command("ids check", timeout=60)
    assert re.search(r"^ids: ALERT \(\d+ findings\)$", check.splitlines()[-1]), check
    assert re.search(r"^finding: /proc/net/tcp: HOOKED: seq_operations 0x[0-9a-f]+ in "
                     r"(module mamoru_attack|memory no listed module owns), not "
                     r"tcp4_seq_ops; show is 0x[0-9a-f]+ in module mamoru_attack, outside "
                     r"kernel text \(tcp4_seq_show expected\)$", check, re.M), check
    assert re.search(rf"^finding: net: tcp\s+0\.0\.0\.0:{HIDDEN} .*LISTEN .*HIDDEN\?: "
                     r"/proc/net/tcp is hooked$", check, re.M), check

    # Unloading puts the kernel's seq_operations back: netstat sees the port, no findings.
    sh.attach()
    assert "rc=0" in sh.run("rmmod mamoru_attack; echo rc=$?")
    sh.detach()
    assert any(r[1] == f"0.0.0.0:{HIDDEN}" for r in netstat(ids))
    assert ids.console.command("ids check", timeout=60).splitlines()[-1] == "ids: OK"


def _unlinked_listener(ids: IdsGuest, pid: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """`ids net --json`'s objects, and its one row of the unlinked httpd listener."""
    objs = ids_json(ids, "ids net")
    mine = [o for o in objs if o["type"] == "socket" and o["local_port"] == UNLINKED]
    assert len(mine) == 1, mine
    o = mine[0]
    assert (o["proto"], o["local_addr"], o["state"], o["pid"], o["name"]) == (
        "tcp", "0.0.0.0", "LISTEN", pid, "httpd"), o
    return objs, o


def test_unlinked_listener_is_detected(ids: IdsGuest) -> None:
    """unhash_port: a listener taken out of the kernel's listening table (DKOM) is in no view
    the guest has, nor in the table walk; its socket file in httpd's fd table gives it away."""
    sh = ids.shell
    sh.attach()
    require_attack_module(sh)
    links(ids)
    pid = int(sh.run(f"/tmp/httpd -f -p 0.0.0.0:{UNLINKED} & echo $!"))
    sh.run("sleep 1")
    out = sh.run(f"insmod {GUEST_MODULE_PATH} unhash_port={UNLINKED}; echo rc=$?", timeout=60)
    assert "rc=0" in out, out
    sh.detach()
    assert not any(r[1].endswith(f":{UNLINKED}") for r in netstat(ids))

    # The first scan that sees it unlinked only notes it (the kernel's own unhash-then-close
    # window looks the same); the next one, seeing it still so, reports it HIDDEN.
    objs, o = _unlinked_listener(ids, pid)
    assert not o["flagged"] and o["info"].startswith("unlinked (confirming"), o
    assert objs[-1]["findings"] == 0, objs[-1]
    objs, o = _unlinked_listener(ids, pid)
    assert o["flagged"] and o["finding"] == "HIDDEN: in no socket table (unlinked)", o
    assert objs[-1]["findings"] == 1, objs[-1]
    check = ids.console.command("ids check", timeout=60)
    assert check.splitlines()[-1] == "ids: ALERT (1 finding)", check
    assert re.search(rf"^finding: net: tcp\s+0\.0\.0\.0:{UNLINKED}\s+0\.0\.0\.0:\*\s+LISTEN\s+"
                     rf"{pid}/httpd  HIDDEN: in no socket table \(unlinked\)$", check, re.M), check

    # Unloading hashes it again.
    sh.attach()
    assert "rc=0" in sh.run("rmmod mamoru_attack; echo rc=$?")
    sh.detach()
    assert ("tcp", f"0.0.0.0:{UNLINKED}", "0.0.0.0:*", "LISTEN") in netstat(ids)
    assert ids.console.command("ids check", timeout=60).splitlines()[-1] == "ids: OK"
