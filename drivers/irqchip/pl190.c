/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARM PrimeCell PL190 vectored interrupt controller (PL190 TRM, ARM DDI 0181) as
 * the root controller, and the Versatile/PB secondary interrupt controller
 * ("arm,versatile-sic") chained to its line 31. This driver owns both.
 *
 * The VIC is used without its vectors: the IRQ handler reads IRQStatus and takes
 * the lowest pending line, so the VectAddr priority logic is never engaged and
 * EOI does nothing. All sources are level: the device clears them.
 *
 * Interrupt numbers: 0..31 the VIC's lines, 32..63 the SIC's (32 + its bit).
 * Device-tree specifiers have one cell, the line number.
 *
 * The SIC here is QEMU's model: STATUS (pending & enabled) at 0x00, ENSET 0x08,
 * ENCLR 0x0c; its pending lines raise VIC line 31 unless PICENABLE (0x20, left
 * clear) routes SIC lines 21-30 straight to the VIC lines of the same numbers.
 */
#include <mamoru/console.h>
#include <mamoru/irq.h>

#include <drivers/hw/pl190.h>
#include <drivers/hw/versatile_sic.h>

#define VIC_SIZE_MIN 0x024

#define SIC_SIZE_MIN 0x28

#define VIC_LINE_SIC 31u
#define IRQ_SIC_BASE 32u
#define IRQ_LIMIT 64u

static const char COMPAT_SIC[] = "arm,versatile-sic";

static struct {
	uintptr_t vic, sic;      /* sic 0: none in the device tree */
	int vic_node, sic_node;
} ic;

static int window(const struct fdt *fdt, int node, uint64_t min, uintptr_t *base)
{
	uint64_t addr, len;
	int err = fdt_get_reg(fdt, node, 0, &addr, &len);
	if (err < 0)
		return err;
	if (addr == 0 || len < min || addr + len < addr || addr + len > UINTPTR_MAX)
		return FDT_ERR_BADVALUE;
	*base = (uintptr_t)addr;
	return 0;
}

static int pl190_init(const struct fdt *fdt, int node)
{
	ic.vic_node = node;
	ic.sic = 0;
	int err = window(fdt, node, VIC_SIZE_MIN, &ic.vic);
	if (err < 0) {
		printk("pl190: bad or missing reg: %s\n", fdt_strerror(err));
		return err;
	}
	/* Everything off and routed to IRQ (not FIQ); privileged access only. */
	mmio_write32(ic.vic + PL190_INTENCLEAR, 0xffffffffu);
	mmio_write32(ic.vic + PL190_INTSELECT, 0);
	mmio_write32(ic.vic + PL190_SOFTINTCLEAR, 0xffffffffu);
	mmio_write32(ic.vic + PL190_PROTECTION, 1);

	ic.sic_node = fdt_find_compatible(fdt, -1, COMPAT_SIC);
	if (ic.sic_node >= 0) {
		err = window(fdt, ic.sic_node, SIC_SIZE_MIN, &ic.sic);
		if (err < 0) {
			printk("pl190: secondary controller: bad reg: %s\n", fdt_strerror(err));
			return err;
		}
		mmio_write32(ic.sic + SIC_ENCLR, 0xffffffffu);
		mmio_write32(ic.sic + SIC_PICENCLR, 0xffffffffu);
		mmio_write32(ic.vic + PL190_INTENABLE, 1u << VIC_LINE_SIC);
	}
	return 0;
}

static void pl190_enable(unsigned irq)
{
	if (irq < IRQ_SIC_BASE)
		mmio_write32(ic.vic + PL190_INTENABLE, 1u << irq);
	else if (irq < IRQ_LIMIT && ic.sic)
		mmio_write32(ic.sic + SIC_ENSET, 1u << (irq - IRQ_SIC_BASE));
}

static void pl190_disable(unsigned irq)
{
	if (irq < IRQ_SIC_BASE && !(irq == VIC_LINE_SIC && ic.sic))
		mmio_write32(ic.vic + PL190_INTENCLEAR, 1u << irq);
	else if (irq >= IRQ_SIC_BASE && irq < IRQ_LIMIT && ic.sic)
		mmio_write32(ic.sic + SIC_ENCLR, 1u << (irq - IRQ_SIC_BASE));
}

static unsigned lowest_bit(uint32_t v)
{
	return (unsigned)__builtin_ctz(v);
}

static unsigned pl190_ack(void)
{
	uint32_t pending = mmio_read32(ic.vic + PL190_IRQSTATUS);
	if (ic.sic && (pending & (1u << VIC_LINE_SIC))) {
		uint32_t s = mmio_read32(ic.sic + SIC_STATUS);
		if (s)
			return IRQ_SIC_BASE + lowest_bit(s);
		pending &= ~(1u << VIC_LINE_SIC);
	}
	return pending ? lowest_bit(pending) : IRQ_SPURIOUS;
}

static void pl190_eoi(unsigned irq)
{
	(void)irq;
}

static int pl190_xlate(const struct fdt *fdt, int ctrl_node, const uint32_t *cells, int ncells,
		       unsigned *irq)
{
	(void)fdt;
	if (ncells < 1 || cells[0] >= 32)
		return -1;
	if (ctrl_node == ic.vic_node)
		*irq = cells[0];
	else if (ic.sic && ctrl_node == ic.sic_node)
		*irq = IRQ_SIC_BASE + cells[0];
	else
		return -1;
	return 0;
}

static const struct irqchip_ops pl190_ops = {
	.init = pl190_init,
	.enable = pl190_enable,
	.disable = pl190_disable,
	.ack = pl190_ack,
	.eoi = pl190_eoi,
	.xlate = pl190_xlate,
};

static const char *const pl190_compat[] = { "arm,versatile-vic", "arm,pl190-vic", NULL };

static const struct driver pl190_driver = {
	.name = "pl190-vic",
	.cls = DRV_IRQCHIP,
	.compatible = pl190_compat,
	.ops = &pl190_ops,
};
DRIVER(pl190_driver);
