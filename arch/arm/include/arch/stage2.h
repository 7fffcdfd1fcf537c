/* SPDX-License-Identifier: GPL-2.0-only */
/* Stage-2 translation: guest-physical (IPA) to host-physical. */
#ifndef ARCH_STAGE2_H
#define ARCH_STAGE2_H

#include <mamoru/types.h>

#define S2_IPA_BITS 39

enum s2_prot {
	S2_RAM,          /* normal write-back memory, read/write/execute */
	S2_DEVICE,       /* device memory, read/write, never executable */
};

struct stage2 {
	uint64_t *root;
	uint16_t vmid;
	uint64_t vttbr, vtcr;
	unsigned tables;
};

int stage2_init(struct stage2 *s2, uint16_t vmid);
int stage2_map(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size, enum s2_prot prot);
/* Makes [ipa, ipa + size) (page aligned, all mapped) writable or read-only
 * for the guest, splitting blocks as needed, and invalidates the TLBs of s2's
 * VMID. *changed (may be NULL): pages or blocks whose permission changed.
 * -1 on a bad range or when a table cannot be allocated. */
int stage2_set_write(struct stage2 *s2, uint64_t ipa, uint64_t size, bool writable,
		     unsigned *changed);
/* Makes s2 the active stage 2 (VTTBR_EL2/VTCR_EL2) and flushes its TLBs. */
void stage2_activate(const struct stage2 *s2);

#endif
