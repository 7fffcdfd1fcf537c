# SPDX-License-Identifier: GPL-2.0-only
"""The socket layout `ids net` needs, in the profiles of Debian's 6.1 and 6.12 cloud kernels:
every key there, the same from BTF (Image + System.map) and DWARF (vmlinux), and the values
where the kernel's ABI fixes them (sock_common's head, the seq_operations order)."""

from __future__ import annotations

import pytest

from mamoru import guest_assets
from mamoru.profile import Profile, build_profile
from mamoru.profile.builder import NET_STRUCTS, NET_SYMBOLS

pytestmark = pytest.mark.debian


@pytest.fixture(scope="module", params=[None, "6.12"], ids=["6.1", "6.12"])
def profiles(request: pytest.FixtureRequest) -> dict[str, Profile]:
    k = guest_assets.debug_files(guest_assets.cloud_kernel(series=request.param))
    assert k.system_map is not None and k.vmlinux is not None
    return {"btf": build_profile(k.image, k.system_map, k.config).profile,
            "dwarf": build_profile(k.vmlinux, None, k.config).profile}


def net_keys(p: Profile) -> dict[str, int | str | None]:
    keys = [f"sym.{s}" for s in NET_SYMBOLS] + ["task_struct.files"]
    for struct_name, members in NET_STRUCTS.items():
        keys.append(f"sizeof.{struct_name}")
        keys += [f"{struct_name}.{m}" for m in members]
    return {k: p.get(k) for k in keys}


def test_net_layout_in_both_inputs(profiles: dict[str, Profile]) -> None:
    btf, dwarf = net_keys(profiles["btf"]), net_keys(profiles["dwarf"])
    assert btf == dwarf
    # Only the pre-5.19 listening bucket member is absent.
    assert [k for k, v in btf.items() if v is None] == ["inet_listen_hashbucket.head"]
    v = btf
    assert (v["sock_common.skc_daddr"], v["sock_common.skc_rcv_saddr"],
            v["sock_common.skc_dport"], v["sock_common.skc_num"],
            v["sock_common.skc_family"], v["sock_common.skc_state"]) == (0, 4, 12, 14, 16, 18)
    assert v["sock_common.skc_node"] == v["sock_common.skc_nulls_node"]
    assert v["sock.__sk_common"] == 0 and v["hlist_nulls_node.next"] == 0
    assert [v[f"seq_operations.{m}"] for m in ("start", "stop", "next", "show")] == [0, 8, 16, 24]
    p = profiles["btf"]
    for key in ("sizeof.sock_common.skc_net", "sizeof.socket.sk", "sizeof.file.f_op"):
        assert p.get(key) == 8, key
    assert p.get("sizeof.sock.sk_protocol") == 2 and p.get("bitfield.sock.sk_protocol") is None
    text, etext = p.get("sym._stext"), p.get("sym._etext")
    ro, ro_end = p.get("sym.__start_rodata"), p.get("sym.__end_rodata")
    assert isinstance(text, int) and isinstance(etext, int)
    assert isinstance(ro, int) and isinstance(ro_end, int)
    for fn in ("tcp4_seq_show", "tcp6_seq_show", "udp4_seq_show", "udp6_seq_show"):
        assert text <= v[f"sym.{fn}"] < etext, fn  # type: ignore[operator]
    for ops in ("tcp4_seq_ops", "tcp6_seq_ops", "udp_seq_ops", "udp6_seq_ops",
                "proc_net_seq_ops", "socket_file_ops"):
        assert ro <= v[f"sym.{ops}"] < ro_end, ops  # type: ignore[operator]
