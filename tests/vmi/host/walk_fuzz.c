/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the guest stage-1 walker: the input is the registers
 * (TCR, TTBR0, TTBR1, a VA: 32 bytes) and then guest RAM at GPA 0 (and, to
 * reach real table addresses, mirrored at 0x40000000). Every walk must end
 * without a sanitizer report, within five descriptor reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arch/guest_walk.h>

struct ram {
	const uint8_t *data;
	size_t size;
	unsigned reads;
};

static int read64(void *ctx, uint64_t pa, uint64_t *val)
{
	struct ram *r = ctx;
	r->reads++;
	if (pa >= 0x40000000)
		pa -= 0x40000000;
	if (pa > r->size || r->size - pa < 8)
		return -1;
	memcpy(val, r->data + pa, 8);
	return 0;
}

static uint64_t word(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 32)
		return 0;
	struct gw_regs regs = { word(data + 8), word(data + 16), word(data) };
	uint64_t va = word(data + 24);
	struct ram ram = { data + 32, size - 32, 0 };
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
	gw_find_va(&regs, &m, word(data + 8) & 0xffffffffff, va & ~0xfffull, va | 0xffffff, out, 4,
		   4096);
	return 0;
}
