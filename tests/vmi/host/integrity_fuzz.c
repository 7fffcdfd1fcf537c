/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the integrity manifest parser and comparison: any
 * input must be rejected or loaded cleanly, and a loaded manifest must be
 * compared in bounds. Built by `scons host` with clang; run briefly by
 * tests/vmi/test_integrity_host.py, longer by hand:
 *   build/host/vmi/integrity_fuzz -max_total_time=600 CORPUS_DIR
 * Each input is also tried with its CRC fixed up, to reach the deeper checks.
 */
#include <mamoru/vmi/integrity.h>
#include <mamoru/vmi/profile.h>

#include <stdlib.h>
#include <string.h>

#define MAX_IMAGE (1u << 20)

static volatile uint64_t sink;
static uint8_t image[MAX_IMAGE];

static uint8_t buf[4096];

static const uint8_t *fetch(void *ctx, uint32_t off, size_t len)
{
	(void)ctx;
	if (len > sizeof(buf))
		__builtin_trap();               /* the comparison promised at most 4 KiB */
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((off + i) * 7u);    /* differs from the zero image */
	return off % 3 ? buf : NULL;
}

static int on_finding(void *ctx, const struct integ_finding *f)
{
	(void)ctx;
	char d[64];
	integ_describe(f->words[0], f->off, d, sizeof(d), NULL);
	sink += strlen(d) + f->len;
	return sink % 97 == 0;       /* sometimes stop early */
}

static void exercise(const uint8_t *data, size_t size)
{
	struct integ_manifest m;
	char err[96];
	if (integ_load(&m, data, size, err, sizeof(err)) != 0) {
		sink += strlen(err);
		return;
	}
	uint32_t delta;
	const char *s = integ_rodata_symbol(&m, 0x1000, &delta);
	sink += s ? strlen(s) : 0;
	if (m.image_size > MAX_IMAGE)
		return;
	for (uint32_t i = 0; i < m.nranges; i++)
		sink += (uint64_t)integ_compare_range(&m, i, image, 0x10000, fetch, NULL, on_finding, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	exercise(data, size);
	if (size >= 64 && size <= (1u << 20)) {
		uint8_t *copy = malloc(size);
		if (!copy)
			return 0;
		memcpy(copy, data, size);
		uint32_t total = (uint32_t)copy[16] | (uint32_t)copy[17] << 8 | (uint32_t)copy[18] << 16 |
				 (uint32_t)copy[19] << 24;
		if (total >= 64 && total <= size) {
			uint32_t crc = profile_crc32(copy + 64, total - 64);
			for (int i = 0; i < 4; i++)
				copy[20 + i] = (uint8_t)(crc >> (8 * i));
			exercise(copy, size);
		}
		free(copy);
	}
	return 0;
}
