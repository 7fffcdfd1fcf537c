/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Raspberry Pi 2/3 (BCM2836/BCM2837) interrupt controllers; there is no GIC.
 *
 *  - The ARM-local controller ("brcm,bcm2836-l1-intc", QA7 document) is the
 *    root: per core it has an IRQ source register and enables for the four
 *    generic timers, the mailboxes and the PMU. Its source bit 8 means "the
 *    GPU controller has something".
 *  - The BCM2835 peripheral controller ("brcm,bcm2836-armctrl-ic", BCM2835
 *    ARM Peripherals section 7) is chained behind that bit 8.
 * This one driver owns both nodes, whichever of them it is asked about.
 *
 * Interrupt numbers:
 *    0..31     local: the bit number in the core's IRQ source register
 *              (0 CNTPS, 1 CNTPNS, 2 CNTHP, 3 CNTV, 4-7 mailboxes, 9 PMU)
 *   32..39     armctrl bank 0: basic pending bits 0-7 (ARM timer, ...)
 *   64..95     armctrl bank 1: GPU interrupts 0-31  (pending1)
 *   96..127    armctrl bank 2: GPU interrupts 32-63 (pending2)
 * i.e. 32 + bank * 32 + n, e.g. mini UART = 93 (1, 29), PL011 = 121 (2, 25).
 *
 * Device-tree specifiers: local <irq flags>; armctrl <bank n>.
 * All sources are level: the device clears them, so EOI does nothing.
 */
#include <arch/sysreg.h>
#include <mamoru/console.h>
#include <mamoru/irq.h>

/* ARM-local block (core n's registers are 4 * n above core 0's). */
#define LOCAL_GPU_ROUTING 0x0c
#define LOCAL_PMU_ROUTE_SET 0x10
#define LOCAL_PMU_ROUTE_CLR 0x14
#define LOCAL_TIMER_CTL(c) (0x40 + 4 * (c))
#define LOCAL_MAILBOX_CTL(c) (0x50 + 4 * (c))
#define LOCAL_IRQ_SRC(c) (0x60 + 4 * (c))
#define LOCAL_MBOX_SET(c, m) (0x80 + 16 * (c) + 4 * (m))   /* write 1s: raise */
#define LOCAL_MBOX_CLR(c, m) (0xc0 + 16 * (c) + 4 * (m))   /* read; write 1s: clear */
#define LOCAL_SIZE_MIN 0x100
#define NR_CORES 4u

/* The hypervisor's IPI (mamoru/smp.h): mailbox 0 of the receiving core, local
 * source 4. Guests never see the host's mailboxes. */
#define IPI_MBOX 0u
#define IPI_IRQ (4u + IPI_MBOX)

#define GPU_ROUTING_IRQ_MASK 0x3u       /* bits 1:0: core for GPU IRQs */
#define SRC_GPU 8u
#define SRC_PMU 9u
#define LOCAL_TIMERS_MASK 0x0fu        /* sources 0-3 */
#define LOCAL_MAILBOX_MASK 0xf0u       /* sources 4-7 */
/* Local sources we can enable; 8 (the GPU cascade) is always routed. */
#define LOCAL_SUPPORTED (LOCAL_TIMERS_MASK | LOCAL_MAILBOX_MASK | (1u << SRC_GPU) | (1u << SRC_PMU))

/* BCM2835 armctrl block. */
#define ARMCTRL_PENDING_BASIC 0x00
#define ARMCTRL_PENDING1 0x04
#define ARMCTRL_PENDING2 0x08
#define ARMCTRL_ENABLE1 0x10
#define ARMCTRL_ENABLE2 0x14
#define ARMCTRL_ENABLE_BASIC 0x18
#define ARMCTRL_DISABLE1 0x1c
#define ARMCTRL_DISABLE2 0x20
#define ARMCTRL_DISABLE_BASIC 0x24
#define ARMCTRL_SIZE_MIN 0x28

#define BANK_BASIC 0u
#define BANK_GPU1 1u
#define BANK_GPU2 2u
#define NR_BANKS 3u
#define BASIC_ARM_MASK 0xffu           /* basic bits 0-7: ARM-side sources */

#define IRQ_LOCAL_COUNT 32u
#define IRQ_ARMCTRL_BASE 32u
#define IRQ_LIMIT (IRQ_ARMCTRL_BASE + NR_BANKS * 32u)

static const char COMPAT_LOCAL[] = "brcm,bcm2836-l1-intc";
static const char COMPAT_ARMCTRL[] = "brcm,bcm2836-armctrl-ic";

static struct {
	uintptr_t local, armctrl;
	unsigned core;                  /* the boot CPU's core number */
	uint32_t local_en[NR_CORES];    /* enabled local sources, per core */
	uint32_t bank_en[NR_BANKS];     /* enabled armctrl sources */
	bool ready;
} ic;

/* Per bank: pending, enable and disable registers. */
static const uintptr_t bank_pending[NR_BANKS] = { ARMCTRL_PENDING_BASIC, ARMCTRL_PENDING1, ARMCTRL_PENDING2 };
static const uintptr_t bank_enable[NR_BANKS] = { ARMCTRL_ENABLE_BASIC, ARMCTRL_ENABLE1, ARMCTRL_ENABLE2 };
static const uintptr_t bank_disable[NR_BANKS] = { ARMCTRL_DISABLE_BASIC, ARMCTRL_DISABLE1, ARMCTRL_DISABLE2 };
static const uint32_t bank_valid[NR_BANKS] = { BASIC_ARM_MASK, 0xffffffffu, 0xffffffffu };

static int get_window(const struct fdt *fdt, int node, uint64_t min, uintptr_t *base)
{
	uint64_t addr, len;
	int err = fdt_get_reg(fdt, node, 0, &addr, &len);
	if (err < 0)
		return err;
	if (addr == 0 || len < min || addr + len < addr)
		return FDT_ERR_BADVALUE;
	*base = (uintptr_t)addr;
	return 0;
}

/* Aff0 is the core number on the BCM2836/7 quad-core clusters. */
static unsigned this_core(void)
{
	return (unsigned)(read_sysreg(mpidr_el1) & 0x3u);
}

static int intc_init(const struct fdt *fdt, int node)
{
	int lnode = fdt_is_compatible(fdt, node, COMPAT_LOCAL) ? node
							       : fdt_find_compatible(fdt, -1, COMPAT_LOCAL);
	int anode = fdt_is_compatible(fdt, node, COMPAT_ARMCTRL) ? node
								 : fdt_find_compatible(fdt, -1, COMPAT_ARMCTRL);
	int err;

	ic.ready = false;
	if (lnode < 0 || anode < 0) {
		printk("bcm2836-intc: missing %s node\n", lnode < 0 ? COMPAT_LOCAL : COMPAT_ARMCTRL);
		return FDT_ERR_NOTFOUND;
	}
	err = get_window(fdt, lnode, LOCAL_SIZE_MIN, &ic.local);
	if (err == 0)
		err = get_window(fdt, anode, ARMCTRL_SIZE_MIN, &ic.armctrl);
	if (err < 0) {
		printk("bcm2836-intc: bad or missing reg: %s\n", fdt_strerror(err));
		return err;
	}
	ic.core = this_core();

	/* Start with everything off; drivers enable what they register. */
	for (unsigned b = 0; b < NR_BANKS; b++) {
		mmio_write32(ic.armctrl + bank_disable[b], 0xffffffffu);
		ic.bank_en[b] = 0;
	}
	mmio_write32(ic.local + LOCAL_TIMER_CTL(ic.core), 0);
	mmio_write32(ic.local + LOCAL_MAILBOX_CTL(ic.core), 0);
	mmio_write32(ic.local + LOCAL_PMU_ROUTE_CLR, 1u << ic.core);
	ic.local_en[ic.core] = 0;

	/* GPU interrupts to our core's IRQ line (FIQ routing left alone). */
	uint32_t route = mmio_read32(ic.local + LOCAL_GPU_ROUTING);
	mmio_write32(ic.local + LOCAL_GPU_ROUTING, (route & ~GPU_ROUTING_IRQ_MASK) | ic.core);

	ic.ready = true;
	return 0;
}

/* Local sources are per core: these act on the running core's. */
static void set_local(unsigned irq, bool on)
{
	unsigned core = this_core();
	uintptr_t reg;
	unsigned bit;

	if (irq < 4) {
		reg = ic.local + LOCAL_TIMER_CTL(core);
		bit = irq;              /* IRQ enable bits 0-3, one per timer */
	} else if (irq < 8) {
		reg = ic.local + LOCAL_MAILBOX_CTL(core);
		bit = irq - 4;
	} else if (irq == SRC_PMU) {
		mmio_write32(ic.local + (on ? LOCAL_PMU_ROUTE_SET : LOCAL_PMU_ROUTE_CLR), 1u << core);
		return;
	} else {
		return;                 /* SRC_GPU: permanently routed */
	}
	uint32_t v = mmio_read32(reg);
	mmio_write32(reg, on ? (v | (1u << bit)) : (v & ~(1u << bit)));
}

static void intc_set(unsigned irq, bool on)
{
	if (!ic.ready || irq >= IRQ_LIMIT)
		return;
	if (irq < IRQ_LOCAL_COUNT) {
		if (!(LOCAL_SUPPORTED & (1u << irq)))
			return;
		unsigned core = this_core();
		if (on)
			ic.local_en[core] |= 1u << irq; /* before, as for the banks below */
		set_local(irq, on);
		if (!on)
			ic.local_en[core] &= ~(1u << irq);
		return;
	}
	unsigned bank = (irq - IRQ_ARMCTRL_BASE) / 32, n = (irq - IRQ_ARMCTRL_BASE) % 32;
	uint32_t bit = 1u << n;
	if (!(bank_valid[bank] & bit))
		return;
	/* Write-one-to-set / write-one-to-clear registers: no read-modify-write. The
	 * record of enabled sources (what intc_ack looks at) is set before the source is
	 * enabled and cleared after it is disabled: a source already asserted when enabled
	 * with IRQs unmasked (a passed device's line at a guest reset) interrupts at once,
	 * and intc_ack must know it then, or the IRQ is taken as spurious forever. */
	if (on)
		ic.bank_en[bank] |= bit;
	mmio_write32(ic.armctrl + (on ? bank_enable[bank] : bank_disable[bank]), bit);
	if (!on)
		ic.bank_en[bank] &= ~bit;
}

static void intc_enable(unsigned irq)
{
	intc_set(irq, true);
}

static void intc_disable(unsigned irq)
{
	intc_set(irq, false);
}

static unsigned intc_ack(void)
{
	if (!ic.ready)
		return IRQ_SPURIOUS;
	unsigned core = this_core();
	uint32_t src = mmio_read32(ic.local + LOCAL_IRQ_SRC(core));
	uint32_t local = src & ic.local_en[core] & ~(1u << SRC_GPU);
	if (local) {
		unsigned irq = (unsigned)__builtin_ctz(local);   /* timers first */
		if (irq >= 4 && irq < 8) {
			/* A mailbox: clear what it holds now, so a later raise
			 * interrupts again (the handler drains all pending work). */
			uintptr_t mbox = ic.local + LOCAL_MBOX_CLR(core, irq - 4);
			mmio_write32(mbox, mmio_read32(mbox));
		}
		return irq;
	}
	if (core != ic.core || !(src & (1u << SRC_GPU)))
		return IRQ_SPURIOUS;
	/* Basic pending bits 8/9 ("pending1/2 has bits") are not set for the
	 * GPU interrupts that have shortcut bits, so read every bank. */
	for (unsigned b = 0; b < NR_BANKS; b++) {
		if (!ic.bank_en[b])
			continue;
		uint32_t p = mmio_read32(ic.armctrl + bank_pending[b]) & ic.bank_en[b];
		if (p)
			return IRQ_ARMCTRL_BASE + b * 32 + (unsigned)__builtin_ctz(p);
	}
	return IRQ_SPURIOUS;
}

static void intc_eoi(unsigned irq)
{
	(void)irq;   /* level-triggered: quietening the device is enough */
}

/* A secondary core: its local sources off but the IPI mailbox (enabled by irq.c). */
static int intc_cpu_init(unsigned cpu)
{
	(void)cpu;
	if (!ic.ready)
		return -1;
	unsigned core = this_core();
	mmio_write32(ic.local + LOCAL_TIMER_CTL(core), 0);
	mmio_write32(ic.local + LOCAL_MAILBOX_CTL(core), 0);
	mmio_write32(ic.local + LOCAL_MBOX_CLR(core, IPI_MBOX), 0xffffffffu);
	ic.local_en[core] = 0;
	return 0;
}

static int intc_ipi_send(unsigned cpu, uint64_t mpidr)
{
	(void)cpu;
	if (!ic.ready || (mpidr & 0xffu) >= NR_CORES)
		return -1;
	/* The slot's writes are visible before the interrupt is. */
	dsb_sy();
	mmio_write32(ic.local + LOCAL_MBOX_SET((unsigned)(mpidr & 0xffu), IPI_MBOX), 1u);
	return 0;
}

static int intc_xlate(const struct fdt *fdt, int ctrl_node, const uint32_t *cells, int ncells,
		      unsigned *irq)
{
	if (ncells != 2 || cells == NULL)
		return FDT_ERR_BADVALUE;
	if (fdt_is_compatible(fdt, ctrl_node, COMPAT_LOCAL)) {
		/* <irq flags>: irq is the source bit (the timer node lists
		 * <0 4>, <1 4>, <3 4>, <2 4>). */
		if (cells[0] >= IRQ_LOCAL_COUNT || !(LOCAL_SUPPORTED & (1u << cells[0])))
			return FDT_ERR_BADVALUE;
		*irq = cells[0];
		return 0;
	}
	if (fdt_is_compatible(fdt, ctrl_node, COMPAT_ARMCTRL)) {
		uint32_t bank = cells[0], n = cells[1];
		if (bank >= NR_BANKS || n >= 32 || !(bank_valid[bank] & (1u << n)))
			return FDT_ERR_BADVALUE;
		*irq = IRQ_ARMCTRL_BASE + bank * 32 + n;
		return 0;
	}
	return FDT_ERR_BADVALUE;
}

static const struct irqchip_ops intc_ops = {
	.init = intc_init,
	.enable = intc_enable,
	.disable = intc_disable,
	.ack = intc_ack,
	.eoi = intc_eoi,
	.xlate = intc_xlate,
	.cpu_init = intc_cpu_init,
	.ipi_send = intc_ipi_send,
	.ipi_irq = IPI_IRQ,
};

/* Both nodes, so the driver is found for either interrupt parent. */
static const char *const intc_compat[] = { COMPAT_LOCAL, COMPAT_ARMCTRL, NULL };

static const struct driver bcm2836_intc_driver = {
	.name = "bcm2836-intc",
	.cls = DRV_IRQCHIP,
	.compatible = intc_compat,
	.ops = &intc_ops,
};
DRIVER(bcm2836_intc_driver);
