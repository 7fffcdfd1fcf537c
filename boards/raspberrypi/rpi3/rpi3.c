/* SPDX-License-Identifier: GPL-2.0-only */
/* Raspberry Pi 3 Model B (BCM2837): four Cortex-A53, no GIC (BCM2836
 * per-core controller + BCM2835 peripheral controller), peripherals at
 * 0x3f000000. */
#include <mamoru/board.h>
#include "../rpi_passthrough.h"

static const char *const compatible[] = {"raspberrypi,3-model-b", "brcm,bcm2837", NULL};
/* The Arasan SD host (mmc@7e300000 = 0x3f300000, GPU interrupt 62): QEMU's raspi3b
 * holds -drive if=sd there; on the board it drives the WiFi chip. Refused when GPIO
 * 48-53 route it to the board's SD card (docs/passthrough.md). */
/* The USB controller (DWC2, usb@7e980000 = 0x3f980000, GPU interrupt 9: the
 * hypervisor's 73), which carries the on-board Ethernet: a bus master reaching RAM
 * through the soc bus's dma-ranges; its power domain is switched on through the
 * firmware (docs/passthrough.md). */
static const char *const passthrough_allow[] = {"brcm,bcm2835-sdhci", "brcm,bcm2835-usb", NULL};

const struct board_desc board_desc = {
	.name = "Raspberry Pi 3 Model B",
	.dt_compatible = compatible,
	.fallback_uart = "brcm,bcm2835-aux-uart",
	.fallback_uart_base = 0x3f215040,
	.passthrough_allow = passthrough_allow,
	.passthrough_clock = rpi_passthrough_clock,
	.passthrough_check = rpi_passthrough_check,
	.passthrough_quiesce = rpi_passthrough_quiesce,
	.passthrough_power = rpi_passthrough_power,
};
