/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host driver for the integrity comparison (core/vmi/integrity.c), under
 * ASan/UBSan: compares a "runtime" memory file (laid out like the Image:
 * byte i is the kernel's byte at _text + i) with the Image, as the manifest
 * says, and prints one line per finding, then "findings N".
 *
 *   integrity_tool MANIFEST IMAGE RUNTIME SLIDE [--misalign]
 *
 * --misalign puts the Image 4 bytes off an 8-byte boundary, as the cpio
 * bundle does in the hypervisor.
 *
 *   integrity_tool --scan DUMP GPA REGS PROFILE MANIFEST IMAGE LOAD_PA
 *
 * runs the whole scan (integ_scan) over a guest RAM dump through its page
 * tables, as `ids integrity` does: REGS as for vmi_tool; remapped and
 * unmapped pages are reported too ("pa=0x.. expected=0x..").
 *
 * Exit status 0, or 1 with "error: ..." when an input is rejected.
 */
#include <mamoru/vmi/integrity.h>
#include <mamoru/vmi/profile.h>
#include <mamoru/vmi/vmi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regs_file.h"

struct blob {
	uint8_t *data;
	size_t len;
};

static int slurp(const char *path, struct blob *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t cap = 1 << 20;
	b->data = malloc(cap);
	b->len = 0;
	size_t n;
	while (b->data && (n = fread(b->data + b->len, 1, cap - b->len, f)) > 0) {
		b->len += n;
		if (b->len == cap) {
			cap *= 2;
			uint8_t *p = realloc(b->data, cap);
			if (!p) {
				free(b->data);
				b->data = NULL;
			}
			b->data = p;
		}
	}
	fclose(f);
	return b->data ? 0 : -1;
}

static struct blob runtime;
static uint64_t slide;
static const struct integ_manifest *man;

static const uint8_t *fetch(void *ctx, uint32_t off, size_t len)
{
	(void)ctx;
	if ((uint64_t)off + len > runtime.len)
		return NULL;
	return runtime.data + off;
}

static const char *const what_names[] = { "?", "changed", "reloc", "site", "ftrace", "remapped", "unmapped" };
static const char *const region_names[] = { "?", "text", "rodata", "vectors" };

static int on_finding(void *ctx, const struct integ_finding *f)
{
	(void)ctx;
	printf("%s %s site=%d off=0x%x len=%u", region_names[f->region], what_names[f->what], (int)f->site, f->off,
	       f->len);
	if (f->region == INTEG_RODATA || f->what == INTEG_RELOC) {
		printf(" now=0x%llx was=0x%llx", (unsigned long long)f->now, (unsigned long long)f->was);
		uint32_t delta;
		const char *sym = integ_rodata_symbol(man, f->off, &delta);
		if (sym)
			printf(" sym=%s+0x%x", sym, delta);
	} else if (f->what != INTEG_REMAPPED && f->what != INTEG_UNMAPPED) {
		uint32_t n = f->len / 4 < INTEG_MAX_SITE_WORDS ? f->len / 4 : INTEG_MAX_SITE_WORDS;
		for (uint32_t k = 0; k < n; k++) {
			char d[64];
			integ_describe(f->words[k], man->text_base + slide + f->off + 4 * k, d, sizeof(d), NULL);
			printf("%s%s", k ? "; " : " insn=", d);
		}
	}
	if (f->what == INTEG_REMAPPED)
		printf(" pa=0x%llx expected=0x%llx", (unsigned long long)f->pa, (unsigned long long)f->expected_pa);
	printf("\n");
	return 0;
}

/* --scan DUMP GPA REGS PROFILE MANIFEST IMAGE LOAD_PA */
static int scan(char **argv)
{
	static struct vmi v;
	struct blob dump, prof, mf, image;
	struct profile p;
	struct integ_manifest m;
	struct vmi_regs regs;
	char err[160];
	int rc = 1;
	if (slurp(argv[0], &dump) || slurp(argv[3], &prof) || slurp(argv[4], &mf) || slurp(argv[5], &image)) {
		printf("error: cannot read the inputs\n");
		return 1;
	}
	read_regs_file(argv[2], &regs);      /* none: all 0 */
	struct vmi_bank bank = { strtoull(argv[1], NULL, 0), dump.len, dump.data };
	if (profile_load(&p, prof.data, prof.len, err, sizeof(err)) ||
	    integ_load(&m, mf.data, mf.len, err, sizeof(err)) ||
	    integ_match_image(&m, image.data, image.len, err, sizeof(err))) {
		printf("error: %s\n", err);
	} else if (vmi_init(&v, &bank, 1, &regs, &p)) {
		printf("error: %s\n", vmi_error(&v));
	} else {
		man = &m;
		slide = v.slide;
		uint64_t pages = 0;
		long n = integ_scan(&v, &m, image.data, strtoull(argv[6], NULL, 0), on_finding, NULL, &pages);
		printf("pages %llu\nfindings %ld\n", (unsigned long long)pages, n);
		rc = 0;
	}
	free(dump.data);
	free(prof.data);
	free(mf.data);
	free(image.data);
	return rc;
}

int main(int argc, char **argv)
{
	struct blob mf, image;
	struct integ_manifest m;
	char err[160];
	if (argc == 9 && !strcmp(argv[1], "--scan"))
		return scan(argv + 2);
	if (argc != 5 && !(argc == 6 && !strcmp(argv[5], "--misalign"))) {
		fprintf(stderr, "usage: integrity_tool MANIFEST IMAGE RUNTIME SLIDE [--misalign]\n");
		return 2;
	}
	if (slurp(argv[1], &mf) || slurp(argv[2], &image) || slurp(argv[3], &runtime)) {
		printf("error: cannot read the inputs\n");
		return 1;
	}
	slide = strtoull(argv[4], NULL, 0);
	uint8_t *shifted = NULL;
	if (argc == 6) {
		shifted = malloc(image.len + 4);
		if (!shifted)
			return 1;
		memcpy(shifted + 4, image.data, image.len);
		free(image.data);
		image.data = shifted + 4;
	}
	if (integ_load(&m, mf.data, mf.len, err, sizeof(err)) ||
	    integ_match_image(&m, image.data, image.len, err, sizeof(err))) {
		printf("error: %s\n", err);
		free(mf.data);
		free(shifted ? shifted : image.data);
		free(runtime.data);
		return 1;
	}
	man = &m;
	long total = 0;
	for (uint32_t i = 0; i < m.nranges; i++)
		total += integ_compare_range(&m, i, image.data, slide, fetch, NULL, on_finding, NULL);
	printf("findings %ld\n", total);
	free(mf.data);
	free(shifted ? shifted : image.data);
	free(runtime.data);
	return 0;
}
