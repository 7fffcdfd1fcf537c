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
#include <stdlib.h>
#include <string.h>

#include <arch/guest_walk.h>

struct image {
	uint64_t gpa;
	uint8_t *data;
	size_t size;
	unsigned long reads;
};

static int read64(void *ctx, uint64_t pa, uint64_t *val)
{
	struct image *m = ctx;
	m->reads++;
	if (pa < m->gpa || pa - m->gpa > m->size || m->size - (pa - m->gpa) < 8)
		return -1;
	memcpy(val, m->data + (pa - m->gpa), 8);
	return 0;
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (*s == 0 || *end) {
		fprintf(stderr, "walk_test: bad number '%s'\n", s);
		exit(2);
	}
	return v;
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
	struct image img = { .gpa = num(argv[2]) };
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	fseek(f, 0, SEEK_END);
	img.size = (size_t)ftell(f);
	rewind(f);
	img.data = malloc(img.size ? img.size : 1);
	if (!img.data || fread(img.data, 1, img.size, f) != img.size) {
		fprintf(stderr, "walk_test: cannot read %s\n", argv[1]);
		return 2;
	}
	fclose(f);
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
		free(img.data);
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
			printf("fault %s level=%d reads=%lu: %s\n", kind(res.fault), res.level,
			       img.reads, text);
	}
	free(img.data);
	return 0;
}
