/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reader for "newc" cpio archives (the guest bundle). Every header field,
 * name and size is checked against the buffer before it is used.
 */
#ifndef MAMORU_CPIO_H
#define MAMORU_CPIO_H

#include <mamoru/types.h>

struct cpio_entry {
	const char *name;        /* NUL-terminated inside the archive */
	size_t namelen;          /* without the NUL */
	const uint8_t *data;
	size_t size;
	uint32_t mode;
};

struct cpio_iter {
	const uint8_t *buf;
	size_t len, off;
};

void cpio_begin(struct cpio_iter *it, const void *buf, size_t len);
/* 1: *e is the next entry; 0: the trailer was reached; -1: corrupt archive,
 * *err says why (and at which offset in it->off). */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e, const char **err);

#endif
