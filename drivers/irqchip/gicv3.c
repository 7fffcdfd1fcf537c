/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARM Generic Interrupt Controller v3 (ARM IHI 0069), with affinity
 * routing and the system-register CPU interface.
 *
 * GICD_CTLR has different layouts per security view. We only meet two:
 *  - DS=1 (single security state, e.g. QEMU virt without EL3): bit 1
 *    EnableGrp1, bit 4 ARE, bit 6 DS reads as 1;
 *  - DS=0 seen from non-secure (firmware owns the secure side): bit 1
 *    EnableGrp1A, bit 4 ARE_NS, bit 6 is RES0 and reads 0.
 * The bits we need are at the same positions in both. With DS=0 the group
 * registers are RAZ/WI to us (firmware has set everything to non-secure
 * Group 1), so writing them is harmless.
 *
 * Interrupt numbers are GIC interrupt IDs: SGIs 0-15, PPIs 16-31, SPIs 32+.
 */
#include <arch/sysreg.h>
#include <arch/sysreg_bits.h>
#include <mamoru/console.h>
#include <mamoru/fdt_cpus.h>
#include <mamoru/irq.h>
#include <mamoru/smp.h>

#include "gicv3.h"

/* Distributor. */
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER 0x6000      /* 64-bit per interrupt ID */
#define GICD_PIDR2 0xffe8
#define GICD_SIZE_MIN 0x10000

#define GICD_CTLR_ENABLE_G1 (1u << 1)   /* EnableGrp1 (DS=1) / EnableGrp1A (NS) */
#define GICD_CTLR_ARE (1u << 4)         /* ARE (DS=1) / ARE_NS (NS) */
#define GICD_CTLR_DS (1u << 6)
#define GICD_CTLR_RWP (1u << 31)
#define GICD_TYPER_ITLINES(t) ((t) & 0x1fu)
#define PIDR2_ARCHREV(v) (((v) >> 4) & 0xfu)

/* Redistributor: RD_base frame, then the SGI_base frame 64 KiB above. */
#define GICR_CTLR 0x0000
#define GICR_TYPER 0x0008               /* 64-bit */
#define GICR_WAKER 0x0014
#define GICR_SGI_BASE 0x10000
#define GICR_IGROUPR0 (GICR_SGI_BASE + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI_BASE + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI_BASE + 0x0180)
#define GICR_IPRIORITYR (GICR_SGI_BASE + 0x0400)
#define GICR_FRAMES_SIZE 0x20000        /* RD_base + SGI_base */
#define GICR_FRAMES_SIZE_VLPI 0x40000   /* GICv4: plus VLPI_base + reserved */

#define GICR_CTLR_RWP (1u << 3)
#define GICR_TYPER_VLPIS (1ull << 1)
#define GICR_TYPER_LAST (1ull << 4)
#define GICR_TYPER_AFF(t) ((uint32_t)((t) >> 32))
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)

/* CPU interface system registers, by encoding since older assemblers may
 * not know the names. */
#define ICC_PMR_EL1 s3_0_c4_c6_0
#define ICC_IAR1_EL1 s3_0_c12_c12_0
#define ICC_EOIR1_EL1 s3_0_c12_c12_1
#define ICC_BPR1_EL1 s3_0_c12_c12_3
#define ICC_CTLR_EL1 s3_0_c12_c12_4
#define ICC_IGRPEN1_EL1 s3_0_c12_c12_7
#define ICC_SRE_EL2 s3_4_c12_c9_5
#define ICC_SGI1R_EL1 s3_0_c12_c11_5
/* One level of indirection so the names above expand before read_sysreg()
 * stringifies its argument. */
#define SYSREG_RD(r) read_sysreg(r)
#define SYSREG_WR(r, v) write_sysreg(r, v)

#define ICC_IAR_INTID(v) ((v) & 0xffffffu)

#define DEFAULT_PRIO 0xa0u
#define PRIO_MASK 0xf0u
#define INTID_SPURIOUS_MIN 1020u
#define INTID_SPECIAL_MAX 1023u
#define NR_IRQS_MAX 1020u
#define SPI_BASE 32u
#define PPI_BASE 16u
#define NR_PPIS 16u
#define MAX_RDIST_REGIONS 8u

/* Interrupt specifier (binding): <type number flags [ppi-partition]>. */
#define DT_TYPE_SPI 0u
#define DT_TYPE_PPI 1u

#define POLL_LIMIT 1000000u

/* The SGI the hypervisor's IPIs use (mamoru/smp.h); guests never see host SGIs. */
#define IPI_SGI 0u
/* ICC_SGI1R_EL1 fields. */
#define SGI1R_TARGETS(aff0) (1ull << ((aff0) & 0xfu))
#define SGI1R_AFF1(m) ((((m) >> 8) & 0xffull) << 16)
#define SGI1R_INTID(n) ((uint64_t)(n) << 24)
#define SGI1R_AFF2(m) ((((m) >> 16) & 0xffull) << 32)
#define SGI1R_RS(aff0) ((uint64_t)(((aff0) >> 4) & 0xfu) << 44)
#define SGI1R_AFF3(m) ((((m) >> 32) & 0xffull) << 48)

/* MPIDR_EL1 affinity fields; IROUTER uses the same layout. */
#define MPIDR_AFF_MASK 0xff00ffffffull

static struct {
	uintptr_t gicd;
	uintptr_t gicr_of[FDT_CPUS_MAX];        /* each CPU's RD_base, by CPU index */
	unsigned nr_irqs;
	bool ready;
	const struct fdt *fdt;                  /* for the secondaries' redistributors */
	int node;
	unsigned nregions;
	int maint_irq;                          /* the virtual CPU interface's, or -1 */
} gic;

/* The running CPU's redistributor. */
#define GICR_BASE (gic.gicr_of[smp_this_cpu() % FDT_CPUS_MAX])

_Static_assert(sizeof(uintptr_t) == sizeof(uint64_t), "64-bit physical addresses");

static inline uint32_t gicd_rd(uintptr_t off) { return mmio_read32(gic.gicd + off); }
static inline void gicd_wr(uintptr_t off, uint32_t v) { mmio_write32(gic.gicd + off, v); }
static inline uint32_t gicr_rd(uintptr_t off) { return mmio_read32(GICR_BASE + off); }
static inline void gicr_wr(uintptr_t off, uint32_t v) { mmio_write32(GICR_BASE + off, v); }

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

/* Register writes that change enables/routing complete only once RWP
 * clears; returns false on timeout. */
static bool gicd_wait_rwp(void)
{
	for (unsigned i = 0; i < POLL_LIMIT; i++)
		if (!(gicd_rd(GICD_CTLR) & GICD_CTLR_RWP))
			return true;
	return false;
}

static bool gicr_wait_rwp(void)
{
	for (unsigned i = 0; i < POLL_LIMIT; i++)
		if (!(gicr_rd(GICR_CTLR) & GICR_CTLR_RWP))
			return true;
	return false;
}

static uint32_t my_affinity(void)
{
	uint64_t m = read_sysreg(mpidr_el1);
	/* Aff3:Aff2:Aff1:Aff0, the layout of GICR_TYPER[63:32]. */
	return (uint32_t)(((m >> 32) & 0xffu) << 24) | (uint32_t)(m & 0xffffffu);
}

/* Walks the redistributor regions for the frame whose affinity is ours. */
static int find_redistributor(const struct fdt *fdt, int node, unsigned nregions)
{
	uint32_t aff = my_affinity();
	uint32_t stride = 0;
	fdt_getprop_u32(fdt, node, "redistributor-stride", &stride);
	if (stride != 0 && (stride % 0x10000u != 0 || stride < GICR_FRAMES_SIZE))
		return FDT_ERR_BADVALUE;

	for (unsigned r = 0; r < nregions; r++) {
		uintptr_t base;
		uint64_t size;
		int err = get_window(fdt, node, 1 + (int)r, GICR_FRAMES_SIZE, &base, &size);
		if (err < 0)
			return err;
		for (uint64_t off = 0; off + GICR_FRAMES_SIZE <= size;) {
			uint64_t typer = mmio_read64(base + off + GICR_TYPER);
			if (GICR_TYPER_AFF(typer) == aff) {
				GICR_BASE = base + off;
				return 0;
			}
			if (typer & GICR_TYPER_LAST)
				break;
			off += stride ? stride
				      : (typer & GICR_TYPER_VLPIS) ? GICR_FRAMES_SIZE_VLPI
								   : GICR_FRAMES_SIZE;
		}
	}
	return FDT_ERR_NOTFOUND;
}

static int init_distributor(void)
{
	/* Groups off while ARE changes: flipping ARE with a group enabled is
	 * UNPREDICTABLE. Keep ARE as found until then. */
	uint32_t ctlr = gicd_rd(GICD_CTLR);
	gicd_wr(GICD_CTLR, ctlr & GICD_CTLR_ARE);
	if (!gicd_wait_rwp())
		return -1;
	if (!(ctlr & GICD_CTLR_ARE)) {
		gicd_wr(GICD_CTLR, GICD_CTLR_ARE);
		if (!gicd_wait_rwp())
			return -1;
	}

	unsigned nr = 32u * (GICD_TYPER_ITLINES(gicd_rd(GICD_TYPER)) + 1u);
	gic.nr_irqs = nr > NR_IRQS_MAX ? NR_IRQS_MAX : nr;

	for (unsigned i = SPI_BASE; i < gic.nr_irqs; i += 32) {
		gicd_wr(GICD_ICENABLER + i / 8, 0xffffffffu);
		gicd_wr(GICD_IGROUPR + i / 8, 0xffffffffu);
	}
	if (!gicd_wait_rwp())
		return -1;
	for (unsigned i = SPI_BASE; i < gic.nr_irqs; i += 4)
		gicd_wr(GICD_IPRIORITYR + i, DEFAULT_PRIO * 0x01010101u);
	/* Routing mode 0 (IRM=0): to the one PE named by the affinity. */
	uint64_t route = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
	for (unsigned i = SPI_BASE; i < gic.nr_irqs; i++)
		mmio_write64(gic.gicd + GICD_IROUTER + (uintptr_t)i * 8, route);

	gicd_wr(GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	return gicd_wait_rwp() ? 0 : -1;
}

static int init_redistributor(void)
{
	gicr_wr(GICR_WAKER, gicr_rd(GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
	unsigned i = 0;
	while (gicr_rd(GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP)
		if (++i == POLL_LIMIT)
			return -1;

	gicr_wr(GICR_ICENABLER0, 0xffffffffu);
	if (!gicr_wait_rwp())
		return -1;
	gicr_wr(GICR_IGROUPR0, 0xffffffffu);
	for (unsigned n = 0; n < SPI_BASE; n += 4)
		gicr_wr(GICR_IPRIORITYR + n, DEFAULT_PRIO * 0x01010101u);
	return 0;
}

static int init_cpu_interface(void)
{
	/* The system register interface for EL2 only: Enable clear, so EL1
	 * cannot reach ICC_SRE_EL1 (its accesses trap to EL2). A vGIC backend
	 * that gives guests a GICv3 (vgic_ich.c) sets Enable on the CPU that
	 * runs them; until then guests must not switch the CPU interface's mode. */
	SYSREG_WR(ICC_SRE_EL2, (SYSREG_RD(ICC_SRE_EL2) | ICC_SRE_SRE) & ~(uint64_t)ICC_SRE_ENABLE);
	isb();
	/* SRE is RAO/WI when only the system-register interface exists, and
	 * stays 0 if firmware (ICC_SRE_EL3) denies it. */
	if (!(SYSREG_RD(ICC_SRE_EL2) & ICC_SRE_SRE))
		return -1;
	SYSREG_WR(ICC_PMR_EL1, PRIO_MASK);
	SYSREG_WR(ICC_BPR1_EL1, 0);
	SYSREG_WR(ICC_CTLR_EL1, 0);          /* EOImode 0: EOIR also deactivates */
	SYSREG_WR(ICC_IGRPEN1_EL1, 1);
	isb();
	return 0;
}

static int gicv3_xlate(const struct fdt *fdt, int ctrl_node, const uint32_t *cells, int ncells,
		       unsigned *irq);

static int gicv3_init(const struct fdt *fdt, int node)
{
	uint64_t size;
	int err;

	gic.ready = false;
	err = get_window(fdt, node, 0, GICD_SIZE_MIN, &gic.gicd, &size);
	if (err < 0) {
		printk("gicv3: bad or missing distributor reg: %s\n", fdt_strerror(err));
		return err;
	}
	uint32_t nregions = 1;
	fdt_getprop_u32(fdt, node, "#redistributor-regions", &nregions);
	if (nregions == 0 || nregions > MAX_RDIST_REGIONS) {
		printk("gicv3: bad #redistributor-regions %u\n", (unsigned)nregions);
		return FDT_ERR_BADVALUE;
	}
	unsigned rev = PIDR2_ARCHREV(gicd_rd(GICD_PIDR2));
	if (rev != 3 && rev != 4) {
		printk("gicv3: distributor reports GIC architecture v%u\n", rev);
		return FDT_ERR_BADVALUE;
	}
	err = find_redistributor(fdt, node, nregions);
	if (err < 0) {
		printk("gicv3: no redistributor for this CPU: %s\n", fdt_strerror(err));
		return err;
	}
	if (init_distributor() < 0) {
		printk("gicv3: distributor does not complete writes (GICD_CTLR.RWP stuck)\n");
		return -1;
	}
	if (init_redistributor() < 0) {
		printk("gicv3: redistributor does not wake up or complete writes\n");
		return -1;
	}
	if (init_cpu_interface() < 0) {
		printk("gicv3: system register interface unavailable (ICC_SRE_EL2.SRE=0)\n");
		return -1;
	}
	/* The maintenance interrupt is in the GIC's own interrupt space (its
	 * binding says so), whatever the node's interrupt parent resolves to. */
	gic.maint_irq = -1;
	int len;
	const uint8_t *prop = fdt_getprop(fdt, node, "interrupts", &len);
	unsigned irq;
	if (prop && (len == 12 || len == 16)) {
		uint32_t cells[3] = {fdt32_to_cpu(prop), fdt32_to_cpu(prop + 4), fdt32_to_cpu(prop + 8)};
		if (gicv3_xlate(fdt, node, cells, 3, &irq) == 0)
			gic.maint_irq = (int)irq;
	}
	gic.fdt = fdt;
	gic.node = node;
	gic.nregions = nregions;
	gic.ready = true;
	return 0;
}

/* A secondary CPU: its own redistributor (woken, SGIs/PPIs set up) and the
 * system-register CPU interface. */
static int gicv3_cpu_init(unsigned cpu)
{
	(void)cpu;
	if (!gic.ready)
		return -1;
	if (find_redistributor(gic.fdt, gic.node, gic.nregions) < 0) {
		printk("gicv3: no redistributor for CPU %u\n", cpu);
		return -1;
	}
	if (init_redistributor() < 0 || init_cpu_interface() < 0) {
		printk("gicv3: CPU %u's redistributor or CPU interface did not start\n", cpu);
		return -1;
	}
	return 0;
}

static int gicv3_ipi_send(unsigned cpu, uint64_t mpidr)
{
	(void)cpu;
	if (!gic.ready)
		return -1;
	unsigned aff0 = (unsigned)(mpidr & 0xffu);
	/* The slot's writes are visible before the interrupt is. */
	dsb_sy();
	SYSREG_WR(ICC_SGI1R_EL1, SGI1R_TARGETS(aff0) | SGI1R_AFF1(mpidr) | SGI1R_INTID(IPI_SGI) |
				 SGI1R_AFF2(mpidr) | SGI1R_RS(aff0) | SGI1R_AFF3(mpidr));
	isb();
	return 0;
}

static void gicv3_enable(unsigned irq)
{
	if (!gic.ready || irq >= gic.nr_irqs)
		return;
	if (irq < SPI_BASE)
		gicr_wr(GICR_ISENABLER0, 1u << irq);
	else
		gicd_wr(GICD_ISENABLER + (irq / 32) * 4, 1u << (irq % 32));
}

/* Waits for RWP so the interrupt is really off when we return. */
static void gicv3_disable(unsigned irq)
{
	if (!gic.ready || irq >= gic.nr_irqs)
		return;
	if (irq < SPI_BASE) {
		gicr_wr(GICR_ICENABLER0, 1u << irq);
		gicr_wait_rwp();
	} else {
		gicd_wr(GICD_ICENABLER + (irq / 32) * 4, 1u << (irq % 32));
		gicd_wait_rwp();
	}
}

static unsigned gicv3_ack(void)
{
	if (!gic.ready)
		return IRQ_SPURIOUS;
	unsigned id = (unsigned)ICC_IAR_INTID(SYSREG_RD(ICC_IAR1_EL1));
	if (id >= INTID_SPURIOUS_MIN && id <= INTID_SPECIAL_MAX)
		return IRQ_SPURIOUS;   /* special IDs: nothing to EOI */
	if (id >= gic.nr_irqs) {
		/* An LPI or extended ID we never enabled: complete it here so
		 * callers only see numbers they can index with. */
		SYSREG_WR(ICC_EOIR1_EL1, id);
		return IRQ_SPURIOUS;
	}
	return id;
}

static void gicv3_eoi(unsigned irq)
{
	if (!gic.ready || irq >= gic.nr_irqs)
		return;
	/* The handler's MMIO write that quiets the device must land before
	 * the EOI, or a level interrupt is signalled once more. */
	dsb_sy();
	SYSREG_WR(ICC_EOIR1_EL1, irq);
	isb();
}

static int gicv3_xlate(const struct fdt *fdt, int ctrl_node, const uint32_t *cells, int ncells,
		       unsigned *irq)
{
	(void)fdt;
	(void)ctrl_node;
	/* A 4th cell (PPI partition) may follow; we have no partitions. */
	if ((ncells != 3 && ncells != 4) || cells == NULL)
		return FDT_ERR_BADVALUE;
	uint32_t type = cells[0], num = cells[1], trigger = cells[2] & 0xfu;
	if (trigger != 0 && trigger != 1 && trigger != 2 && trigger != 4 && trigger != 8)
		return FDT_ERR_BADVALUE;
	unsigned limit = gic.ready ? gic.nr_irqs : NR_IRQS_MAX;
	if (type == DT_TYPE_SPI && num < limit - SPI_BASE) {
		*irq = SPI_BASE + num;
		return 0;
	}
	if (type == DT_TYPE_PPI && num < NR_PPIS) {
		*irq = PPI_BASE + num;
		return 0;
	}
	return FDT_ERR_BADVALUE;   /* extended SPI/PPI ranges not supported */
}

bool gicv3_ready(void)
{
	return gic.ready;
}

int gicv3_maint_irq(void)
{
	return gic.ready ? gic.maint_irq : -1;
}

static const struct irqchip_ops gicv3_ops = {
	.init = gicv3_init,
	.enable = gicv3_enable,
	.disable = gicv3_disable,
	.ack = gicv3_ack,
	.eoi = gicv3_eoi,
	.xlate = gicv3_xlate,
	.cpu_init = gicv3_cpu_init,
	.ipi_send = gicv3_ipi_send,
	.ipi_irq = IPI_SGI,
};

static const char *const gicv3_compat[] = { "arm,gic-v3", NULL };

static const struct driver gicv3_driver = {
	.name = "gicv3",
	.cls = DRV_IRQCHIP,
	.compatible = gicv3_compat,
	.ops = &gicv3_ops,
};
DRIVER(gicv3_driver);
