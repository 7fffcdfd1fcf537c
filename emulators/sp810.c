/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Versatile PB's system controller (an ARM SP810 at 0x101e0000, "arm,sp810" in the
 * guest's device tree) as far as a Linux guest uses it: the versatile machine code reads
 * and rewrites the control register SCCTRL at boot (selecting TIMCLK for the SP804s) through
 * a fixed mapping, whatever the tree says. SCCTRL and the other registers of the first 64
 * bytes read back what was written (the guest's SP804 runs at TIMCLK anyway); everything
 * else reads as zero and ignores writes, as QEMU's versatilepb, which has nothing there.
 */
#include <mamoru/console.h>
#include <mamoru/emulator.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>

#define SP810_REGS 16u          /* SCCTRL .. 0x03c */

struct vsp810 {
	uint32_t reg[SP810_REGS];
};

static int sp810_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	struct vsp810 *s = d->priv;
	if (size != 4 || (off & 3))
		return -1;
	*val = off / 4 < SP810_REGS ? s->reg[off / 4] : 0;
	return 0;
}

static int sp810_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct vsp810 *s = d->priv;
	if (size != 4 || (off & 3))
		return -1;
	if (off / 4 < SP810_REGS)
		s->reg[off / 4] = (uint32_t)val;
	return 0;
}

static void sp810_reset(struct vdev *d)
{
	struct vsp810 *s = d->priv;
	for (unsigned i = 0; i < SP810_REGS; i++)
		s->reg[i] = 0;
}

static const struct vdev_ops sp810_ops = {.read = sp810_read, .write = sp810_write,
					  .reset = sp810_reset};

static int sp810_probe(struct guest *g, const struct fdt *fdt, int node)
{
	uint64_t base, size;
	if (fdt_get_reg(fdt, node, 0, &base, &size)) {
		printk("%s: the system controller node needs registers\n", g->name);
		return -1;
	}
	struct vsp810 *s = kzalloc(sizeof(*s));
	if (!s)
		return -1;
	if (!guest_add_vdev(g, "sp810", base, 0x1000, &sp810_ops, s)) {
		kfree(s);
		return -1;
	}
	return 0;
}

static const char *const sp810_compatible[] = {"arm,sp810", NULL};
static const struct emulator sp810_emulator = {
	.name = "sp810",
	.compatible = sp810_compatible,
	.probe = sp810_probe,
};
EMULATOR(sp810_emulator);
