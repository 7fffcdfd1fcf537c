# SPDX-License-Identifier: GPL-2.0-only
"""vmi_fake's synthetic guest with sockets (`ids net`'s walks): TCP's listening and established
hash tables (hlist_nulls chains), UDP's table (hlist chains), two processes whose fd tables hold
socket files, and init_net's /proc/net directory (an rb-tree of proc_dir_entry) with a "tcp"
entry whose seq_operations are the kernel's. Offsets are invented, like a real build's."""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from vmi_fake import LINK, FakeGuest, kv

from mamoru.profile.format import Profile

NET_OFF = {
    "sock_common.skc_daddr": 0, "sock_common.skc_rcv_saddr": 4, "sock_common.skc_dport": 12,
    "sock_common.skc_num": 14, "sock_common.skc_family": 16, "sock_common.skc_state": 18,
    "sock_common.skc_net": 48, "sock_common.skc_v6_daddr": 56,
    "sock_common.skc_v6_rcv_saddr": 72, "sock_common.skc_node": 104,
    "sock_common.skc_nulls_node": 104, "sizeof.sock_common": 136, "sock.sk_socket": 0x180,
    "sock.sk_type": 0x1C0, "sizeof.sock.sk_type": 2, "sock.sk_protocol": 0x1C2,
    "sizeof.sock.sk_protocol": 2, "hlist_nulls_node.next": 0,
    "inet_hashinfo.ehash": 0, "inet_hashinfo.ehash_mask": 16, "inet_hashinfo.lhash2_mask": 60,
    "inet_hashinfo.lhash2": 64, "sizeof.inet_listen_hashbucket": 16,
    "inet_listen_hashbucket.nulls_head": 8, "sizeof.inet_ehash_bucket": 8,
    "inet_ehash_bucket.chain": 0, "udp_table.hash": 0, "udp_table.mask": 16,
    "sizeof.udp_hslot": 16, "udp_hslot.head": 0,
    "socket.sk": 24, "file.f_op": 40, "file.private_data": 200, "task_struct.files": 0x320,
    "files_struct.fdt": 32, "fdtable.max_fds": 0, "fdtable.fd": 8,
    "net.proc_net": 168, "proc_dir_entry.proc_ops": 48, "proc_dir_entry.seq_ops": 64,
    "proc_dir_entry.subdir": 128, "proc_dir_entry.subdir_node": 136,
    "proc_dir_entry.name": 160, "proc_dir_entry.namelen": 171, "rb_node.rb_right": 8,
    "rb_node.rb_left": 16, "seq_operations.start": 0, "seq_operations.stop": 8,
    "seq_operations.next": 16, "seq_operations.show": 24,
}
NET_SYM = {"tcp_hashinfo": 0x7_0000, "udp_table": 0x7_0100, "init_net": 0x7_1000,
           "socket_file_ops": 0x7_2000, "tcp4_seq_ops": 0x7_2100, "proc_net_seq_ops": 0x7_2200,
           "tcp4_seq_show": 0x1_2000}
LHASH, EHASH, UDPHASH = 0xF_0000, 0xF_1000, 0xF_2000
NLISTEN, NEST, NUDP = 4, 8, 4
SOCKS = 0xF_4000          # 0x400 apart
SOCKETS = 0xF_8000        # struct socket, 0x40 apart
FILES = 0xF_9000          # struct file, 0x100 apart
FILES_STRUCT = 0xF_D000   # 0x400 apart: files_struct, fdtable at +0x100, fd array at +0x200
PROC = 0xF_B000           # proc_dir_entry, 0x100 apart (0: /proc/net itself)
NAMES = 0xF_C000
OTHER_FOPS = 0x7_2300
NET = 0x7_1000
# What the fuzzer (net_fuzz) rewrites: the symbols' structs and every net structure above.
FUZZ_REGIONS = ((0x7_0000, 0x3000), (0xF_0000, 0x1_0000))


@dataclass
class Sock:
    table: str            # "listen", "established", "udp"
    bucket: int
    family: int
    laddr: str
    lport: int
    raddr: str
    rport: int
    state: int
    owner: int            # task index, or -1
    fd: int


SOCKS_DEFAULT = [
    Sock("listen", 1, socket.AF_INET, "0.0.0.0", 23, "0.0.0.0", 0, 10, 3, 3),
    Sock("listen", 1, socket.AF_INET6, "::", 80, "::", 0, 10, 4, 5),
    Sock("established", 2, socket.AF_INET, "127.0.0.1", 23, "127.0.0.1", 40000, 1, 3, 4),
    Sock("established", 5, socket.AF_INET, "127.0.0.1", 40000, "127.0.0.1", 23, 6, -1, 0),
    Sock("udp", 0, socket.AF_INET, "0.0.0.0", 53, "0.0.0.0", 0, 7, 4, 6),
]


class NetGuest(FakeGuest):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.socks = list(SOCKS_DEFAULT)
        self.u64(NET_SYM["tcp_hashinfo"] + NET_OFF["inet_hashinfo.lhash2"], kv(LHASH))
        self.u32(NET_SYM["tcp_hashinfo"] + NET_OFF["inet_hashinfo.lhash2_mask"], NLISTEN - 1)
        self.u64(NET_SYM["tcp_hashinfo"] + NET_OFF["inet_hashinfo.ehash"], kv(EHASH))
        self.u32(NET_SYM["tcp_hashinfo"] + NET_OFF["inet_hashinfo.ehash_mask"], NEST - 1)
        self.u64(NET_SYM["udp_table"] + NET_OFF["udp_table.hash"], kv(UDPHASH))
        self.u32(NET_SYM["udp_table"] + NET_OFF["udp_table.mask"], NUDP - 1)
        heads: dict[tuple[str, int], list[int]] = {}
        for i, s in enumerate(self.socks):
            sk = SOCKS + 0x400 * i
            heads.setdefault((s.table, s.bucket), []).append(sk)
            fam = 10 if s.family == socket.AF_INET6 else 2
            if fam == 2:
                self.w(sk + NET_OFF["sock_common.skc_daddr"], socket.inet_aton(s.raddr))
                self.w(sk + NET_OFF["sock_common.skc_rcv_saddr"], socket.inet_aton(s.laddr))
            else:
                self.w(sk + NET_OFF["sock_common.skc_v6_daddr"],
                       socket.inet_pton(socket.AF_INET6, s.raddr))
                self.w(sk + NET_OFF["sock_common.skc_v6_rcv_saddr"],
                       socket.inet_pton(socket.AF_INET6, s.laddr))
            self.w(sk + NET_OFF["sock_common.skc_dport"], struct.pack(">H", s.rport))
            self.w(sk + NET_OFF["sock_common.skc_num"], struct.pack("<H", s.lport))
            self.w(sk + NET_OFF["sock_common.skc_family"], struct.pack("<H", fam))
            self.w(sk + NET_OFF["sock_common.skc_state"], bytes([s.state]))
            self.u64(sk + NET_OFF["sock_common.skc_net"], kv(NET))
            tcp = s.table != "udp"
            self.w(sk + NET_OFF["sock.sk_type"], struct.pack("<H", 1 if tcp else 2))
            self.w(sk + NET_OFF["sock.sk_protocol"], struct.pack("<H", 6 if tcp else 17))
            if s.owner >= 0:
                self.u64(sk + NET_OFF["sock.sk_socket"], kv(SOCKETS + 0x40 * i))
                self.u64(SOCKETS + 0x40 * i + NET_OFF["socket.sk"], kv(sk))
        # Bucket heads and chains; empty TCP chains end in their nulls value.
        for b in range(NLISTEN):
            self.chain(LHASH + 16 * b + 8, heads.get(("listen", b), []), b * 2 + 1)
        for b in range(NEST):
            self.chain(EHASH + 8 * b, heads.get(("established", b), []), b * 2 + 1)
        for b in range(NUDP):
            self.chain(UDPHASH + 16 * b, heads.get(("udp", b), []), 0)
        # fd tables: task1 a plain file; task3 and task4 their sockets.
        for t in (1, 3, 4):
            fs = FILES_STRUCT + 0x400 * t
            fdt, arr = fs + 0x100, fs + 0x200
            self.u64(self.tasks[t] + NET_OFF["task_struct.files"], kv(fs))
            self.u64(fs + NET_OFF["files_struct.fdt"], kv(fdt))
            self.u32(fdt + NET_OFF["fdtable.max_fds"], 64)
            self.u64(fdt + NET_OFF["fdtable.fd"], kv(arr))
            f = FILES + 0x100 * (10 + t)
            self.u64(f + NET_OFF["file.f_op"], kv(OTHER_FOPS))
            self.u64(arr, kv(f))                       # fd 0: not a socket
        for i, s in enumerate(self.socks):
            if s.owner < 0:
                continue
            f = FILES + 0x100 * i
            self.u64(f + NET_OFF["file.f_op"], kv(NET_SYM["socket_file_ops"]))
            self.u64(f + NET_OFF["file.private_data"], kv(SOCKETS + 0x40 * i))
            self.u64(FILES_STRUCT + 0x400 * s.owner + 0x200 + 8 * s.fd, kv(f))
        # /proc/net: "tcp" at the root, "dev" left, "udp" right, "tcp6" left of "udp".
        self.u64(NET + NET_OFF["net.proc_net"], kv(PROC))
        self.pdes = {name: PROC + 0x100 * (j + 1)
                     for j, name in enumerate(("tcp", "dev", "udp", "tcp6"))}
        for j, (name, pde) in enumerate(self.pdes.items()):
            self.w(NAMES + 0x10 * j, name.encode() + b"\0")
            self.u64(pde + NET_OFF["proc_dir_entry.name"], kv(NAMES + 0x10 * j))
            self.w(pde + NET_OFF["proc_dir_entry.namelen"], bytes([len(name)]))
            self.u64(pde + NET_OFF["proc_dir_entry.proc_ops"], kv(NET_SYM["proc_net_seq_ops"]))
        self.u64(PROC + NET_OFF["proc_dir_entry.subdir"], self.node("tcp"))
        self.u64(self.pdes["tcp"] + NET_OFF["proc_dir_entry.subdir_node"]
                 + NET_OFF["rb_node.rb_left"], self.node("dev"))
        self.u64(self.pdes["tcp"] + NET_OFF["proc_dir_entry.subdir_node"]
                 + NET_OFF["rb_node.rb_right"], self.node("udp"))
        self.u64(self.pdes["udp"] + NET_OFF["proc_dir_entry.subdir_node"]
                 + NET_OFF["rb_node.rb_left"], self.node("tcp6"))
        self.u64(self.pdes["tcp"] + NET_OFF["proc_dir_entry.seq_ops"], kv(NET_SYM["tcp4_seq_ops"]))
        for k, f in enumerate(("start", "stop", "next", "show")):
            self.u64(NET_SYM["tcp4_seq_ops"] + NET_OFF[f"seq_operations.{f}"],
                     kv(NET_SYM["tcp4_seq_show"] - 0x100 * (3 - k)))

    def node(self, name: str) -> int:
        """Runtime address of a /proc/net entry's rb_node."""
        return kv(self.pdes[name] + NET_OFF["proc_dir_entry.subdir_node"])

    def sk(self, i: int) -> int:
        return SOCKS + 0x400 * i

    def chain(self, head: int, socks: list[int], end: int) -> None:
        """Links socks (image offsets) from the head word at head; the last next is end."""
        nodes = [s + NET_OFF["sock_common.skc_nulls_node"] for s in socks]
        self.u64(head, kv(nodes[0]) if nodes else end)
        for i, n in enumerate(nodes):
            self.u64(n, kv(nodes[i + 1]) if i + 1 < len(nodes) else end)

    def profile(self) -> Profile:
        p = super().profile()
        for key, off in NET_OFF.items():
            p.number(key, off)
        for name, off in NET_SYM.items():
            p.address(f"sym.{name}", LINK + off)
        return p
