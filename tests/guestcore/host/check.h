/* SPDX-License-Identifier: GPL-2.0-only */
/* The checks (tests/include/hostcheck.h) and a file reader the guest core's host tests share. */
#ifndef GUESTCORE_CHECK_H
#define GUESTCORE_CHECK_H

#include <stdio.h>
#include <stdlib.h>

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

#endif
