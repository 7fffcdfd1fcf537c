/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which guest runs next: round robin over the running guests, starting
 * after the last one that got the CPU. A guest that idles (WFI with nothing
 * pending) gives its turn to the next one, so the main loop only sleeps
 * when every running guest idles.
 */
#include <mamoru/guest.h>

bool guests_run(void)
{
	static int next;
	for (int k = 0; k < GUEST_MAX; k++) {
		struct guest *g = &guests[(next + k) % GUEST_MAX];
		if (g->state != GUEST_RUNNING)
			continue;
		if (guest_run_slice(g)) {
			next = (g->id + 1) % GUEST_MAX;
			return true;
		}
	}
	return false;
}
