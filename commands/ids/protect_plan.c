/* SPDX-License-Identifier: GPL-2.0-only */
/* The pure part of `ids protect`: see protect_plan.h. */
#include <mamoru/libc.h>

#include "protect_plan.h"

#define PAGE 4096ull
#define MAX_SPAN (256ull << 20)         /* no kernel image part is this large */

static int fail(char *why, size_t len, const char *msg)
{
	m_snprintf(why, len, "%s", msg);
	return -1;
}

/* Adds [ipa, ipa + size) to the sorted, merged list out[0..n). */
static int add_range(struct guest_wp_range *out, unsigned *n, unsigned max, uint64_t ipa,
		     uint64_t size)
{
	uint64_t end = ipa + size;
	unsigned i = 0;
	while (i < *n && out[i].ipa + out[i].size < ipa)
		i++;
	/* out[i] (if any) ends at or after ipa: merge everything that touches. */
	unsigned j = i;
	while (j < *n && out[j].ipa <= end) {
		ipa = MIN(ipa, out[j].ipa);
		end = MAX(end, out[j].ipa + out[j].size);
		j++;
	}
	unsigned removed = j - i;
	if (removed == 0) {
		if (*n == max)
			return -1;
		for (unsigned k = *n; k > i; k--)
			out[k] = out[k - 1];
		(*n)++;
	} else if (removed > 1) {
		for (unsigned k = i + 1; k + removed - 1 < *n; k++)
			out[k] = out[k + removed - 1];
		*n -= removed - 1;
	}
	out[i].ipa = ipa;
	out[i].size = end - ipa;
	return 0;
}

static bool image_span(const struct protect_layout *l, uint64_t kernel_ipa, uint64_t link,
		       uint64_t size, uint64_t *ipa)
{
	if (link < l->text || link - l->text > MAX_SPAN || size > MAX_SPAN)
		return false;
	*ipa = kernel_ipa + (link - l->text);
	return *ipa >= kernel_ipa && *ipa + size >= *ipa;
}

int protect_plan(const struct protect_layout *l, uint64_t kernel_ipa, bool rodata,
		 struct guest_wp_range *out, unsigned max, char *why, size_t whylen)
{
	unsigned n = 0;
	if (kernel_ipa & (PAGE - 1))
		return fail(why, whylen, "the kernel image is not page aligned in guest memory");
	if (!l->sct_size)
		return fail(why, whylen, "the profile has no sys_call_table layout");
	const struct { uint64_t link, size; const char *name; } tables[] = {
		{l->sct, l->sct_size, "sys_call_table"},
		{l->csct, l->csct_size, "compat_sys_call_table"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		uint64_t ipa;
		if (!tables[i].size)
			continue;
		if (!image_span(l, kernel_ipa, tables[i].link, tables[i].size, &ipa)) {
			m_snprintf(why, whylen, "%s at 0x%llx is not inside the kernel image", tables[i].name,
				   (unsigned long long)tables[i].link);
			return -1;
		}
		uint64_t lo = ALIGN_DOWN(ipa, PAGE), hi = ALIGN_UP(ipa + tables[i].size, PAGE);
		if (add_range(out, &n, max, lo, hi - lo))
			return fail(why, whylen, "too many ranges");
	}
	if (rodata) {
		uint64_t ipa;
		if (l->rodata_end <= l->rodata ||
		    !image_span(l, kernel_ipa, l->rodata, l->rodata_end - l->rodata, &ipa))
			return fail(why, whylen, "the profile's __start_rodata/__end_rodata are unusable");
		uint64_t lo = ALIGN_UP(ipa, PAGE), hi = ALIGN_DOWN(ipa + (l->rodata_end - l->rodata), PAGE);
		if (hi > lo && add_range(out, &n, max, lo, hi - lo))
			return fail(why, whylen, "too many ranges");
	}
	return (int)n;
}

bool protect_name_table(const struct protect_layout *l, uint64_t link, char *buf, size_t size)
{
	if (l->sct_size && link >= l->sct && link - l->sct < l->sct_size) {
		m_snprintf(buf, size, "sys_call_table+0x%llx", (unsigned long long)(link - l->sct));
		return true;
	}
	if (l->csct_size && link >= l->csct && link - l->csct < l->csct_size) {
		m_snprintf(buf, size, "compat_sys_call_table+0x%llx", (unsigned long long)(link - l->csct));
		return true;
	}
	return false;
}

bool protect_rate_take(struct protect_rate *r, uint64_t now_ns)
{
	if (!r->started) {
		r->started = true;
		r->tokens = PROTECT_BURST;
		r->refill_at_ns = now_ns + PROTECT_REFILL_NS;
	}
	while (r->tokens < PROTECT_BURST && now_ns >= r->refill_at_ns) {
		r->tokens++;
		r->refill_at_ns += PROTECT_REFILL_NS;
	}
	if (r->tokens == PROTECT_BURST && now_ns >= r->refill_at_ns)
		r->refill_at_ns = now_ns + PROTECT_REFILL_NS;    /* full: no credit saved up */
	if (!r->tokens)
		return false;
	r->tokens--;
	return true;
}
