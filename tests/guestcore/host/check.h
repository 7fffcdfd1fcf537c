/* SPDX-License-Identifier: GPL-2.0-only */
/* Small helpers the host test programs share. */
#ifndef GUESTCORE_CHECK_H
#define GUESTCORE_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures;

/* Records a failed check with where it is; the program exits 1 at the end. */
#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			check_failures++;                                             \
		}                                                                     \
	} while (0)

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

#endif
