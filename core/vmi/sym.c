/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Profile look-ups for VMI: symbols (slid), member offsets and constants,
 * through a small cache keyed by the full profile key, and symbolization.
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/profile.h>
#include <mamoru/vmi/vmi.h>

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* profile_value with a cache; misses are cached too. */
static int lookup(struct vmi *v, const char *key, uint64_t *out)
{
	uint32_t h = fnv1a(key);
	struct vmi_key_entry *e = &v->keys[h % VMI_KEY_CACHE];
	size_t len = strlen(key);
	bool cacheable = len < sizeof(e->key);

	if (cacheable && e->hash == h && e->key[0] && strcmp(e->key, key) == 0) {
		if (!e->found)
			return vmi_fail(v, VMI_ENOKEY, "the profile has no %s", key);
		*out = e->value;
		return VMI_OK;
	}
	uint64_t val = 0;
	bool found = profile_value(v->prof, key, &val) == 0;
	if (cacheable) {
		e->hash = h;
		memcpy(e->key, key, len + 1);
		e->found = found;
		e->value = val;
	}
	if (!found)
		return vmi_fail(v, VMI_ENOKEY, "the profile has no %s", key);
	*out = val;
	return VMI_OK;
}

int vmi_const(struct vmi *v, const char *key, uint64_t *value)
{
	return lookup(v, key, value);
}

int vmi_field(struct vmi *v, const char *member, uint64_t *off)
{
	return lookup(v, member, off);
}

int vmi_sym(struct vmi *v, const char *name, uint64_t *gva)
{
	char key[80];
	uint64_t link;

	if (m_snprintf(key, sizeof(key), "sym.%s", name) >= (int)sizeof(key))
		return vmi_fail(v, VMI_EINVAL, "symbol name too long");
	int rc = lookup(v, key, &link);
	if (rc)
		return rc;
	*gva = link + v->slide;
	return VMI_OK;
}

int vmi_symbolize(struct vmi *v, uint64_t addr, char *buf, size_t size)
{
	const char *name;
	uint64_t off;

	if (profile_symbolize(v->prof, addr - v->slide, &name, &off) != 0) {
		m_snprintf(buf, size, "0x%llx", (unsigned long long)addr);
		return vmi_fail(v, VMI_ENOKEY, "no kernel symbol covers 0x%llx",
				(unsigned long long)addr);
	}
	if (off)
		m_snprintf(buf, size, "%s+0x%llx", name, (unsigned long long)off);
	else
		m_snprintf(buf, size, "%s", name);
	return VMI_OK;
}
