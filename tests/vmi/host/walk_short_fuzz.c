/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the ARMv5 short-descriptor walker: the input is TTBR
 * and a VA (8 bytes each), then guest RAM at GPA 0 (mirrored at every
 * 0x10000000 so that any 32-bit table address can land in it). Every walk
 * must end without a sanitizer report within two descriptor reads, and a
 * success must return a 32-bit address inside the mapping's size.
 */
#include <stdlib.h>
#include <string.h>

#include <mamoru/vmi/walk_short.h>

#include "walk_image.h"

static int read32(void *ctx, uint64_t pa, uint32_t *val)
{
	return image_read(ctx, pa & 0x0fffffff, val, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 16)
		return 0;
	uint64_t ttbr = input_word(data), va = input_word(data + 8);
	struct walk_image ram = { .data = data + 16, .size = size - 16 };
	struct gws_mem m = { read32, &ram };
	struct gws_result res;
	char text[256];

	for (int i = 0; i < 4; i++) {
		/* The VA as given, its 32-bit part, and neighbours in other tables. */
		uint64_t probe = i == 0 ? va : (uint32_t)(va ^ ((uint64_t)i << 10) ^ ((uint64_t)i << 20));
		ram.reads = 0;
		int rc = gws_translate(ttbr, &m, probe, &res);
		gws_describe(&res, text, sizeof(text));
		if (ram.reads > 2 || (rc == 0) != (res.fault == GWS_OK) ||
		    strlen(text) >= sizeof(text) - 1)
			abort();
		if (rc == 0 && (res.pa >> 32 || res.size < 1024 || (res.pa ^ probe) & (res.size - 1)))
			abort();
	}
	return 0;
}
