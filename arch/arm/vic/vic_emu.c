/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Versatile guest's interrupt controllers as emulated devices: the VIC
 * node ("arm,versatile-vic" or "arm,pl190-vic") claims the guest's
 * interrupt controller, and the SIC ("arm,versatile-sic") wired to it, if
 * the tree has one, comes with it: both share one struct vvic, so the SIC
 * is not a separate EMULATOR() (core allows one interrupt controller). A
 * disabled SIC node is left out.
 */
#include <arch/vvic.h>
#include <mamoru/console.h>
#include <mamoru/emulator.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>
#include <mamoru/libc.h>

static int vic_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	uint32_t v32 = 0;
	int r = vvic_vic_read(d->priv, (uint32_t)off, size, &v32);
	*val = v32;
	return r;
}

static int vic_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	return vvic_vic_write(d->priv, (uint32_t)off, size, (uint32_t)val);
}

static int sic_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	uint32_t v32 = 0;
	int r = vvic_sic_read(d->priv, (uint32_t)off, size, &v32);
	*val = v32;
	return r;
}

static int sic_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	return vvic_sic_write(d->priv, (uint32_t)off, size, (uint32_t)val);
}

/* Guest reset: the VIC is the first device added, so the devices reset
 * after it drive their lines again. */
static void vic_reset(struct vdev *d)
{
	vvic_reset(d->priv);
}

static const struct vdev_ops vic_ops = {.read = vic_read, .write = vic_write, .reset = vic_reset};
static const struct vdev_ops sic_ops = {.read = sic_read, .write = sic_write};

struct vvic *vvic_of_guest(struct guest *g)
{
	for (unsigned i = 0; i < g->nvdevs; i++)
		if (g->vdevs[i].ops == &vic_ops)
			return g->vdevs[i].priv;
	return NULL;
}

/* The SIC node cascaded into this VIC's line 31: -1 when the tree has
 * none, -2 when it has one wired otherwise (which we cannot emulate). */
static int find_sic(const struct fdt *fdt, int vic)
{
	int sic = fdt_find_compatible(fdt, -1, "arm,versatile-sic");
	const char *status = sic >= 0 ? fdt_getprop_str(fdt, sic, "status") : NULL;
	if (sic < 0 || (status && strcmp(status, "okay") && strcmp(status, "ok")))
		return -1;      /* none, or disabled */
	uint32_t cell;
	int ncells;
	if (fdt_interrupt_parent(fdt, sic) != vic || fdt_get_interrupt(fdt, sic, 0, &cell, 1, &ncells) ||
	    ncells != 1 || cell != VVIC_SIC_CASCADE)
		return -2;
	return sic;
}

static int vic_probe(struct guest *g, const struct fdt *fdt, int node)
{
	uint64_t base, size, sbase = 0, ssize;
	if (fdt_get_reg(fdt, node, 0, &base, &size)) {
		printk("%s: the VIC node needs registers\n", g->name);
		return -1;
	}
	int sic = find_sic(fdt, node);
	if (sic == -2 || (sic >= 0 && fdt_get_reg(fdt, sic, 0, &sbase, &ssize))) {
		printk("%s: the SIC node must have registers and interrupts = <31> on the VIC\n", g->name);
		return -1;
	}
	struct vvic *v = kzalloc(sizeof(*v));
	if (!v)
		return -1;
	vvic_reset(v);
	if (!guest_add_vdev(g, "vic", base, VVIC_REG_SIZE, &vic_ops, v)) {
		printk("%s: cannot place the VIC at 0x%llx\n", g->name, (unsigned long long)base);
		kfree(v);
		return -1;
	}
	if (sic >= 0 && !guest_add_vdev(g, "sic", sbase, VVIC_REG_SIZE, &sic_ops, v)) {
		printk("%s: cannot place the SIC at 0x%llx\n", g->name, (unsigned long long)sbase);
		return -1;      /* v stays referenced by the VIC window: the guest fails */
	}
	return 0;
}

static const char *const vic_compatible[] = {"arm,versatile-vic", "arm,pl190-vic", NULL};
static const struct emulator vic_emulator = {
	.name = "vic",
	.compatible = vic_compatible,
	.irqchip = true,
	.probe = vic_probe,
};
EMULATOR(vic_emulator);
