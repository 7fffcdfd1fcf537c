/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The GICv2 list-register backend (arch/arm/vgic/vgic_lr.c) on the host with
 * several vCPUs time-sliced on one CPU interface: its GICH registers are a
 * plain array here (the MMIO accessors are plain loads and stores), and the
 * test plays the hardware's part (the guest's acknowledge and EOI, ELRSR).
 *   vgic_lr_test    per-vCPU list registers, in_lr bookkeeping, SGI source in
 *                   the CPUID field, save/restore, overflow, maintenance, an
 *                   interrupt pending again while in a list register
 */
#include <string.h>

#include <arch/guest_irq.h>
#include <arch/stage2.h>
#include <arch/vgic.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>

#include <drivers/irqchip/gicv2.h>

#include "check.h"
#include "stub.h"

#include "../../../arch/arm/vgic/gich.h"

#define NR_LRS 4
#define MAINT_IRQ 25

#define LR_ACTIVE (2u << 28)

static uint32_t gich[0x200 / 4];
static const struct gicv2_info info = {
	.gich = (uintptr_t)gich, .gicv = 0x8040000, .gicv_size = 0x2000, .maint_irq = MAINT_IRQ,
};
static irq_handler_t maint_fn;

const struct gicv2_info *gicv2_info(void)
{
	return &info;
}

int irq_register_vcpu(unsigned irq, const char *name, irq_handler_t fn, void *arg)
{
	(void)name;
	(void)arg;
	if (irq == MAINT_IRQ)
		maint_fn = fn;
	return 0;
}

void irq_enable(unsigned irq)
{
	(void)irq;
}

int stage2_map(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size, enum s2_prot prot)
{
	(void)s2;
	(void)ipa;
	(void)pa;
	(void)size;
	(void)prot;
	return 0;
}

static struct guest g;
static struct vgic *const v = &g.arch.vgic;
static const struct vgic_backend *const lr = &vgic_lr_backend;

static uint32_t *reg(unsigned off)
{
	return &gich[off / 4];
}

/* The hardware's empty-LR status: an LR with no pending or active state is free. */
static void update_elrsr(void)
{
	uint32_t free = 0;
	for (unsigned n = 0; n < NR_LRS; n++)
		if (((*reg(GICH_LR(n)) >> 28) & 3) == 0)
			free |= 1u << n;
	*reg(GICH_ELRSR0) = free;
}

/* The list register holding interrupt irq, or -1. */
static int lr_with(unsigned irq)
{
	for (unsigned n = 0; n < NR_LRS; n++)
		if (((*reg(GICH_LR(n)) >> 28) & 3) && (*reg(GICH_LR(n)) & 0x3ff) == irq)
			return (int)n;
	return -1;
}

static uint32_t lr_of(unsigned irq)
{
	int n = lr_with(irq);
	return n < 0 ? 0 : *reg(GICH_LR(n));
}

/* The guest acknowledges (pending -> active) and completes (-> invalid) irq. */
static void guest_eoi(unsigned irq)
{
	int n = lr_with(irq);
	CHECK_MSG(n >= 0, "interrupt %u is in no list register", irq);
	if (n >= 0)
		*reg(GICH_LR(n)) &= ~(3u << 28);
	update_elrsr();
}

static void flush(unsigned cpu)
{
	update_elrsr();
	lr->flush(v, cpu);
}

/* The CPU interface goes from vCPU from to vCPU to. */
static void switch_vcpu(unsigned from, unsigned to)
{
	lr->save(v, from);
	lr->restore(v, to);
	update_elrsr();
}

static void enable_spi(unsigned irq, uint8_t targets)
{
	v->spi[irq / 32 - 1].enable |= 1u << (irq % 32);
	v->targets[irq] = targets;
}

static void per_vcpu(void)
{
	/* vCPU 1: its timer PPI, SGI 2 from vCPUs 0 and 3, SPI 40 routed to it. */
	v->cpu[1].bits.enable |= 1u << 27;
	v->cpu[1].priority[27] = 0x40;
	vgic_raise_private(v, 1, 27);
	v->cpu[1].sgi_pending[2] = 0x09;
	enable_spi(40, 0x02);
	arch_guest_irq_raise(&g, 40);
	/* vCPU 0: its own timer PPI (pending, enabled) and a level SPI 41. */
	v->cpu[0].bits.enable |= 1u << 27;
	vgic_raise_private(v, 0, 27);
	enable_spi(41, 0x01);
	vgic_set_level(v, 41, true);

	flush(1);
	CHECK(*reg(GICH_HCR) == GICH_HCR_EN);
	CHECK(lr_of(27) == (27 | (0x40u >> 3) << 23 | LR_PENDING));
	/* From vCPU 0, asking for EOI maintenance: vCPU 3's SGI 2 waits for that EOI. */
	CHECK(lr_of(2) == (2 | 0u << 10 | (0xa0u >> 3) << 23 | LR_PENDING | LR_EOI));
	CHECK(lr_of(40) == (40 | (0xa0u >> 3) << 23 | LR_PENDING));
	CHECK(lr_with(41) < 0);                        /* vCPU 0's */
	CHECK(v->owner[40] == 1 && (v->cpu[1].bits.in_lr & (1u << 27 | 1u << 2)) &&
	      !(v->cpu[0].bits.in_lr & 1u << 27));
	CHECK(vgic_has_pending(v, 1) && v->cpu[1].sgi_pending[2] == 0x08);

	/* Retargeted while in vCPU 1's list register: deliverable nowhere else. */
	v->targets[40] = 0x01;
	arch_guest_irq_raise(&g, 40);
	CHECK(!vgic_deliverable(v, 0, 40));

	/* vCPU 0 gets the interface: vCPU 1's list registers are parked. */
	*reg(GICH_VMCR) = 0x1234;
	*reg(GICH_APR) = 0x8;
	switch_vcpu(1, 0);
	CHECK(lr_with(27) < 0 && lr_with(2) < 0 && *reg(GICH_VMCR) == 0 && *reg(GICH_HCR) == 0);
	flush(0);
	CHECK(lr_of(27) == (27 | (0xa0u >> 3) << 23 | LR_PENDING));
	CHECK(lr_of(41) == (41 | (0xa0u >> 3) << 23 | LR_PENDING | LR_EOI));   /* level: EOI */
	CHECK(lr_with(40) < 0 && lr_with(2) < 0);
	*reg(GICH_VMCR) = 0x5678;

	/* Back to vCPU 1: its list registers, VMCR and APR as it left them. */
	switch_vcpu(0, 1);
	CHECK(*reg(GICH_VMCR) == 0x1234 && *reg(GICH_APR) == 0x8 && *reg(GICH_HCR) == GICH_HCR_EN);
	CHECK(lr_with(27) >= 0 && lr_with(2) >= 0 && lr_with(40) >= 0 && lr_with(41) < 0);

	/* vCPU 1 completes SGI 2 from vCPU 0: the source vCPU 3 comes next. */
	guest_eoi(2);
	lr->sync(v, 1);
	CHECK(!(v->cpu[1].bits.in_lr & 1u << 2));
	flush(1);
	CHECK(lr_of(2) == (2 | 3u << 10 | (0xa0u >> 3) << 23 | LR_PENDING));
	CHECK(v->cpu[1].sgi_pending[2] == 0);

	/* It completes SPI 40: the edge raised meanwhile now goes to vCPU 0 (retargeted). */
	guest_eoi(40);
	lr->sync(v, 1);
	CHECK(!vgic_deliverable(v, 1, 40) && vgic_deliverable(v, 0, 40));
	guest_eoi(27);
	guest_eoi(2);
	lr->sync(v, 1);
	CHECK(!vgic_has_pending(v, 1));

	/* vCPU 0's parked level SPI 41: the guest completes it while the line is high. */
	switch_vcpu(1, 0);
	CHECK(*reg(GICH_VMCR) == 0x5678 && lr_with(41) >= 0);
	*reg(GICH_LR(lr_with(41))) = (*reg(GICH_LR(lr_with(41))) & ~(3u << 28)) | LR_ACTIVE;
	/* The EOI maintenance interrupt: the hardware sets EISR and drops the state. */
	int n41 = lr_with(41);
	*reg(GICH_LR(n41)) &= ~(3u << 28);
	*reg(GICH_EISR0) = 1u << n41;
	*reg(GICH_HCR) |= GICH_HCR_UIE;
	CHECK(maint_fn != NULL);
	if (maint_fn)
		maint_fn(MAINT_IRQ, NULL);
	CHECK(!(*reg(GICH_LR(n41)) & LR_EOI) && !(*reg(GICH_HCR) & GICH_HCR_UIE));
	*reg(GICH_EISR0) = 0;
	flush(0);                                      /* line still high: presented again */
	CHECK(lr_of(41) == (41 | (0xa0u >> 3) << 23 | LR_PENDING | LR_EOI));
	CHECK(lr_of(40) == (40 | (0xa0u >> 3) << 23 | LR_PENDING) && v->owner[40] == 0);
}

static void overflow_and_reset(void)
{
	/* vCPU 2 with more deliverable interrupts than list registers. */
	switch_vcpu(0, 2);
	for (unsigned irq = 44; irq < 50; irq++) {
		enable_spi(irq, 0x04);
		arch_guest_irq_raise(&g, irq);
	}
	flush(2);
	CHECK(*reg(GICH_HCR) == (GICH_HCR_EN | GICH_HCR_UIE));
	CHECK(lr_with(44) >= 0 && lr_with(47) >= 0 && lr_with(48) < 0);
	for (unsigned irq = 44; irq < 48; irq++)
		guest_eoi(irq);
	flush(2);
	CHECK(*reg(GICH_HCR) == GICH_HCR_EN && lr_with(48) >= 0 && lr_with(49) >= 0);

	/* A reset guest's parked copies are cleared for every vCPU. */
	lr->save(v, 2);
	CHECK(v->cpu[2].saved_lr[0] != 0 && v->cpu[0].saved_vmcr == 0x5678);
	vgic_reset(v);
	lr->reset(v);
	for (unsigned c = 0; c < VGIC_MAX_VCPUS; c++)
		CHECK(v->cpu[c].saved_lr[0] == 0 && v->cpu[c].saved_vmcr == 0 &&
		      v->cpu[c].saved_hcr == 0);
	CHECK(v->nr_cpus == 4);
}

/* The guest's EOI of the interrupt in list register n that asked for EOI maintenance:
 * the hardware drops its state and flags it in EISR; the maintenance interrupt runs. */
static void eoi_maintenance(int n)
{
	CHECK(n >= 0 && (*reg(GICH_LR(n)) & LR_EOI));
	if (n < 0 || !maint_fn)
		return;
	*reg(GICH_LR(n)) &= ~(3u << 28);
	*reg(GICH_EISR0) = 1u << n;
	maint_fn(MAINT_IRQ, NULL);
	*reg(GICH_EISR0) = 0;
	update_elrsr();
}

/*
 * vCPU 3's timer fires again while its first PPI 27 is still active in a list register
 * (the hypervisor masked the timer and raised the PPI again before the guest's EOI). It
 * can only be presented once that list register is free, at an exit, and a vCPU busy in
 * user space with its timer masked makes no other: the list register asks for EOI
 * maintenance so the guest's EOI is one. (Without it, a full run saw secondary vCPUs take
 * no timer interrupt for 20 s and more: the guest reported soft lockups.) The same for a
 * second SGI source while the first's SGI is in a list register.
 */
static void pending_again(void)
{
	v->enabled = true;
	lr->restore(v, 3);
	v->cpu[3].bits.enable |= 1u << 27 | 1u << 5;
	v->cpu[3].priority[27] = 0x40;
	vgic_raise_private(v, 3, 27);
	flush(3);
	int n = lr_with(27);
	CHECK(n >= 0 && lr_of(27) == (27 | (0x40u >> 3) << 23 | LR_PENDING));   /* no EOI asked */
	*reg(GICH_LR(n)) = (*reg(GICH_LR(n)) & ~(3u << 28)) | LR_ACTIVE;       /* acknowledged */
	flush(3);
	CHECK(!(*reg(GICH_LR(n)) & LR_EOI));          /* nothing pending again: no maintenance */

	vgic_raise_private(v, 3, 27);
	flush(3);
	CHECK(lr_with(27) == n && (*reg(GICH_LR(n)) & LR_EOI) &&
	      ((*reg(GICH_LR(n)) >> 28) & 3) == 2);  /* the active one, asking; no second copy */
	eoi_maintenance(n);
	flush(3);
	CHECK(lr_of(27) == (27 | (0x40u >> 3) << 23 | LR_PENDING));   /* the second one, plain */
	guest_eoi(27);
	lr->sync(v, 3);

	/* SGI 5 from vCPU 0 is in a list register when vCPU 1's arrives. */
	v->cpu[3].sgi_pending[5] = 0x01;
	flush(3);
	n = lr_with(5);
	CHECK(n >= 0 && !(*reg(GICH_LR(n)) & LR_EOI));
	/* Raised from another core: vCPU 3's core is kicked until its flush asks for EOI. */
	v->cpu[3].sgi_pending[5] |= 0x02;
	CHECK(vgic_kick_wanted(v, 3));
	flush(3);
	CHECK(lr_with(5) == n && (*reg(GICH_LR(n)) & LR_EOI) && !vgic_kick_wanted(v, 3));
	/* The request survives the vCPU leaving the CPU interface and coming back. */
	lr->save(v, 3);
	lr->restore(v, 3);
	update_elrsr();
	CHECK(lr_with(5) == n && (*reg(GICH_LR(n)) & LR_EOI));
	eoi_maintenance(n);
	flush(3);
	CHECK(lr_of(5) == (5 | 1u << 10 | (0xa0u >> 3) << 23 | LR_PENDING));
	guest_eoi(5);
	lr->sync(v, 3);
	CHECK(!vgic_has_pending(v, 3) && !(v->cpu[3].bits.eoi_asked & 1u << 5));

	/* An edge SPI in vCPU 3's list register, raised again: its EOI is asked. Disabled
	 * meanwhile, or in vCPU 2's list register instead: nothing asked, nobody kicked. */
	enable_spi(50, 0x08);
	arch_guest_irq_raise(&g, 50);
	flush(3);
	n = lr_with(50);
	CHECK(n >= 0 && !(*reg(GICH_LR(n)) & LR_EOI));
	arch_guest_irq_raise(&g, 50);
	v->spi[0].enable &= ~(1u << 18);
	CHECK(!vgic_kick_wanted(v, 3));
	flush(3);
	CHECK(!(*reg(GICH_LR(n)) & LR_EOI));
	v->spi[0].enable |= 1u << 18;
	v->owner[50] = 2;
	CHECK(!vgic_kick_wanted(v, 3));
	v->owner[50] = 3;
	CHECK(vgic_kick_wanted(v, 3));
	flush(3);
	CHECK((*reg(GICH_LR(n)) & LR_EOI) && !vgic_kick_wanted(v, 3));
}

int main(void)
{
	*reg(GICH_VTR) = NR_LRS - 1;
	CHECK(lr->host_init() == 0);
	g.arch.vgic.guest = &g;
	stub_vcpus = 4;
	v->nr_cpus = vgic_guest_vcpus(&g);
	vgic_reset(v);
	CHECK(lr->guest_init(v, 0x8010000, 0x2000) == 0);
	v->enabled = true;
	per_vcpu();
	overflow_and_reset();
	pending_again();
	return check_summary("vgic_lr_test");
}
