/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Write protection of guest memory through stage 2: see mamoru/guest_wp.h.
 */
#include <arch/guest_setup.h>
#include <mamoru/guest.h>
#include <mamoru/guest_wp.h>
#include <mamoru/heap.h>
#include <mamoru/libc.h>

static bool in_ram(const struct guest *g, uint64_t ipa, uint64_t size)
{
	return ipa >= g->ram_ipa && size <= g->ram_size && ipa - g->ram_ipa <= g->ram_size - size;
}

int guest_wp_arm(struct guest *g, const struct guest_wp_range *r, unsigned n)
{
	struct guest_wp *wp = &g->wp;
	guest_wp_disarm(g);
	if (n > GUEST_WP_RANGES)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (!r[i].size || ((r[i].ipa | r[i].size) & (PAGE_SIZE - 1)) ||
		    !in_ram(g, r[i].ipa, r[i].size))
			return -1;
	wp->pages = 0;
	for (unsigned i = 0; i < n; i++) {
		if (arch_guest_set_write(g, r[i].ipa, r[i].size, false)) {
			/* Undo what was done (splits stay; they are harmless). */
			for (unsigned j = 0; j <= i; j++)
				arch_guest_set_write(g, r[j].ipa, r[j].size, true);
			wp->pages = 0;
			return -1;
		}
		wp->range[i] = r[i];
		wp->pages += r[i].size / PAGE_SIZE;
	}
	wp->nranges = n;
	wp->armed = true;
	wp->arms++;
	return 0;
}

void guest_wp_disarm(struct guest *g)
{
	struct guest_wp *wp = &g->wp;
	if (!wp->armed)
		return;
	for (unsigned i = 0; i < wp->nranges; i++)
		arch_guest_set_write(g, wp->range[i].ipa, wp->range[i].size, true);
	wp->armed = false;
	wp->nranges = 0;
	wp->pages = 0;
}

void guest_wp_reset(struct guest *g)
{
	guest_wp_disarm(g);
	g->wp.q_len = 0;
}

bool guest_wp_covers(const struct guest *g, uint64_t ipa)
{
	const struct guest_wp *wp = &g->wp;
	if (!wp->armed)
		return false;
	for (unsigned i = 0; i < wp->nranges; i++)
		if (ipa >= wp->range[i].ipa && ipa - wp->range[i].ipa < wp->range[i].size)
			return true;
	return false;
}

bool guest_wp_record(struct guest *g, const struct guest_wp_event *ev)
{
	struct guest_wp *wp = &g->wp;
	wp->refused++;
	wp->last = *ev;
	if (wp->q_len == GUEST_WP_QUEUE) {
		wp->dropped++;
		return false;
	}
	wp->queue[(wp->q_head + wp->q_len) % GUEST_WP_QUEUE] = *ev;
	wp->q_len++;
	return wp->q_len == 1;
}

bool guest_wp_take(struct guest *g, struct guest_wp_event *ev)
{
	struct guest_wp *wp = &g->wp;
	if (!wp->q_len)
		return false;
	*ev = wp->queue[wp->q_head];
	wp->q_head = (wp->q_head + 1) % GUEST_WP_QUEUE;
	wp->q_len--;
	return true;
}
