/* SPDX-License-Identifier: GPL-2.0-only */
/* ARM Versatile/PB926EJ-S (QEMU -M versatilepb). The device tree it boots with is
 * versatilepb.dts beside this file, built by SConscript and passed with -dtb. */
#include <mamoru/board.h>

static const char *const compatible[] = {"arm,versatile-pb", NULL};

const struct board_desc board_desc = {
	.name = "ARM Versatile/PB (ARM926EJ-S)",
	.dt_compatible = compatible,
	.fallback_uart = "arm,pl011",
	.fallback_uart_base = 0x101f1000,  /* UART0 */
};
