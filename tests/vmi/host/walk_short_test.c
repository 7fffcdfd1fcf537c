/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * walk_short_test: drives the ARMv5 short-descriptor walker over a memory
 * image (host).
 *
 *   walk_short_test MEM GPA TTBR VA...      one line per VA:
 *       ok pa=0x.. level=N size=0x.. kind="<section|large page|...>" ap=N domain=N reads=N
 *       fault <kind> level=N reads=N: <description>
 *
 * MEM is a raw file holding guest-physical GPA onwards; descriptor reads
 * outside it fail.
 */
#include <stdio.h>

#include <mamoru/vmi/walk_short.h>

#include "walk_image.h"

#define PROG "walk_short_test"

static int read32(void *ctx, uint64_t pa, uint32_t *val)
{
	return image_read(ctx, pa, val, 4);
}

static uint64_t num(const char *s)
{
	return parse_num(PROG, s);
}

static const char *kind(enum gws_fault f)
{
	static const char *const names[] = { "ok", "range", "translation", "read" };
	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: walk_short_test MEM GPA TTBR VA...\n");
		return 2;
	}
	struct walk_image img = image_load(PROG, argv[1], num(argv[2]));
	struct gws_mem m = { read32, &img };
	uint64_t ttbr = num(argv[3]);

	for (int i = 4; i < argc; i++) {
		struct gws_result res;
		char text[256];
		img.reads = 0;
		int rc = gws_translate(ttbr, &m, num(argv[i]), &res);
		gws_describe(&res, text, sizeof(text));
		if (rc == 0)
			printf("ok pa=0x%llx level=%d size=0x%x kind=\"%s\" ap=%u domain=%u reads=%lu\n",
			       (unsigned long long)res.pa, res.level, (unsigned)res.size,
			       res.kind, res.ap, res.domain, img.reads);
		else
			print_fault(kind(res.fault), res.level, img.reads, text);
	}
	image_free(&img);
	return 0;
}
