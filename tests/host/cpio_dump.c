/* SPDX-License-Identifier: GPL-2.0-only */
/* Lists a newc cpio archive with the hypervisor's reader: one line per entry
 * ("<name> <size> <mode in octal> <first-byte-or-->"), then "end" at the
 * trailer, or "error: <why> at <offset>" and exit 1. */
#include <mamoru/cpio.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cpio_dump <archive>\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	/* An exact-size heap buffer: ASan catches any read past the end. */
	unsigned char *buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "cannot read %s\n", argv[1]);
		return 2;
	}
	fclose(f);

	struct cpio_iter it;
	struct cpio_entry e;
	const char *err = NULL;
	int r;
	cpio_begin(&it, buf, (size_t)len);
	while ((r = cpio_next(&it, &e, &err)) > 0)
		printf("%s %zu %o %s%02x\n", e.name, e.size, e.mode, e.size ? "" : "-", e.size ? e.data[0] : 0);
	if (r < 0) {
		printf("error: %s at %zu\n", err, it.off);
		free(buf);
		return 1;
	}
	printf("end\n");
	free(buf);
	return 0;
}
