/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Emulated devices: a guest access to an address that stage 2 leaves
 * unmapped traps to the hypervisor, which finds the device covering the
 * guest-physical address and calls it. Devices raise interrupts through
 * the guest's virtual interrupt controller.
 */
#ifndef MAMORU_VDEV_H
#define MAMORU_VDEV_H

#include <mamoru/types.h>

struct guest;
struct vdev;

struct vdev_ops {
	/* size is 1, 2, 4 or 8; offset is relative to the device base.
	 * Return 0, or -1 to make the access fault in the guest. */
	int (*read)(struct vdev *d, uint64_t offset, unsigned size, uint64_t *val);
	int (*write)(struct vdev *d, uint64_t offset, unsigned size, uint64_t val);
	void (*reset)(struct vdev *d);
};

struct vdev {
	const char *name;
	uint64_t base, size;         /* guest-physical window */
	const struct vdev_ops *ops;
	struct guest *guest;
	void *priv;
};

#endif
