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
#include <stdlib.h>
#include <string.h>

#include <mamoru/vmi/walk_short.h>

struct image {
	uint64_t gpa;
	uint8_t *data;
	size_t size;
	unsigned long reads;
};

static int read32(void *ctx, uint64_t pa, uint32_t *val)
{
	struct image *m = ctx;
	m->reads++;
	if ((pa & 3) || pa < m->gpa || pa - m->gpa > m->size || m->size - (pa - m->gpa) < 4)
		return -1;
	memcpy(val, m->data + (pa - m->gpa), 4);
	return 0;
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (*s == 0 || *end) {
		fprintf(stderr, "walk_short_test: bad number '%s'\n", s);
		exit(2);
	}
	return v;
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
		fprintf(stderr, "walk_short_test: cannot read %s\n", argv[1]);
		return 2;
	}
	fclose(f);
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
			printf("fault %s level=%d reads=%lu: %s\n", kind(res.fault), res.level,
			       img.reads, text);
	}
	free(img.data);
	return 0;
}
