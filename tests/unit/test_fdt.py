# SPDX-License-Identifier: GPL-2.0-only
"""The DTB reader (core/lib/fdt.c, fdt_resolve.c) through fdt_dump: lookups
on dtc-compiled trees, and malformed blobs that must be refused cleanly."""
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from dtb_builder import (
    BEGIN_NODE,
    END,
    END_NODE,
    NOP,
    PROP,
    Builder,
    be32,
    header,
    minimal,
    patch_header,
)
from hostprog import DATA, run_prog

PI_QUERIES = ["serial0", "serial1", "soc/serial@7e201000", "/soc/serial", "/soc/serial@1234",
              "/nope", "nosuch", "broken", "/", "//soc///gpio", "/soc/bus/identity/deep",
              "compat=arm,pl011", "compat=arm,primecell", "compat=brcm,bcm2711", "compat=nothing"]


def dump(host: Path, path: Path, *queries: str) -> tuple[int, str]:
    res = run_prog(host, "fdt_dump", [path, *queries])
    assert res.stderr == b"", res.stderr.decode(errors="replace")
    return res.returncode, res.stdout.decode(errors="replace")


def dump_blob(host: Path, tmp_path: Path, blob: bytes, name: str = "t.dtb") -> tuple[int, str]:
    p = tmp_path / name
    p.write_bytes(blob)
    return dump(host, p)


def expect_error(host: Path, tmp_path: Path, blob: bytes, message: str) -> None:
    rc, out = dump_blob(host, tmp_path, blob)
    assert rc == 1 and out == f"error: {message}\n", out


@pytest.fixture(scope="module")
def pi(host_build: Path, dtb_dir: Path) -> list[str]:
    rc, out = dump(host_build, dtb_dir / "pi.dtb", *PI_QUERIES)
    assert rc == 0, out
    return out.splitlines()


@pytest.fixture(scope="module")
def pi_blob(dtb_dir: Path) -> bytes:
    return (dtb_dir / "pi.dtb").read_bytes()


# --- lookups on good trees --------------------------------------------------

def test_pi_golden(pi: list[str]) -> None:
    assert pi == (DATA / "pi.expected").read_text().splitlines()


def test_soc_ranges_translation(pi: list[str]) -> None:
    assert "reg /soc/serial@7e201000 [0]: addr 0xfe201000 size 0x200" in pi
    assert "reg /soc/serial@7e215040 [0]: addr 0xfe215040 size 0x40" in pi
    # Second and third ranges entries.
    assert "reg /soc/interrupt-controller@40041000 [1]: addr 0xff842000 size 0x2000" in pi


def test_nested_and_identity_ranges(pi: list[str]) -> None:
    assert "reg /soc/bus@7e300000/button@100 [0]: addr 0xfe300100 size 0x10" in pi
    assert "reg /soc/bus@7e300000/identity/deep@300 [0]: addr 0xfe300300 size 0x8" in pi


def test_two_cell_addresses(pi: list[str]) -> None:
    assert "reg /memory@0 [1]: addr 0x40000000 size 0xbc000000" in pi
    assert "reg /soc64/pcie@1000 [1]: addr 0x600002000 size 0x200" in pi


def test_reg_errors(pi: list[str]) -> None:
    no_ranges = "error: address not translatable through parent ranges"
    assert f"reg /soc/nomap@7e400000/child@10: {no_ranges}" in pi
    assert f"reg /cpus/cpu@0: {no_ranges}" in pi
    assert "reg /badreg@2000: error: property has a bad length or format" in pi


def test_chosen(pi: list[str]) -> None:
    assert "bootargs: console=ttyAMA0,115200 root=/dev/mmcblk0p2" in pi
    assert "stdout: /soc/serial@7e215040 options 115200n8" in pi


def test_aliases_and_paths(pi: list[str]) -> None:
    for line in ["path serial0: /soc/serial@7e215040",
                 "path serial1: /soc/serial@7e201000",
                 "path soc/serial@7e201000: /soc/serial@7e201000",
                 "path /soc/serial: /soc/serial@7e201000",
                 "path /soc/serial@1234: error: not found",
                 "path /nope: error: not found",
                 "path nosuch: error: not found",
                 "path broken: error: not found",  # alias value not absolute
                 "path /: /",
                 "path //soc///gpio: /soc/gpio@7e200000",
                 "path /soc/bus/identity/deep: /soc/bus@7e300000/identity/deep@300"]:
        assert line in pi


def test_compatible(pi: list[str]) -> None:
    assert "compat arm,pl011: /soc/serial@7e201000" in pi
    assert "compat arm,primecell: /soc/serial@7e201000" in pi
    assert "compat brcm,bcm2711: /" in pi
    assert "compat nothing: (none)" in pi


def test_interrupt_parent_chain(pi: list[str]) -> None:
    gic = "/soc/interrupt-controller@40041000"
    assert f"irq-parent /soc/serial@7e201000: {gic}" in pi  # inherited from /
    assert f"irq /soc/serial@7e201000 [0]: ctrl {gic} cells 3: 0x0 0x79 0x4" in pi
    assert "irq /soc/bus@7e300000/button@100 [0]: ctrl /soc/gpio@7e200000 cells 2: 0x11 0x2" in pi
    assert "irq /soc/bus@7e300000/leaf@200 [0]: ctrl /local_intc@40000000 cells 1: 0x5" in pi
    assert f"irq /soc/gpio@7e200000 [1]: ctrl {gic} cells 3: 0x0 0x72 0x4" in pi


def test_interrupts_extended(pi: list[str]) -> None:
    gic = "/soc/interrupt-controller@40041000"
    assert f"irq /ext-dev@1000 [0]: ctrl {gic} cells 3: 0x0 0x5 0x4" in pi
    assert "irq /ext-dev@1000 [1]: ctrl /soc/gpio@7e200000 cells 2: 0x3 0x1" in pi


def test_phandles_and_memreserve(pi: list[str]) -> None:
    assert "phandle 0x3: /local_intc@40000000" in pi
    assert pi[:2] == ["memreserve 0x0 0x1000", "memreserve 0x3b400000 0x4c00000"]


def test_virt(host_build: Path, dtb_dir: Path) -> None:
    rc, out = dump(host_build, dtb_dir / "virt.dtb", "/pl011", "serial0")
    assert rc == 0, out
    lines = out.splitlines()
    assert "stdout: /pl011@9000000 options (none)" in lines
    assert "reg /pl011@9000000 [0]: addr 0x9000000 size 0x1000" in lines
    assert "irq /pl011@9000000 [0]: ctrl /intc@8000000 cells 3: 0x0 0x1 0x4" in lines
    assert "path /pl011: /pl011@9000000" in lines
    assert "path serial0: error: not found" in lines  # no /aliases at all
    assert "bootargs: (none)" in lines


def test_version16_header(host_build: Path, tmp_path: Path, pi_blob: bytes) -> None:
    rc, out = dump_blob(host_build, tmp_path, patch_header(pi_blob, version=16))
    assert rc == 0 and "stdout: /soc/serial@7e215040 options 115200n8" in out


# --- built token by token -----------------------------------------------------

def test_builder_minimal_ok(host_build: Path, tmp_path: Path) -> None:
    rc, out = dump_blob(host_build, tmp_path, minimal().end().blob(rsv=[(0x1000, 0x2000)]))
    assert rc == 0, out
    assert out.splitlines()[:3] == ["memreserve 0x1000 0x2000", "node /", '  compatible = "test"']


def test_nops_everywhere_ok(host_build: Path, tmp_path: Path) -> None:
    b = (Builder().token(NOP).begin("").token(NOP).prop("a", be32(1)).token(NOP)
         .begin("c").token(NOP).end_node().token(NOP).end_node().token(NOP).end())
    rc, out = dump_blob(host_build, tmp_path, b.blob())
    assert rc == 0 and "node /c" in out, out


def nested(depth: int) -> bytes:
    b = Builder()
    for i in range(depth):
        b.begin("" if i == 0 else f"n{i}")
    for _ in range(depth):
        b.end_node()
    return b.end().blob()


def test_depth_limit(host_build: Path, tmp_path: Path) -> None:
    rc, out = dump_blob(host_build, tmp_path, nested(32))
    assert rc == 0, out
    expect_error(host_build, tmp_path, nested(33), "nodes nested too deeply")
    expect_error(host_build, tmp_path, nested(200), "nodes nested too deeply")


@pytest.mark.parametrize("name,blob", [
    ("missing END", minimal().blob()),
    ("END inside root", Builder().begin("").end().blob()),
    ("extra END_NODE", minimal().end_node().end().blob()),
    ("no root", Builder().end().blob()),
    ("empty struct", Builder().blob()),
    ("prop before root", Builder().prop("x", b"1").begin("").end_node().end().blob()),
    ("second root", minimal().begin("").end_node().end().blob()),
    ("token 0", Builder().begin("").token(0).end_node().end().blob()),
    ("token 5", Builder().begin("").token(5).end_node().end().blob()),
    ("token 8", Builder().begin("").token(8).end_node().end().blob()),
    ("token 0xffffffff", Builder().begin("").token(0xffffffff).end_node().end().blob()),
    ("unterminated name", Builder().token(BEGIN_NODE).raw(b"abcdefgh").blob()),
    ("name runs past END", Builder().begin("").token(BEGIN_NODE).raw(b"abc").blob()),
    ("prop len huge",
     Builder().begin("").prop("x", b"", length=0xfffffff0).end_node().end().blob()),
    ("prop len one past", Builder().begin("").prop("x", b"", length=13).end_node().end().blob()),
    ("prop header cut", Builder().begin("").token(PROP).raw(be32(0)).blob()),
    ("half token", Builder().begin("").end_node().raw(b"\0\0").blob()),
])
def test_bad_structure(host_build: Path, tmp_path: Path, name: str, blob: bytes) -> None:
    expect_error(host_build, tmp_path, blob, "malformed structure block")


def test_nameoff_out_of_range(host_build: Path, tmp_path: Path) -> None:
    b = Builder().begin("").prop("a", b"", nameoff=1000).end_node().end()
    expect_error(host_build, tmp_path, b.blob(), "property name outside the strings block")
    b = Builder().begin("").prop("a", b"", nameoff=0xffffffff).end_node().end()
    expect_error(host_build, tmp_path, b.blob(), "property name outside the strings block")


def test_unterminated_strings_block(host_build: Path, tmp_path: Path) -> None:
    blob = minimal().end().blob()
    blob = blob[:-1] + b"x"  # the last name ("reg") loses its NUL
    expect_error(host_build, tmp_path, blob, "property name outside the strings block")


def test_rsvmap_without_terminator(host_build: Path, tmp_path: Path) -> None:
    blob = minimal().end().blob(rsv=[(1, 2)])
    # Point the map at the last 8 bytes: no room for a (0, 0) entry.
    expect_error(host_build, tmp_path, patch_header(blob, off_mem_rsvmap=len(blob) - 8),
                 "device tree blocks outside the blob")


# --- header damage on a dtc blob ---------------------------------------------

@pytest.mark.parametrize("fields,message", [
    ({"magic": 0xd00dfeee}, "not a device tree (bad magic)"),
    ({"magic": 0}, "not a device tree (bad magic)"),
    ({"version": 1}, "unsupported device tree version"),
    ({"version": 15}, "unsupported device tree version"),
    ({"last_comp_version": 18}, "unsupported device tree version"),
    ({"totalsize": "+1"}, "device tree truncated"),
    ({"totalsize": 0xffffffff}, "device tree truncated"),
    ({"totalsize": 39}, "device tree blocks outside the blob"),
    ({"off_dt_struct": "end"}, "device tree blocks outside the blob"),
    ({"off_dt_struct": 0xfffffffc}, "device tree blocks outside the blob"),
    ({"off_dt_struct": "+2"}, "device tree blocks outside the blob"),
    ({"off_dt_struct": 8}, "device tree blocks outside the blob"),
    ({"size_dt_struct": 0xfffffff0}, "device tree blocks outside the blob"),
    ({"size_dt_strings": 0xffffffff}, "device tree blocks outside the blob"),
    ({"off_dt_strings": 0xfffffff0}, "device tree blocks outside the blob"),
    ({"off_mem_rsvmap": "end+1"}, "device tree blocks outside the blob"),
    ({"off_mem_rsvmap": 0}, "device tree blocks outside the blob"),
    ({"size_dt_struct": 0}, "malformed structure block"),
])
def test_bad_header(host_build: Path, tmp_path: Path, pi_blob: bytes,
                    fields: dict[str, int | str], message: str) -> None:
    h = header(pi_blob)
    resolved: dict[str, int] = {}
    for k, v in fields.items():
        if v == "end":
            v = len(pi_blob)
        elif v == "end+1":
            v = len(pi_blob) + 1
        elif isinstance(v, str):
            v = h[k] + int(v)
        resolved[k] = v
    expect_error(host_build, tmp_path, patch_header(pi_blob, **resolved), message)


def test_truncated(host_build: Path, tmp_path: Path, pi_blob: bytes) -> None:
    lengths = sorted(set(list(range(0, 64)) + list(range(64, len(pi_blob), 37)) +
                         [len(pi_blob) - k for k in range(1, 9)]))
    for n in lengths:
        rc, out = dump_blob(host_build, tmp_path, pi_blob[:n], f"t{n}.dtb")
        assert (rc, out) == (1, "error: device tree truncated\n"), f"length {n}: {out}"


def test_empty_file(host_build: Path, tmp_path: Path) -> None:
    expect_error(host_build, tmp_path, b"", "device tree truncated")


# --- random damage -----------------------------------------------------------

def flipped_blobs(blob: bytes, count: int, seed: int) -> Iterator[tuple[int, bytes]]:
    rng = random.Random(seed)
    h = header(blob)
    lo, hi = h["off_dt_struct"], h["off_dt_strings"] + h["size_dt_strings"]
    for i in range(count):
        b = bytearray(blob)
        for _ in range(rng.randint(1, 4)):
            # Mostly inside the structure and strings blocks, where damage
            # can still pass validation and reach the lookups.
            pos = rng.randrange(lo, hi) if i % 4 else rng.randrange(len(b))
            b[pos] ^= rng.randint(1, 255)
        yield i, bytes(b)


def check_clean(host: Path, path: Path) -> tuple[bool, str]:
    res = run_prog(host, "fdt_dump", [path, "serial0", "/soc/serial", "compat=arm,pl011"],
                   timeout=30)
    out = res.stdout.decode(errors="replace")
    ok = (res.stderr == b"" and (res.returncode == 0 or
                                 (res.returncode == 1 and out.startswith("error: "))))
    return ok, f"{path}: rc={res.returncode} stdout={out[-300:]!r} stderr={res.stderr[-2000:]!r}"


def test_random_byte_flips(host_build: Path, tmp_path: Path, pi_blob: bytes) -> None:
    paths = []
    for i, b in flipped_blobs(pi_blob, 400, seed=20240601):
        p = tmp_path / f"flip{i}.dtb"
        p.write_bytes(b)
        paths.append(p)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda p: check_clean(host_build, p), paths))
    bad = [msg for ok, msg in results if not ok]
    assert not bad, "\n".join(bad[:5])


def test_struct_token_fuzz(host_build: Path, tmp_path: Path) -> None:
    """Random token streams: random tokens, lengths and name offsets."""
    rng = random.Random(7)
    paths = []
    for i in range(150):
        b = Builder().begin("")
        for _ in range(rng.randint(0, 30)):
            choice = rng.random()
            if choice < 0.25:
                b.begin(rng.choice(["a", "b@1", "", "x" * rng.randint(0, 9)]))
            elif choice < 0.45:
                b.end_node()
            elif choice < 0.75:
                b.prop(rng.choice(["reg", "ranges", "interrupts", "#address-cells",
                                   "interrupt-parent", "phandle", "compatible"]),
                       bytes(rng.randrange(256) for _ in range(rng.choice([0, 4, 8, 12, 3]))),
                       nameoff=rng.choice([None, None, None, rng.randrange(64)]))
            elif choice < 0.85:
                b.token(rng.choice([NOP, END, PROP, BEGIN_NODE, END_NODE, 7]))
            else:
                b.raw(bytes(rng.randrange(256) for _ in range(rng.choice([1, 2, 4, 8]))))
        b.end_node().end()
        p = tmp_path / f"tok{i}.dtb"
        p.write_bytes(b.blob())
        paths.append(p)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda p: check_clean(host_build, p), paths))
    bad = [msg for ok, msg in results if not ok]
    assert not bad, "\n".join(bad[:5])



# --- the CPUs and how they start (core/lib/fdt_cpus.c, the `cpus` query) ------------------

def _cpu(b: Builder, n: int, *props: tuple[str, bytes]) -> Builder:
    b.begin(f"cpu@{n}").prop("device_type", b"cpu\0").prop("reg", be32(n))
    for name, value in props:
        b.prop(name, value)
    return b.end_node()


def _cpus_tree(*cpus: tuple[tuple[str, bytes], ...], cells: int = 1) -> bytes:
    b = Builder().begin("").begin("cpus").prop("#address-cells", be32(cells))
    b.prop("#size-cells", be32(0))
    for n, props in enumerate(cpus):
        _cpu(b, n, *props)
    b.begin("l2-cache").prop("compatible", b"cache\0").end_node()     # not a cpu
    return b.end_node().end_node().end().blob()


def _query(host: Path, tmp_path: Path, blob: bytes, query: str, first: str) -> list[str]:
    """fdt_dump's answer to query on blob: its lines from the first that starts with first."""
    p = tmp_path / f"{query}.dtb"
    p.write_bytes(blob)
    rc, out = dump(host, p, query)
    assert rc == 0, out
    return out[out.index(first):].splitlines()


def _cpus(host: Path, tmp_path: Path, blob: bytes) -> list[str]:
    return _query(host, tmp_path, blob, "cpus", "cpus:")


SPIN = ("enable-method", b"spin-table\0")


def _release(addr: int, length: int = 8) -> tuple[str, bytes]:
    return ("cpu-release-addr", addr.to_bytes(8, "big")[8 - length:])


def test_cpus_of_the_pi_trees(host_build: Path) -> None:
    """The Pis' own DTBs (./mamoru setup): four cores, secondaries on the spin table."""
    from mamoru import paths
    for name in ("bcm2711-rpi-4-b.dtb", "bcm2837-rpi-3-b.dtb"):
        dtb = paths.dtb_dir() / name
        assert dtb.is_file(), f"{dtb} missing: ./mamoru setup fetches it"
        rc, out = dump(host_build, dtb, "cpus")
        assert rc == 0
        assert out[out.index("cpus:"):].splitlines() == [
            "cpus: 4", *(f"cpu 0x{i:x}: spin-table release 0x{0xd8 + 8 * i:x}" for i in range(4))]


def test_cpus_methods_and_damaged_spin_tables(host_build: Path, tmp_path: Path) -> None:
    blob = _cpus_tree((), (("enable-method", b"psci\0"),), (SPIN, _release(0xe0)),
                      (SPIN, _release(0xe8, 4)),        # one cell: not a 64-bit address
                      (SPIN, _release(0xf4)),           # not 8-byte aligned
                      (SPIN, _release(0)),              # zero
                      (SPIN,),                          # no release address
                      (("enable-method", b"brcm,bcm2836-smp\0"),))
    assert _cpus(host_build, tmp_path, blob) == [
        "cpus: 8", "cpu 0x0: none", "cpu 0x1: psci", "cpu 0x2: spin-table release 0xe0",
        "cpu 0x3: unusable", "cpu 0x4: unusable", "cpu 0x5: unusable", "cpu 0x6: unusable",
        "cpu 0x7: unusable"]


def test_cpus_counted_beyond_what_is_kept_and_two_cell_reg(host_build: Path,
                                                          tmp_path: Path) -> None:
    blob = _cpus_tree(*[(SPIN, _release(0x1000_0000_0000 + 8 * i)) for i in range(10)])
    lines = _cpus(host_build, tmp_path, blob)
    assert lines[0] == "cpus: 10" and len(lines) == 1 + 8     # FDT_CPUS_MAX filled
    assert lines[8] == "cpu 0x7: spin-table release 0x100000000038"
    b = Builder().begin("").begin("cpus").prop("#address-cells", be32(2))
    b.begin("cpu@100").prop("device_type", b"cpu\0").prop("reg", be32(0) + be32(0x100))
    b.end_node().end_node().end_node().end()
    assert _cpus(host_build, tmp_path, b.blob()) == ["cpus: 1", "cpu 0x100: none"]


def test_guest_vcpus(host_build: Path, tmp_path: Path) -> None:
    """fdt_guest_vcpus (core/guest.c's count of a guest's vCPUs): the cpu nodes of /cpus,
    whose reg must be 0, 1, ... in order; one vCPU for a tree without /cpus; a /cpus
    without cpu nodes, a reg out of order and more than FDT_CPUS_MAX nodes are refused."""
    def vcpus(blob: bytes) -> str:
        return _query(host_build, tmp_path, blob, "vcpus", "vcpus:")[0]

    psci = (("enable-method", b"psci\0"),)
    assert vcpus(_cpus_tree(*[psci] * 4)) == "vcpus: ok 4"
    assert vcpus(_cpus_tree(psci)) == "vcpus: ok 1"
    assert vcpus(Builder().begin("").begin("memory").end_node().end_node().end().blob()) == \
        "vcpus: ok 1"
    assert vcpus(_cpus_tree()) == "vcpus: none 1"
    assert vcpus(_cpus_tree(*[psci] * 9)) == "vcpus: too many 1"
    b = Builder().begin("").begin("cpus").prop("#address-cells", be32(1))
    b.prop("#size-cells", be32(0))
    for reg in (0, 1, 3):
        b.begin(f"cpu@{reg}").prop("device_type", b"cpu\0").prop("reg", be32(reg)).end_node()
    assert vcpus(b.end_node().end_node().end().blob()) == "vcpus: bad reg 2"


def _slots(host: Path, tmp_path: Path, blob: bytes) -> list[str]:
    return _query(host, tmp_path, blob, "slots", "slot")


def test_release_slots_of_every_cpu(host_build: Path, tmp_path: Path) -> None:
    """fdt_next_release_slot, whose pages mm_discover reserves: every cpu node's
    cpu-release-addr, also where fdt_cpus finds the spin table unusable (misaligned, one
    cell, zero, another enable-method) and beyond the FDT_CPUS_MAX cores it keeps; a
    malformed length and non-cpu nodes are not slots."""
    blob = _cpus_tree((SPIN, _release(0xd8)), (("enable-method", b"psci\0"),),
                      (SPIN, _release(0xe8, 4)), (SPIN, _release(0xf4)), (SPIN, _release(0)),
                      (("enable-method", b"brcm,bcm2836-smp\0"), _release(0x8000_0000)),
                      (SPIN, ("cpu-release-addr", b"\0" * 6)),
                      *[(SPIN, _release(0x1_0000_0000 + 8 * i)) for i in range(3)])
    assert _slots(host_build, tmp_path, blob) == [
        "slot 0xd8", "slot 0xe8", "slot 0xf4", "slot 0x0", "slot 0x80000000",
        "slot 0x100000000", "slot 0x100000008", "slot 0x100000010", "slots: 8"]
    assert _slots(host_build, tmp_path, Builder().begin("").end_node().end().blob()) == [
        "slots: 0"]


def test_release_slots_of_the_pi_trees(host_build: Path) -> None:
    from mamoru import paths
    for name in ("bcm2711-rpi-4-b.dtb", "bcm2837-rpi-3-b.dtb"):
        rc, out = dump(host_build, paths.dtb_dir() / name, "slots")
        assert rc == 0
        assert out[out.index("slot"):].splitlines() == [
            *(f"slot 0x{0xd8 + 8 * i:x}" for i in range(4)), "slots: 4"]


@pytest.mark.parametrize("tree, error", [
    (Builder().begin("").end_node().end(), "not found"),                      # no /cpus
    (Builder().begin("").begin("cpus").prop("#address-cells", be32(3)).end_node()
     .end_node().end(), "property has a bad length or format"),               # 3 cells
    (Builder().begin("").begin("cpus").prop("#address-cells", be32(2))
     .begin("cpu@0").prop("device_type", b"cpu\0").prop("reg", be32(0)).end_node()
     .end_node().end_node().end(), "property has a bad length or format"),    # short reg
])
def test_cpus_refused(host_build: Path, tmp_path: Path, tree: Builder, error: str) -> None:
    assert _cpus(host_build, tmp_path, tree.blob()) == [f"cpus: error: {error}"]
