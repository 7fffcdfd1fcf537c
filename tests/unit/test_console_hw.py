# SPDX-License-Identifier: GPL-2.0-only
"""The Raspberry Pi console's set-up logic on the host (console_hw_check, under ASan and
UBSan): the console node's pin state from the DTB turned into GPFSEL values, the mini
UART's baud divisor from the core clock, and the firmware mailbox's GET_CLOCK_RATE
message and bus addresses."""
from pathlib import Path

import pytest
from hostprog import run_prog

PINS = "console-pins.dtb"
PI3 = "console-pi3.dtb"
ALT0_14_15 = 0x24000     # GPFSEL1 with GPIO 14/15 on the PL011 (ALT0), as firmware may leave it


def check(host: Path, *args: object) -> tuple[int, str]:
    res = run_prog(host, "console_hw_check", args)
    assert res.stderr == b"", res.stderr.decode(errors="replace")
    return res.returncode, res.stdout.decode()


def test_mini_uart_console_moves_pins_from_pl011_to_alt5(host_build: Path, dtb_dir: Path) -> None:
    rc, out = check(host_build, "pins", dtb_dir / PINS, "serial1", 0, ALT0_14_15)
    assert rc == 0, out
    assert "group uart1_gpio14 of gpio@7e200000" in out
    assert "pin 14 alt5" in out and "pin 15 alt5" in out
    assert out.splitlines()[-1] == "GPFSEL1 0x00024000 -> 0x00012000", out


def test_pl011_console_takes_the_default_state_not_index_0(host_build: Path,
                                                          dtb_dir: Path) -> None:
    """pinctrl-names = "sleep", "default": the default state is pinctrl-1, with two
    groups, one function per pin in the second."""
    rc, out = check(host_build, "pins", dtb_dir / PINS, "serial0", 0, 0x12000)
    assert rc == 0, out
    assert "groups: 2" in out
    assert "pin 14 alt0" in out and "pin 15 alt0" in out
    assert "pin 16 alt3" in out and "pin 17 alt3" in out
    # 14/15 ALT0 (100), 16/17 ALT3 (111), other pins of GPFSEL1 untouched
    assert out.splitlines()[-1] == "GPFSEL1 0x00012000 -> 0x00fe4000", out


def test_the_real_upstream_dtb_groups(host_build: Path) -> None:
    """The Debian DTBs the card carries, when `./mamoru setup` has fetched them."""
    from mamoru import paths

    for dtb in ("bcm2711-rpi-4-b.dtb", "bcm2837-rpi-3-b.dtb"):
        path = paths.dtb_dir() / dtb
        if not path.is_file():
            pytest.skip(f"{path} is missing (./mamoru setup)")
        rc, out = check(host_build, "pins", path, "/soc/serial@7e215040", 0, ALT0_14_15)
        assert rc == 0 and "group uart1_gpio14" in out, out
        assert out.splitlines()[-1] == "GPFSEL1 0x00024000 -> 0x00012000", out


@pytest.mark.parametrize("node", ["/soc/serial@7e2151c0", "/soc/serial@7e215200"])
def test_no_default_state_changes_nothing(host_build: Path, dtb_dir: Path, node: str) -> None:
    rc, out = check(host_build, "pins", dtb_dir / PINS, node, 0, ALT0_14_15)
    assert (rc, out) == (0, "groups: 0\n")


@pytest.mark.parametrize(("node", "message"), [
    ("/soc/serial@7e215080", "error: property has a bad length or format"),   # pin 58
    ("/soc/serial@7e2150c0", "error: property has a bad length or format"),   # function 8
    ("/soc/serial@7e215100", "error: property has a bad length or format"),   # 3 pins, 2 functions
    ("/soc/serial@7e215140", "error: not found"),                             # no brcm,pins
    ("/soc/serial@7e215180", "error: not found"),                             # dangling phandle
])
def test_bad_groups_are_refused(host_build: Path, dtb_dir: Path, node: str, message: str) -> None:
    rc, out = check(host_build, "pins", dtb_dir / PINS, node)
    assert rc == 1 and out.splitlines()[-1] == message, out
    assert "GPFSEL" not in out, "nothing may be written for a refused group"


@pytest.mark.parametrize(("clock", "divisor", "baud"), [
    (250_000_000, 270, 115313),    # the Pi 3's core clock with enable_uart=1
    (360_000_000, 390, 115089),    # the Pi 4's core_freq for a serial console
    # 500e6 / (8 * 115200) - 1 = 541.53: rounded 542 (115101 baud, -0.09 %); 541 would
    # give 115313 baud (+0.10 %), the farther of the two.
    (500_000_000, 542, 115101),
    (350_000_000, 379, 115131),    # what QEMU's firmware model reports
])
def test_divisor_from_core_clock(host_build: Path, clock: int, divisor: int, baud: int) -> None:
    rc, out = check(host_build, "divisor", clock, 115200)
    assert (rc, out) == (0, f"divisor {divisor} baud {baud}\n")
    assert abs(baud - 115200) / 115200 < 0.002


@pytest.mark.parametrize(("clock", "baud"), [
    (0, 115200), (1_000_000, 115200),     # slower than 8 * 2 * baud: no divisor >= 1
    (250_000_000, 300),                   # the divisor would not fit 16 bits
    (250_000_000, 0),
])
def test_divisor_out_of_range(host_build: Path, clock: int, baud: int) -> None:
    rc, out = check(host_build, "divisor", clock, baud)
    assert (rc, out) == (1, "error: no divisor\n")


def test_dt_clock_fallback(host_build: Path, dtb_dir: Path) -> None:
    assert check(host_build, "dtclock", dtb_dir / PINS, "serial1") == (0, "clock 500000000\n")
    assert check(host_build, "dtclock", dtb_dir / PINS,
                 "/soc/serial@7e215080") == (0, "clock 250000000\n")
    assert check(host_build, "dtclock", dtb_dir / PINS,
                 "/soc/serial@7e215200") == (1, "error: no clock in the device tree\n")


def test_clock_request_encoding(host_build: Path) -> None:
    rc, out = check(host_build, "clock-request", 4)
    assert rc == 0
    words = [int(w, 16) for w in out.split()]
    assert words == [
        32,            # buffer size in bytes
        0,             # process request
        0x00030002,    # GET_CLOCK_RATE
        8,             # value buffer: clock id + rate
        0,             # request
        4,             # clock id 4: CORE
        0,
        0,             # end tag
    ]


GOOD = [32, 0x80000000, 0x00030002, 8, 0x80000008, 4, 360_000_000, 0]


@pytest.mark.parametrize(("words", "expected"), [
    (GOOD, "rate 360000000"),
    ([32, 0x80000001, *GOOD[2:]], "error: the firmware could not parse the request"),
    ([32, 0, 0x00030002, 8, 0, 4, 0, 0], "error: the firmware did not answer the request"),
    ([*GOOD[:4], 8, *GOOD[5:]], "error: the firmware did not answer the tag"),
    ([*GOOD[:4], 0x80000004, *GOOD[5:]], "error: the firmware did not answer the tag"),
    ([*GOOD[:5], 3, *GOOD[6:]], "error: the firmware's answer is for another clock or 0 Hz"),
    ([*GOOD[:6], 0, 0], "error: the firmware's answer is for another clock or 0 Hz"),
])
def test_clock_response_checks(host_build: Path, words: list[int], expected: str) -> None:
    rc, out = check(host_build, "clock-response", 4, *words)
    assert out == expected + "\n" and rc == (0 if expected.startswith("rate") else 1)


@pytest.mark.parametrize(("dtb", "node", "phys", "expected"), [
    (PINS, "/soc/mailbox@7e00b880", 0x80000, "bus 0xc0080000 word 0xc0080008"),
    (PINS, "/soc/mailbox@7e00b880", 0x3FFFFFE0, "bus 0xffffffe0 word 0xffffffe8"),
    (PINS, "/soc/mailbox@7e00b880", 0x3FFFFFF0, "error: no bus address for the message buffer"),
    (PINS, "/soc/mailbox@7e00b880", 0x40000000, "error: no bus address for the message buffer"),
    (PINS, "/identity/mailbox@0", 0x1000, "bus 0x00001000 word 0x00001008"),
    (PINS, "/nodma/mailbox@0", 0x1000, "error: no bus address for the message buffer"),
    (PINS, "/torndma/mailbox@0", 0x1000, "error: no bus address for the message buffer"),
    (PINS, "/emptydma/mailbox@0", 0x1000, "error: no bus address for the message buffer"),
    (PINS, "/wrapdma/mailbox@0", 0x1000, "error: no bus address for the message buffer"),
    (PI3, "/soc/mailbox@7e00b880", 0x80000, "bus 0xc0080000 word 0xc0080008"),
    (PI3, "/soc/mailbox@7e00b880", 0x3EFFFFE0, "bus 0xfeffffe0 word 0xfeffffe8"),
    (PI3, "/soc/mailbox@7e00b880", 0x3F000000, "error: no bus address for the message buffer"),
])
def test_buffer_bus_address(host_build: Path, dtb_dir: Path, dtb: str, node: str, phys: int,
                            expected: str) -> None:
    rc, out = check(host_build, "bus", dtb_dir / dtb, node, phys, 32)
    assert out == expected + "\n" and rc == (0 if expected.startswith("bus") else 1)
