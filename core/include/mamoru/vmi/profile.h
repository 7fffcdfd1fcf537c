/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest kernel profiles (docs/profile-format.md): symbols, struct member
 * offsets and layout constants of one Linux build, made by
 * `./mamoru profile`. profile_load() validates the whole blob once (it may
 * come from anywhere); afterwards every accessor is bounds-safe without
 * further checks. The profile keeps pointing into the caller's buffer.
 */
#ifndef MAMORU_VMI_PROFILE_H
#define MAMORU_VMI_PROFILE_H

#include <mamoru/types.h>

#define PROFILE_MAGIC "MAMORUPF"
#define PROFILE_VERSION 1u

enum profile_kind {
	PROFILE_NUMBER = 0,	/* a count, offset or size (printed in decimal) */
	PROFILE_ADDRESS = 1,	/* a link address (printed in hex) */
	PROFILE_STRING = 2,	/* a NUL-terminated string */
};

struct profile {
	const uint8_t *data;
	size_t len;			/* the profile's total_size (<= the buffer) */
	/* Section views, set by profile_load(). */
	const uint8_t *strtab;
	size_t strtab_len;
	const uint8_t *kv;		/* kv_count x 16 bytes, sorted by key */
	size_t kv_count;
	const uint8_t *text_addr;	/* text_count x u64, ascending */
	const uint8_t *text_name;	/* text_count x u32 string offsets */
	size_t text_count;
	/* Bounds for profile_symbolize(), from sym._etext, sym._sinittext, sym._einittext. */
	bool has_etext, has_inittext;
	uint64_t etext, sinittext, einittext;
};

struct profile_entry {
	const char *key;
	enum profile_kind kind;
	uint64_t value;			/* PROFILE_NUMBER and PROFILE_ADDRESS */
	const char *string;		/* PROFILE_STRING, else NULL */
};

/* Validates everything once (magic, version, size, CRC32, every section
 * bounds, every string offset NUL-terminated in range, sorted keys and text
 * symbols); on error returns -1 and writes a one-line reason into err. */
int profile_load(struct profile *p, const void *data, size_t len, char *err, size_t errlen);

/* "task_struct.pid", "sym.init_task", "const.va_bits", "sizeof.task_struct":
 * 0 and *val set, or -1 if absent (or a string). */
int profile_value(const struct profile *p, const char *key, uint64_t *val);

/* A string entry such as "str.release"; NULL if absent (or not a string). */
const char *profile_string(const struct profile *p, const char *key);

/* Nearest text symbol at or below addr (a link address): its name and
 * addr's offset from it. -1 if addr is below the first symbol or beyond the
 * end of kernel text (_etext, or _einittext for init text). Among aliases at
 * one address the profile's first (preferred) name is returned. */
int profile_symbolize(const struct profile *p, uint64_t addr, const char **name, uint64_t *off);

/* Link address of a text symbol by name (linear search); 0 or -1. */
int profile_text_symbol(const struct profile *p, const char *name, uint64_t *addr);

/* Additions for dumping and tests. */
/* The i-th key/value entry (keys in sorted order); 0, or -1 if i is out of range. */
int profile_entry_at(const struct profile *p, size_t i, struct profile_entry *e);
/* Number of text symbols, and the i-th one (address order). */
size_t profile_text_count(const struct profile *p);
int profile_text_at(const struct profile *p, size_t i, uint64_t *addr, const char **name);
/* CRC-32 (IEEE 802.3, as zlib's crc32) of a buffer. */
uint32_t profile_crc32(const void *data, size_t len);

#endif
