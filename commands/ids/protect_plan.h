/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pure part of `ids protect` (host-tested in tests/vmi/host/wp_test.c):
 * which guest-physical pages to protect, how to name a protected address,
 * and the rate limit of the reports.
 */
#ifndef COMMANDS_IDS_PROTECT_PLAN_H
#define COMMANDS_IDS_PROTECT_PLAN_H

#include <mamoru/guest_wp.h>
#include <mamoru/types.h>

/* Link addresses (and sizes in bytes) from the guest's profile. */
struct protect_layout {
	uint64_t text;                  /* _text: the start of the Image */
	uint64_t sct, sct_size;         /* sys_call_table (size 0: none) */
	uint64_t csct, csct_size;       /* compat_sys_call_table (size 0: none) */
	uint64_t rodata, rodata_end;    /* __start_rodata, __end_rodata */
};

/* The pages to protect for a kernel image loaded at kernel_ipa: those
 * holding the syscall tables, and with rodata all whole pages of
 * [rodata, rodata_end); sorted, overlaps merged. A kernel image address is
 * at kernel_ipa + (link - text) whatever the KASLR slide (the slide moves the
 * virtual addresses, not where the Image sits). Returns the number of ranges
 * (at most max), or -1 with why filled in. */
int protect_plan(const struct protect_layout *l, uint64_t kernel_ipa, bool rodata,
		 struct guest_wp_range *out, unsigned max, char *why, size_t whylen);

/* "sys_call_table+0x1e8" for a link address inside one of the tables; else
 * false (buf untouched). */
bool protect_name_table(const struct protect_layout *l, uint64_t link, char *buf, size_t size);

/* Report budget: a burst of PROTECT_BURST finding lines, then one more per
 * PROTECT_REFILL_NS; what does not fit is summarised. */
#define PROTECT_BURST 4
#define PROTECT_REFILL_NS 2000000000ull

struct protect_rate {
	unsigned tokens;
	uint64_t refill_at_ns;      /* when the next token comes */
	bool started;
};

/* Takes one line's worth of budget at now_ns; false when there is none. */
bool protect_rate_take(struct protect_rate *r, uint64_t now_ns);

#endif
