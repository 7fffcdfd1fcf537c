/* SPDX-License-Identifier: GPL-2.0-only */
/* The header check the profile and the integrity manifest share (see blob.h). */
#include <mamoru/libc.h>
#include <mamoru/vmi/blob.h>
#include <mamoru/vmi/profile.h>

int blob_fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		m_vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int blob_check(const void *data, size_t len, const char *magic, const char *what, uint32_t version,
	       uint32_t hsize, uint32_t *total, char *err, size_t errlen)
{
	const uint8_t *d = data;
	if (!d || len < hsize || hsize < 24)
		return blob_fail(err, errlen, "%s too short (%zu bytes)", what, len);
	if (memcmp(d, magic, 8) != 0)
		return blob_fail(err, errlen, "bad magic: this is no %s", what);
	uint32_t v = blob_rd32(d + 8), h = blob_rd32(d + 12), t = blob_rd32(d + 16);
	if (v != version)
		return blob_fail(err, errlen, "%s version %u (this hypervisor reads %u)", what, v, version);
	if (h != hsize)
		return blob_fail(err, errlen, "%s header size %u (expected %u)", what, h, hsize);
	if (t > len)
		return blob_fail(err, errlen, "%s truncated: its header says %u bytes, there are %zu", what,
				 t, len);
	if (t < hsize)
		return blob_fail(err, errlen, "%s total size %u is below its header's", what, t);
	if (profile_crc32(d + hsize, t - hsize) != blob_rd32(d + 20))
		return blob_fail(err, errlen, "%s checksum mismatch (corrupt)", what);
	*total = t;
	return 0;
}
