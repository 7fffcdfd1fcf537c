/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Is the guest kernel in the middle of changing the lists the IDS reads? Its vCPUs
 * stop wherever they are, maybe inside fork or exit, between unhashing a PID and
 * unlinking the task (both under tasklist_lock, held for writing), or inside the
 * PID allocator (pidmap_lock): a listing read then is torn, and the cross-view
 * would call a dying process hidden. The IDS lets the guest run a little and looks
 * again (commands/ids/session.c).
 *
 * Read from the locks' words as an arm64 kernel lays them out (the lock word is
 * the first member with or without lock debugging): tasklist_lock is a queued
 * rwlock, whose low byte is the writer's (0xff held); pidmap_lock a queued
 * spinlock, nonzero while held or contended. Only with a profile that has the
 * symbols (arm64 profiles; a 32-bit ARM kernel's are left out: its uniprocessor
 * locks are empty).
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/vmi.h>

#define QRW_WRITER_MASK 0xffu

/* One lock: 1 held (mask bits set), 0 free or not in the profile, or the error of a
 * lock the profile names that cannot be read. */
static int held(struct vmi *v, const char *sym, uint32_t mask)
{
	uint64_t gva;
	uint32_t word;
	if (vmi_sym(v, sym, &gva) != VMI_OK)
		return 0;
	int rc = vmi_read_u32(v, gva, &word);
	if (rc)
		return vmi_context(v, rc, "reading %s", sym);
	return (word & mask) != 0;
}

int vmi_lists_busy(struct vmi *v, const char **which)
{
	static const struct { const char *sym; uint32_t mask; } locks[] = {
		{"tasklist_lock", QRW_WRITER_MASK}, {"pidmap_lock", ~0u},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(locks); i++) {
		*which = locks[i].sym;
		int rc = held(v, locks[i].sym, locks[i].mask);
		if (rc)
			return rc;
	}
	return 0;
}
