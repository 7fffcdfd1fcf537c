/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the guest stage-1 walker: the input is the registers
 * (TCR, TTBR0, TTBR1, a VA: 32 bytes) and then guest RAM at GPA 0 (and, to
 * reach real table addresses, mirrored at 0x40000000). Every walk must end
 * without a sanitizer report, within five descriptor reads.
 */
#include <stdlib.h>
#include <string.h>

#include <arch/guest_walk.h>

#include "walk_image.h"

static int read64(void *ctx, uint64_t pa, uint64_t *val)
{
	return image_read(ctx, pa >= 0x40000000 ? pa - 0x40000000 : pa, val, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 32)
		return 0;
	struct gw_regs regs = { input_word(data + 8), input_word(data + 16), input_word(data) };
	uint64_t va = input_word(data + 24);
	struct walk_image ram = { .data = data + 32, .size = size - 32 };
	struct gw_mem m = { read64, &ram };
	struct gw_result res;
	char text[256];

	for (int i = 0; i < 4; i++) {
		uint64_t probe = va ^ ((uint64_t)i << 55) ^ ((uint64_t)(i & 1) * 0xff00000000000000ull);
		ram.reads = 0;
		int rc = gw_translate(&regs, &m, probe, &res);
		gw_describe(&res, text, sizeof(text));
		if (ram.reads > 5 || (rc == 0 && res.fault != GW_OK) || strlen(text) >= sizeof(text))
			abort();
	}
	uint64_t out[4];
	gw_find_va(&regs, &m, input_word(data + 8) & 0xffffffffff, va & ~0xfffull, va | 0xffffff,
		   out, 4, 4096);
	return 0;
}
