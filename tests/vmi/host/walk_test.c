/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * walk_test: drives the guest stage-1 walker over a memory image (host).
 *
 *   walk_test MEM GPA TCR TTBR0 TTBR1 VA...      one line per VA:
 *       ok pa=0x.. level=N size=0x.. ap=N uxn=N pxn=N af=N
 *       fault <kind> level=N: <description>
 *   walk_test MEM GPA TCR TTBR0 TTBR1 find PA LO LAST
 *       found <n> VA...  (or "find failed")
 *
 * MEM is a raw file holding guest-physical GPA onwards; descriptor reads
 * outside it fail.
 */
#include <stdio.h>
#include <string.h>

#include <arch/guest_walk.h>

#include "walk_image.h"

#define PROG "walk_test"

static int read64(void *ctx, uint64_t pa, uint64_t *val)
{
	return image_read(ctx, pa, val, 8);
}

static uint64_t num(const char *s)
{
	return parse_num(PROG, s);
}

static const char *kind(enum gw_fault f)
{
	static const char *const names[] = { "ok", "range", "disabled", "config",
					     "translation", "address_size", "read" };
	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

int main(int argc, char **argv)
{
	if (argc < 7) {
		fprintf(stderr, "usage: walk_test MEM GPA TCR TTBR0 TTBR1 VA... | find PA LO LAST\n");
		return 2;
	}
	struct walk_image img = image_load(PROG, argv[1], num(argv[2]));
	struct gw_regs r = { num(argv[4]), num(argv[5]), num(argv[3]) };
	struct gw_mem m = { read64, &img };

	if (strcmp(argv[6], "find") == 0) {
		uint64_t out[16];
		if (argc != 10)
			return 2;
		int n = gw_find_va(&r, &m, num(argv[7]), num(argv[8]), num(argv[9]), out, 16, 1u << 20);
		if (n < 0) {
			printf("find failed\n");
		} else {
			printf("found %d", n);
			for (int i = 0; i < n; i++)
				printf(" 0x%llx", (unsigned long long)out[i]);
			printf("\n");
		}
		image_free(&img);
		return 0;
	}
	for (int i = 6; i < argc; i++) {
		struct gw_result res;
		char text[256];
		img.reads = 0;
		int rc = gw_translate(&r, &m, num(argv[i]), &res);
		gw_describe(&res, text, sizeof(text));
		if (rc == 0)
			printf("ok pa=0x%llx level=%d size=0x%llx ap=%u uxn=%d pxn=%d af=%d reads=%lu\n",
			       (unsigned long long)res.pa, res.level, (unsigned long long)res.size,
			       res.ap, res.uxn, res.pxn, res.af, img.reads);
		else
			print_fault(kind(res.fault), res.level, img.reads, text);
	}
	image_free(&img);
	return 0;
}
