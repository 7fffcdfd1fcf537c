/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where a guest's time in the hypervisor goes: its exits by kind (the CPU
 * side counts them, arch_guest_stats() names them) and the accesses to each
 * of its emulated devices, since its last boot or `guest stats --clear`.
 * `guest stats` prints them; `./mamoru bench` reads them.
 */
#ifndef MAMORU_GUEST_STATS_H
#define MAMORU_GUEST_STATS_H

#include <mamoru/console.h>
#include <mamoru/types.h>

struct guest;

#define GUEST_STATS_MAX 12

struct guest_stat {
	const char *name;
	uint64_t count;          /* since the guest was created */
	bool detail;             /* a part of the row before it, not one more kind of exit */
};

/* The CPU side's exit counters of g, cumulative, in rows[0..max): the rows that are not
 * detail add up to g->exits_seen. Returns the number of rows. */
unsigned arch_guest_stats(const struct guest *g, struct guest_stat *rows, unsigned max);

/* The time g's vCPU has spent running guest code (between entering it and its exit),
 * cumulative. */
uint64_t arch_guest_run_ns(const struct guest *g);

/* The counts from now on: at every boot of the guest, and on `guest stats --clear`. */
void guest_stats_mark(struct guest *g);
void guest_stats_print(struct console *con, const struct guest *g);

#endif
