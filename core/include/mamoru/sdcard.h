/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The board's SD card, driven by the hypervisor (drivers/mmc/, Kconfig
 * DRIVER_SDHCI and DRIVER_BCM2835_SDHOST; docs/sdcard.md says which controller
 * holds it): a guest gets one of its partitions as a virtio disk
 * (emulators/virtio_blk.c), never the controller. Polled, every wait bounded.
 */
#ifndef MAMORU_SDCARD_H
#define MAMORU_SDCARD_H

#include <mamoru/types.h>

struct fdt;

struct sdcard {
	uint64_t sectors;            /* 512-byte sectors */
	uint64_t base, size;         /* the controller's registers (the hypervisor's now) */
	const char *node;            /* its node's name in the host tree */
};

/* The card, initialised on the first call (later calls return the same answer):
 * NULL and *why set when there is none (no driver in this build, no controller, no
 * card, it did not answer). host: the host's device tree. */
const struct sdcard *sdcard_open(const struct fdt *host, const char **why);
/* count sectors from lba (whole card): 0, or -1 on an error or a range beyond it. */
int sdcard_read(uint64_t lba, uint32_t count, void *buf);
int sdcard_write(uint64_t lba, uint32_t count, const void *buf);

#endif
