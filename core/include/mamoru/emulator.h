/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Emulated devices register themselves with EMULATOR(), as host drivers do
 * with DRIVER(): creating a guest walks its device tree and hands every
 * enabled node whose "compatible" an emulator lists to that emulator's
 * probe(), which adds the device (guest_add_vdev) and, for a UART, offers
 * itself as the guest's console (guest_console_attach). Core names no
 * device: a new one is a new file with an EMULATOR() line.
 */
#ifndef MAMORU_EMULATOR_H
#define MAMORU_EMULATOR_H

#include <mamoru/fdt.h>

struct guest;
struct fdt_writer;

struct emulator {
	const char *name;
	const char *const *compatible;   /* NULL-terminated */
	/* The guest's interrupt controller: probed before every other device,
	 * and a guest needs exactly one. */
	bool irqchip;
	/* Sets the device at node up for g; prints why and returns -1 when the
	 * node does not describe something it can emulate. */
	int (*probe)(struct guest *g, const struct fdt *fdt, int node);
	/* Optional, before passthrough selection (and so before probe): takes the host
	 * resources the device will need (virtio-blk: the SD card's controller), so that
	 * passthrough refuses them to every guest. -1 fails the guest. */
	int (*claim)(struct guest *g, const struct fdt *fdt, int node);
	/* Optional: g's creation failed after claim (or probe) ran; gives back what they
	 * hold for g (a disk's partition), which another guest may then have. */
	void (*release)(struct guest *g);
	/* Optional: when a probe set g->dt_rewrite, the tree the guest boots with is a
	 * copy of its tree in which the nodes of emulators with these hooks are as they
	 * say (the vGIC on a GICv3 host: the node of a GICv3). dt_prop is called for each
	 * property of such a node: true when it wrote its replacement (or nothing, to drop
	 * it), false to copy it unchanged; dt_end after them, to add properties. */
	bool (*dt_prop)(struct guest *g, struct fdt_writer *w, const struct fdt *src, int node,
			const char *name, const void *val, int len);
	void (*dt_end)(struct guest *g, struct fdt_writer *w, const struct fdt *src, int node);
};

#define EMULATOR(var)                                                         \
	static const struct emulator *const __emu_ptr_##var                   \
		__attribute__((section("mamoru_emulators"), used, aligned(sizeof(void *)))) = &(var)

/* The idx-th interrupt of node as arch_guest_irq() numbers it: a GIC
 * specifier (3 cells) gives 32 + n for SPI n (n < 32: the vGIC models 64
 * interrupts; devices have no per-CPU interrupts, so no PPI); a one-cell
 * specifier gives n on a root controller and 32 + n on a controller that
 * is itself wired to another one (the Versatile SIC behind the VIC). -1
 * when node has no such interrupt or the specifier is neither. */
int emulator_irq(const struct fdt *fdt, int node, int idx, unsigned *irq);

/* The emulator for node (an enabled node some emulator lists), or NULL. */
const struct emulator *emulator_for_node(const struct fdt *fdt, int node);
/* Runs every claim hook for g's device tree: NULL, or why not (for g->reason). */
const char *emulators_claim(struct guest *g, const struct fdt *fdt);
/* Runs every emulator's release hook for g, whose creation failed. */
void emulators_release(struct guest *g);
/* Instantiates every device of g's device tree that an emulator handles,
 * interrupt controllers first; g->irqchip names the one that claimed the
 * interrupt controller. NULL on success, else why not (for g->reason). */
const char *emulators_probe(struct guest *g, const struct fdt *fdt);
/* g's device tree (g->image.dtb) copied with the emulators' dt_prop/dt_end changes;
 * the copy becomes g->image.dtb. 0, or an fdt/fdtw error. */
int emulators_rewrite_dt(struct guest *g);

#endif
