/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for core/guest_layout.c: the input is the seven layout
 * numbers; every accepted layout must lie inside RAM without overlaps, and
 * loading it into a small RAM must stay inside the buffer (ASan checks).
 */
#include <stdlib.h>
#include <string.h>

#include <mamoru/guest_layout.h>

#include "layout_check.h"

#define SMALL_RAM GUEST_RAM_MIN

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t v[7] = {0};
	memcpy(v, data, size < sizeof(v) ? size : sizeof(v));
	struct guest_layout_in in = {v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
	struct guest_layout l;
	if (guest_layout(&in, &l))
		return 0;
	if (layout_violation(&in, &l))
		abort();
	/* Small enough to load for real: ASan sees any write outside RAM. */
	if (in.ram_size == SMALL_RAM) {
		static uint8_t *ram, *kernel, *initrd, *dtb;
		if (!ram) {
			ram = malloc(SMALL_RAM);
			kernel = calloc(1, SMALL_RAM);
			initrd = calloc(1, SMALL_RAM);
			dtb = calloc(1, GUEST_DTB_AREA);
		}
		guest_layout_load(ram, in.ram_size, &l, kernel, in.kernel_size, initrd, in.initrd_size, dtb,
				  in.dtb_size);
	}
	return 0;
}
