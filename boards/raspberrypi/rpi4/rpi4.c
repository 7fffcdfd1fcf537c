/* SPDX-License-Identifier: GPL-2.0-only */
/* Raspberry Pi 4 Model B (BCM2711): four Cortex-A72, GIC-400, peripherals
 * at 0xfe000000 ("low peripheral" mode, the firmware default). */
#include <mamoru/board.h>

static const char *const compatible[] = {"raspberrypi,4-model-b", "brcm,bcm2711", NULL};

const struct board_desc board_desc = {
	.name = "Raspberry Pi 4 Model B",
	.dt_compatible = compatible,
	.ncpus = 4,
	/* The firmware's default console with Bluetooth on the PL011. */
	.fallback_uart = "brcm,bcm2835-aux-uart",
	.fallback_uart_base = 0xfe215040,
};
