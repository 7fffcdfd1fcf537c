/* SPDX-License-Identifier: GPL-2.0-only */
/* Raspberry Pi 3 Model B (BCM2837): four Cortex-A53, no GIC (BCM2836
 * per-core controller + BCM2835 peripheral controller), peripherals at
 * 0x3f000000. */
#include <mamoru/board.h>

static const char *const compatible[] = {"raspberrypi,3-model-b", "brcm,bcm2837", NULL};

const struct board_desc board_desc = {
	.name = "Raspberry Pi 3 Model B",
	.dt_compatible = compatible,
	.ncpus = 4,
	.fallback_uart = "brcm,bcm2835-aux-uart",
	.fallback_uart_base = 0x3f215040,
};
