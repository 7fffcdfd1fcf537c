/* SPDX-License-Identifier: GPL-2.0-only */
/* A guest's emulated devices: the window table and the MMIO dispatch (vdev.h). */
#include <mamoru/console.h>
#include <mamoru/guest.h>

/* Bad accesses reported per boot of a guest before going quiet: a guest that pokes at
 * what it does not have cannot flood the console, and a new boot is reported again. */
#define REPORT_LIMIT 8

struct vdev *guest_add_vdev(struct guest *g, const char *name, uint64_t base, uint64_t size,
			    const struct vdev_ops *ops, void *priv)
{
	if (g->nvdevs >= GUEST_MAX_VDEVS || size == 0 || base + size - 1 < base)
		return NULL;
	for (unsigned i = 0; i < g->nvdevs; i++) {
		const struct vdev *o = &g->vdevs[i];
		if (base <= o->base + (o->size - 1) && o->base <= base + (size - 1))
			return NULL;
	}
	struct vdev *d = &g->vdevs[g->nvdevs++];
	d->name = name;
	d->base = base;
	d->size = size;
	d->ops = ops;
	d->guest = g;
	d->priv = priv;
	d->reads = d->writes = 0;
	return d;
}

void guest_reset_vdevs(struct guest *g)
{
	g->bad_reported = 0;
	for (unsigned i = 0; i < g->nvdevs; i++)
		if (g->vdevs[i].ops->reset)
			g->vdevs[i].ops->reset(&g->vdevs[i]);
}

void guest_list_vdevs(struct guest *g, struct console *con, const char *indent)
{
	for (unsigned i = 0; i < g->nvdevs; i++)
		if (g->vdevs[i].ops->list)
			g->vdevs[i].ops->list(&g->vdevs[i], con, indent);
}

int guest_mmio(struct guest *g, uint64_t ipa, bool write, unsigned size, uint64_t *val)
{
	for (unsigned i = 0; i < g->nvdevs; i++) {
		struct vdev *d = &g->vdevs[i];
		if (ipa < d->base || ipa - d->base >= d->size)
			continue;
		if (write)
			d->writes++;
		else
			d->reads++;
		int err = write ? d->ops->write(d, ipa - d->base, size, *val) :
				  d->ops->read(d, ipa - d->base, size, val);
		return err ? GUEST_MMIO_REJECTED : GUEST_MMIO_OK;
	}
	return GUEST_MMIO_NODEV;
}

void guest_bad_access(struct guest *g, const char *what, uint64_t ipa, uint64_t pc)
{
	g->bad_accesses++;
	if (g->bad_reported >= REPORT_LIMIT)
		return;
	g->bad_reported++;
	printk("%s: %s at guest-physical 0x%llx (pc 0x%llx): abort injected%s\n", g->name, what,
	       (unsigned long long)ipa, (unsigned long long)pc,
	       g->bad_reported == REPORT_LIMIT ? "; further reports suppressed until it reboots" : "");
}
