/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Emulated devices: a guest access to an address that stage 2 leaves
 * unmapped traps to the hypervisor; the arch code decodes it and calls
 * guest_mmio(), which finds the device covering the guest-physical address
 * and calls it. Devices are created by their emulators' probe()
 * (mamoru/emulator.h) and raise interrupts with arch_guest_irq()
 * (arch/guest_irq.h).
 */
#ifndef MAMORU_VDEV_H
#define MAMORU_VDEV_H

#include <mamoru/types.h>

struct console;
struct guest;
struct vdev;

struct vdev_ops {
	/* size is 1, 2, 4 or 8; offset is relative to the device base.
	 * Return 0, or -1 to make the access fault in the guest. */
	int (*read)(struct vdev *d, uint64_t offset, unsigned size, uint64_t *val);
	int (*write)(struct vdev *d, uint64_t offset, unsigned size, uint64_t val);
	/* The guest is reset (optional). */
	void (*reset)(struct vdev *d);
	/* Its line in `guest list`, after indent (optional). */
	void (*list)(struct vdev *d, struct console *con, const char *indent);
};

struct vdev {
	const char *name;
	uint64_t base, size;         /* guest-physical window */
	const struct vdev_ops *ops;
	struct guest *guest;
	void *priv;
	uint64_t reads, writes;      /* the guest's accesses (guest_stats.h) */
};

/* Adds an emulated device at [base, base+size) of g's guest-physical space;
 * NULL when g already has GUEST_MAX_VDEVS devices or the window is empty,
 * wraps around or overlaps another device's. */
struct vdev *guest_add_vdev(struct guest *g, const char *name, uint64_t base, uint64_t size,
			    const struct vdev_ops *ops, void *priv);
/* A new boot of g: resets every device of g, in the order they were added, and
 * the budget of bad-access reports (guest_bad_access). */
void guest_reset_vdevs(struct guest *g);
/* The `guest list` lines of g's devices that have one. */
void guest_list_vdevs(struct guest *g, struct console *con, const char *indent);

/* An access by the guest to guest-physical ipa that stage 2 does not map
 * (the arch code decoded it; size is 1, 2, 4 or 8): the emulated device
 * there handles it. A read leaves the value in *val, a write takes it from
 * *val. GUEST_MMIO_NODEV when no device is there, GUEST_MMIO_REJECTED when
 * the device refuses the access: the arch code then injects an abort. */
#define GUEST_MMIO_OK 0
#define GUEST_MMIO_NODEV (-1)
#define GUEST_MMIO_REJECTED (-2)
int guest_mmio(struct guest *g, uint64_t ipa, bool write, unsigned size, uint64_t *val);
/* Counts a guest access that gets an abort, and reports it: the first few of
 * each boot (REPORT_LIMIT in core/vdev.c). */
void guest_bad_access(struct guest *g, const char *what, uint64_t ipa, uint64_t pc);

#endif
