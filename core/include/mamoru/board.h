/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A board is data: its name and the device-tree root compatibles it
 * accepts. Everything else (memory, UART, interrupt controller, power
 * control) is discovered from the DTB the firmware or QEMU passes in x0.
 */
#ifndef MAMORU_BOARD_H
#define MAMORU_BOARD_H

#include <mamoru/types.h>

struct fdt;

struct board_desc {
	const char *name;                    /* "Raspberry Pi 4 Model B" */
	const char *const *dt_compatible;    /* NULL-terminated */
	/* Console used when the device tree is missing or unusable, so the
	 * error can still be reported: a serial driver compatible and the
	 * UART's physical address. */
	const char *fallback_uart;
	uintptr_t fallback_uart_base;
	/* Device passthrough (docs/passthrough.md): the compatible strings a guest
	 * may be given (NULL-terminated; NULL: none), and the host device-tree paths
	 * the first guest gets when its tree does not say (NUL-separated, len bytes
	 * with the last NUL; NULL: none). */
	const char *const *passthrough_allow;
	const char *passthrough_default;
	size_t passthrough_default_len;
	/* The rate in Hz of a passed device's clock when its provider is not a
	 * fixed-clock (a clock controller is never passed; the guest gets a
	 * fixed-clock node with this rate): 0, or nonzero when the board does not
	 * know it (NULL: it knows none). */
	int (*passthrough_clock)(const struct fdt *host, int node, uint32_t *hz);
	/* Why the board refuses to pass node although it passed the generic checks
	 * (the Pis: their SD host wired to the board's own SD card), or NULL. NULL
	 * hook: no board-specific refusal. */
	const char *(*passthrough_check)(const struct fdt *host, int node);
	/* Silences node, an enabled host device that is not passed but shares an
	 * interrupt line with one that is (its interrupts disabled at the device):
	 * 0, or nonzero when it cannot (then the passed device is refused). NULL
	 * hook: it cannot. */
	int (*passthrough_quiesce)(const struct fdt *host, int node);
	/* Switches on the power domain a passed node names in its power-domains (the
	 * guest never gets the power controller): NULL when it is on, or why not. NULL
	 * hook: a node with power-domains is refused. */
	const char *(*passthrough_power)(const struct fdt *host, int node);
	/* Where the RAM the board's DMA masters reach ends (the Pi 4's legacy masters:
	 * 1 GiB), or 0: every master reaches all RAM, or the board passes none. With
	 * RAM above it, the hypervisor's image is moved there at boot, out of reach of
	 * a guest that owns such a master (arch_image_place, docs/passthrough.md). */
	uint64_t dma_low_end;
};

extern const struct board_desc board_desc;

#endif
