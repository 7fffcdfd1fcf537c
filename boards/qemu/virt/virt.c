/* SPDX-License-Identifier: GPL-2.0-only */
/* QEMU's generic "virt" machine, started with virtualization=on so the
 * image enters at EL2. GICv2 or GICv3 depending on gic-version. */
#include <mamoru/board.h>

static const char *const compatible[] = {"linux,dummy-virt", NULL};

const struct board_desc board_desc = {
	.name = "QEMU virt",
	.dt_compatible = compatible,
	.ncpus = 1,
	.fallback_uart = "arm,pl011",
	.fallback_uart_base = 0x09000000,  /* VIRT_UART */
};
