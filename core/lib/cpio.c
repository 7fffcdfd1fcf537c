/* SPDX-License-Identifier: GPL-2.0-only */
#include <mamoru/cpio.h>
#include <mamoru/libc.h>

#define HDR_LEN 110
#define NAME_MAX_LEN 4096

void cpio_begin(struct cpio_iter *it, const void *buf, size_t len)
{
	it->buf = buf;
	it->len = len;
	it->off = 0;
}

/* Eight hex digits at p; false if any is not a hex digit. */
static bool hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];
		uint32_t d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = (v << 4) | d;
	}
	*out = v;
	return true;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *e, const char **err)
{
	uint32_t f[13];
	size_t off = it->off;

	if (off > it->len || it->len - off < HDR_LEN) {
		*err = "truncated header (no trailer)";
		return -1;
	}
	const uint8_t *h = it->buf + off;
	if (memcmp(h, "070701", 6) && memcmp(h, "070702", 6)) {
		*err = "bad magic (not a newc cpio archive)";
		return -1;
	}
	for (int i = 0; i < 13; i++)
		if (!hex8(h + 6 + 8 * i, &f[i])) {
			*err = "header field is not hexadecimal";
			return -1;
		}
	uint32_t mode = f[1], filesize = f[6], namesize = f[11];
	if (namesize < 2 || namesize > NAME_MAX_LEN) {
		*err = "bad name size";
		return -1;
	}
	size_t name_off = off + HDR_LEN;
	if (it->len - name_off < namesize) {
		*err = "truncated name";
		return -1;
	}
	const char *name = (const char *)it->buf + name_off;
	if (name[namesize - 1] != '\0' || memchr(name, '\0', namesize - 1)) {
		*err = "name is not a NUL-terminated string";
		return -1;
	}
	size_t data_off = pad4(HDR_LEN + (size_t)namesize) + off;
	if (data_off > it->len || it->len - data_off < filesize) {
		*err = "truncated file data";
		return -1;
	}
	if (namesize == 11 && !memcmp(name, "TRAILER!!!", 11))
		return 0;
	e->name = name;
	e->namelen = namesize - 1;
	e->data = it->buf + data_off;
	e->size = filesize;
	e->mode = mode;
	it->off = data_off + pad4(filesize);
	if (it->off > it->len)
		it->off = it->len;    /* last entry's padding may be missing */
	return 1;
}
