/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARM Generic Interrupt Controller v2 / GIC-400 (ARM IHI 0048B).
 *
 * We run in non-secure EL2, after firmware (or QEMU acting as firmware) has
 * put every interrupt in Group 1, so we only ever see the non-secure view:
 * GICD_CTLR/GICC_CTLR bit 0 enables Group 1. That same bit enables Group 0
 * on a GIC without the Security Extensions, where everything is Group 0,
 * so writing 1 is right in both cases.
 *
 * Interrupt numbers are GIC interrupt IDs: SGIs 0-15, PPIs 16-31, SPIs 32+.
 */
#include <arch/sysreg.h>
#include <mamoru/console.h>
#include <mamoru/fdt_cpus.h>
#include <mamoru/irq.h>
#include <mamoru/smp.h>

#include "gicv2.h"

/* Distributor. */
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_SGIR 0xf00
#define GICD_SIZE_MIN 0x1000

#define GICD_CTLR_ENABLE (1u << 0)
#define GICD_TYPER_ITLINES(t) ((t) & 0x1fu)

/* CPU interface. */
#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_BPR 0x008
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010
#define GICC_SIZE_MIN 0x100   /* the registers we use are in the first page */

#define GICC_CTLR_ENABLE (1u << 0)
#define GICC_IAR_INTID(v) ((v) & 0x3ffu)

#define DEFAULT_PRIO 0xa0u
#define PRIO_MASK 0xf0u       /* accept everything with priority < 0xf0 */
#define INTID_SPURIOUS_MIN 1020u
#define NR_IRQS_MAX 1020u
#define SPI_BASE 32u
#define PPI_BASE 16u
#define NR_PPIS 16u

/* Interrupt specifier (binding): <type number flags>. */
#define DT_TYPE_SPI 0u
#define DT_TYPE_PPI 1u

/* The SGI the hypervisor's IPIs use (mamoru/smp.h); guests never see host SGIs. */
#define IPI_SGI 0u
#define SGIR_TARGETS(mask) ((uint32_t)(mask) << 16)

/* The last IAR value acknowledged on each CPU, so eoi() can hand back the
 * exact value (for SGIs it carries the source CPU). By CPU index (mamoru/smp.h). */
#define MAX_CPUS 8u

static struct gicv2_info gic;
static bool gic_ready;
static uint32_t last_iar[MAX_CPUS];
/* Each CPU's interface bit (what its banked ITARGETSR0-7 read), by CPU index. */
static uint8_t cpu_mask[FDT_CPUS_MAX];

static inline unsigned this_cpu(void)
{
	return smp_this_cpu() % MAX_CPUS;
}

static inline uint32_t gicd_rd(uintptr_t off) { return mmio_read32(gic.gicd + off); }
static inline void gicd_wr(uintptr_t off, uint32_t v) { mmio_write32(gic.gicd + off, v); }
static inline void gicc_wr(uintptr_t off, uint32_t v) { mmio_write32(gic.gicc + off, v); }

_Static_assert(sizeof(uintptr_t) == sizeof(uint64_t), "64-bit physical addresses");

/* reg[idx] as a window of at least min bytes, or a negative error. */
static int get_window(const struct fdt *fdt, int node, int idx, uint64_t min, uintptr_t *base,
		      uint64_t *size)
{
	uint64_t addr, len;
	int err = fdt_get_reg(fdt, node, idx, &addr, &len);
	if (err < 0)
		return err;
	if (addr == 0 || len < min || addr + len < addr)
		return FDT_ERR_BADVALUE;
	*base = (uintptr_t)addr;
	*size = len;
	return 0;
}

static int gicv2_xlate(const struct fdt *fdt, int ctrl_node, const uint32_t *cells, int ncells,
		       unsigned *irq)
{
	(void)fdt;
	(void)ctrl_node;
	if (ncells != 3 || cells == NULL)
		return FDT_ERR_BADVALUE;
	uint32_t type = cells[0], num = cells[1], trigger = cells[2] & 0xfu;
	/* Trigger: none, edge rising/falling, level high/low. */
	if (trigger != 0 && trigger != 1 && trigger != 2 && trigger != 4 && trigger != 8)
		return FDT_ERR_BADVALUE;
	unsigned limit = gic_ready ? gic.nr_irqs : NR_IRQS_MAX;
	if (type == DT_TYPE_SPI && num < limit - SPI_BASE) {
		*irq = SPI_BASE + num;
		return 0;
	}
	if (type == DT_TYPE_PPI && num < NR_PPIS) {
		*irq = PPI_BASE + num;
		return 0;
	}
	return FDT_ERR_BADVALUE;
}

/* The optional virtualisation frames and maintenance interrupt. */
static void probe_virt(const struct fdt *fdt, int node)
{
	uintptr_t base;
	uint64_t size;

	if (get_window(fdt, node, 2, 0x100, &base, &size) == 0) {
		gic.gich = base;
		gic.gich_size = size;
	}
	if (get_window(fdt, node, 3, 0x1000, &base, &size) == 0) {
		gic.gicv = base;
		gic.gicv_size = size;
	}
	/* The maintenance interrupt is in the GIC's own interrupt space (its
	 * binding says so), whatever the node's interrupt parent resolves to. */
	gic.maint_irq = -1;
	int len;
	const uint8_t *prop = fdt_getprop(fdt, node, "interrupts", &len);
	unsigned irq;
	if (prop && len == 12) {
		uint32_t cells[3] = {fdt32_to_cpu(prop), fdt32_to_cpu(prop + 4), fdt32_to_cpu(prop + 8)};
		if (gicv2_xlate(fdt, node, cells, 3, &irq) == 0)
			gic.maint_irq = (int)irq;
	}
}

/* This CPU's banked SGI/PPI state: PPIs off until asked for, every priority. */
static void banked_init(void)
{
	gicd_wr(GICD_ICENABLER, 0xffff0000u);
	for (unsigned i = 0; i < SPI_BASE; i += 4)
		gicd_wr(GICD_IPRIORITYR + i, DEFAULT_PRIO * 0x01010101u);
}

static void cpu_interface_init(void)
{
	gicc_wr(GICC_PMR, PRIO_MASK);
	gicc_wr(GICC_BPR, 0);
	gicc_wr(GICC_CTLR, GICC_CTLR_ENABLE);   /* EOImode 0: EOIR also deactivates */
}

/* A secondary CPU: the GICC and the SGI/PPI registers are banked per CPU. */
static int gicv2_cpu_init(unsigned cpu)
{
	if (!gic_ready || cpu >= FDT_CPUS_MAX)
		return -1;
	uint32_t t = gicd_rd(GICD_ITARGETSR);
	uint8_t mask = (uint8_t)(t | t >> 8 | t >> 16 | t >> 24);
	if (!mask)
		return -1;              /* no interface number: unreachable by SGI */
	cpu_mask[cpu] = mask;
	banked_init();
	cpu_interface_init();
	return 0;
}

static int gicv2_ipi_send(unsigned cpu, uint64_t mpidr)
{
	(void)mpidr;
	if (!gic_ready || cpu >= FDT_CPUS_MAX || !cpu_mask[cpu])
		return -1;
	/* The slot's writes are visible before the interrupt is. */
	dsb_sy();
	gicd_wr(GICD_SGIR, SGIR_TARGETS(cpu_mask[cpu]) | IPI_SGI);
	return 0;
}

static int gicv2_init(const struct fdt *fdt, int node)
{
	int err;

	gic_ready = false;
	err = get_window(fdt, node, 0, GICD_SIZE_MIN, &gic.gicd, &gic.gicd_size);
	if (err == 0)
		err = get_window(fdt, node, 1, GICC_SIZE_MIN, &gic.gicc, &gic.gicc_size);
	if (err < 0) {
		printk("gicv2: bad or missing reg: %s\n", fdt_strerror(err));
		return err;
	}
	gic.gich = gic.gicv = 0;
	gic.gich_size = gic.gicv_size = 0;

	gicd_wr(GICD_CTLR, 0);
	unsigned nr = 32u * (GICD_TYPER_ITLINES(gicd_rd(GICD_TYPER)) + 1u);
	gic.nr_irqs = nr > NR_IRQS_MAX ? NR_IRQS_MAX : nr;

	/* ITARGETSR0-7 read back the mask of the CPU reading them; RAZ on a
	 * uniprocessor GIC, where CPU interface 0 is the only target. */
	uint32_t t = gicd_rd(GICD_ITARGETSR);
	uint32_t mask = (t | t >> 8 | t >> 16 | t >> 24) & 0xffu;
	if (mask == 0)
		mask = 0x01;
	cpu_mask[0] = (uint8_t)mask;
	uint32_t targets = mask * 0x01010101u;
	uint32_t prios = DEFAULT_PRIO * 0x01010101u;

	for (unsigned i = SPI_BASE; i < gic.nr_irqs; i += 32)
		gicd_wr(GICD_ICENABLER + i / 8, 0xffffffffu);
	for (unsigned i = SPI_BASE; i < gic.nr_irqs; i += 4) {
		gicd_wr(GICD_IPRIORITYR + i, prios);
		gicd_wr(GICD_ITARGETSR + i, targets);
	}
	/* Banked SGI/PPI state of this CPU: PPIs off until asked for. */
	banked_init();
	gicd_wr(GICD_CTLR, GICD_CTLR_ENABLE);
	cpu_interface_init();

	gic_ready = true;
	probe_virt(fdt, node);
	return 0;
}

static void gicv2_enable(unsigned irq)
{
	if (!gic_ready || irq >= gic.nr_irqs)
		return;
	gicd_wr(GICD_ISENABLER + (irq / 32) * 4, 1u << (irq % 32));
}

static void gicv2_disable(unsigned irq)
{
	if (!gic_ready || irq >= gic.nr_irqs)
		return;
	gicd_wr(GICD_ICENABLER + (irq / 32) * 4, 1u << (irq % 32));
}

static unsigned gicv2_ack(void)
{
	if (!gic_ready)
		return IRQ_SPURIOUS;
	uint32_t iar = mmio_read32(gic.gicc + GICC_IAR);
	unsigned id = GICC_IAR_INTID(iar);
	if (id >= INTID_SPURIOUS_MIN)
		return IRQ_SPURIOUS;   /* nothing to EOI */
	last_iar[this_cpu()] = iar;
	return id;
}

static void gicv2_eoi(unsigned irq)
{
	if (!gic_ready || irq >= gic.nr_irqs)
		return;
	uint32_t iar = last_iar[this_cpu()];
	gicc_wr(GICC_EOIR, GICC_IAR_INTID(iar) == irq ? iar : irq);
}

const struct gicv2_info *gicv2_info(void)
{
	return gic_ready ? &gic : NULL;
}

static const struct irqchip_ops gicv2_ops = {
	.init = gicv2_init,
	.enable = gicv2_enable,
	.disable = gicv2_disable,
	.ack = gicv2_ack,
	.eoi = gicv2_eoi,
	.xlate = gicv2_xlate,
	.cpu_init = gicv2_cpu_init,
	.ipi_send = gicv2_ipi_send,
	.ipi_irq = IPI_SGI,
};

static const char *const gicv2_compat[] = {
	"arm,cortex-a15-gic",
	"arm,gic-400",
	"arm,cortex-a7-gic",
	NULL,
};

static const struct driver gicv2_driver = {
	.name = "gicv2",
	.cls = DRV_IRQCHIP,
	.compatible = gicv2_compat,
	.ops = &gicv2_ops,
};
DRIVER(gicv2_driver);
