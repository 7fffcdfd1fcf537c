# SPDX-License-Identifier: GPL-2.0-only
"""`ids net`'s walks (core/vmi/net.c) over a synthetic guest (vmi_fake_net): the sockets of
TCP's and UDP's hash tables, the socket files of the tasks' fd tables, the /proc/net entries;
then hostile memory (loops, bad pointers, huge counts), each ending in a clean error in bounded
time without a sanitizer report."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from vmi_fake import IMAGE_PA, OFF, SAN_ENV, kv, run_tool
from vmi_fake_net import (
    EHASH,
    FILES,
    FILES_STRUCT,
    FUZZ_REGIONS,
    LHASH,
    NET,
    NET_OFF,
    NET_SYM,
    PROC,
    UDPHASH,
    NetGuest,
)
from vmi_pt import HOST_BIN, host_program

from mamoru.testing.fuzz import run_fuzzer
from mamoru.testing.hostcheck import checks_passed


@pytest.fixture(scope="module")
def tool() -> Path:
    return host_program("vmi_tool")


def error_of(lines: list[str]) -> str:
    errs = [x for x in lines if x.startswith("error ")]
    assert errs, lines
    return errs[0]


def socks_of(lines: list[str]) -> list[str]:
    return [" ".join(x.split()[1:9]) for x in lines if x.startswith("sock ")]


def test_sockets_owners_and_proc_entry(tool: Path, tmp_path: Path) -> None:
    g = NetGuest()
    rc, lines = run_tool(tool, g, tmp_path, "net", "sockfiles", "proc", "tcp")
    assert rc == 0, lines
    assert socks_of(lines) == [
        "listen tcp 0.0.0.0 23 0.0.0.0 0 state 10",
        "listen tcp6 :: 80 :: 0 state 10",
        "established tcp 127.0.0.1 23 127.0.0.1 40000 state 1",
        "established tcp 127.0.0.1 40000 127.0.0.1 23 state 6",
        "udp udp 0.0.0.0 53 0.0.0.0 0 state 7",
    ]
    rows = [x for x in lines if x.startswith("sock ")]
    assert rows[0].endswith(f"sk {kv(g.sk(0)):#x} socket {kv(0xF_8000):#x}")
    assert rows[3].endswith(f"sk {kv(g.sk(3)):#x} socket 0x0")   # time-wait: no struct socket
    files = sorted(x for x in lines if x.startswith("sockfile "))
    assert files == sorted([f"sockfile 3 task3 3 {kv(g.sk(0)):#x}",
                            f"sockfile 4 task4 5 {kv(g.sk(1)):#x}",
                            f"sockfile 3 task3 4 {kv(g.sk(2)):#x}",
                            f"sockfile 4 task4 6 {kv(g.sk(4)):#x}"])
    seq = kv(NET_SYM["tcp4_seq_ops"])
    assert (f"proc tcp pde {kv(g.pdes['tcp']):#x} proc_ops {kv(NET_SYM['proc_net_seq_ops']):#x} "
            f"seq_ops {seq:#x} show {kv(NET_SYM['tcp4_seq_show']):#x}") in lines
    # Entries found off the root (in a tree walked as a whole, not searched by order).
    for name in ("dev", "udp", "tcp6"):
        rc, lines = run_tool(tool, g, tmp_path, "proc", name)
        assert rc == 0 and lines[0].startswith(f"proc {name} pde {kv(g.pdes[name]):#x} "), lines
    rc, lines = run_tool(tool, g, tmp_path, "proc", "raw")
    assert rc == 1 and "/proc/net/raw is not in init_net's /proc/net" in error_of(lines)


@pytest.mark.parametrize(("proto", "state", "lport", "hashed"), [
    (6, 10, 23, 1),        # a listener
    (6, 1, 23, 1),         # connected
    (6, 2, 40000, 1),      # connecting (SYN_SENT)
    (6, 7, 0, 0),          # a fresh or closed TCP socket: in no table
    (17, 7, 53, 1),        # bound UDP
    (17, 7, 0, 0),         # unbound UDP
    (1, 7, 0, 0),          # ICMP ("ping") socket: its own table
    (262, 10, 80, 0),      # MPTCP: not walked
])
def test_sock_read_and_must_be_hashed(tool: Path, tmp_path: Path, proto: int, state: int,
                                      lport: int, hashed: int) -> None:
    """A sock found only through a socket file: read on its own, and whether the kernel keeps
    it in a hash table (one that must be there but is not was unlinked: hidden)."""
    g = NetGuest()
    sk = g.sk(12)
    g.w(sk + NET_OFF["sock_common.skc_family"], b"\x02\x00")
    g.w(sk + NET_OFF["sock_common.skc_state"], bytes([state]))
    g.w(sk + NET_OFF["sock_common.skc_num"], lport.to_bytes(2, "little"))
    g.w(sk + NET_OFF["sock_common.skc_rcv_saddr"], bytes([10, 0, 2, 15]))
    g.u64(sk + NET_OFF["sock_common.skc_net"], kv(0x7_1000))
    g.w(sk + NET_OFF["sock.sk_type"], (1 if proto in (6, 262) else 2).to_bytes(2, "little"))
    g.w(sk + NET_OFF["sock.sk_protocol"], proto.to_bytes(2, "little"))
    rc, lines = run_tool(tool, g, tmp_path, "sockread", hex(kv(sk)))
    assert rc == 0, lines
    name = {6: "tcp", 17: "udp"}.get(proto, "other")
    assert lines[0].startswith(f"sock file {name} 10.0.2.15 {lport} 0.0.0.0 0 state {state} "), \
        lines
    assert lines[1] == (f"sockread protocol {proto} type {1 if proto in (6, 262) else 2} "
                        f"must_be_hashed {hashed} net {kv(0x7_1000):#x}"), lines
    rc, lines = run_tool(tool, g, tmp_path, "sockread", "0x4141")
    assert rc == 1 and "sock 0x4141 is not a kernel address" in error_of(lines)


@pytest.mark.parametrize(("family", "hexaddr", "text"), [
    (2, "7f000001", "127.0.0.1"),
    (2, "00000000", "0.0.0.0"),
    (10, "0" * 32, "::"),
    (10, "0" * 31 + "1", "::1"),
    (10, "fe80" + "0" * 27 + "1", "fe80::1"),
    (10, "0" * 20 + "ffff7f000001", "::ffff:127.0.0.1"),
    (10, "20010db8000000010000000000000000", "2001:db8:0:1::"),
    (10, "20010db8000100000001000000000001", "2001:db8:1:0:1::1"),   # first of equal runs
    (10, "20010db80000000100010001000100010"[:32], "2001:db8:0:1:1:1:1:1"),  # one 0: no ::
    (10, "ffffffffffffffffffffffffffffffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
])
def test_addresses_as_netstat_prints_them(tool: Path, tmp_path: Path, family: int,
                                          hexaddr: str, text: str) -> None:
    rc, lines = run_tool(tool, NetGuest(), tmp_path, "addr", str(family), hexaddr)
    assert rc == 0 and lines[0] == f"addr {text} {len(text)}", lines


def test_chain_loop_is_detected(tool: Path, tmp_path: Path) -> None:
    g = NetGuest()
    # The second listening socket points back at the first: a ring without a nulls end.
    g.u64(g.sk(1) + NET_OFF["sock_common.skc_nulls_node"],
          kv(g.sk(0) + NET_OFF["sock_common.skc_nulls_node"]))
    rc, lines = run_tool(tool, g, tmp_path, "net")
    assert rc == 1
    err = error_of(lines)
    assert "cycle in guest data" in err and "listen bucket 1: the chain loops" in err, err
    assert len(lines) < 20


def test_long_loop_is_detected_quickly(tool: Path, tmp_path: Path) -> None:
    """A loop entered after a long tail: Brent finds it within a few laps, not the limit."""
    g = NetGuest()
    socks = [0xF_4000 + 0x400 * i for i in range(5, 13)]
    for s in socks:
        g.w(s + NET_OFF["sock_common.skc_family"], b"\x02\x00")
    g.chain(EHASH + 8 * 7, socks, 0)
    g.u64(socks[-1] + NET_OFF["sock_common.skc_nulls_node"],
          kv(socks[3] + NET_OFF["sock_common.skc_nulls_node"]))
    rc, lines = run_tool(tool, g, tmp_path, "net")
    assert rc == 1 and "established bucket 7: the chain loops" in error_of(lines)
    assert len(lines) < 60


@pytest.mark.parametrize("bad", [0, 0x1234_5678, 0xFFFF_0000_0000_0001 + 7])
def test_bad_chain_pointer(tool: Path, tmp_path: Path, bad: int) -> None:
    g = NetGuest()
    g.u64(EHASH + 8 * 2, bad & ~1 if bad & 1 == 0 else bad + 1)
    rc, lines = run_tool(tool, g, tmp_path, "net")
    assert rc == 1
    err = error_of(lines)
    assert "established bucket 2" in err and ("not a kernel address" in err
                                              or "does not translate" in err), err


def test_unmapped_sock_is_an_error(tool: Path, tmp_path: Path) -> None:
    g = NetGuest()
    # A kernel address no page maps (beyond the 4 MiB image).
    g.u64(LHASH + 16 * 3 + 8, kv(0x80_0000))
    rc, lines = run_tool(tool, g, tmp_path, "net")
    assert rc == 1
    err = error_of(lines)
    assert "reading the sock at" in err and "listen bucket 3" in err, err


@pytest.mark.parametrize(("key", "value", "words"), [
    ("inet_hashinfo.ehash_mask", 0xFFFF_FFFF, "established: 4294967296 buckets (implausible)"),
    ("inet_hashinfo.lhash2_mask", 0x40_0000, "listen: 4194305 buckets (implausible)"),
    ("udp_table.mask", 0xFFFF_FFFF, "udp: 4294967296 buckets (implausible)"),
])
def test_huge_bucket_counts(tool: Path, tmp_path: Path, key: str, value: int,
                            words: str) -> None:
    g = NetGuest()
    table = NET_SYM["udp_table"] if key.startswith("udp") else NET_SYM["tcp_hashinfo"]
    g.u32(table + NET_OFF[key], value)
    rc, lines = run_tool(tool, g, tmp_path, "net", timeout=10)
    assert rc == 1 and words in error_of(lines), lines


FDS_BIG = 0x3C_0000       # a zeroed 4096-slot fd array
FDS_HUGE = 0x11_0000      # a zeroed 65536-slot fd array (512 KiB)


def test_huge_fd_table(tool: Path, tmp_path: Path) -> None:
    """A process with room for more fds than the walk takes (one can raise its limit): its
    first fd_limit slots are walked, the rest counted for a partial result; no error."""
    g = NetGuest()
    fdt = FILES_STRUCT + 0x400 * 3 + 0x100
    g.u32(fdt + NET_OFF["fdtable.max_fds"], 0xFFFF_FFFF)
    g.u64(fdt + NET_OFF["fdtable.fd"], kv(FDS_BIG))      # 4096 zeroed slots ...
    g.u64(FDS_BIG + 8 * 3, kv(FILES))                     # ... with sock 0's file at fd 3
    rc, lines = run_tool(tool, g, tmp_path, "sockfiles")
    assert rc == 0, lines
    assert f"sockfile 3 task3 3 {kv(g.sk(0)):#x}" in lines, lines
    assert f"sockfiles skipped {0xFFFF_FFFF - 4096} tasks 1 first_pid 3 first_max 4294967295" \
        in lines, lines


BIG_FS = 0x2E_0000        # files_structs (0x200 apart: fdtable at +0x100) of the hostile guests
BIG_ARR = 0x30_0000       # a 4096-slot fd array (32 KiB), every slot the socket file of sock 0
BIG_MAX = 4096            # vmi_tool's fd_limit


def stats(lines: list[str]) -> dict[str, int]:
    """vmi_tool's work counters (its last line)."""
    words = lines[-1].split()
    assert words[0] == "stats", lines[-1]
    return {words[i]: int(words[i + 1]) for i in range(1, len(words), 2)}


def shared_table_guest(ntasks: int, alias: str) -> NetGuest:
    """Every user task's fd table leads to one 4096-slot array full of one socket file:
    through one files_struct (alias "files"), through own files_structs sharing one
    fdtable ("fdtable"), or through own fdtables sharing the array ("array"); or (alias
    "overlap") each task's array starts one slot after the previous one's (distinct
    arrays, nearly the same memory: only the budget stops that)."""
    g = NetGuest(ntasks=ntasks)
    sockfile = kv(0xF_9000)                     # sock 0's file (vmi_fake_net FILES)
    for k in range(BIG_MAX + ntasks):
        g.u64(BIG_ARR + 8 * k, sockfile)
    for i, t in enumerate(g.tasks):
        fs = BIG_FS + (0 if alias == "files" else 0x200 * i)
        fdt = BIG_FS + 0x100 if alias in ("files", "fdtable") else fs + 0x100
        g.u64(t + NET_OFF["task_struct.files"], kv(fs))
        g.u64(fs + NET_OFF["files_struct.fdt"], kv(fdt))
        g.u32(fdt + NET_OFF["fdtable.max_fds"], BIG_MAX)
        g.u64(fdt + NET_OFF["fdtable.fd"], kv(BIG_ARR + (8 * i if alias == "overlap" else 0)))
    return g


@pytest.mark.parametrize("alias", ["files", "fdtable", "array"])
def test_shared_fd_table_walked_once(tool: Path, tmp_path: Path, alias: str) -> None:
    """38 processes whose fd tables all lead to one array of 4096 socket files: walked once
    (for the first of them), not 38 times; bounded by the reads made, not the wall clock."""
    g = shared_table_guest(40, alias)
    rc, lines = run_tool(tool, g, tmp_path, "sockfiles", timeout=30)
    assert rc == 0, lines[-3:]
    files = [x for x in lines if x.startswith("sockfile ")]
    assert len(files) == BIG_MAX, (len(files), files[:3])
    assert files[0] == f"sockfile 1 task1 0 {kv(g.sk(0)):#x}"
    assert files[-1] == f"sockfile 1 task1 {BIG_MAX - 1} {kv(g.sk(0)):#x}"
    st = stats(lines)
    # Three reads per socket file (f_op, private_data, sk), a few per task: ~12.5k, not 470k.
    assert st["walks"] + st["tlb_hits"] < 4 * BIG_MAX, st


def test_fd_budget_stops_overlapping_tables(tool: Path, tmp_path: Path) -> None:
    """Distinct but overlapping fd arrays (each a slot further into one big array) are not
    aliases: the scan's budget ends the walk, with VMI_ELIMIT, after that much work."""
    g = shared_table_guest(40, "overlap")
    rc, lines = run_tool(tool, g, tmp_path, "sockfiles_budget", "50000", timeout=30)
    assert rc == 1
    err = error_of(lines)
    assert err.startswith("error iteration limit reached: "), err
    assert "more than 50000 fd slots and socket files in all (the scan's budget" in err, err
    # 50000 units are ~12.5k socket files (4 units each: slot, file, socket): 4 tasks' worth.
    files = [x for x in lines if x.startswith("sockfile ")]
    assert 12_000 < len(files) < 12_600, len(files)
    st = stats(lines)
    assert st["walks"] + st["tlb_hits"] < 50_000, st
    # The same guest within the default budget (tasks 1, 3, 4, 5): every table in full.
    g = shared_table_guest(6, "overlap")
    rc, lines = run_tool(tool, g, tmp_path, "sockfiles", timeout=30)
    assert rc == 0 and len([x for x in lines if x.startswith("sockfile ")]) == 4 * BIG_MAX


@pytest.mark.parametrize(("budget", "ok"), [(210, True), (209, False)])
def test_fd_budget_units(tool: Path, tmp_path: Path, budget: int, ok: bool) -> None:
    """The units as documented: the healthy guest's three processes cost one each for their
    table, 64 slots each, one per file (7) and two more per socket file (4): 210."""
    rc, lines = run_tool(tool, NetGuest(), tmp_path, "sockfiles_budget", str(budget))
    assert len([x for x in lines if x.startswith("sockfile ")]) == (4 if ok else 3), lines
    assert rc == (0 if ok else 1), lines
    if not ok:
        assert f"more than {budget} fd slots" in error_of(lines)


def test_more_tables_than_remembered(tool: Path, tmp_path: Path) -> None:
    """More distinct fd arrays than the walk remembers (64): every one is still walked (one
    past the set is never taken for a repeat), and a repeat of one the set did not keep is
    walked again (charged to the budget) rather than skipped."""
    g = NetGuest(ntasks=72)
    for i, t in enumerate(g.tasks):
        fs = BIG_FS + 0x200 * i
        arr = BIG_ARR + 0x100 * (min(i, 69))        # tasks 69..71 share one array
        g.u64(t + NET_OFF["task_struct.files"], kv(fs))
        g.u64(fs + NET_OFF["files_struct.fdt"], kv(fs + 0x100))
        g.u32(fs + 0x100 + NET_OFF["fdtable.max_fds"], 32)
        g.u64(fs + 0x100 + NET_OFF["fdtable.fd"], kv(arr))
        g.u64(arr + 8 * 7, kv(0xF_9000))            # fd 7: sock 0's file
    rc, lines = run_tool(tool, g, tmp_path, "sockfiles")
    assert rc == 0, lines[-3:]
    pids = [int(x.split()[1]) for x in lines if x.startswith("sockfile ")]
    user = [i for i in range(72) if i not in (0, 2)]
    assert pids == user, pids


def test_sock_index_host() -> None:
    """`ids net`'s owner lookup: the socket list sorted by sk once, then a binary search per
    socket file (commands/ids/sock_index.c, under the sanitizers)."""
    r = subprocess.run([str(host_program("sock_index_test"))], capture_output=True, text=True,
                       env=SAN_ENV, timeout=60, check=False)
    checks_passed(r, "sock_index_test", 1000, only=True)


def test_bad_file_pointer(tool: Path, tmp_path: Path) -> None:
    g = NetGuest()
    g.u64(FILES_STRUCT + 0x400 * 4 + 0x200 + 8 * 9, 0x4141_4141)
    rc, lines = run_tool(tool, g, tmp_path, "sockfiles")
    assert rc == 1 and "fd 9 of pid 4: file 0x41414141 is not a kernel address" in \
        error_of(lines)


def test_proc_tree_loop(tool: Path, tmp_path: Path) -> None:
    g = NetGuest()
    # tcp6 (a leaf) gets the root as its left child: the walk would go round forever.
    g.u64(g.pdes["tcp6"] + NET_OFF["proc_dir_entry.subdir_node"] + NET_OFF["rb_node.rb_left"],
          g.node("tcp"))
    rc, lines = run_tool(tool, g, tmp_path, "proc", "raw")
    assert rc == 1 and "more than 4096 entries (or its tree loops)" in error_of(lines)
    # A tree deeper than the walk's stack: every left child a new entry.
    g = NetGuest()
    g.u64(PROC + NET_OFF["proc_dir_entry.subdir"], kv(0x1F_0000 + 136))
    for i in range(100):
        pde = 0x1F_0000 + 0x100 * i
        g.u64(pde + 136 + NET_OFF["rb_node.rb_left"], kv(pde + 0x100 + 136))
        g.u64(pde + 136 + NET_OFF["rb_node.rb_right"], kv(g.pdes["dev"] + 136))
    rc, lines = run_tool(tool, g, tmp_path, "proc", "raw")
    assert rc == 1 and "deeper than 64" in error_of(lines), lines


def test_profile_without_net_keys(tool: Path, tmp_path: Path) -> None:
    """An older profile (made before `ids net`): a clean 'missing key', nothing read."""
    g = NetGuest()
    p = g.profile()
    del p.values["sym.tcp_hashinfo"]
    g.profile = lambda: p  # type: ignore[method-assign]
    rc, lines = run_tool(tool, g, tmp_path, "net")
    assert rc == 1 and "tcp_hashinfo" in error_of(lines), lines


@pytest.mark.skipif(shutil.which("clang") is None, reason="clang (libFuzzer) not installed")
def test_net_fuzz_short(tmp_path: Path) -> None:
    """net_fuzz (libFuzzer) rewrites the synthetic guest's socket tables, fd tables and
    /proc/net tree with its inputs, seeded with the healthy guest's bytes and a few of the
    hostile variants above."""
    host_program("vmi_tool")          # builds everything, the fuzz targets too
    g = NetGuest()
    g.write(tmp_path / "guest")
    base = IMAGE_PA - g.mem.gpa

    def region_bytes(guest: NetGuest) -> bytes:
        return b"".join(bytes(guest.mem.data[base + off:base + off + n])
                        for off, n in FUZZ_REGIONS)

    looped = NetGuest()
    looped.u64(looped.sk(1) + NET_OFF["sock_common.skc_nulls_node"],
               kv(looped.sk(0) + NET_OFF["sock_common.skc_nulls_node"]))
    huge = NetGuest()
    huge.u32(NET_SYM["tcp_hashinfo"] + NET_OFF["inet_hashinfo.ehash_mask"], 0xFFFF_FFFF)
    env = dict(SAN_ENV, MAMORU_NET_FUZZ_DIR=str(tmp_path / "guest"),
               MAMORU_NET_FUZZ_GPA=hex(g.mem.gpa),
               MAMORU_NET_FUZZ_REGIONS=",".join(f"{base + off:#x}:{n:#x}"
                                                for off, n in FUZZ_REGIONS))
    run_fuzzer(HOST_BIN / "net_fuzz", tmp_path, [region_bytes(x) for x in (g, looped, huge)],
               "-max_len=90000", "-timeout=10", "-rss_limit_mb=2048", env=env)


# -- `ids net`'s scan and verdicts (commands/ids/net_scan.c through vmi_tool's netscan) ------

UNL_SOCKS = 0x32_0000     # unlinked socks, 0x200 apart
UNL_SOCKETS = 0x38_0000   # their struct socket, 0x40 apart
UNL_FILES = 0x39_0000     # their struct file, 0x100 apart
UNL_FS = 0x3A_0000        # task 1's own files_struct (fdtable +0x100, fd array +0x200)
TW_SOCKS = 0x32_0000      # time-wait socks (only a sock_common: 0x90 apart)


def own_fd_table(g: NetGuest, task: int = 1, max_fds: int = 256) -> int:
    """Gives task its own fd table (all empty); returns the fd array's image offset."""
    g.u64(g.tasks[task] + NET_OFF["task_struct.files"], kv(UNL_FS))
    g.u64(UNL_FS + NET_OFF["files_struct.fdt"], kv(UNL_FS + 0x100))
    g.u32(UNL_FS + 0x100 + NET_OFF["fdtable.max_fds"], max_fds)
    g.u64(UNL_FS + 0x100 + NET_OFF["fdtable.fd"], kv(UNL_FS + 0x200))
    return UNL_FS + 0x200


def sock_file(g: NetGuest, arr: int, fd: int, k: int, sk: int) -> None:
    """Socket file k (its struct socket and file) for the sock at sk, at fd of arr."""
    sock, f = UNL_SOCKETS + 0x40 * k, UNL_FILES + 0x100 * k
    g.u64(sk + NET_OFF["sock.sk_socket"], kv(sock))
    g.u64(sock + NET_OFF["socket.sk"], kv(sk))
    g.u64(f + NET_OFF["file.f_op"], kv(NET_SYM["socket_file_ops"]))
    g.u64(f + NET_OFF["file.private_data"], kv(sock))
    g.u64(arr + 8 * fd, kv(f))


def tcp_sock(g: NetGuest, sk: int, port: int, state: int) -> None:
    """A TCP/IPv4 stream sock of init_net on port."""
    g.w(sk + NET_OFF["sock_common.skc_family"], b"\x02\x00")
    g.w(sk + NET_OFF["sock_common.skc_state"], bytes([state]))
    g.w(sk + NET_OFF["sock_common.skc_num"], port.to_bytes(2, "little"))
    g.u64(sk + NET_OFF["sock_common.skc_net"], kv(NET))
    g.w(sk + NET_OFF["sock.sk_type"], (1).to_bytes(2, "little"))
    g.w(sk + NET_OFF["sock.sk_protocol"], (6).to_bytes(2, "little"))


def unlinked_guest(n: int = 1, state: int = 10) -> NetGuest:
    """The healthy guest plus n listeners on ports 7001.. that task1 holds open (fds 3..)
    but no hash table has: unlinked (the attack module's unhash_port)."""
    g = NetGuest()
    arr = own_fd_table(g)
    for k in range(n):
        sk = UNL_SOCKS + 0x200 * k
        tcp_sock(g, sk, 7001 + k, state)
        sock_file(g, arr, 3 + k, k, sk)
    return g


def scans(lines: list[str]) -> list[list[str]]:
    """vmi_tool's output cut at each netscan totals line."""
    out: list[list[str]] = []
    for x in lines:
        if x.startswith("netscan socks "):
            out.append([])
        if out:
            out[-1].append(x)
    return out


def totals(scan: list[str]) -> dict[str, int]:
    w = scan[0].split()[1:]
    return {w[i]: int(w[i + 1]) for i in range(0, len(w), 2)}


def unlinked(scan: list[str]) -> list[str]:
    """ "VERDICT PORT" of each unlinked socket."""
    return [f"{x.split()[1]} {x.split()[8]}" for x in scan if x.startswith("unlinked ")]


def state_gpa(sk: int) -> str:
    return hex(IMAGE_PA + sk + NET_OFF["sock_common.skc_state"])


def test_unlinked_is_hidden_when_seen_in_two_scans(tool: Path, tmp_path: Path) -> None:
    """An unlinked socket is "confirming" when first seen and HIDDEN when the next scan of the
    same boot sees the same one still unlinked (the attack: it stays so); a later scan still
    says HIDDEN. The listed sockets keep their owners."""
    rc, lines = run_tool(tool, unlinked_guest(), tmp_path, "netscan", "1", "netscan", "1",
                         "netscan", "1")
    assert rc == 0, lines
    s = scans(lines)
    assert [unlinked(x) for x in s] == [["confirming 7001"], ["HIDDEN 7001"], ["HIDDEN 7001"]]
    t = totals(s[0])
    assert (t["socks"], t["beyond"], t["tables"], t["owners"], t["checked"], t["memo"]) == \
        (5, 0, 0, 0, 1, 1), s[0]
    assert "netsock 23 3 task3" in s[0] and "netsock 80 4 task4" in s[0], s[0]
    assert any(x.startswith("unlinked confirming pid 1 task1 fd 3 port 7001 state 10 ")
               for x in s[0]), s[0]


def test_unlink_window_is_not_hidden(tool: Path, tmp_path: Path) -> None:
    """The kernel's own window (unhashed, state not yet stored): the next scan finds the socket
    closed (in no table, rightly), so it never becomes HIDDEN; seen again later it starts over.
    Another boot forgets. A change of ports or state is no change of identity (a rootkit can
    rewrite them): the same sock and struct socket unlinked again is HIDDEN."""
    g = unlinked_guest()
    sk = UNL_SOCKS
    rc, lines = run_tool(tool, g, tmp_path, "netscan", "1", "poke", state_gpa(sk), "07",
                         "netscan", "1", "poke", state_gpa(sk), "0a", "netscan", "1",
                         "netscan", "2", "poke", state_gpa(sk), "01", "netscan", "2")
    assert rc == 0, lines
    s = scans(lines)
    assert [unlinked(x) for x in s] == [["confirming 7001"], [], ["confirming 7001"],
                                        ["confirming 7001"], ["HIDDEN 7001"]], s
    assert [totals(x)["memo"] for x in s] == [1, 0, 1, 1, 1]


def dport_gpa(sk: int) -> str:
    return hex(IMAGE_PA + sk + NET_OFF["sock_common.skc_dport"])


def test_rewritten_ports_still_confirm(tool: Path, tmp_path: Path) -> None:
    """A rootkit that rewrites the unlinked listener's remote port (or local port) before each
    scan is still the same socket (sock, struct socket, family, protocol): HIDDEN at the second
    scan, not "confirming" forever."""
    sk = UNL_SOCKS
    num = hex(IMAGE_PA + sk + NET_OFF["sock_common.skc_num"])
    rc, lines = run_tool(tool, unlinked_guest(), tmp_path, "netscan", "1",
                         "poke", dport_gpa(sk), "0001", "netscan", "1",
                         "poke", dport_gpa(sk), "0002", "poke", num, "5b1b", "netscan", "1")
    assert rc == 0, lines
    s = scans(lines)
    assert [unlinked(x) for x in s] == [["confirming 7001"], ["HIDDEN 7001"],
                                        ["HIDDEN 7003"]], s
    assert any(x.endswith(" why again") for x in s[1] if x.startswith("unlinked ")), s[1]


def hash_cmds(sk: int, linked: bool) -> list[str]:
    """vmi_tool pokes that put the sock at sk alone into (or take it out of) listen bucket 0."""
    head = hex(IMAGE_PA + LHASH + 8)
    node = kv(sk + NET_OFF["sock_common.skc_nulls_node"])
    if not linked:
        return ["poke", head, (1).to_bytes(8, "little").hex()]
    return ["poke", head, node.to_bytes(8, "little").hex(),
            "poke", hex(IMAGE_PA + sk + NET_OFF["sock_common.skc_nulls_node"]),
            (1).to_bytes(8, "little").hex()]


def test_rehashed_between_scans_is_hidden(tool: Path, tmp_path: Path) -> None:
    """A rootkit that puts the socket back into its table before every other scan (so no two
    scans in a row see it unlinked): unlinked, then hashed, then unlinked again with the same
    sock and struct socket within NET_MEMO_SCANS (3) scans is HIDDEN ("re-hashed")."""
    sk = UNL_SOCKS
    rc, lines = run_tool(tool, unlinked_guest(), tmp_path, "netscan", "1",
                         *hash_cmds(sk, True), "netscan", "1",
                         *hash_cmds(sk, False), "netscan", "1",
                         *hash_cmds(sk, True), "netscan", "1", "netscan", "1",
                         *hash_cmds(sk, False), "netscan", "1")
    assert rc == 0, lines
    s = scans(lines)
    assert [unlinked(x) for x in s] == [["confirming 7001"], [], ["HIDDEN 7001"], [], [],
                                        ["HIDDEN 7001"]], s
    assert any(x.endswith(" why rehashed") for x in s[2] if x.startswith("unlinked ")), s[2]
    # While hashed it is a listed socket like any other, with its owner.
    assert "netsock 7001 1 task1" in s[1], s[1]
    assert [totals(x)["memo"] for x in s] == [1, 1, 1, 1, 1, 1]


def test_rehashed_is_forgotten_after_the_window(tool: Path, tmp_path: Path) -> None:
    """A socket the kernel unhashed for a moment (caught in its window once) and that stays
    hashed for NET_MEMO_SCANS scans is forgotten: a later unlink starts over at "confirming"."""
    sk = UNL_SOCKS
    rc, lines = run_tool(tool, unlinked_guest(), tmp_path, "netscan", "1",
                         *hash_cmds(sk, True), "netscan", "1", "netscan", "1", "netscan", "1",
                         *hash_cmds(sk, False), "netscan", "1")
    assert rc == 0, lines
    s = scans(lines)
    assert [unlinked(x) for x in s] == [["confirming 7001"], [], [], [], ["confirming 7001"]], s
    assert [totals(x)["memo"] for x in s] == [1, 1, 1, 0, 1]


def test_paused_guest_does_not_confirm(tool: Path, tmp_path: Path) -> None:
    """Scans of a guest that did not run in between (`guest pause`) see the same memory: a
    socket caught in the kernel's unlink window would look unlinked in all of them. It is
    confirmed only by a scan after the guest ran; once confirmed it stays HIDDEN while
    paused. A guest that ran and closed the socket clears it."""
    rc, lines = run_tool(tool, unlinked_guest(), tmp_path, "pause", "netscan", "1",
                         "netscan", "1", "netscan", "1", "resume", "netscan", "1", "pause",
                         "netscan", "1", "netscan", "1")
    assert rc == 0, lines
    s = scans(lines)
    assert [unlinked(x) for x in s] == [["confirming 7001"]] * 3 + [["HIDDEN 7001"]] * 3, s
    # The window: paused while unhashed, then the guest runs on and stores CLOSE.
    rc, lines = run_tool(tool, unlinked_guest(), tmp_path, "netscan", "1", "pause",
                         "netscan", "1", "resume", "poke", state_gpa(UNL_SOCKS), "07",
                         "netscan", "1", "poke", state_gpa(UNL_SOCKS), "0a", "netscan", "1")
    assert rc == 0, lines
    s = scans(lines)
    assert [unlinked(x) for x in s] == [["confirming 7001"], ["confirming 7001"], [],
                                        ["confirming 7001"]], s


def test_more_unlinked_than_kept_is_not_forgotten(tool: Path, tmp_path: Path) -> None:
    """More unlinked sockets than a scan keeps: the rest are counted (`ids net` reports them
    as a finding), never dropped silently; the kept ones are confirmed as usual."""
    rc, lines = run_tool(tool, unlinked_guest(70), tmp_path, "netscan", "1", "netscan", "1")
    assert rc == 0, lines
    first, second = scans(lines)
    assert totals(first)["dropped"] == 6 and totals(second)["dropped"] == 6
    assert len(unlinked(first)) == 64 and all(x.startswith("confirming ") for x in unlinked(first))
    assert all(x.startswith("HIDDEN ") for x in unlinked(second)), second


def many_sockets_guest(n: int) -> NetGuest:
    """n time-wait socks in established bucket 7, then a listener held by task1 (fd 3); and an
    unlinked listener held by task1 (fd 4)."""
    g = NetGuest()
    socks = [TW_SOCKS + 0x90 * i for i in range(n)]
    for sk in socks:
        g.w(sk + NET_OFF["sock_common.skc_family"], b"\x02\x00")
        g.w(sk + NET_OFF["sock_common.skc_state"], bytes([6]))
        g.u64(sk + NET_OFF["sock_common.skc_net"], kv(NET))
    last, hid = 0x3B_0000, 0x3B_0400
    tcp_sock(g, last, 8080, 10)
    tcp_sock(g, hid, 7001, 10)
    g.chain(EHASH + 8 * 7, [*socks, last], 7 * 2 + 1)
    arr = own_fd_table(g)
    sock_file(g, arr, 3, 0, last)
    sock_file(g, arr, 4, 1, hid)
    return g


def test_more_sockets_than_listed_is_partial(tool: Path, tmp_path: Path) -> None:
    """3000 sockets (an unprivileged user can open that many): the first 2048 are listed, the
    rest counted (a partial check, not TAMPERED); every sock of the tables is remembered, so a
    socket file past the list is no suspect, and a truly unlinked one is still confirmed."""
    rc, lines = run_tool(tool, many_sockets_guest(3000), tmp_path, "netscan", "1", "netscan",
                         "1", timeout=60)
    assert rc == 0, lines
    first, second = scans(lines)
    t = totals(first)
    assert (t["socks"], t["beyond"], t["tables"], t["owners"], t["checked"], t["ntable"]) == \
        (2048, 5 + 3000 + 1 - 2048, 0, 0, 1, 5 + 3000 + 1), first
    # udp 53 (task4's) and the listener are past the list: in the tables, not suspects.
    assert unlinked(first) == ["confirming 7001"], first
    assert unlinked(second) == ["HIDDEN 7001"], second
    assert t["reads"] == 1, first


FLOOD_SOCKS = 0x12_0000   # bound UDP socks past the listed ones, 0x200 apart


def test_flood_of_sockets_past_the_list_cannot_hide(tool: Path, tmp_path: Path) -> None:
    """More sockets than listed, and 70 bound UDP sockets past the list held open before the
    hidden listener (an unprivileged user's ~2112 sockets): none of them may take the place
    of the truly unlinked one (no "dropped", no partial check); it is confirmed and HIDDEN."""
    g = many_sockets_guest(2100)
    arr = UNL_FS + 0x200
    g.u64(arr + 8 * 4, 0)                        # the hidden one moves to the last fd
    udp = [FLOOD_SOCKS + 0x200 * k for k in range(70)]
    for k, sk in enumerate(udp):
        g.w(sk + NET_OFF["sock_common.skc_family"], b"\x02\x00")
        g.w(sk + NET_OFF["sock_common.skc_state"], bytes([7]))
        g.w(sk + NET_OFF["sock_common.skc_num"], (20000 + k).to_bytes(2, "little"))
        g.u64(sk + NET_OFF["sock_common.skc_net"], kv(NET))
        g.w(sk + NET_OFF["sock.sk_type"], (2).to_bytes(2, "little"))
        g.w(sk + NET_OFF["sock.sk_protocol"], (17).to_bytes(2, "little"))
        sock_file(g, arr, 10 + k, 2 + k, sk)
    g.chain(UDPHASH + 16 * 2, udp, 0)
    sock_file(g, arr, 100, 1, 0x3B_0400)         # the hidden listener (port 7001)
    rc, lines = run_tool(tool, g, tmp_path, "netscan", "1", "netscan", "1", timeout=60)
    assert rc == 0, lines
    first, second = scans(lines)
    assert unlinked(first) == ["confirming 7001"], first
    assert unlinked(second) == ["HIDDEN 7001"], second
    t = totals(first)
    assert (t["socks"], t["dropped"], t["unread"], t["checked"]) == (2048, 0, 0, 1), first
    assert t["beyond"] == 5 + 2100 + 1 + 70 - 2048, first


def test_dup_and_fork_do_not_use_up_the_reads(tool: Path, tmp_path: Path) -> None:
    """One socket outside the tables (an unbound UDP socket) dup'ed into 4200 fds of one
    process and in the tables of its forked children: read once, not once per fd, so the
    unlinked listener after them is still read and judged."""
    g = NetGuest(ntasks=8)
    arr = own_fd_table(g, max_fds=4300)
    sk = UNL_SOCKS + 0x200
    g.w(sk + NET_OFF["sock_common.skc_family"], b"\x02\x00")
    g.w(sk + NET_OFF["sock_common.skc_state"], bytes([7]))
    g.u64(sk + NET_OFF["sock_common.skc_net"], kv(NET))
    g.w(sk + NET_OFF["sock.sk_type"], (2).to_bytes(2, "little"))
    g.w(sk + NET_OFF["sock.sk_protocol"], (17).to_bytes(2, "little"))
    sock_file(g, arr, 3, 1, sk)
    f = kv(UNL_FILES + 0x100)
    for fd in range(4, 4203):
        g.u64(arr + 8 * fd, f)                   # dup(): the same struct file
    for t in (5, 6, 7):                          # fork(): copies of the table, same files
        fs = BIG_FS + 0x200 * t
        g.u64(g.tasks[t] + NET_OFF["task_struct.files"], kv(fs))
        g.u64(fs + NET_OFF["files_struct.fdt"], kv(fs + 0x100))
        g.u32(fs + 0x100 + NET_OFF["fdtable.max_fds"], 1000)
        g.u64(fs + 0x100 + NET_OFF["fdtable.fd"], kv(BIG_ARR + 0x2000 * (t - 5)))
        for fd in range(1000):
            g.u64(BIG_ARR + 0x2000 * (t - 5) + 8 * fd, f)
    tcp_sock(g, UNL_SOCKS, 7001, 10)
    sock_file(g, arr, 4250, 0, UNL_SOCKS)
    rc, lines = run_tool(tool, g, tmp_path, "netscan", "1", "netscan", "1", timeout=60)
    assert rc == 0, lines
    first, second = scans(lines)
    assert unlinked(first) == ["confirming 7001"], first
    assert unlinked(second) == ["HIDDEN 7001"], second
    t = totals(first)
    assert (t["reads"], t["unread"], t["checked"]) == (2, 0, 1), first


def test_profile_without_the_unlinked_layout(tool: Path, tmp_path: Path) -> None:
    """A profile without what the unlinked check reads (sock.sk_protocol: made before it, or
    a kernel before 5.6) turns the check off up front, with the reason (`ids net` prints a
    partial-check warning), even when no socket file outside the tables was met."""
    g = NetGuest()
    p = g.profile()
    del p.values["sock.sk_protocol"]
    g.profile = lambda: p  # type: ignore[method-assign]
    rc, lines = run_tool(tool, g, tmp_path, "netscan", "1")
    assert rc == 0, lines
    t = totals(scans(lines)[0])
    assert (t["layout"], t["checked"], t["tables"], t["owners"]) == (0, 0, 0, 0), lines
    err = [x for x in lines if x.startswith("netscan layout_err ")]
    assert err and "sock.sk_protocol" in err[0], lines


def test_hostile_tables_stay_tampered(tool: Path, tmp_path: Path) -> None:
    """A loop in a chain is a hostile structure, not size: the walk fails (TAMPERED in
    `ids net`) and no verdict on unlinked sockets is given."""
    g = unlinked_guest()
    g.u64(g.sk(1) + NET_OFF["sock_common.skc_nulls_node"],
          kv(g.sk(0) + NET_OFF["sock_common.skc_nulls_node"]))
    rc, lines = run_tool(tool, g, tmp_path, "netscan", "1", "netscan", "1")
    assert rc == 0, lines
    for scan in scans(lines):
        t = totals(scan)
        assert t["tables"] == -7 and t["checked"] == 0 and t["memo"] == 0, scan
        assert any("loops" in x for x in scan if x.startswith("netscan tables_err")), scan
        # The walk stopped early: sockets after the cut look unlinked, none is judged.
        u = unlinked(scan)
        assert "unjudged 7001" in u and all(x.startswith("unjudged ") for x in u), u


def test_huge_fd_table_is_partial_in_the_scan(tool: Path, tmp_path: Path) -> None:
    """The scan's view of a process with room for 2^32 fds: the first 65536 slots walked,
    the rest counted as partial, the check itself complete for what was walked."""
    g = unlinked_guest()
    g.u32(UNL_FS + 0x100 + NET_OFF["fdtable.max_fds"], 0xFFFF_FFFF)
    g.u64(UNL_FS + 0x100 + NET_OFF["fdtable.fd"], kv(FDS_HUGE))
    rc, lines = run_tool(tool, g, tmp_path, "netscan", "1", timeout=60)
    assert rc == 0, lines
    t = totals(scans(lines)[0])
    assert (t["owners"], t["skipped"], t["tasks"], t["checked"]) == \
        (0, 0xFFFF_FFFF - 65536, 1, 1), lines


def test_process_disguised_as_kernel_thread(tool: Path, tmp_path: Path) -> None:
    """A rootkit sets PF_KTHREAD on its own process (which keeps its mm and fd table) so that
    the fd walk, which skips kernel threads, never sees its sockets: its fds are walked all
    the same (its socket keeps its owner, its unlinked one is judged) and it is counted as
    disguised (`ids net`: TAMPERED). A kernel thread that borrows a user mm (kthread_use_mm)
    keeps init_task's fd table: not counted."""
    g = unlinked_guest()
    tflags = OFF["task_struct.flags"]
    g.u32(g.tasks[3] + tflags, 0x0020_0000)          # task3: PF_KTHREAD, mm kept
    g.u32(g.tasks[1] + tflags, 0x0020_0040)          # task1 (holds the unlinked listener)
    init_fs = FILES_STRUCT + 0x400 * 2               # init_task's (empty) table
    g.u64(g.tasks[0] + NET_OFF["task_struct.files"], kv(init_fs))
    g.u64(init_fs + NET_OFF["files_struct.fdt"], kv(init_fs + 0x100))
    g.u32(init_fs + 0x100 + NET_OFF["fdtable.max_fds"], 64)
    g.u64(init_fs + 0x100 + NET_OFF["fdtable.fd"], kv(init_fs + 0x200))
    g.u64(g.tasks[2] + OFF["task_struct.mm"], kv(0x9_0000))   # kthreadd borrowing an mm
    g.u64(g.tasks[2] + NET_OFF["task_struct.files"], kv(init_fs))
    rc, lines = run_tool(tool, g, tmp_path, "sockfiles", "netscan", "1", "netscan", "1")
    assert rc == 0, lines
    assert f"sockfile 3 task3 3 {kv(g.sk(0)):#x}" in lines, lines
    assert "sockfiles disguised 2 first_pid 1 task1" in lines, lines
    first, second = scans(lines)
    assert "netsock 23 3 task3" in first, first
    assert unlinked(first) == ["confirming 7001"] and unlinked(second) == ["HIDDEN 7001"]
    assert totals(first)["disguised"] == 2, first


def test_memory_survives_a_scan_that_could_not_see_it(tool: Path, tmp_path: Path) -> None:
    """A confirmed unlinked socket pushed out of one scan's suspects (64 more unlinked ones
    before it: that scan reports the rest as HIDDEN at once) is not forgotten: once they are
    gone it is HIDDEN again, not back to "confirming"."""
    g = unlinked_guest(65, state=7)                  # 64 closed sockets on fds 3.., and ...
    hid = UNL_SOCKS + 0x200 * 64                     # ... the unlinked listener on fd 67
    g.w(hid + NET_OFF["sock_common.skc_state"], bytes([10]))
    flood = [x for k in range(64) for x in ("poke", state_gpa(UNL_SOCKS + 0x200 * k), "0a")]
    calm = [x for k in range(64) for x in ("poke", state_gpa(UNL_SOCKS + 0x200 * k), "07")]
    rc, lines = run_tool(tool, g, tmp_path, "netscan", "1", "netscan", "1", *flood,
                         "netscan", "1", *calm, "netscan", "1")
    assert rc == 0, lines
    s = scans(lines)
    assert [unlinked(x) for x in s if len(unlinked(x)) == 1] == [
        ["confirming 7065"], ["HIDDEN 7065"], ["HIDDEN 7065"]], s
    assert totals(s[2])["dropped"] == 1 and "7065" not in " ".join(unlinked(s[2])), s[2]
