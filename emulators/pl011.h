/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef EMULATORS_PL011_H
#define EMULATORS_PL011_H

#include <mamoru/types.h>

struct guest;
struct vdev;

/* Adds an emulated PL011 at base raising guest interrupt irq. */
int vpl011_create(struct guest *g, uint64_t base, unsigned irq);
/* Puts a received byte in the FIFO; false when it is full. */
bool vpl011_receive(struct vdev *d, uint8_t c);
bool vpl011_rx_room(const struct vdev *d);

#endif
