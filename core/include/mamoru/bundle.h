/* SPDX-License-Identifier: GPL-2.0-only */
/* The guest bundle: a cpio archive of <guest>/kernel, initrd, dtb, profile, integrity. */
#ifndef MAMORU_BUNDLE_H
#define MAMORU_BUNDLE_H

#include <mamoru/types.h>

/* Creates a guest for every one in the bundle (and starts it with
 * autostart); a corrupt guest is reported and skipped. -1 when none loaded. */
int bundle_load_guests(const void *bundle, size_t size, bool autostart);

#endif
