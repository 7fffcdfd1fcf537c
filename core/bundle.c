/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest bundle: a cpio archive (loaded by QEMU's -initrd or the Pi
 * firmware's "initramfs ... followkernel") whose entries are named
 * <guest>/kernel, <guest>/initrd, <guest>/dtb, <guest>/profile and
 * <guest>/integrity (docs/integrity.md). A
 * corrupt bundle or guest is reported and skipped; the shell comes up
 * regardless.
 */
#include <mamoru/bundle.h>
#include <mamoru/console.h>
#include <mamoru/cpio.h>
#include <mamoru/guest.h>
#include <mamoru/libc.h>

struct pending {
	char name[GUEST_NAME_MAX];
	struct guest_image img;
};

static struct pending *slot_for(struct pending *p, int *n, const char *name, size_t len)
{
	for (int i = 0; i < *n; i++)
		if (strlen(p[i].name) == len && !memcmp(p[i].name, name, len))
			return &p[i];
	if (*n == GUEST_MAX || len == 0 || len >= GUEST_NAME_MAX)
		return NULL;
	memcpy(p[*n].name, name, len);
	p[*n].name[len] = '\0';
	return &p[(*n)++];
}

int bundle_load_guests(const void *bundle, size_t size, bool autostart)
{
	struct pending found[GUEST_MAX];
	int n = 0, loaded = 0;
	struct cpio_iter it;
	struct cpio_entry e;
	const char *err = NULL;
	int r;

	memset(found, 0, sizeof(found));
	cpio_begin(&it, bundle, size);
	while ((r = cpio_next(&it, &e, &err)) > 0) {
		const char *slash = memchr(e.name, '/', e.namelen);
		if (!slash || (e.mode & 0170000) != 0100000)
			continue;               /* directories and stray files */
		struct pending *p = slot_for(found, &n, e.name, (size_t)(slash - e.name));
		if (!p) {
			printk("bundle: ignoring %s (bad guest name or more than %d guests)\n", e.name, GUEST_MAX);
			continue;
		}
		const char *what = slash + 1;
		if (!strcmp(what, "kernel")) {
			p->img.kernel = e.data;
			p->img.kernel_size = e.size;
		} else if (!strcmp(what, "initrd")) {
			p->img.initrd = e.data;
			p->img.initrd_size = e.size;
		} else if (!strcmp(what, "dtb")) {
			p->img.dtb = e.data;
			p->img.dtb_size = e.size;
		} else if (!strcmp(what, "profile")) {
			p->img.profile = e.data;
			p->img.profile_size = e.size;
		} else if (!strcmp(what, "integrity")) {
			p->img.integrity = e.data;
			p->img.integrity_size = e.size;
		}
	}
	if (r < 0) {
		printk("bundle: corrupt guest bundle at offset %zu: %s\n", it.off, err);
		if (n == 0)
			return -1;
		printk("bundle: trying the guests read before the damage\n");
	}
	for (int i = 0; i < n; i++) {
		struct guest *g = &guests[i];
		if (guest_create(g, found[i].name, &found[i].img))
			continue;
		loaded++;
		printk("%s: %llu MiB RAM at 0x%llx, kernel %zu KiB, initrd %zu KiB%s\n", g->name,
		       (unsigned long long)(g->ram_size >> 20), (unsigned long long)g->ram_ipa,
		       found[i].img.kernel_size >> 10, found[i].img.initrd_size >> 10,
		       found[i].img.profile ? ", IDS profile" : "");
		if (autostart)
			guest_start(g);
	}
	return loaded ? 0 : -1;
}
