/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The defensive parser of guest kernel profiles (docs/profile-format.md).
 * Everything is checked in profile_load(); the accessors rely on that.
 * All multi-byte fields are read byte by byte: the blob may be unaligned.
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/blob.h>
#include <mamoru/vmi/profile.h>

#define HEADER_SIZE 32u
#define SECTION_SIZE 16u
#define KV_SIZE 16u
#define MAX_SECTIONS 16u

enum { SEC_STRTAB = 1, SEC_KEYVAL = 2, SEC_TEXTSYMS = 3 };

uint32_t profile_crc32(const void *data, size_t len)
{
	/* Reflected polynomial 0xEDB88320, four bits at a time. */
	static const uint32_t nibble[16] = {
		0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4,
		0x4DB26158, 0x5005713C, 0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
		0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
	};
	const uint8_t *b = data;
	uint32_t crc = 0xFFFFFFFFu;

	for (size_t i = 0; i < len; i++) {
		crc ^= b[i];
		crc = (crc >> 4) ^ nibble[crc & 15];
		crc = (crc >> 4) ^ nibble[crc & 15];
	}
	return ~crc;
}

/* The string at offset off; valid for every off < strtab_len once loaded
 * (the table ends with a NUL). */
static const char *str_at(const struct profile *p, uint32_t off)
{
	return (const char *)p->strtab + off;
}

static const uint8_t *kv_at(const struct profile *p, size_t i)
{
	return p->kv + i * KV_SIZE;
}

int profile_load(struct profile *p, const void *data, size_t len, char *err, size_t errlen)
{
	const uint8_t *d = data;
	const uint8_t *sec[4] = { NULL, NULL, NULL, NULL };
	uint32_t sec_size[4] = { 0, 0, 0, 0 }, sec_count[4] = { 0, 0, 0, 0 };

	memset(p, 0, sizeof(*p));
	uint32_t total;
	if (blob_check(d, len, PROFILE_MAGIC, "profile", PROFILE_VERSION, HEADER_SIZE, &total, err, errlen))
		return -1;
	uint32_t nsec = blob_rd32(d + 24), flags = blob_rd32(d + 28);
	if (flags != 0)
		return blob_fail(err, errlen, "bad profile header (flags 0x%x)", (unsigned)flags);
	if (nsec > MAX_SECTIONS || HEADER_SIZE + nsec * SECTION_SIZE > total)
		return blob_fail(err, errlen, "bad section count %u", (unsigned)nsec);

	uint32_t first = HEADER_SIZE + nsec * SECTION_SIZE;
	for (uint32_t i = 0; i < nsec; i++) {
		const uint8_t *s = d + HEADER_SIZE + i * SECTION_SIZE;
		uint32_t type = blob_rd32(s), off = blob_rd32(s + 4), size = blob_rd32(s + 8);
		if (off < first || off % 8 || off > total || size > total - off)
			return blob_fail(err, errlen, "section %u lies outside the profile", (unsigned)i);
		if (type >= 1 && type <= 3) {
			if (sec[type])
				return blob_fail(err, errlen, "section type %u appears twice", (unsigned)type);
			sec[type] = d + off;
			sec_size[type] = size;
			sec_count[type] = blob_rd32(s + 12);
		}
		/* Unknown section types are skipped: later minor additions. */
	}
	for (unsigned t = 1; t <= 3; t++)
		if (!sec[t])
			return blob_fail(err, errlen, "section type %u missing", (unsigned)t);

	p->strtab = sec[SEC_STRTAB];
	p->strtab_len = sec_size[SEC_STRTAB];
	if (p->strtab_len == 0 || p->strtab[p->strtab_len - 1] != 0)
		return blob_fail(err, errlen, "string table empty or not NUL-terminated");

	uint32_t kvn = sec_count[SEC_KEYVAL];
	if (kvn > sec_size[SEC_KEYVAL] / KV_SIZE || kvn * KV_SIZE != sec_size[SEC_KEYVAL])
		return blob_fail(err, errlen, "key/value section: %u entries do not fit", (unsigned)kvn);
	p->kv = sec[SEC_KEYVAL];
	p->kv_count = kvn;
	for (uint32_t i = 0; i < kvn; i++) {
		const uint8_t *e = kv_at(p, i);
		uint32_t key = blob_rd32(e), kind = blob_rd32(e + 4);
		if (key >= p->strtab_len)
			return blob_fail(err, errlen, "key %u: string offset out of range", (unsigned)i);
		if (kind > PROFILE_STRING)
			return blob_fail(err, errlen, "key %u: unknown value kind", (unsigned)i);
		if (kind == PROFILE_STRING && blob_rd64(e + 8) >= p->strtab_len)
			return blob_fail(err, errlen, "key %u: string value out of range", (unsigned)i);
		if (i > 0 && strcmp(str_at(p, blob_rd32(kv_at(p, i - 1))), str_at(p, key)) >= 0)
			return blob_fail(err, errlen, "keys not sorted or not unique at entry %u", (unsigned)i);
	}

	uint32_t tn = sec_count[SEC_TEXTSYMS];
	if (tn > sec_size[SEC_TEXTSYMS] / 12 || tn * 12 != sec_size[SEC_TEXTSYMS])
		return blob_fail(err, errlen, "text symbol section: %u symbols do not fit", (unsigned)tn);
	p->text_addr = sec[SEC_TEXTSYMS];
	p->text_name = sec[SEC_TEXTSYMS] + (size_t)tn * 8;
	p->text_count = tn;
	for (uint32_t i = 0; i < tn; i++) {
		if (blob_rd32(p->text_name + (size_t)i * 4) >= p->strtab_len)
			return blob_fail(err, errlen, "text symbol %u: name offset out of range", (unsigned)i);
		if (i > 0 && blob_rd64(p->text_addr + (size_t)i * 8) < blob_rd64(p->text_addr + (size_t)(i - 1) * 8))
			return blob_fail(err, errlen, "text symbols not sorted at index %u", (unsigned)i);
	}

	p->data = d;
	p->len = total;
	p->has_etext = profile_value(p, "sym._etext", &p->etext) == 0;
	p->has_inittext = profile_value(p, "sym._sinittext", &p->sinittext) == 0 &&
			  profile_value(p, "sym._einittext", &p->einittext) == 0 &&
			  p->sinittext <= p->einittext;
	return 0;
}

/* Index of key, or -1. */
static long find_key(const struct profile *p, const char *key)
{
	size_t lo = 0, hi = p->kv_count;

	if (!key)
		return -1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(str_at(p, blob_rd32(kv_at(p, mid))), key);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int profile_value(const struct profile *p, const char *key, uint64_t *val)
{
	long i = find_key(p, key);
	if (i < 0 || blob_rd32(kv_at(p, (size_t)i) + 4) == PROFILE_STRING)
		return -1;
	if (val)
		*val = blob_rd64(kv_at(p, (size_t)i) + 8);
	return 0;
}

const char *profile_string(const struct profile *p, const char *key)
{
	long i = find_key(p, key);
	if (i < 0 || blob_rd32(kv_at(p, (size_t)i) + 4) != PROFILE_STRING)
		return NULL;
	return str_at(p, (uint32_t)blob_rd64(kv_at(p, (size_t)i) + 8));
}

int profile_entry_at(const struct profile *p, size_t i, struct profile_entry *e)
{
	if (i >= p->kv_count)
		return -1;
	const uint8_t *k = kv_at(p, i);
	e->key = str_at(p, blob_rd32(k));
	e->kind = (enum profile_kind)blob_rd32(k + 4);
	e->value = blob_rd64(k + 8);
	e->string = e->kind == PROFILE_STRING ? str_at(p, (uint32_t)e->value) : NULL;
	return 0;
}

size_t profile_text_count(const struct profile *p)
{
	return p->text_count;
}

static uint64_t text_addr(const struct profile *p, size_t i)
{
	return blob_rd64(p->text_addr + i * 8);
}

int profile_text_at(const struct profile *p, size_t i, uint64_t *addr, const char **name)
{
	if (i >= p->text_count)
		return -1;
	if (addr)
		*addr = text_addr(p, i);
	if (name)
		*name = str_at(p, blob_rd32(p->text_name + i * 4));
	return 0;
}

/* First index whose address is greater than addr (or, with or_equal, not less). */
static size_t bound(const struct profile *p, uint64_t addr, bool or_equal)
{
	size_t lo = 0, hi = p->text_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t a = text_addr(p, mid);
		if (a < addr || (!or_equal && a == addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int profile_symbolize(const struct profile *p, uint64_t addr, const char **name, uint64_t *off)
{
	size_t ub = bound(p, addr, false);
	if (ub == 0)
		return -1;
	uint64_t sym = text_addr(p, ub - 1);

	/* Which region the symbol is in decides where text ends. */
	if (p->has_etext && sym < p->etext) {
		if (addr >= p->etext)
			return -1;
	} else if (p->has_inittext && sym >= p->sinittext && sym < p->einittext) {
		if (addr >= p->einittext)
			return -1;
	} else if (ub == p->text_count && addr != sym) {
		return -1;	/* past the last symbol and no known end */
	}
	size_t first = bound(p, sym, true);	/* the preferred alias */
	if (name)
		*name = str_at(p, blob_rd32(p->text_name + first * 4));
	if (off)
		*off = addr - sym;
	return 0;
}

int profile_text_symbol(const struct profile *p, const char *name, uint64_t *addr)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < p->text_count; i++) {
		if (strcmp(str_at(p, blob_rd32(p->text_name + i * 4)), name) == 0) {
			if (addr)
				*addr = text_addr(p, i);
			return 0;
		}
	}
	return -1;
}
