# SPDX-License-Identifier: GPL-2.0-only
"""Issue 3: an unmodified Debian arm64 kernel runs as guest0 under Mamoru.

Through `vserial bind` the tests use the guest's busybox shell; the hypervisor
shell must keep working around it whatever the guest does.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from mamoru import paths
from mamoru.boards import BoardConfig
from mamoru.bundle import image_release, read_bundle
from mamoru.cpio import CpioWriter, read_cpio
from mamoru.guest_assets import INIT_DONE
from mamoru.guest_stats import GuestStats
from mamoru.guest_stats import parse as parse_guest_stats
from mamoru.guestshell import GuestShell
from mamoru.testing import Launcher, Target

# Guest support needed: not parametrized over boards without it (board.toml guests).
pytestmark = pytest.mark.guests("arm64")

GuestPair = tuple[Target, GuestShell]

# Reloading a guest's images (and cleaning them to the point of coherency) takes seconds
# under TCG, more on a busy machine.
RELOAD_TIMEOUT = 60.0


def guest_row(t: Target, name: str = "guest0") -> list[str]:
    out = t.console.command("guest list")
    for line in out.splitlines():
        if line.split()[:1] == [name]:
            return line.split()
    raise AssertionError(f"{name} missing from guest list:\n{out}")


def guest_ram(t: Target, name: str = "guest0") -> tuple[int, int]:
    """Base and size of a guest's RAM as this boot's log gives them: 0x40000000 from its
    device tree, or wherever the hypervisor put it 1:1 for passed-through devices (virt's
    guest0, docs/passthrough.md)."""
    m = re.search(rf"^{name}: (\d+) MiB RAM at 0x([0-9a-f]+)", t.boot_log, re.M)
    assert m, t.boot_log[-2000:]
    return int(m.group(2), 16), int(m.group(1)) << 20


def exits(t: Target) -> int:
    return int(guest_row(t)[5])


def test_guest_shell_runs_real_commands(guest: GuestPair) -> None:
    t, g = guest
    g.attach()
    uname = g.run("uname -a")
    # The bundle's own guest0 (the default one, or a guest file's with ./mamoru test --guests).
    bundle = read_bundle(paths.BUILD / t.config.board.name / "guests.cpio")
    release = image_release(bundle["guest0"]["kernel"])
    assert release and "aarch64" in uname and release in uname, (release, uname)
    cpuinfo = g.run("cat /proc/cpuinfo")
    assert re.search(r"^processor\s*: 0", cpuinfo, re.M), cpuinfo
    assert "CPU implementer" in cpuinfo
    # A CPU for each cpu node of its device tree (the default guest: one per board core).
    vcpus = bundle["guest0"]["dtb"].count(b"cpu@")
    assert vcpus >= 1 and len(re.findall(r"^processor", cpuinfo, re.M)) == vcpus, cpuinfo
    ps = g.run("ps")
    assert re.search(r"^\s*1 .*init", ps, re.M) and "[kthreadd]" in ps, ps
    mem = g.run("cat /proc/meminfo")
    total_kb = int(re.search(r"MemTotal:\s+(\d+) kB", mem).group(1))  # type: ignore[union-attr]
    assert 200_000 < total_kb <= 256 * 1024, mem                       # the 256 MiB of its DTB
    g.detach()
    assert "version: " in t.console.command("version")


def test_guest_list_pause_resume(guest: GuestPair) -> None:
    t, g = guest
    row = guest_row(t)
    vcpus = read_bundle(paths.BUILD / t.config.board.name / "guests.cpio")["guest0"]["dtb"]
    assert row[1] == "running" and row[2] == "256" and row[4] == str(vcpus.count(b"cpu@")), row
    assert t.console.command("guest pause guest0") == "guest0: paused"
    before = exits(t)
    time.sleep(1.0)
    assert exits(t) == before, "a paused guest must not run"
    assert guest_row(t)[1] == "paused"
    assert "not running" in t.console.command("guest pause guest0")
    assert t.console.command("guest resume guest0") == "guest0: running"
    time.sleep(0.5)
    assert exits(t) > before
    g.attach()
    assert g.run("echo alive") == "alive"
    g.detach()


def test_guest_regs_and_dumpmem(guest: GuestPair) -> None:
    t, _ = guest
    regs = t.console.command("guest regs guest0")
    assert re.search(r"pc 0x[0-9a-f]{16}", regs) and "ttbr1_el1" in regs, regs
    ttbr1 = int(re.search(r"ttbr1_el1 0x([0-9a-f]+)", regs).group(1), 16)  # type: ignore[union-attr]
    assert ttbr1 != 0, "the guest kernel runs with its MMU on"
    # What a stuck guest's report needs: its core, timer and interrupt state.
    assert re.search(r"^core \d+ \(kick (?:none|on its way)\).* cntv_ctl [0-9a-f]+ cval 0x", regs,
                     re.M), regs
    assert re.search(r"^vgic: .*, distributor on, wakes (?:yes|no)", regs, re.M), regs
    assert re.search(r"^\s+0-31: en [0-9a-f]{8} pend", regs, re.M), regs
    base, size = guest_ram(t)
    dump = t.console.command(f"guest dumpmem guest0 {base:#x} 32")
    assert dump.startswith(f"{base:016x}:") and len(dump.splitlines()) == 2, dump
    assert "outside guest0's RAM" in t.console.command(
        f"guest dumpmem guest0 {base - 0x100:#x} 512")
    assert "outside guest0's RAM" in t.console.command(
        f"guest dumpmem guest0 {base + size:#x} 16")
    assert "at most 4096" in t.console.command(f"guest dumpmem guest0 {base:#x} 5000")


def ram_banks(boot_log: str) -> list[tuple[int, int]]:
    """The RAM banks (first, last address) the hypervisor's banner lists."""
    return [(int(a, 16), int(b, 16))
            for a, b in re.findall(r"^  RAM 0x([0-9a-f]+)-0x([0-9a-f]+) ", boot_log, re.M)]


def test_guest_ram_and_the_heap_sit_in_the_top_bank(guest: GuestPair) -> None:
    """The page allocator manages every bank and serves from the highest first: on the Pi 4
    (two banks under QEMU: board.toml dtb_memory) the heap and a guest without DMA devices
    lie above 1 GiB, leaving the low bank, which the SoC's DMA masters reach, to guests
    whose devices need it (tests/passthrough/test_passthrough_usb.py)."""
    t, _ = guest
    banks = ram_banks(t.boot_log)
    assert banks, t.boot_log[:2000]
    if t.config.board.name == "rpi4" and t.qemu is not None:
        # QEMU's 2 GiB (a real Pi 4's firmware gives its own low bank's end, and more
        # banks on larger boards)
        assert banks == [(0, 0x3bff_ffff), (0x4000_0000, 0x7fff_ffff)], banks
    if len(banks) > 1:
        assert banks[-1][0] >= 0x4000_0000, banks
    top = banks[-1]
    info = t.console.command("meminfo")
    # The image: moved to the top bank where the board's DMA masters reach only low RAM
    # (the Pi 4, board_desc.dma_low_end), the place it was loaded at kept out of the pools.
    m = re.search(r"^image: (\d+) bytes at 0x([0-9a-f]+) ", info, re.M)
    assert m, info
    image, image_size = int(m.group(2), 16), int(m.group(1))
    moved = re.search(r"^  image moved from 0x([0-9a-f]+), ", t.boot_log, re.M)
    if t.config.board.name == "rpi4" and len(banks) > 1:
        assert moved and top[0] <= image and image + image_size - 1 <= top[1], (info, banks)
    else:
        assert not moved, t.boot_log[:2000]
    m = re.search(r"^heap at 0x([0-9a-f]+)$", info, re.M)
    assert m and top[0] <= int(m.group(1), 16) <= top[1], info
    pools = [(int(a, 16), int(b, 16)) for a, b in
             re.findall(r"^  pool 0x([0-9a-f]+)-0x([0-9a-f]+): \d+ pages", info, re.M)]
    assert pools and all(any(lo <= a and b <= hi for lo, hi in banks) for a, b in pools), info
    for start in (image, int(moved.group(1), 16)) if moved else (image,):
        assert all(b < start or start + image_size <= a for a, b in pools), (hex(start), info)
    assert any(top[0] <= a for a, _ in pools), info

    base, size = guest_ram(t)
    listing = t.console.command("guest list")
    m = re.search(r"^guest0 .*(?:\n {9}.*)*?\n {9}ram: guest-physical 0x([0-9a-f]+), "
                  r"host 0x([0-9a-f]+)( \(1:1\))?$", listing, re.M)
    assert m and int(m.group(1), 16) == base, listing
    host = int(m.group(2), 16)
    assert host % (2 << 20) == 0, listing
    if m.group(3):              # 1:1 for passed-through devices (virt's guest0)
        assert host == base and any(lo <= host and host + size - 1 <= hi for lo, hi in banks)
    else:
        assert top[0] <= host and host + size - 1 <= top[1], (listing, banks)


def test_guest_stats_count_exits_by_kind_and_device(guest: GuestPair) -> None:
    """`guest stats` splits the guest's exits by kind (the kinds add up to the total) and
    counts its accesses to each emulated device: the guest's console UART takes one write
    per byte the guest prints. --clear starts anew."""
    t, g = guest

    def stats(*args: str) -> GuestStats:
        return parse_guest_stats(t.console.command(" ".join(("guest stats", *args))))

    stats("--clear")
    first = stats()
    assert first.guest == "guest0" and first.seconds < 30 and first.total < 100_000, first
    g.attach()
    n = 3000
    out = g.run(f"head -c {n} /dev/zero | tr '\\0' x; echo")
    assert out == "x" * n, out[:100]
    g.detach()
    s = stats()
    # In-guest time adds up over the vCPUs, which run side by side on their cores.
    vcpus = read_bundle(paths.BUILD / t.config.board.name / "guests.cpio")["guest0"]["dtb"]
    assert 0 < s.in_guest <= s.seconds * vcpus.count(b"cpu@"), s
    assert s.total == sum(s.kinds.values()) and s.total > n, s
    assert s.kinds["device (mmio)"] >= n, s
    uart = [d for d in s.devices if d.startswith("pl011@")]
    assert len(uart) == 1, s.devices
    assert s.devices[uart[0]][1] >= n, s.devices
    # The counts never go back, and a paused guest adds none.
    t.console.command("guest pause guest0")
    try:
        before = stats()
        time.sleep(0.5)
        after = stats()
        assert (after.kinds, after.devices) == (before.kinds, before.devices), (before, after)
    finally:
        t.console.command("guest resume guest0")
    assert "usage: guest" in t.console.command("guest stats guest0 --bogus")


# Guest-physical addresses where the host has RAM or devices but the guest has
# nothing: each access must fault inside the guest, never reach the host.
HOST_ADDRESSES = {
    "virt": {"host GICH": 0x08030000, "host RTC": 0x09010000, "host RAM": 0x50000000},
    "rpi4": {"host mini UART": 0xFE215040, "host GIC": 0xFF841000, "host RAM": 0x10000000},
    "rpi3": {"host mini UART": 0x3F215040, "host interrupt controller": 0x3F00B200,
             "host RAM": 0x10000000},
}


FLOOD = "flood-" * 8


def test_guest_cannot_touch_host_memory_or_devices(guest: GuestPair,
                                                   board_config: BoardConfig) -> None:
    t, g = guest
    base, size = guest_ram(t)
    addresses = dict(HOST_ADDRESSES[board_config.board.name])
    bad_before = parse_guest_stats(t.console.command("guest stats guest0")).bad_accesses
    g.attach()
    # The hypervisor sits at this host-physical address. For a guest whose RAM is at
    # 0x40000000 it is just its own RAM, so writing there changes nothing of the
    # hypervisor's; a guest with RAM 1:1 elsewhere (passthrough) must not reach it at all.
    image_base = 0x40080000 if board_config.board.name == "virt" else 0x80000
    if board_config.board.name == "virt" and base <= image_base < base + size:
        g.run(f"devmem {image_base:#x} 32 0xdeadbeef")
    if base <= addresses["host RAM"] < base + size:
        addresses["host RAM"] = image_base
    # Each access from a CPU of its own while the guest floods the console from CPU 3: the
    # hypervisor's report, printed from the core the access trapped on, comes out as a line
    # of its own, never split by the guest's bytes (they go out between the hypervisor's
    # writes, and its write after a guest's open line begins a new one). Before, the report
    # from another core came out split ("floguest0: write to unmapped od-flmemory at ...").
    # Six reports: the hypervisor reports the first eight of each boot (core/vdev.c REPORT_LIMIT).
    out = g.run(f"taskset -c 3 sh -c 'while :; do echo {FLOOD}; done' & echo $!")
    flood = next(x for x in out.splitlines() if x.strip().isdigit())   # among flood lines
    for what, addr in addresses.items():
        out = g.run(f"taskset -c 1 devmem {addr:#x} 32; echo rc=$?")
        assert "Bus error" in out or "rc=135" in out, f"{what}: {out}"
        out = g.run(f"taskset -c 2 devmem {addr:#x} 32 0x12345678; echo rc=$?")
        assert "Bus error" in out or "rc=135" in out, f"{what}: {out}"
    g.kill(flood)
    assert g.run("echo still-alive") == "still-alive"
    g.detach()
    log = t.console.since(0)
    reports = [x for x in log.splitlines() if "unmapped" in x]
    for addr in addresses.values():
        for access in ("read of", "write to"):
            line = (rf"guest0: {access} unmapped memory at guest-physical {addr:#x} "
                    r"\(pc 0x[0-9a-f]+\): abort injected\r?")
            assert any(re.fullmatch(line, x) for x in reports), \
                f"{access} {addr:#x}: no line of its own in\n" + "\n".join(reports)
    # The flood ran while the accesses did: its lines come between the first report and
    # the last.
    during = log[log.index("unmapped memory"):log.rindex("unmapped memory")]
    assert any(x.strip() == FLOOD for x in during.splitlines()), "no flood during the accesses"
    # `guest stats` counts each of them (reported or not).
    stats = t.console.command("guest stats guest0")
    assert parse_guest_stats(stats).bad_accesses - bad_before >= 2 * len(addresses), stats
    assert "version: " in t.console.command("version")
    assert guest_row(t)[1] == "running"


def test_console_flood_does_not_starve_the_shell(guest: GuestPair) -> None:
    t, g = guest
    g.attach()
    g.run("(while true; do echo floodfloodfloodfloodfloodfloodfloodflood; done) &")
    g.detach()
    # Starved, the shell would not answer at all: each command's timeout is the bound (how
    # fast it answers under load is the soak benchmark's number, not a test's).
    for _ in range(5):
        assert "version: " in t.console.command("version", timeout=10)
    assert "floodflood" in t.console.command("vserial dump guest0 200")
    t.console.command("guest reset guest0", timeout=RELOAD_TIMEOUT)   # ends the flood
    g.attach()
    g.detach()


# The guest's reboot, panic and power-off are handled by portable core (the guest's PSCI
# calls, guest_reset's reload of its RAM, `guest kick`); what the board adds is the vGIC
# backend the guest's interrupt controller is rebuilt on: GICv2 list registers (virt-gicv2;
# the Pi 4's GIC-400 is the same driver), GICv3 list registers (virt-gicv3) and the emulated
# CPU interface (rpi3). One configuration per backend; the Pi 4's console with a guest bound
# is covered by this module's shared-guest tests.
@pytest.mark.configs("virt-gicv2", "virt-gicv3", "rpi3")
def test_guest_reboot_panic_poweroff_and_back(fresh_guest: GuestPair) -> None:
    """Board-independent apart from the vGIC backend: one configuration per backend."""
    t, g = fresh_guest
    c = t.console
    # A reboot from inside (PSCI SYSTEM_RESET) brings the guest back by itself.
    g.attach()
    g.write("reboot -f")
    c.expect("rebooting (PSCI SYSTEM_RESET)", 30)
    c.expect(INIT_DONE, 60)
    g.detach()
    # A kernel panic: the hypervisor stays in charge; `guest reset` revives it.
    g.attach()
    g.write("echo c > /proc/sysrq-trigger")
    c.expect("Kernel panic", 30)
    g.detach()
    assert "version: " in c.command("version")
    assert "Kernel panic" in c.command("vserial dump guest0 4000")
    assert c.command("guest reset guest0", timeout=RELOAD_TIMEOUT) == "guest0: running"
    g.attach()
    assert g.run("echo back") == "back"
    # Power-off halts the guest; `guest kick` starts it again.
    g.write("poweroff -f")
    c.expect("guest0: powered off (PSCI SYSTEM_OFF)", 30)
    g.detach()
    assert guest_row(t)[1] == "halted"
    assert c.command("guest kick guest0", timeout=RELOAD_TIMEOUT) == "guest0: running"
    g.attach()
    assert g.run("echo again") == "again"
    g.detach()


@pytest.mark.qemu
def test_bad_bundle_still_gives_a_shell(launch: Launcher, board_config: BoardConfig,
                                        tmp_path: Path) -> None:
    """A corrupt bundle and a kernel that is not an arm64 Image: clear errors, shell up."""
    bundle = (paths.BUILD / board_config.board.name / "guests.cpio").read_bytes()
    truncated = tmp_path / "truncated.cpio"
    truncated.write_bytes(bundle[: len(bundle) // 3])
    t = launch.boot(board_config, initrd=truncated)
    assert "bundle: corrupt guest bundle" in t.boot_log
    assert "version: " in t.console.command("version")
    launch.close()

    bad = tmp_path / "notimage.cpio"
    not_an_image = b"\x7fELF not an Image" * 8
    with bad.open("wb") as f, CpioWriter(f) as w:
        for e in read_cpio(bundle):
            if e.is_file:
                w.add_file(e.name, not_an_image if e.name.endswith("kernel") else e.data)
    t = launch.boot(board_config, initrd=bad)
    assert "guest0: kernel is not an arm64 Linux Image" in t.boot_log
    out = t.console.command("guest list")
    assert re.search(r"guest0\s+failed", out), out
    assert "could not be loaded" in t.console.command("guest kick guest0",
                                                      timeout=RELOAD_TIMEOUT)
