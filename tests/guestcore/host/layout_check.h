/* SPDX-License-Identifier: GPL-2.0-only */
/* What every accepted guest layout must satisfy, in 128-bit arithmetic so the check cannot wrap. */
#ifndef GUESTCORE_LAYOUT_CHECK_H
#define GUESTCORE_LAYOUT_CHECK_H

#include <mamoru/guest_layout.h>

typedef unsigned __int128 u128;

/* NULL when l is inside RAM with nothing overlapping, else what is wrong. */
static inline const char *layout_violation(const struct guest_layout_in *in, const struct guest_layout *l)
{
	u128 image = in->image_size ? in->image_size : in->kernel_size;
	if (l->kernel != in->text_offset)
		return "kernel not at text_offset";
	if ((u128)l->kernel + image != l->kernel_end || (u128)l->kernel + in->kernel_size > l->kernel_end)
		return "kernel_end is not text_offset + image_size, or the file is longer";
	if (l->kernel_end > l->initrd)
		return "kernel overlaps the initrd";
	if (l->initrd % 4096)
		return "initrd not page aligned";
	if ((u128)l->initrd + in->initrd_size > l->dtb)
		return "initrd overlaps the device tree";
	if (l->dtb != in->ram_size - GUEST_DTB_AREA || in->ram_size < GUEST_DTB_AREA)
		return "device tree not at the top 2 MiB";
	if ((u128)l->dtb + in->dtb_size > in->ram_size)
		return "device tree beyond RAM";
	return NULL;
}

#endif
