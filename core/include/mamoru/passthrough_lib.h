/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pure logic of device passthrough (docs/passthrough.md), kept apart from
 * the hypervisor's state so the host unit tests can drive it: which pages a
 * device occupies, whether they collide with something the hypervisor or
 * another guest owns, whether the board allows the device, which guest
 * interrupt a host interrupt becomes, and the guest's device tree with the
 * passed nodes added (core/lib/fdt_write.c does the writing).
 */
#ifndef MAMORU_PASSTHROUGH_LIB_H
#define MAMORU_PASSTHROUGH_LIB_H

#include <mamoru/fdt.h>

#define PT_PAGE 4096ull
#define PT_MAX_REGS 4         /* reg entries of one passed node */
#define PT_MAX_IRQS 4         /* interrupts of one passed node */
#define PT_MAX_NODES 8        /* passed nodes in one guest tree (pt_build_guest_dt) */
#define PT_MAX_PHANDLES 8     /* phandles defined inside one passed node's subtree */

/* A physical range and who has it ("console UART", "RAM", "guest1's virtio_mmio@..."). */
struct pt_range {
	uint64_t base, size;
	const char *owner;
};

/* [base, base + size) rounded out to whole pages: 0, or -1 when empty or it wraps. */
int pt_page_span(uint64_t base, uint64_t size, uint64_t *pbase, uint64_t *psize);
/* The first of busy[0..n) sharing a page with [base, base + size), or NULL; an empty
 * or wrapping [base, base + size) gets a range of size 0 (a conflict, never NULL). */
const struct pt_range *pt_conflict(uint64_t base, uint64_t size, const struct pt_range *busy,
				   size_t n);
/* True when one of node's compatible strings is in allow (NULL-terminated, may be
 * NULL: nothing allowed); *which (may be NULL) gets the matching string. */
bool pt_allowed(const struct fdt *fdt, int node, const char *const *allow, const char **which);
/* The guest interrupt (GIC number, 32 and up) for host interrupt host_irq: the same
 * number when it is below nr and free in used (a bitmap of nr bits), else the lowest
 * free one from 32; -1 when none is free. Does not mark it used. */
int pt_guest_irq(unsigned host_irq, const uint32_t *used, unsigned nr);
/* Marks the interrupts a guest device tree already uses (GIC specifiers <type num
 * flags> of every node's "interrupts": SPI type 0 is 32 + num, PPI type 1 is 16 + num)
 * in used (nr bits). */
void pt_mark_guest_irqs(const struct fdt *guest, uint32_t *used, unsigned nr);

/* An interrupt specifier of controller node ctrl as a host interrupt number (0), or nonzero
 * for one that is not the host's (irq_xlate in the hypervisor). */
typedef int (*pt_irq_xlate)(const struct fdt *fdt, int ctrl, const uint32_t *cells, int ncells,
			    unsigned *irq);

/* The next node after from (-1: from the start) in document order, other than node, that
 * is enabled (no status, or "okay"/"ok") and lists interrupt irq (as xlate reads it) of
 * controller ctrl (the one node's line is on), in "interrupts" or "interrupts-extended"; or
 * FDT_ERR_NOTFOUND. The devices that would share a passed device's interrupt line. */
int pt_next_sharing(const struct fdt *fdt, int node, int ctrl, unsigned irq, int from,
		    pt_irq_xlate xlate);

/* The first node of a device tree other than its memory nodes whose reg shares a page
 * with [base, base + size) (where the guest's RAM is to go 1:1), or FDT_ERR_NOTFOUND. */
int pt_find_overlap(const struct fdt *fdt, uint64_t base, uint64_t size);

/* What a passed device's bus masters reach: the entries of its parent bus's dma-ranges
 * (struct fdt_dma_range; the bus being at the root, `parent` is a CPU physical address). */
#define PT_MAX_DMA 4
/* The dma-ranges entries of node's parent (up to max), their parent addresses being
 * CPU physical addresses (the parent must be a child of the root). 0: no translation
 * (no dma-ranges, or an empty one: bus address = CPU address); n > 0: n entries in w;
 * FDT_ERR_BADVALUE when it cannot be read (cells, more than max entries, an empty or
 * wrapping entry, a bus deeper in the tree). */
int pt_dma_windows(const struct fdt *fdt, int node, struct fdt_dma_range *w, int max);
/* True when [base, base + size) lies inside the CPU range of one of the n windows (n 0:
 * no translation, everything is reached). */
bool pt_dma_reaches(const struct fdt_dma_range *w, int n, uint64_t base, uint64_t size);

/* One node to add to the guest's tree: its offset in the host tree, its translated
 * reg entries and the guest interrupts (GIC numbers) that replace its own. */
struct pt_node {
	int host_node;
	uint64_t reg[PT_MAX_REGS][2];
	int nreg;
	unsigned virq[PT_MAX_IRQS];
	uint32_t irq_flags[PT_MAX_IRQS];   /* the third cell of the host specifier */
	int nirq;
	uint32_t clock_hz;   /* its clock's rate: the guest gets a fixed-clock; 0: no clocks */
};

/* True for a property naming other nodes of the host tree by phandle that a passed node
 * loses in the guest (pin control, power sequencing, DMA channels, resets, PHYs,
 * regulators, power domains, clock assignments): the guest has none of those nodes. */
bool pt_dropped_prop(const char *name);

/* True for a property holding one phandle that pt_build_guest_dt keeps, renumbered,
 * when it names a node inside the same passed subtree (else drops): phy-handle. */
bool pt_phandle_ref(const char *name);

/* The guest's device tree: guest_src with /memory's reg set to (ram_base, ram_size)
 * (and its name to memory@<ram_base>), and a copy of each host node appended under
 * the root, or, when its host parent has a non-empty dma-ranges (pt_dma_windows), under
 * a bus node "passthrough-bus-<k>" at the root (one per host parent: simple-bus, the
 * root's cells, ranges empty, dma-ranges with the host's bus addresses and CPU
 * addresses, which are the guest's since its RAM is 1:1): all its properties and
 * children, except that reg is rewritten for the guest root's cells, interrupts
 * become <0 spi flags> for the guest's GIC, interrupt-parent names the guest's GIC,
 * interrupts-extended and what pt_dropped_prop names are dropped, phandle,
 * linux,phandle and what pt_phandle_ref names are renumbered (above the guest's own)
 * when defined inside the copied subtree and dropped otherwise, and clocks (with
 * clock_hz) names a fixed-clock node "passthrough-clock-<i>" of that rate added
 * under the root (clock-names dropped), or is dropped (without). Returns 0 and
 * *size, or an fdt/fdtw error. */
int pt_build_guest_dt(const struct fdt *guest_src, const struct fdt *host,
		      const struct pt_node *nodes, int n, uint64_t ram_base, uint64_t ram_size,
		      void *out, size_t cap, char *names, size_t names_cap, size_t *size);

/* The next path of a string-list property (NUL-separated; val, len as read): returns
 * the string at *pos and advances *pos, or NULL at the end or on an unterminated one. */
const char *pt_next_string(const char *val, int len, int *pos);

#endif
