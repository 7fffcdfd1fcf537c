/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the binary blobs the IDS reads from the guest bundle (the profile,
 * the integrity manifest) share: little-endian fields read byte by byte
 * (the blob may be unaligned) and a header of an 8-byte magic, then u32
 * version, header size, total size and the CRC-32 of [header size, total).
 */
#ifndef MAMORU_VMI_BLOB_H
#define MAMORU_VMI_BLOB_H

#include <mamoru/types.h>

static inline uint32_t blob_rd32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t blob_rd64(const uint8_t *b)
{
	return (uint64_t)blob_rd32(b) | (uint64_t)blob_rd32(b + 4) << 32;
}

/* Formats the reason into err (when given); returns -1. */
int blob_fail(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);

/* Checks the header of the blob data[0..len): magic, version, header size
 * hsize, a total size inside len and not below the header, the CRC. what
 * names the blob in the messages ("profile"). 0 with *total set, or -1. */
int blob_check(const void *data, size_t len, const char *magic, const char *what, uint32_t version,
	       uint32_t hsize, uint32_t *total, char *err, size_t errlen);

#endif
