/* SPDX-License-Identifier: GPL-2.0-only */
/* Raspberry Pi 4 Model B (BCM2711): four Cortex-A72, GIC-400, peripherals
 * at 0xfe000000 ("low peripheral" mode, the firmware default). */
#include <mamoru/board.h>
#include "../rpi_passthrough.h"

static const char *const compatible[] = {"raspberrypi,4-model-b", "brcm,bcm2711", NULL};
/* The Arasan SD host (mmc@7e300000 = 0xfe300000, SPI 126): QEMU's raspi4b holds
 * -drive if=sd there; on the board it drives the WiFi chip. Its interrupt line is
 * shared with EMMC2 (the board's SD card), which is not passed and which nothing in
 * the hypervisor drives: it is silenced (its interrupt enables cleared) before the
 * line goes to the guest, and the SD host is refused if that does not hold
 * (docs/passthrough.md). */
/* The USB controller (DWC2, usb@7e980000 = 0xfe980000, SPI 73 = interrupt 105; the
 * USB-C port, in peripheral mode in the board's tree): a bus master reaching the low
 * 1 GiB through the soc bus's dma-ranges; its power domain is switched on through the
 * firmware (docs/passthrough.md). */
static const char *const passthrough_allow[] = {"brcm,bcm2835-sdhci", "brcm,bcm2835-usb", NULL};

const struct board_desc board_desc = {
	.name = "Raspberry Pi 4 Model B",
	.dt_compatible = compatible,
	/* The firmware's default console with Bluetooth on the PL011. */
	.fallback_uart = "brcm,bcm2835-aux-uart",
	.fallback_uart_base = 0xfe215040,
	.passthrough_allow = passthrough_allow,
	.passthrough_clock = rpi_passthrough_clock,
	.passthrough_check = rpi_passthrough_check,
	.passthrough_quiesce = rpi_passthrough_quiesce,
	.passthrough_power = rpi_passthrough_power,
	/* The soc bus's dma-ranges: bus 0xc0000000 = CPU 0, 1 GiB. */
	.dma_low_end = 0x40000000,
};
