/* SPDX-License-Identifier: GPL-2.0-only */
/* The checks (tests/include/hostcheck.h) and a file reader the guest core's host tests share. */
#ifndef GUESTCORE_CHECK_H
#define GUESTCORE_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include <mamoru/fdt.h>

#include "hostcheck.h"

/* Reads a whole file (a device tree blob) into memory; exits on error. */
static inline void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	static unsigned char buf[1 << 16];
	*size = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

/* A device tree blob from a file, ready to read; exits on error. */
static inline const struct fdt *read_fdt(const char *path)
{
	static struct fdt fdt;
	size_t size;
	void *blob = read_file(path, &size);
	if (fdt_init(&fdt, blob, size)) {
		fprintf(stderr, "%s: not a device tree blob\n", path);
		exit(2);
	}
	return &fdt;
}

#endif
