# SPDX-License-Identifier: GPL-2.0-only
"""Device passthrough's pure logic on the host (tests/host/passthrough_check.c): the FDT
writer (core/lib/fdt_write.c) copying trees byte-for-byte equivalent, refusing misuse and
running out of room cleanly, and the guest device tree with passed host nodes
(core/lib/passthrough_lib.c): reg translated, interrupts moved to free guest SPIs,
phandles of other nodes dropped and those inside a passed node renumbered, /memory moved to
the guest's 1:1 base."""
import random
import subprocess
from pathlib import Path

import pytest
from dtb_builder import Builder, be32
from hostprog import run_prog

from mamoru.guest_platform import GuestPlatform, device_tree_blob
from mamoru.testing.hostcheck import checks_passed


def dts(path: Path) -> str:
    return subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(path)], check=True,
                          capture_output=True, text=True).stdout


def run(host: Path, *args: object) -> tuple[int, str]:
    res = run_prog(host, "passthrough_check", args)
    assert res.stderr == b"", res.stderr.decode(errors="replace")
    return res.returncode, res.stdout.decode(errors="replace")


def test_selftest(host_build: Path) -> None:
    checks_passed(run_prog(host_build, "passthrough_check", ["selftest"]),
                  "passthrough selftest", least=300)


@pytest.mark.parametrize("name", ["pi", "virt", "pt_host", "console-pins"])
def test_copy_is_identical(host_build: Path, dtb_dir: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / "copy.dtb"
    rc, text = run(host_build, "copy", dtb_dir / f"{name}.dtb", out)
    assert rc == 0, text
    assert dts(out) == dts(dtb_dir / f"{name}.dtb")


def test_copy_of_malformed_blobs(host_build: Path, dtb_dir: Path, tmp_path: Path) -> None:
    """Damaged trees are refused by the reader; whatever it accepts, the writer copies into a
    tree the reader accepts again (the program checks) and dtc parses (-f: a byte flipped in
    a name is copied as it is)."""
    blob = (dtb_dir / "pt_host.dtb").read_bytes()
    rng = random.Random(13)
    src, out = tmp_path / "in.dtb", tmp_path / "out.dtb"
    accepted = refused = 0
    for i in range(150):
        b = bytearray(blob)
        if i % 3 == 0:
            b = b[:rng.randrange(len(b))]
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        src.write_bytes(bytes(b))
        out.unlink(missing_ok=True)
        rc, text = run(host_build, "copy", src, out)
        assert rc in (0, 1) and (rc == 0) == (text == ""), text
        if rc == 0:
            accepted += 1
            subprocess.run(["dtc", "-q", "-f", "-I", "dtb", "-O", "dts", "-o", "/dev/null",
                            str(out)], check=True)
        else:
            refused += 1
            assert text.startswith("error: ") and not out.exists()
    assert accepted and refused


def test_copy_of_a_32_deep_tree(host_build: Path, tmp_path: Path) -> None:
    """The deepest tree the reader takes (FDT_MAX_DEPTH 32), each node with a property, is
    copied unchanged."""
    b = Builder()
    for i in range(32):
        b.begin("" if i == 0 else f"level{i}@{i:x}").prop("depth", be32(i))
    for _ in range(32):
        b.end_node()
    src, out = tmp_path / "deep.dtb", tmp_path / "copy.dtb"
    src.write_bytes(b.end().blob())
    rc, text = run(host_build, "copy", src, out)
    assert rc == 0, text
    assert dts(out) == dts(src) and "level31@1f" in dts(out)


ROOT = Path(__file__).resolve().parents[2]


def test_copy_keeps_the_stack_small(tmp_path: Path) -> None:
    """fdt_write's copy() recurses once per level (up to 32) on the hypervisor's 16 KiB EL2
    stack: its frame must stay small (it once held a 256-byte name buffer per level, ~11 KiB
    for a deep tree). gcc's -fstack-usage on the host build: a bound, not an exact figure."""
    obj = tmp_path / "fdt_write.o"
    subprocess.run(["gcc", "-std=c11", "-DMAMORU_HOST", "-D_DEFAULT_SOURCE", "-O2",
                    "-fstack-usage", f"-I{ROOT / 'core/include'}", "-c",
                    str(ROOT / "core/lib/fdt_write.c"), "-o", str(obj)], check=True)
    usage = {line.split("\t")[0].rsplit(":", 1)[1]: int(line.split("\t")[1])
             for line in obj.with_suffix(".su").read_text().splitlines()}
    assert usage["copy"] <= 160, usage
    assert 32 * usage["copy"] + usage["fdtw_copy_node"] <= 6 * 1024, usage


@pytest.fixture(scope="module")
def guest_dtb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("guest") / "guest.dtb"
    p.write_bytes(device_tree_blob(GuestPlatform()))
    return p


def test_guest_tree(host_build: Path, dtb_dir: Path, guest_dtb: Path, tmp_path: Path) -> None:
    out = tmp_path / "g.dtb"
    rc, text = run(host_build, "guest", guest_dtb, dtb_dir / "pt_host.dtb", out, 0x48000000,
                   "/virtio_mmio@a000000", "/virtio_mmio@a001000", "/bus/virtio_mmio@3000")
    assert rc == 0, text
    # The host's SPI 16 and 24 are free in the guest; SPI 1 is the guest's UART, so the
    # device behind the bus moves to the lowest free one (SPI 0).
    assert text.splitlines() == ["/virtio_mmio@a000000 irq 48 -> 48",
                                 "/virtio_mmio@a001000 irq 56 -> 56",
                                 "/bus/virtio_mmio@3000 irq 33 -> 32"]
    tree = dts(out)
    before = dts(guest_dtb)
    # Everything of the guest's own tree is there, except /memory, which moved.
    assert "memory@48000000 {" in tree and "reg = <0x00 0x48000000 0x00 0x10000000>;" in tree
    assert "memory@40000000" not in tree
    for line in before.splitlines():
        if "memory@" not in line and "0x40000000" not in line:
            assert line in tree, line
    a0 = tree[tree.index("virtio_mmio@a000000 {"):]
    a0 = a0[:a0.index("};")]
    assert "interrupts = <0x00 0x10 0x01>;" in a0 and "dma-coherent;" in a0
    assert "reg = <0x00 0xa000000 0x00 0x200>;" in a0 and 'compatible = "virtio,mmio";' in a0
    a1 = tree[tree.index("virtio_mmio@a001000 {"):]
    assert "interrupts = <0x00 0x18 0x01>;" in a1[:a1.index("sub {")]
    assert "interrupt-parent = <0x8001>" not in a1     # the guest's GIC, not the host's
    assert 'label = "kept";' in a1
    assert "phandle = <0x01>" not in a1 and "phandle = <0x02>" not in a1
    b = tree[tree.index("virtio_mmio@20003000 {"):]
    b = b[:b.index("};")]
    assert "reg = <0x00 0x20003000 0x00 0x200>;" in b and "interrupts = <0x00 0x00 0x04>;" in b


def test_guest_tree_gives_a_fixed_clock_and_drops_other_nodes_phandles(
        host_build: Path, dtb_dir: Path, guest_dtb: Path, tmp_path: Path) -> None:
    """The Pi's SD host: its clock controller is the host's, so the guest gets a fixed-clock
    of the rate the hypervisor found, with a phandle of its own tree's; pin control, power
    sequence and supply name host nodes the guest has not, and are dropped (children's
    clocks too). Without a rate, clocks is dropped rather than left dangling."""
    out = tmp_path / "g.dtb"
    rc, text = run(host_build, "guest", guest_dtb, dtb_dir / "pt_host.dtb", out, 0x48000000,
                   "/mmc@b300000=50000000")
    assert rc == 0, text
    tree = dts(out)
    clk = tree[tree.index("passthrough-clock-0 {"):]
    clk = clk[:clk.index("};")]
    assert 'compatible = "fixed-clock";' in clk and "#clock-cells = <0x00>;" in clk
    assert "clock-frequency = <0x2faf080>;" in clk             # 50 MHz
    phandle = clk[clk.index("phandle = <") + 11:clk.index(">;", clk.index("phandle = <"))]
    before = dts(guest_dtb)
    assert f"phandle = <{phandle}>" not in before              # not one of the guest's own
    mmc = tree[tree.index("mmc@b300000 {"):]
    mmc = mmc[:mmc.index("wifi@1")]
    assert f"clocks = <{phandle}>;" in mmc
    for gone in ("clock-names", "pinctrl", "mmc-pwrseq", "vqmmc-supply"):
        assert gone not in mmc, gone
    assert "bus-width = <0x04>;" in mmc and "interrupts = <0x00 0x1e 0x04>;" in mmc
    wifi = tree[tree.index("wifi@1 {"):]
    wifi = wifi[:wifi.index("};")]
    assert "clocks" not in wifi and 'compatible = "brcm,bcm4329-fmac";' in wifi

    rc, text = run(host_build, "guest", guest_dtb, dtb_dir / "pt_host.dtb", out, 0x48000000,
                   "/mmc@b300000")
    assert rc == 0, text
    tree = dts(out)
    mmc = tree[tree.index("mmc@b300000 {"):]
    assert "passthrough-clock" not in tree and "clocks" not in mmc[:mmc.index("wifi@1")]


def _node(tree: str, name: str) -> str:
    """The text of node name's block in dtc's output, up to its first child or its end."""
    at = tree[tree.index(f"{name} {{"):]
    return at[:at.index("};")]


def _phandles(tree: str) -> set[str]:
    return {line.split("<")[1].split(">")[0] for line in tree.splitlines()
            if line.strip().startswith("phandle = <")}


def test_guest_tree_keeps_references_inside_the_passed_node(
        host_build: Path, dtb_dir: Path, guest_dtb: Path, tmp_path: Path) -> None:
    """A MAC's phy-handle names the PHY on its own MDIO bus, inside the passed subtree: both
    are kept, renumbered above the guest's own phandles. A phy-handle naming a host node
    outside the subtree is dropped (the guest has no such node, and the host's number could
    be one of the guest's)."""
    out = tmp_path / "g.dtb"
    rc, text = run(host_build, "guest", guest_dtb, dtb_dir / "pt_host.dtb", out, 0x48000000,
                   "/ethernet@b580000", "/ethernet@b590000")
    assert rc == 0, text
    tree, own = dts(out), _phandles(dts(guest_dtb))
    mac = _node(tree, "ethernet@b580000")
    ref = mac[mac.index("phy-handle = <") + 14:mac.index(">", mac.index("phy-handle = <"))]
    phy = _node(tree, "ethernet-phy@1")
    assert f"phandle = <{ref}>;" in phy and ref not in own, (mac, phy, own)
    assert 'phy-mode = "rgmii-rxid";' in mac and "reg = <0xe14 0x08>;" in tree
    assert "phy-handle" not in _node(tree, "ethernet@b590000"), tree


def test_guest_tree_of_the_pi4_ethernet(host_build: Path, guest_dtb: Path, tmp_path: Path) -> None:
    """The Pi 4's own tree (./mamoru setup fetches it): GENET at 0xfd580000 (scb's ranges),
    its two interrupts moved to free guest SPIs, its PHY reference kept within the node."""
    from mamoru import paths
    host = paths.dtb_dir() / "bcm2711-rpi-4-b.dtb"
    assert host.is_file(), f"{host} missing: ./mamoru setup fetches it"
    out = tmp_path / "g.dtb"
    rc, text = run(host_build, "guest", guest_dtb, host, out, 0x08000000,
                   "/scb/ethernet@7d580000")
    assert rc == 0, text
    assert text.splitlines() == ["/scb/ethernet@7d580000 irq 189 -> 32",
                                 "/scb/ethernet@7d580000 irq 190 -> 34"], text
    tree = dts(out)
    mac = _node(tree, "ethernet@fd580000")
    assert "reg = <0x00 0xfd580000 0x00 0x10000>;" in mac, mac
    assert "interrupts = <0x00 0x00 0x04 0x00 0x02 0x04>;" in mac, mac
    ref = mac[mac.index("phy-handle = <") + 14:mac.index(">", mac.index("phy-handle = <"))]
    assert f"phandle = <{ref}>;" in _node(tree, "ethernet-phy@1"), tree
    assert ref not in _phandles(dts(guest_dtb))


def test_guest_tree_refuses_what_it_cannot_write(host_build: Path, guest_dtb: Path,
                                                 tmp_path: Path) -> None:
    rc, text = run(host_build, "guest", guest_dtb, guest_dtb, tmp_path / "x.dtb", 0x48000000,
                   "/nosuch")
    assert rc == 1 and text == "error: no /nosuch\n"
    bad = tmp_path / "bad.dtb"
    bad.write_bytes(guest_dtb.read_bytes()[:100])
    rc, text = run(host_build, "guest", bad, guest_dtb, tmp_path / "x.dtb", 0x48000000, "/x")
    assert rc == 1 and text.startswith("error: ")


# GPFSEL4 holds GPIO 40-49 and GPFSEL5 GPIO 50-59, three bits a pin (ALT0 = 4, ALT3 = 7):
# the Pi 3 firmware's default puts GPIO 48-53 on ALT0 (sdhost drives the card).
ALT0_CARD = (0o44 << 24, 0o4444)
ALT3_CARD = (0o77 << 24, 0o7777)
SD_CARD_TAKEN = "the board's SD card (the hypervisor's boot files)"


@pytest.mark.parametrize("board, gpfsel4, gpfsel5, mux, refused", [
    ("pi3", *ALT0_CARD, 0, False),                  # the firmware's default: sdhost
    ("pi3", 0, 0, 0, False),                        # inputs (QEMU's reset state)
    ("pi3", *ALT3_CARD, 0, True),                   # an overlay moved the Arasan onto the card
    ("pi3", ALT0_CARD[0], 0o4474, 0, True),         # one pin (51) is enough
    ("pi3", 0o77777777 | ALT0_CARD[0], ALT0_CARD[1], 0, False),   # ALT3 on 40-47 only
    ("pi4", *ALT3_CARD, 0, False),                  # GPIO 48-53 are not the card's on a Pi 4
    ("pi4", *ALT0_CARD, 1 << 1, True),              # the card's own pins' mux: the Arasan
    ("pi4", *ALT0_CARD, 1 << 0, False),             # another bit of that register
])
def test_sd_host_refused_when_wired_to_the_boot_card(host_build: Path, board: str, gpfsel4: int,
                                                     gpfsel5: int, mux: int,
                                                     refused: bool) -> None:
    """The Pis' SD host (boards/raspberrypi/rpi_sd_route.c) is refused when the GPIO block
    routes it to the board's SD card, which holds the hypervisor's own boot files."""
    rc, text = run(host_build, "sdroute", board, hex(gpfsel4), hex(gpfsel5), hex(mux))
    assert rc == 0, text
    if refused:
        assert text.startswith("refused: ") and SD_CARD_TAKEN in text, text
    else:
        assert text == "allowed\n", text


def test_devices_sharing_an_interrupt_line(host_build: Path, dtb_dir: Path) -> None:
    """pt_next_sharing: the SD host's line (SPI 30) is also the enabled SD card controller's
    behind a bus, which the hypervisor must silence (Pi 4: EMMC2) or refuse the SD host; a
    disabled node and a node of another interrupt controller with the same specifier do not
    count. The virtio transports share their lines with nothing. A node lists a line through
    interrupts-extended too, and a child of another interrupt controller is that one's: a
    line is a number on a controller."""
    host = dtb_dir / "pt_host.dtb"
    assert run(host_build, "shared", host, "/mmc@b300000") == (0, "mmc@340000\n")
    assert run(host_build, "shared", host, "/uart@b600000") == (0, "ext@b610000\n")
    # ext@b610000's first line is the other controller's 42: shared with that controller's
    # child and the other node listing it, not with the GIC's 42.
    assert run(host_build, "shared", host, "/ext@b610000") == (0, "child\next@b620000\n")
    assert run(host_build, "shared", host, "/emmc2bus/mmc@340000") == (0, "mmc@b300000\n")
    assert run(host_build, "shared", host, "/virtio_mmio@a000000") == (0, "")
    assert run(host_build, "shared", host, "/nosuch")[0] == 1


PI_DTBS = {"rpi3": ("bcm2837-rpi-3-b.dtb", 0x3f, 0x3f00_0000, "host"),
           "rpi4": ("bcm2711-rpi-4-b.dtb", 0xfe, 0x4000_0000, "peripheral")}


def pi_dtb(board: str) -> Path:
    from mamoru import paths
    dtb = paths.dtb_dir() / PI_DTBS[board][0]
    assert dtb.is_file(), f"{dtb} missing: ./mamoru setup fetches it"
    return dtb


@pytest.mark.parametrize("board", ["rpi3", "rpi4"])
def test_pi_guest_tree_puts_dma_devices_under_a_translating_bus(
        host_build: Path, dtb_dir: Path, guest_dtb: Path, tmp_path: Path, board: str) -> None:
    """The Pis' USB controller and SD host sit on /soc, whose dma-ranges says that the
    devices' bus address 0xc0000000 is CPU address 0 (Pi 3: 0x3f000000 bytes, Pi 4: 1 GiB).
    In the guest's tree they sit under one bus node with that translation (its CPU side is
    the guest's IPA: the RAM is 1:1), ranges empty (their reg stays the CPU address). The
    USB node keeps its children (the Pi 3 B's hub and LAN9514) and dr_mode, loses its PHY
    and power domain, and gets a fixed clock; virt's devices stay at the root."""
    _, peri, window, mode = PI_DTBS[board]
    out = tmp_path / "g.dtb"
    rc, text = run(host_build, "guest", guest_dtb, pi_dtb(board), out, 0x2e000000,
                   "/soc/usb@7e980000=480000000", "/soc/mmc@7e300000=50000000")
    assert rc == 0, text
    tree = dts(out)
    bus = tree[tree.index("passthrough-bus-0 {"):]
    head = bus[:bus.index("usb@")]
    assert 'compatible = "simple-bus";' in head and "ranges;" in head, head
    assert "#address-cells = <0x02>;" in head and "#size-cells = <0x02>;" in head, head
    assert f"dma-ranges = <0x00 0xc0000000 0x00 0x00 0x00 {window:#x}>;" in head, head
    usb = bus[bus.index(f"usb@{peri:x}980000 {{"):bus.index(f"mmc@{peri:x}300000 {{")]
    assert f"reg = <0x00 {peri:#x}980000 0x00 0x10000>;" in usb, usb
    assert f'dr_mode = "{mode}";' in usb and "clocks = <" in usb, usb
    for gone in ("phys", "phy-names", "power-domains", "clock-names"):
        assert gone not in usb, gone
    if board == "rpi3":
        assert "usb1@1 {" in usb and "ethernet@1 {" in usb and 'compatible = "usb424,ec00";' in usb
    assert tree.count("passthrough-bus-") == 1            # one bus for both: the same parent
    rc, text = run(host_build, "guest", guest_dtb, dtb_dir / "pt_host.dtb", out, 0x48000000,
                   "/virtio_mmio@a000000")
    assert rc == 0, text
    assert "passthrough-bus" not in dts(out)


@pytest.mark.parametrize("board, base, reaches", [
    ("rpi3", 0x2ee0_0000, True),
    ("rpi3", 0x2f00_0000, True),          # ends where the window ends
    ("rpi3", 0x2f20_0000, False),         # its last 2 MiB beyond 0x3f000000
    ("rpi4", 0x3000_0000, True),
    ("rpi4", 0x4000_0000, False),         # above the low 1 GiB
])
def test_pi_dma_windows(host_build: Path, board: str, base: int, reaches: bool) -> None:
    """pt_dma_windows reads the window from the real trees; 256 MiB of RAM there is reached
    or not."""
    window = PI_DTBS[board][2]
    rc, text = run(host_build, "dma", pi_dtb(board), "/soc/usb@7e980000", hex(base),
                   hex(256 << 20))
    assert rc == 0, text
    assert text.splitlines() == [f"bus 0xc0000000 cpu 0x0 size {window:#x}",
                                 "reaches" if reaches else "does not reach"]


def test_dma_windows_of_devices_without_translation(host_build: Path, dtb_dir: Path) -> None:
    rc, text = run(host_build, "dma", dtb_dir / "pt_host.dtb", "/virtio_mmio@a000000",
                   "0x48000000", "0x10000000")
    assert (rc, text) == (0, "reaches\n")


@pytest.mark.parametrize("bus", ["torndma", "emptydma", "wrapdma"])
def test_dma_windows_that_cannot_be_read(host_build: Path, dtb_dir: Path, bus: str) -> None:
    """Not whole windows, a window of size 0, one that wraps (fdt_dma_ranges, which the
    Pi firmware's message buffer reads too: test_console_hw.py)."""
    rc, text = run(host_build, "dma", dtb_dir / "console-pins.dtb", f"/{bus}/mailbox@0",
                   "0x1000", "0x1000")
    assert rc == 1 and text.startswith("error: "), text


@pytest.mark.parametrize("board", ["rpi3", "rpi4"])
def test_pi_usb_power_domain_is_the_firmwares_usb_device(host_build: Path, board: str) -> None:
    """The USB node's power-domains (<&power RPI_POWER_DOMAIN_USB>, domain 6) maps to the
    firmware's power device 3 (USB HCD); the SD host has no power domain to switch."""
    assert run(host_build, "power", pi_dtb(board), "/soc/usb@7e980000") == (0, "device 3\n")
    assert run(host_build, "power", pi_dtb(board), "/soc/mmc@7e300000") == (
        0, "error: its power domain is not one the firmware switches for it\n")
