/* SPDX-License-Identifier: GPL-2.0-only */
/* QEMU's generic "virt" machine, started with virtualization=on so the
 * image enters at EL2. GICv2 or GICv3 depending on gic-version. */
#include <mamoru/board.h>

static const char *const compatible[] = {"linux,dummy-virt", NULL};
/* QEMU's virtio-mmio transports; transports 0 and 8 (bus=virtio-mmio-bus.0/.8)
 * each sit alone in a 4 KiB page. */
static const char *const passthrough_allow[] = {"virtio,mmio", NULL};
static const char passthrough_default[] = "/virtio_mmio@a000000\0/virtio_mmio@a001000";

const struct board_desc board_desc = {
	.name = "QEMU virt",
	.dt_compatible = compatible,
	.fallback_uart = "arm,pl011",
	.fallback_uart_base = 0x09000000,  /* VIRT_UART */
	.passthrough_allow = passthrough_allow,
	.passthrough_default = passthrough_default,
	.passthrough_default_len = sizeof(passthrough_default),
};
