# SPDX-License-Identifier: GPL-2.0-only
"""The versatilepb guest bundle on the real versatile kernel (mamoru.versatilekernel, built
once and cached), host only: `./mamoru bundle --board versatilepb` writes
build/versatilepb/guests.cpio with guest0's patched Image (what `./mamoru patch-guest`
gives for the cached vmlinux, differing from the kernel's own Image exactly at the
reported sites), the guest device tree, the armel busybox initramfs and a profile that
decodes. And the environment minus Mamoru: the *unpatched* Image with the bundle's tree
and initramfs boots to a shell on plain `qemu-system-arm -M versatilepb -m 96`, placed
the way the hypervisor places them (docs/armv5-virt.md, "Guest bundle")."""

from __future__ import annotations

import json
import stat
import struct
import subprocess
import time
from pathlib import Path

import pytest

from mamoru import paths, versatile_guest, versatilekernel
from mamoru.bundle import read_bundle
from mamoru.cpio import read_cpio
from mamoru.guest_assets import GUEST_PROMPT, INIT_DONE
from mamoru.plainqemu import StdioQemu
from mamoru.profile import decode, show_lines
from mamoru.testing import mamoru_cli as mamoru
from mamoru.tinykernel import TinyKernelError, check_config
from mamoru.versatile_guest_dt import GUEST_RAM, make_guest_dtb, node_paths
from mamoru.versatilekernel import VersatileKernel

BUNDLE = paths.BUILD / "versatilepb" / "guests.cpio"
EM_ARM = 40
# Where the boot test puts things in the 96 MiB: the Image where the hypervisor puts it
# (PHYS_OFFSET 0 + 0x8000), the initramfs at 32 MiB, the tree in the top 2 MiB.
INITRD_GPA = 0x0200_0000
DTB_GPA = GUEST_RAM - (2 << 20)


@pytest.fixture(scope="module")
def kernel() -> VersatileKernel:
    try:
        return versatilekernel.versatile_kernel()
    except TinyKernelError as e:
        pytest.fail(f"the versatilepb kernel could not be built: {e}", pytrace=False)


@pytest.fixture(scope="module")
def guest(kernel: VersatileKernel) -> dict[str, bytes]:
    r = mamoru("bundle", "--board", "versatilepb")
    assert f"bundle: {BUNDLE}" in r.stdout, r.stdout + r.stderr
    return read_bundle(BUNDLE)["guest0"]


def fdtget(dtb: Path, *args: str, options: tuple[str, ...] = ()) -> str:
    return subprocess.run(["fdtget", *options, str(dtb), *args], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_the_kernel_config_has_every_fragment_line(kernel: VersatileKernel) -> None:
    config = kernel.config.read_text()
    assert check_config(config, versatilekernel.FRAGMENT) == []
    assert "# CONFIG_CPU_SW_DOMAIN_PAN is not set" in config.splitlines()


def test_the_bundle_holds_guest0_only(kernel: VersatileKernel, guest: dict[str, bytes]) -> None:
    entries = read_bundle(BUNDLE)
    assert list(entries) == ["guest0"]
    want = {"kernel", "initrd", "dtb", "profile"}
    if versatile_guest.patched_kernel(kernel).sidetab is not None:
        want.add("sidetab")
    assert set(guest) == want


def test_the_kernel_is_patch_guest_output(kernel: VersatileKernel, guest: dict[str, bytes],
                                          tmp_path: Path) -> None:
    out = tmp_path / "Image"
    mamoru("patch-guest", kernel.vmlinux, "-o", out, "--json", "--report", tmp_path / "r.json")
    assert guest["kernel"] == out.read_bytes()
    side = tmp_path / "Image.sidetab"
    assert guest.get("sidetab") == (side.read_bytes() if side.exists() else None)
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["side_table_entries"] == len(guest.get("sidetab", b"")) // 4


def test_the_kernel_differs_from_the_unpatched_image_exactly_at_the_sites(
        kernel: VersatileKernel, guest: dict[str, bytes]) -> None:
    plain = kernel.image.read_bytes()          # the kernel build's own arch/arm/boot/Image
    patched = guest["kernel"]
    assert len(plain) == len(patched)
    sites = versatile_guest.patched_kernel(kernel).sites()
    assert len(sites) > 10_000
    # A site's address is its section's run-time address: .vectors and .stubs run at
    # 0xffff0000 (copied there at boot) but sit in the Image at their load address.
    lma = section_load_offsets(kernel.vmlinux)
    at = {int(s["address"], 16) + lma[s["section"]]: s for s in sites}
    assert {s["section"] for s in sites} >= {".text", ".stubs"}
    differ = {off for off in range(0, len(plain), 4) if plain[off:off + 4] != patched[off:off + 4]}
    assert differ == set(at)
    for off, s in at.items():
        assert struct.unpack_from("<I", plain, off)[0] == int(s["original"], 16)
        svc = struct.unpack_from("<I", patched, off)[0]
        assert svc == int(s["svc"], 16) and (svc >> 24) & 0xF == 0xF     # an SVC
    # PAN is off: the DACR writes it made around every user access are gone.
    dacr = sum(1 for off in range(0, len(plain), 4)
               if struct.unpack_from("<I", plain, off)[0] & 0x0FFF0FFF == 0x0E030F10)
    assert dacr < 100, f"{dacr} MCR p15, 0, Rt, c3, c0, 0 (DACR writes) in the Image"


def section_load_offsets(vmlinux: Path) -> dict[str, int]:
    """Section name -> what to add to an address in it for its offset in the raw Image
    (load address - run-time address - the Image's first load address)."""
    out = subprocess.run(["arm-linux-gnueabi-objdump", "-h", str(vmlinux)], capture_output=True,
                         text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()]
    secs = {r[1]: (int(r[3], 16), int(r[4], 16)) for r in rows
            if len(r) == 7 and r[0].isdigit()}
    base = min(lma for vma, lma in secs.values() if lma >= 0xC000_0000)
    return {name: lma - vma - base for name, (vma, lma) in secs.items()}


def test_the_dtb_is_the_guest_tree(kernel: VersatileKernel, guest: dict[str, bytes],
                                   tmp_path: Path) -> None:
    dtb = tmp_path / "bundle.dtb"
    dtb.write_bytes(guest["dtb"])
    plain = tmp_path / "plain.dtb"
    make_guest_dtb(kernel.dtb, plain)
    # The guest tree plus the SP810 system controller node for the hypervisor's emulator.
    assert set(node_paths(dtb)) == {*node_paths(plain), versatile_guest.SCTL_NODE}
    assert fdtget(dtb, versatile_guest.SCTL_NODE, "compatible") == "arm,sp810"
    assert fdtget(dtb, versatile_guest.SCTL_NODE, "reg", options=("-t", "x")) == "101e0000 1000"
    assert "/amba/interrupt-controller@10140000" in node_paths(dtb)
    assert fdtget(dtb, "/memory", "reg", options=("-t", "x")) == f"0 {GUEST_RAM:x}"
    args = fdtget(dtb, "/chosen", "bootargs").split()
    assert "console=ttyAMA0" in args and "rdinit=/init" in args
    for prop in ("linux,initrd-start", "linux,initrd-end"):     # placeholders to fill in
        assert fdtget(dtb, "/chosen", prop, options=("-t", "x")) == "0"
    assert fdtget(dtb, "/chosen", "stdout-path") == "/amba/uart@101f1000"


def test_the_initrd_holds_init_console_and_an_armel_busybox(guest: dict[str, bytes]) -> None:
    entries = {e.name: e for e in read_cpio(guest["initrd"])}
    init = entries["init"]
    assert init.data.startswith(b"#!/bin/sh") and init.mode & 0o111
    console = entries["dev/console"]
    assert stat.S_ISCHR(console.mode) and (console.rdevmajor, console.rdevminor) == (5, 1)
    bb = entries["bin/busybox"].data
    assert bb[:4] == b"\x7fELF" and bb[4] == 1 and int.from_bytes(bb[18:20], "little") == EM_ARM


def test_the_profile_loads(kernel: VersatileKernel, guest: dict[str, bytes],
                           tmp_path: Path) -> None:
    profile = decode(guest["profile"])
    values = dict(line.split(" ", 1) for line in show_lines(profile))
    assert values["str.types"] == "DWARF" and values["str.arch"] == "arm"
    assert values["str.release"] == kernel.version
    assert int(values["task_struct.pid"]) > 0 and int(values["task_struct.comm"]) > 0
    banner = profile.get("str.banner")
    assert isinstance(banner, str) and banner.encode() in guest["kernel"]
    # The same as `./mamoru profile` on the vmlinux (it finds config-<release> beside it).
    out = tmp_path / "cli.profile"
    mamoru("profile", kernel.vmlinux, "-o", out)
    assert show_lines(decode(out.read_bytes())) == show_lines(profile)


def test_a_second_bundle_call_rewrites_nothing(guest: dict[str, bytes]) -> None:
    before = BUNDLE.stat().st_mtime_ns
    r = mamoru("bundle", "--board", "versatilepb")
    assert "writing" not in r.stdout and BUNDLE.stat().st_mtime_ns == before, r.stdout


BOOT_STUB = (0xE3A00000,    # mov r0, #0
             0xE3E01000,    # mvn r1, #0          machine type ~0: boot by device tree
             0xE59F2000,    # ldr r2, [pc, #0]    the tree's address (word at 0x10)
             0xE59FF000)    # ldr pc, [pc, #0]    the Image's (word at 0x14)


def test_the_unpatched_image_boots_to_a_shell_on_plain_qemu(
        kernel: VersatileKernel, guest: dict[str, bytes], tmp_path: Path) -> None:
    """QEMU's -kernel would put a raw ARM Image at 0x10000 (PHYS_OFFSET then not 2 MiB
    aligned): the pieces go where the hypervisor puts them instead, through -device loader,
    with a four-instruction stub at 0 (where the ARM926 resets) entering the Image with
    r0 = 0, r1 = ~0, r2 = the tree, as Linux's ARM boot protocol asks."""
    dtb = tmp_path / "guest.dtb"
    dtb.write_bytes(guest["dtb"])
    initrd = tmp_path / "initrd.cpio"
    initrd.write_bytes(guest["initrd"])
    for prop, value in (("linux,initrd-start", INITRD_GPA),
                        ("linux,initrd-end", INITRD_GPA + len(guest["initrd"]))):
        subprocess.run(["fdtput", "-t", "x", str(dtb), "/chosen", prop, f"{value:x}"],
                       check=True)
    stub = tmp_path / "stub.bin"
    stub.write_bytes(struct.pack("<6I", *BOOT_STUB, DTB_GPA, versatile_guest.IMAGE_GPA))
    assert versatile_guest.IMAGE_GPA + kernel.image.stat().st_size < INITRD_GPA
    assert INITRD_GPA + len(guest["initrd"]) < DTB_GPA
    argv = ["qemu-system-arm", "-M", "versatilepb", "-m", f"{GUEST_RAM >> 20}M",
            "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
            "-audio", "none",
            "-device", f"loader,file={stub},addr=0",
            "-device", f"loader,file={kernel.image},addr={versatile_guest.IMAGE_GPA:#x}",
            "-device", f"loader,file={initrd},addr={INITRD_GPA:#x}",
            "-device", f"loader,file={dtb},addr={DTB_GPA:#x}"]
    transcript = tmp_path / "console.txt"
    with StdioQemu(argv, deadline=time.monotonic() + 180) as q:
        try:
            q.expect(r"Machine model: ARM Versatile PB", 60)
            q.expect(r"Kernel command line: console=ttyAMA0 rdinit=/init", 60)
            q.expect(r"Memory: \d+K/98304K available", 60)
            q.expect(r"Freeing initrd memory", 60)
            q.expect(INIT_DONE, 90)
            q.expect(GUEST_PROMPT, 30)
            q.send("echo guest-$((6*7)); cat /proc/cmdline; ls /dev/ttyAMA0")
            q.expect(r"guest-42", 30)
            q.expect(r"^/dev/ttyAMA0", 30)
            q.send("poweroff -f")
            q.expect(r"reboot: (Power down|System halted|Restarting)", 30)
        finally:
            transcript.write_text(q.transcript)
        assert "can't access tty" not in q.transcript, q.transcript   # job control works
        assert "Unable to handle kernel" not in q.transcript and "Oops" not in q.transcript
