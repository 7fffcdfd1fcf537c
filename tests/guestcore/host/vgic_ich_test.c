/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's GICv3 view (arch/arm/vgic/vgic_v3.c) and the ICH list-register
 * backend (vgic_ich.c) on the host: vgic.c is built as for a GICv3 host, the
 * ICH_*_EL2 registers are a plain struct (ich_read/ich_write below), and the
 * test plays the hardware's part (the guest's acknowledge and EOI, ELRSR, EISR).
 *   vgic_ich_test <guest.dtb>   the guest's tree (4 vCPUs) probed and rewritten to a
 *                               GICv3; distributor, redistributor and SGI1R decode;
 *                               LR encoding, flush/sync, save/restore, maintenance
 */
#include <string.h>

#include <arch/guest_irq.h>
#include <arch/sysreg_emul.h>
#include <arch/vgic.h>
#include <mamoru/emulator.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>

#include <drivers/irqchip/gicv3.h>

#include "check.h"
#include "stub.h"

#include "../../../arch/arm/vgic/ich.h"

#define NR_LRS 4
#define MAINT_IRQ 25

static struct {
	uint64_t hcr, vtr, vmcr, eisr, elrsr, ap0r[4], ap1r[4], lr[16], sre2, sre1;
} ich;

uint64_t ich_read(enum ich_reg r, unsigned n)
{
	switch (r) {
	case ICH_HCR: return ich.hcr;
	case ICH_VTR: return ich.vtr;
	case ICH_VMCR: return ich.vmcr;
	case ICH_EISR: return ich.eisr;
	case ICH_ELRSR: return ich.elrsr;
	case ICH_AP0R: return n < 4 ? ich.ap0r[n] : 0;
	case ICH_AP1R: return n < 4 ? ich.ap1r[n] : 0;
	case ICH_LR: return n < 16 ? ich.lr[n] : 0;
	case ICH_SRE_EL2: return ich.sre2;
	case ICH_SRE_EL1: return ich.sre1;
	default: return 0;
	}
}

void ich_write(enum ich_reg r, unsigned n, uint64_t val)
{
	switch (r) {
	case ICH_HCR: ich.hcr = val; break;
	case ICH_VMCR: ich.vmcr = val; break;
	case ICH_AP0R: if (n < 4) ich.ap0r[n] = val; break;
	case ICH_AP1R: if (n < 4) ich.ap1r[n] = val; break;
	case ICH_LR: CHECK(n < NR_LRS); if (n < 16) ich.lr[n] = val; break;
	case ICH_SRE_EL2: ich.sre2 = val; break;
	case ICH_SRE_EL1: ich.sre1 = val; break;
	default: CHECK_MSG(0, "write to read-only ICH register %d", (int)r); break;
	}
}

bool ich_cpu_has_gicv3(void) { return true; }
bool gicv3_ready(void) { return true; }
int gicv3_maint_irq(void) { return MAINT_IRQ; }

static irq_handler_t maint_fn;

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

/* Reachable from here, so LeakSanitizer does not count them as leaks. */
static struct guest g;
static struct vgic *const v = &g.arch.vgic;
static struct vdev *gicd, *gicr;
static const struct vgic_backend *const be = &vgic_ich_backend;

/* The hardware's empty-LR status: an LR with no pending or active state is free. */
static void update_elrsr(void)
{
	ich.elrsr = 0;
	for (unsigned n = 0; n < NR_LRS; n++)
		if (ich_lr_state(ich.lr[n]) == 0)
			ich.elrsr |= 1ull << n;
}

static int lr_with(unsigned irq)
{
	for (unsigned n = 0; n < NR_LRS; n++)
		if (ich_lr_state(ich.lr[n]) && ich_lr_intid(ich.lr[n]) == irq)
			return (int)n;
	return -1;
}

static uint64_t lr_of(unsigned irq)
{
	int n = lr_with(irq);
	return n < 0 ? 0 : ich.lr[n];
}

/* The guest acknowledges and deactivates irq: the LR goes invalid; with its EOI bit
 * set the hardware flags it in EISR (the maintenance interrupt's cause). */
static void guest_eoi(unsigned irq)
{
	int n = lr_with(irq);
	CHECK_MSG(n >= 0, "interrupt %u is in no list register", irq);
	if (n < 0)
		return;
	ich.lr[n] &= ~(3ull << ICH_LR_STATE_SHIFT);
	if (ich.lr[n] & ICH_LR_EOI)
		ich.eisr |= 1ull << n;
	update_elrsr();
}

static void flush(unsigned cpu)
{
	update_elrsr();
	be->flush(v, cpu);
}

static void switch_vcpu(unsigned from, unsigned to)
{
	be->save(v, from);
	be->restore(v, to);
	update_elrsr();
}

static uint64_t rd(struct vdev *d, uint64_t off, unsigned size)
{
	uint64_t val = 0xdeadbeef;
	CHECK(d->ops->read(d, off, size, &val) == 0);
	return val;
}

static void wr(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	CHECK(d->ops->write(d, off, size, val) == 0);
}

static void probe_and_tree(const char *path)
{
	size_t size;
	static void *blob;     /* kept reachable: the rewritten tree replaces it */
	blob = read_file(path, &size);
	static struct fdt fdt;
	CHECK(blob && fdt_init(&fdt, blob, size) == 0);
	if (!blob)
		return;
	g.image.dtb = blob;
	g.image.dtb_size = size;
	strcpy(g.name, "guest0");
	stub_vcpus = 4;
	CHECK_STR(emulators_probe(&g, &fdt), NULL);
	for (unsigned i = 0; i < g.nvdevs; i++) {
		if (!strcmp(g.vdevs[i].name, "gicv3-dist"))
			gicd = &g.vdevs[i];
		if (!strcmp(g.vdevs[i].name, "gicv3-redist"))
			gicr = &g.vdevs[i];
		CHECK(strcmp(g.vdevs[i].name, "gicv2-dist") && strcmp(g.vdevs[i].name, "gicv2-cpu"));
	}
	CHECK(gicd && gicr && v->v3 && v->nr_cpus == 4 && g.dt_rewrite);
	if (!gicd || !gicr)
		return;
	CHECK_EQ(gicd->base, 0x08000000);
	CHECK_EQ(gicd->size, 0x10000);
	CHECK_EQ(gicr->base, 0x080a0000);
	CHECK_EQ(gicr->size, 4 * 0x20000);

	/* The tree the guest boots with: the same GIC node, now a GICv3's. */
	CHECK_EQ(emulators_rewrite_dt(&g), 0);
	struct fdt out;
	CHECK(g.image.dtb != blob && fdt_init(&out, g.image.dtb, g.image.dtb_size) == 0);
	int gic = -1, v2 = -1;
	for (int n = fdt_next_node(&out, -1, NULL); n >= 0; n = fdt_next_node(&out, n, NULL)) {
		if (fdt_is_compatible(&out, n, "arm,gic-v3"))
			gic = n;
		if (fdt_is_compatible(&out, n, "arm,cortex-a15-gic"))
			v2 = n;
	}
	CHECK(gic >= 0 && v2 < 0);
	uint64_t a, s;
	uint32_t u = 0;
	CHECK(fdt_get_reg(&out, gic, 0, &a, &s) == 0 && a == 0x08000000 && s == 0x10000);
	CHECK(fdt_get_reg(&out, gic, 1, &a, &s) == 0 && a == 0x080a0000 && s == 0x80000);
	CHECK(fdt_get_reg(&out, gic, 2, &a, &s) != 0);
	CHECK(fdt_getprop_u32(&out, gic, "#redistributor-regions", &u) == 0 && u == 1);
	CHECK(fdt_getprop_u32(&out, gic, "#interrupt-cells", &u) == 0 && u == 3);
	CHECK(fdt_getprop(&out, gic, "interrupt-controller", NULL) != NULL);
	CHECK(fdt_getprop(&out, gic, "interrupts", NULL) == NULL);
	CHECK_STR(fdt_node_name(&out, gic), "interrupt-controller@8000000");
	/* Everything else as it was: the UART and its interrupt. */
	int uart = -1;
	for (int n = fdt_next_node(&out, -1, NULL); n >= 0; n = fdt_next_node(&out, n, NULL))
		if (fdt_is_compatible(&out, n, "arm,pl011"))
			uart = n;
	unsigned irq = 0;
	CHECK(uart >= 0 && emulator_irq(&out, uart, 0, &irq) == 0 && irq == 33);
}

static void distributor(void)
{
	stub_current_vcpu = 1;
	CHECK_EQ(rd(gicd, 0x0, 4), 0x50);                   /* ARE, DS; groups off */
	wr(gicd, 0x0, 4, 0x3);
	CHECK_EQ(rd(gicd, 0x0, 4), 0x53);
	CHECK(v->enabled);
	wr(gicd, 0x0, 4, 0x0);
	CHECK(!v->enabled);
	wr(gicd, 0x0, 4, 0x2);                              /* EnableGrp1 alone */
	CHECK(v->enabled);
	CHECK_EQ(rd(gicd, 0x4, 4), 1u | 9u << 19);          /* 64 interrupts, 10 ID bits */
	CHECK_EQ(rd(gicd, 0xffe8, 4), 0x30);                /* PIDR2: GICv3 */
	CHECK_EQ(rd(gicd, 0x8, 4) >> 24, 0x03);

	/* IROUTER: Aff0 names the vCPU. */
	wr(gicd, 0x6000 + 8 * 40, 8, 2);
	CHECK_EQ(vgic_spi_target(v, 40), 2);
	CHECK_EQ(rd(gicd, 0x6000 + 8 * 40, 8), 2);
	wr(gicd, 0x6000 + 8 * 40, 4, 3);                    /* the low half alone */
	CHECK_EQ(vgic_spi_target(v, 40), 3);
	CHECK_EQ(rd(gicd, 0x6000 + 8 * 40 + 4, 4), 0);
	wr(gicd, 0x6000 + 8 * 40, 8, 0x100 | 1);            /* Aff1 1: no vCPU there */
	CHECK_EQ(vgic_spi_target(v, 40), VGIC_NO_VCPU);
	wr(gicd, 0x6000 + 8 * 40, 8, 7);                    /* Aff0 beyond the vCPUs */
	CHECK_EQ(vgic_spi_target(v, 40), VGIC_NO_VCPU);
	wr(gicd, 0x6000 + 8 * 41, 8, 1ull << 31);           /* IRM: any, the lowest */
	CHECK_EQ(rd(gicd, 0x6000 + 8 * 41, 8), 1ull << 31);
	CHECK_EQ(vgic_spi_target(v, 41), 0);
	wr(gicd, 0x6000 + 8 * 41, 8, 1);
	CHECK_EQ(rd(gicd, 0x6000 + 8 * 41, 8), 1);
	CHECK_EQ(rd(gicd, 0x6000 + 8 * 20, 8), 0);          /* no IROUTER for PPIs */
	wr(gicd, 0x6000 + 8 * 40, 8, 1);

	/* SPIs here; SGIs and PPIs are the redistributors' (RAZ/WI here with ARE). */
	wr(gicd, 0x104, 4, 1u << 8);
	CHECK(v->spi[0].enable & 1u << 8);
	CHECK_EQ(rd(gicd, 0x104, 4), 1u << 8);
	wr(gicd, 0x184, 4, 1u << 8);
	CHECK(!(v->spi[0].enable & 1u << 8));
	uint32_t before = v->cpu[1].bits.enable;
	wr(gicd, 0x100, 4, 0xffff0000u);
	CHECK_EQ(v->cpu[1].bits.enable, before);
	CHECK_EQ(rd(gicd, 0x100, 4), 0);
	wr(gicd, 0x400 + 40, 1, 0x80);
	CHECK_EQ(v->priority[40], 0x80);
	wr(gicd, 0x400 + 24, 4, 0x10101010);                /* PPIs 24-27: ignored */
	CHECK_EQ(v->cpu[1].priority[27], 0xa0);
	CHECK_EQ(rd(gicd, 0x400 + 40, 4), 0xa0a0a080);
	wr(gicd, 0x84, 4, ~0u);
	CHECK_EQ(v->spi[0].group, ~0u);
	wr(gicd, 0xc08, 4, 0xffffffffu);                    /* ICFGR2: edge bits only */
	CHECK_EQ(v->config[2], 0xaaaaaaaau);
	CHECK_EQ(rd(gicd, 0xc04, 4), 0);                    /* ICFGR1: the redistributor's */
	wr(gicd, 0xc08, 4, 0);
	wr(gicd, 0x204, 4, 1u << 10);                       /* ISPENDR1: SPI 42 */
	CHECK(v->spi[0].pending & 1u << 10);
	wr(gicd, 0x284, 4, 1u << 10);
	CHECK(!(v->spi[0].pending & 1u << 10));
	CHECK_EQ(rd(gicd, 0x800 + 40, 4), 0);               /* no ITARGETSR */
	CHECK_EQ(rd(gicd, 0xf00, 4), 0);                    /* no SGIR */
}

static void redistributors(void)
{
	stub_current_vcpu = 0;     /* frames name their vCPU, whoever accesses them */
	for (unsigned c = 0; c < 4; c++) {
		uint64_t base = c * 0x20000ull;
		uint64_t typer = rd(gicr, base + 8, 8);
		CHECK_EQ(typer, (uint64_t)c << 32 | c << 8 | (c == 3 ? 0x10 : 0));
		CHECK_EQ(rd(gicr, base + 0xc, 4), c);
		CHECK_EQ(rd(gicr, base + 0xffe8, 4), 0x30);
		CHECK_EQ(rd(gicr, base + 0x14, 4), 0);
	}
	wr(gicr, 0x40014, 4, 0x2);                          /* vCPU 2: ProcessorSleep */
	CHECK_EQ(rd(gicr, 0x40014, 4), 0x6);
	wr(gicr, 0x40014, 4, 0);
	CHECK_EQ(rd(gicr, 0x40014, 4), 0);

	uint64_t sgi2 = 2 * 0x20000ull + 0x10000;
	wr(gicr, sgi2 + 0x80, 4, ~0u);                      /* IGROUPR0 */
	CHECK_EQ(v->cpu[2].bits.group, ~0u);
	CHECK_EQ(v->cpu[0].bits.group, 0);
	wr(gicr, sgi2 + 0x100, 4, 1u << 27);                /* ISENABLER0: the timer PPI */
	CHECK(v->cpu[2].bits.enable & 1u << 27);
	CHECK(!(v->cpu[0].bits.enable & 1u << 27));
	CHECK_EQ(rd(gicr, sgi2 + 0x100, 4), 0xffffu | 1u << 27);
	wr(gicr, sgi2 + 0x180, 4, ~0u);                     /* SGIs stay enabled */
	CHECK_EQ(v->cpu[2].bits.enable, 0xffff);
	wr(gicr, sgi2 + 0x100, 4, 1u << 27);
	wr(gicr, sgi2 + 0x400 + 27, 1, 0x40);
	CHECK_EQ(v->cpu[2].priority[27], 0x40);
	CHECK_EQ(v->cpu[0].priority[27], 0xa0);
	wr(gicr, sgi2 + 0x200, 4, 1u << 3);                 /* ISPENDR0: SGI 3, from itself */
	CHECK_EQ(v->cpu[2].sgi_pending[3], 1u << 2);
	CHECK(rd(gicr, sgi2 + 0x200, 4) & 1u << 3);
	wr(gicr, sgi2 + 0x280, 4, 1u << 3);
	CHECK_EQ(v->cpu[2].sgi_pending[3], 0);
	wr(gicr, sgi2 + 0x104, 4, ~0u);                     /* SPIs are not here */
	CHECK(!(v->spi[0].enable & 1u << 9));
	CHECK_EQ(rd(gicr, sgi2 + 0xc00, 4), 0xaaaaaaaau);   /* ICFGR0: SGIs edge */
	CHECK_EQ(rd(gicr, 4 * 0x20000ull + 8, 8), 0);       /* beyond the last vCPU */
}

static void sgi_registers(void)
{
	const uint32_t sgi1r = SYSREG_ENC(3, 0, 12, 11, 5), sgi0r = SYSREG_ENC(3, 0, 12, 11, 7);
	const uint32_t asgi1r = SYSREG_ENC(3, 0, 12, 11, 6);
	uint64_t val = 5ull << 24 | 0xd;                    /* SGI 5 to vCPUs 0, 2, 3 */
	CHECK_EQ(vgic_sysreg(v, 1, sgi1r, false, &val), VGIC_SYSREG_DONE);
	CHECK(v->cpu[0].sgi_pending[5] == 0x2 && v->cpu[2].sgi_pending[5] == 0x2 &&
	      v->cpu[3].sgi_pending[5] == 0x2 && v->cpu[1].sgi_pending[5] == 0);
	for (unsigned c = 0; c < 4; c++)
		v->cpu[c].sgi_pending[5] = 0;
	val = 6ull << 24 | 1ull << 40;                      /* IRM: all but the sender */
	vgic_sysreg(v, 2, sgi1r, false, &val);
	CHECK(v->cpu[0].sgi_pending[6] == 0x4 && v->cpu[1].sgi_pending[6] == 0x4 &&
	      v->cpu[3].sgi_pending[6] == 0x4 && v->cpu[2].sgi_pending[6] == 0);
	for (unsigned c = 0; c < 4; c++)
		v->cpu[c].sgi_pending[6] = 0;
	uint64_t elsewhere[] = {7ull << 24 | 1ull << 16 | 1,   /* Aff1 1 */
				7ull << 24 | 1ull << 32 | 1,   /* Aff2 1 */
				7ull << 24 | 1ull << 48 | 1,   /* Aff3 1 */
				7ull << 24 | 1ull << 44 | 1};  /* RS 1: Aff0 16 */
	for (unsigned i = 0; i < 4; i++)
		vgic_sysreg(v, 0, sgi1r, false, &elsewhere[i]);
	for (unsigned c = 0; c < 4; c++)
		CHECK_EQ(v->cpu[c].sgi_pending[7], 0);
	val = 0;
	CHECK_EQ(vgic_sysreg(v, 0, sgi1r, true, &val), VGIC_SYSREG_UNDEF);
	val = 4ull << 24 | 0xf;
	CHECK_EQ(vgic_sysreg(v, 0, sgi0r, false, &val), VGIC_SYSREG_DONE);
	CHECK_EQ(vgic_sysreg(v, 0, asgi1r, false, &val), VGIC_SYSREG_DONE);
	for (unsigned c = 0; c < 4; c++)
		CHECK_EQ(v->cpu[c].sgi_pending[4], 0);
	val = 0;
	CHECK_EQ(vgic_sysreg(v, 0, SYSREG_ICC_SRE_EL1, true, &val), VGIC_SYSREG_DONE);
	CHECK_EQ(val, 7);
	CHECK_EQ(vgic_sysreg(v, 0, SYSREG_ID_AA64PFR0, true, &val), VGIC_SYSREG_NOT_MINE);
	CHECK_EQ(vgic_guest_pfr0(v, 0x0f000011ull), 0x01000011ull);
	v->v3 = false;
	CHECK_EQ(vgic_sysreg(v, 0, sgi1r, false, &val), VGIC_SYSREG_NOT_MINE);
	CHECK_EQ(vgic_guest_pfr0(v, 0x0f000011ull), 0x11ull);
	v->v3 = true;
}

static void list_registers(void)
{
	CHECK_EQ(ich_lr_make(40, 0xa0, true, true),
		 40ull | 1ull << 41 | 0xa0ull << 48 | 1ull << 60 | 1ull << 62);
	CHECK_EQ(ich_lr_make(3, 0x40, false, false), 3ull | 0x40ull << 48 | 1ull << 62);
	CHECK_EQ(ich_lr_intid(3ull << 62 | 1ull << 60 | 1023), 1023);
	CHECK_EQ(ich_lr_state(3ull << 62 | 1ull << 60 | 1023), 3);

	/* vCPU 1: its timer PPI, SGI 2 from vCPUs 0 and 3, level SPI 40 routed to it. */
	v->cpu[1].bits.enable |= 1u << 27;
	v->cpu[1].bits.group = ~0u;
	v->cpu[1].priority[27] = 0x40;
	vgic_raise_private(v, 1, 27);
	v->cpu[1].sgi_pending[2] = 0x09;
	v->spi[0].enable |= 1u << 8 | 1u << 9;
	wr(gicd, 0x6000 + 8 * 40, 8, 1);
	vgic_set_level(v, 40, true);
	be->restore(v, 1);
	flush(1);
	CHECK_EQ(ich.hcr, ICH_HCR_EN);
	CHECK_EQ(lr_of(27), ich_lr_make(27, 0x40, true, false));
	CHECK_EQ(lr_of(2), ich_lr_make(2, 0xa0, true, false));
	CHECK_EQ(lr_of(40), ich_lr_make(40, 0x80, true, true));     /* level: EOI */
	CHECK_EQ(v->cpu[1].sgi_pending[2], 0);                        /* both sources, once */
	CHECK(v->owner[40] == 1 && (v->cpu[1].bits.in_lr & (1u << 27 | 1u << 2)));
	CHECK(!vgic_deliverable(v, 0, 40));

	/* vCPU 0 gets the interface: vCPU 1's state is parked, all of it. */
	ich.vmcr = 0x1234;
	ich.ap1r[0] = 0x8;
	ich.ap0r[3] = 0x1;
	switch_vcpu(1, 0);
	CHECK(lr_with(27) < 0 && lr_with(40) < 0 && ich.vmcr == 0 && ich.hcr == 0 &&
	      ich.ap1r[0] == 0 && ich.ap0r[3] == 0);
	flush(0);
	CHECK(lr_with(40) < 0 && lr_with(2) < 0);
	switch_vcpu(0, 1);
	CHECK(ich.vmcr == 0x1234 && ich.ap1r[0] == 0x8 && ich.ap0r[3] == 0x1 &&
	      ich.hcr == ICH_HCR_EN);
	CHECK(lr_with(27) >= 0 && lr_with(2) >= 0 && lr_with(40) >= 0);

	/* It completes the PPI and the SGI: collected at the next exit. */
	guest_eoi(27);
	guest_eoi(2);
	be->sync(v, 1);
	CHECK(!(v->cpu[1].bits.in_lr & (1u << 27 | 1u << 2)));
	CHECK(lr_with(27) < 0 && lr_with(2) < 0);

	/* The level SPI completed while its line is high: the EOI maintenance interrupt
	 * clears the EOI bit (EISR drops), and the next entry presents it again. */
	int n40 = lr_with(40);
	guest_eoi(40);
	ich.hcr |= ICH_HCR_UIE;
	CHECK(maint_fn != NULL);
	if (maint_fn)
		maint_fn(MAINT_IRQ, NULL);
	CHECK(n40 >= 0 && !(ich.lr[n40] & ICH_LR_EOI) && !(ich.hcr & ICH_HCR_UIE));
	ich.eisr = 0;                         /* the hardware's, with no EOI bit left */
	flush(1);
	CHECK_EQ(lr_of(40), ich_lr_make(40, 0x80, true, true));
	vgic_set_level(v, 40, false);
	guest_eoi(40);
	ich.eisr = 0;
	be->sync(v, 1);
	CHECK(!vgic_has_pending(v, 1));

	/* A forwarded (passthrough) edge SPI asks for EOI maintenance too; its completion
	 * reaches passthrough_eoi. */
	wr(gicd, 0x6000 + 8 * 41, 8, 1);
	arch_guest_irq_forward(&g, 41);
	arch_guest_irq_raise(&g, 41);
	flush(1);
	CHECK_EQ(lr_of(41), ich_lr_make(41, 0xa0, true, true));
	unsigned eois = stub_eoi_calls;
	guest_eoi(41);
	ich.eisr = 0;
	be->sync(v, 1);
	CHECK(stub_eoi_calls == eois + 1 && stub_eoi_virq == 41);
}

static void overflow_and_reset(void)
{
	switch_vcpu(1, 3);
	for (unsigned irq = 44; irq < 50; irq++) {
		v->spi[0].enable |= 1u << (irq % 32);
		wr(gicd, 0x6000 + 8 * irq, 8, 3);
		arch_guest_irq_raise(&g, irq);
	}
	flush(3);
	CHECK_EQ(ich.hcr, ICH_HCR_EN | ICH_HCR_UIE);
	CHECK(lr_with(44) >= 0 && lr_with(47) >= 0 && lr_with(48) < 0);
	for (unsigned irq = 44; irq < 48; irq++)
		guest_eoi(irq);
	flush(3);
	CHECK(ich.hcr == ICH_HCR_EN && lr_with(48) >= 0 && lr_with(49) >= 0);

	be->save(v, 3);
	CHECK(v->cpu[3].saved_lr[0] != 0 && v->cpu[1].saved_vmcr == 0x1234);
	/* A guest reset resets its devices: the distributor's reset is the whole vGIC's. */
	CHECK(gicd->ops->reset != NULL);
	if (gicd->ops->reset)
		gicd->ops->reset(gicd);
	CHECK(v->v3 && v->nr_cpus == 4 && !v->enabled && !v->cpu[3].bits.in_lr &&
	      !v->spi[0].pending && !v->spi[0].in_lr);
	for (unsigned c = 0; c < VGIC_MAX_VCPUS; c++)
		CHECK(v->cpu[c].saved_lr[0] == 0 && v->cpu[c].saved_vmcr == 0 &&
		      v->cpu[c].saved_ap1r[0] == 0);
}

/* vCPU 2's timer fires again while its first PPI 27 is active in a list register: the
 * list register asks for EOI maintenance, so the guest's EOI is an exit that presents the
 * second one (vgic_lr_test's pending_again has the why). */
static void pending_again(void)
{
	v->enabled = true;
	switch_vcpu(3, 2);
	v->cpu[2].bits.enable |= 1u << 27;
	v->cpu[2].bits.group = ~0u;
	v->cpu[2].priority[27] = 0x40;
	vgic_raise_private(v, 2, 27);
	flush(2);
	int n = lr_with(27);
	CHECK(n >= 0 && lr_of(27) == ich_lr_make(27, 0x40, true, false));
	ich.lr[n] = (ich.lr[n] & ~(3ull << ICH_LR_STATE_SHIFT)) | 2ull << ICH_LR_STATE_SHIFT;
	flush(2);
	CHECK(!(ich.lr[n] & ICH_LR_EOI));
	vgic_raise_private(v, 2, 27);
	flush(2);
	CHECK(lr_with(27) == n && (ich.lr[n] & ICH_LR_EOI) && ich_lr_state(ich.lr[n]) == 2);
	guest_eoi(27);
	CHECK(ich.eisr == 1ull << n && maint_fn != NULL);
	if (maint_fn)
		maint_fn(MAINT_IRQ, NULL);
	CHECK(!(ich.lr[n] & ICH_LR_EOI));             /* the handler lowered the request */
	ich.eisr = 0;
	flush(2);
	CHECK_EQ(lr_of(27), ich_lr_make(27, 0x40, true, false));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: vgic_ich_test <guest.dtb>\n");
		return 2;
	}
	ich.vtr = (NR_LRS - 1) | 6ull << 26;                /* 4 LRs, 7 preemption bits */
	ich.sre2 = 0x1;
	CHECK(vgic_host_init() == 0);
	CHECK_STR(vgic_backend_name(), "gicv3 list registers (ich)");
	CHECK(vgic_backend_gicv3());
	CHECK_EQ(ich.sre2, 0x9);                            /* SRE | Enable */
	CHECK_EQ(ich.sre1, 0x7);
	g.arch.vgic.guest = &g;
	probe_and_tree(argv[1]);
	if (!gicd || !gicr)
		return check_summary("vgic_ich_test");
	distributor();
	redistributors();
	sgi_registers();
	list_registers();
	overflow_and_reset();
	pending_again();
	return check_summary("vgic_ich_test");
}
