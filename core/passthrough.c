/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device passthrough, the hypervisor's side (see passthrough.h and
 * docs/passthrough.md); the pure decisions are in core/lib/passthrough_lib.c.
 *
 * Interrupts: the host handler masks the device's interrupt at the host
 * controller and makes the guest's virtual interrupt pending; when the guest
 * completes it (its EOI, seen by whichever vGIC backend runs) the host
 * interrupt is unmasked. A level line that is still high fires again then. A
 * guest that never completes one only keeps its own device quiet.
 */
#include <arch/guest_irq.h>
#include <arch/guest_setup.h>
#include <mamoru/board.h>
#include <mamoru/console.h>
#include <mamoru/driver.h>
#include <mamoru/fdt_write.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>
#include <mamoru/irq.h>
#include <mamoru/libc.h>
#include <mamoru/mm.h>
#include <mamoru/passthrough.h>
#include <mamoru/passthrough_lib.h>
#include <mamoru/serial.h>

#define PT_PER_GUEST 4
#define PT_MAX (GUEST_MAX * PT_PER_GUEST)
#define BUSY_MAX 32
#define PROP "mamoru,passthrough"

struct pt_irq {
	struct guest *g;
	unsigned host, virq;
	bool masked;             /* disabled at the host until the guest completes it */
};

struct pt_dev {
	struct guest *g;         /* NULL: free slot */
	bool attached;
	char owner[GUEST_NAME_MAX + 48];   /* "guest0's virtio_mmio@a000000" */
	const char *compat;
	struct pt_node node;     /* host node, reg, guest interrupts */
	struct pt_irq irq[PT_MAX_IRQS];
	unsigned host_irq[PT_MAX_IRQS];
	struct fdt_dma_range dma[PT_MAX_DMA];   /* what its bus masters reach (ndma 0: everything) */
	int ndma;
};

/*
 * A device keeps running across a guest reset or halt unless told otherwise: a
 * virtio device would go on writing received data into buffers of the previous
 * boot, in RAM that now holds the new one. Devices of a compatible listed here
 * are stopped (reset) then; others are left as they are.
 */
#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_STATUS 0x070

static void virtio_mmio_stop(uint64_t base)
{
	if (mmio_read32((uintptr_t)base + VIRTIO_MMIO_MAGIC) != 0x74726976u)   /* "virt" */
		return;
	mmio_write32((uintptr_t)base + VIRTIO_MMIO_STATUS, 0);                  /* device reset */
	/* The reset is done when Status reads 0 again (virtio 1.x, 4.2.2.1); bounded. */
	for (int i = 0; i < 100000 && mmio_read32((uintptr_t)base + VIRTIO_MMIO_STATUS); i++)
		;
}

/* SD Host Controller (SD Host Controller Simplified Specification): Software Reset
 * for All, the byte at 0x2f, written as part of the 32-bit word at 0x2c (the Pi's
 * Arasan controller takes 32-bit accesses only); it also stops the SD clock. */
#define SDHCI_CLOCK_RESET 0x02c
#define SDHCI_RESET_ALL (1u << 24)

static void sdhci_stop(uint64_t base)
{
	mmio_write32((uintptr_t)base + SDHCI_CLOCK_RESET, SDHCI_RESET_ALL);
}

/* What `guest list` shows of an SD host, read from the device when listed: whether
 * its internal and SD clocks run (Clock Control, the low half of 0x2c: bits 0 and
 * 2). A reset controller reads 0 there: the proof that a halt stopped it. */
#define SDHCI_CLOCK_INTERNAL (1u << 0)
#define SDHCI_CLOCK_SD (1u << 2)

static const char *sdhci_state(uint64_t base)
{
	uint32_t clk = mmio_read32((uintptr_t)base + SDHCI_CLOCK_RESET);
	if (clk & SDHCI_CLOCK_SD)
		return "SD clock on";
	return clk & SDHCI_CLOCK_INTERNAL ? "SD clock off, internal clock on" : "clocks off";
}

/* The Synopsys DWC2 USB controller (brcm,bcm2835-usb), its global registers as the
 * core's published register map names them: AHB configuration (bit 0: the global
 * interrupt mask, 1 = interrupts go out), reset control (bit 0: core soft reset, set
 * until done; bit 31: the AHB master is idle), interrupt status (bit 0: the current
 * mode, 1 = host) and mask, the host port (bit 0: a device connected, bit 2: port
 * enabled). */
#define DWC2_GAHBCFG 0x008
#define DWC2_GRSTCTL 0x010
#define DWC2_GINTSTS 0x014
#define DWC2_GINTMSK 0x018
#define DWC2_HPRT0 0x440
#define DWC2_GLBL_INTR_EN (1u << 0)
#define DWC2_CSFTRST (1u << 0)
#define DWC2_AHBIDLE (1u << 31)
#define DWC2_HOST_MODE (1u << 0)
#define DWC2_PORT_CONNECTED (1u << 0)
#define DWC2_PORT_ENABLED (1u << 2)
#define DWC2_POLLS 100000

static bool dwc2_wait(uintptr_t reg, uint32_t mask, uint32_t want)
{
	for (int i = 0; i < DWC2_POLLS; i++)
		if ((mmio_read32(reg) & mask) == want)
			return true;
	return false;
}

/* Interrupts off, then a core soft reset, which stops the host channels and the DMA
 * they do: the AHB master idle first, the reset bit until the core clears it, idle
 * again after. Bounded: a core that never answers is left as it is. The port is not
 * disabled here: QEMU's model (10.0) aborts when a pending transfer meets a disabled
 * port, and the soft reset is the core's own way to stop. */
static void dwc2_stop(uint64_t base)
{
	uintptr_t b = (uintptr_t)base;
	mmio_write32(b + DWC2_GAHBCFG, mmio_read32(b + DWC2_GAHBCFG) & ~DWC2_GLBL_INTR_EN);
	/* Every core interrupt masked and acknowledged (GINTSTS is write-1-to-clear), as the
	 * soft reset would leave them: the next boot's driver meets a quiet line. */
	mmio_write32(b + DWC2_GINTMSK, 0);
	mmio_write32(b + DWC2_GINTSTS, 0xffffffffu);
	dwc2_wait(b + DWC2_GRSTCTL, DWC2_AHBIDLE, DWC2_AHBIDLE);
	mmio_write32(b + DWC2_GRSTCTL, mmio_read32(b + DWC2_GRSTCTL) | DWC2_CSFTRST);
	dwc2_wait(b + DWC2_GRSTCTL, DWC2_CSFTRST, 0);
	dwc2_wait(b + DWC2_GRSTCTL, DWC2_AHBIDLE, DWC2_AHBIDLE);
}

/* What `guest list` shows of it: host or device mode, in host mode the port, and
 * whether its interrupts are on (the guest's driver sets the mask; a stop clears it). */
static const char *dwc2_state(uint64_t base)
{
	static char buf[64];
	uintptr_t b = (uintptr_t)base;
	uint32_t port = mmio_read32(b + DWC2_HPRT0);
	bool host_mode = mmio_read32(b + DWC2_GINTSTS) & DWC2_HOST_MODE;
	m_snprintf(buf, sizeof(buf), "%s%s, interrupts %s", host_mode ? "host mode" : "device mode",
		   !host_mode ? "" : port & DWC2_PORT_ENABLED ? ", port enabled" :
		   port & DWC2_PORT_CONNECTED ? ", port connected" : ", port empty",
		   mmio_read32(b + DWC2_GAHBCFG) & DWC2_GLBL_INTR_EN ? "on" : "off");
	return buf;
}

static const struct {
	const char *compatible;
	void (*stop)(uint64_t base);
	const char *(*state)(uint64_t base);    /* NULL: nothing to show */
} stoppers[] = {
	{"virtio,mmio", virtio_mmio_stop, NULL},
	{"brcm,bcm2835-sdhci", sdhci_stop, sdhci_state},
	{"brcm,bcm2835-usb", dwc2_stop, dwc2_state},
};

static const struct fdt *host;
static struct pt_range busy[BUSY_MAX];
static size_t nbusy;
static struct pt_dev devs[PT_MAX];

/* The device after prev (NULL: the first) that g selected and has attached (attached
 * true) or selected only, not attached yet (false); NULL after the last:
 *     for (struct pt_dev *d = NULL; (d = next_dev(g, true, d)); ) */
static struct pt_dev *next_dev(const struct guest *g, bool attached, const struct pt_dev *prev)
{
	for (struct pt_dev *d = prev ? &devs[prev - devs + 1] : devs; d < devs + PT_MAX; d++)
		if (d->g == g && d->attached == attached)
			return d;
	return NULL;
}

/* Set when the hypervisor's own ranges did not all fit in busy[]: then nothing is passed
 * (a range not recorded would be a range not protected). */
static bool busy_overflow;

static void add_busy(uint64_t base, uint64_t size, const char *owner)
{
	if (!size)
		return;
	if (nbusy == BUSY_MAX)
		busy_overflow = true;
	else
		busy[nbusy++] = (struct pt_range){base, size, owner};
}

static void add_node_regs(const struct fdt *fdt, int node, const char *owner)
{
	uint64_t a, s;
	for (int i = 0; node >= 0 && !fdt_get_reg(fdt, node, i, &a, &s); i++)
		add_busy(a, s, owner);
}

void passthrough_host_init(const struct fdt *fdt)
{
	static const struct { enum driver_class cls; const char *what; } mine[] = {
		{DRV_IRQCHIP, "the hypervisor's interrupt controller"},
		{DRV_POWER, "the hypervisor's power controller"},
		{DRV_TIMER, "the hypervisor's timer"},
		{DRV_PINCTRL, "the hypervisor's pin controller"},
	};
	const struct driver *drv;
	host = fdt;
	nbusy = 0;
	busy_overflow = false;
	struct serial_port *con = serial_console_port();
	if (con) {
		add_busy(con->base, con->size ? con->size : PT_PAGE, "the hypervisor's console UART");
		add_node_regs(fdt, con->node, "the hypervisor's console UART");
	}
	for (size_t i = 0; i < ARRAY_SIZE(mine); i++)
		add_node_regs(fdt, driver_find_node(fdt, mine[i].cls, &drv), mine[i].what);
	for (size_t i = 0; i < mm.nram; i++)
		add_busy(mm.ram[i].base, mm.ram[i].size, "RAM");
}

static const char *other_guests(const struct guest *g, uint64_t base, uint64_t size);

const struct fdt *passthrough_host_tree(void)
{
	return host;
}

const char *passthrough_reserve(uint64_t base, uint64_t size, const char *owner)
{
	const char *other = other_guests(NULL, base, size);
	if (!other)
		add_busy(base, size, owner);
	return other;
}

const char *passthrough_owner(uint64_t base, uint64_t size)
{
	return other_guests(NULL, base, size);
}

/* The owner of another guest's device sharing a page with [base, base + size), or NULL
 * (g NULL: any guest's). */
static const char *other_guests(const struct guest *g, uint64_t base, uint64_t size)
{
	for (int i = 0; i < PT_MAX; i++) {
		const struct pt_dev *d = &devs[i];
		if (!d->g || d->g == g)
			continue;
		struct pt_range r[PT_MAX_REGS];
		for (int k = 0; k < d->node.nreg; k++)
			r[k] = (struct pt_range){d->node.reg[k][0], d->node.reg[k][1], d->owner};
		const struct pt_range *c = pt_conflict(base, size, r, (size_t)d->node.nreg);
		if (c)
			return c->owner;
	}
	return NULL;
}

static const char *node_status(const struct fdt *fdt, int node)
{
	const char *s = fdt_getprop_str(fdt, node, "status");
	return s && strcmp(s, "okay") && strcmp(s, "ok") ? s : NULL;
}

/*
 * The rate of a passed node's (first) clock, for the fixed-clock the guest gets
 * instead of the host's clock provider: a fixed-clock provider's own
 * clock-frequency, else what the board says (the Pi's firmware knows its
 * clocks). Nonzero when it is unknown.
 */
static int clock_rate(int node, uint32_t *hz)
{
	uint32_t ph;
	int clk = fdt_getprop_u32(host, node, "clocks", &ph) ? -1 : fdt_node_by_phandle(host, ph);
	*hz = 0;
	if (clk >= 0 && fdt_is_compatible(host, clk, "fixed-clock"))
		fdt_getprop_u32(host, clk, "clock-frequency", hz);
	else if (board_desc.passthrough_clock && board_desc.passthrough_clock(host, node, hz))
		*hz = 0;
	return *hz ? 0 : -1;
}

/*
 * Another enabled node of the host tree on interrupt hirq of node (through the same
 * interrupt controller), which the board could not silence: its name, or NULL. A
 * device the hypervisor does not drive can still signal (the firmware or a previous
 * boot may have left its interrupts enabled), and its interrupts would reach the
 * guest and, masked until the guest completes them, stay unserviced there. The
 * board silences such a device (board_desc.passthrough_quiesce) or the line is not
 * given away.
 */
static const char *shared_line(int node, unsigned hirq)
{
	int ctrl = fdt_interrupt_parent(host, node);   /* a passed node has no interrupts-extended */
	for (int n = -1; (n = pt_next_sharing(host, node, ctrl, hirq, n, irq_xlate)) >= 0; ) {
		if (!board_desc.passthrough_quiesce || board_desc.passthrough_quiesce(host, n))
			return fdt_node_name(host, n);
		printk("passthrough: %s silenced (it shares interrupt %u)\n", fdt_node_name(host, n),
		       hirq);
	}
	return NULL;
}

/* Checks one requested host node for g: NULL and d filled in, or why not (in why). */
static const char *check_node(struct guest *g, const char *path, struct pt_dev *d, char *why,
			      size_t len)
{
	int node = fdt_path_offset(host, path);
	if (node < 0)
		return "no such node in the host's device tree";
	if (node_status(host, node))
		return "disabled in the host's device tree";
	if (busy_overflow)
		return "the hypervisor's own devices did not all fit in its list of them";
	for (int i = 0; i < PT_MAX; i++)
		if (devs[i].g == g && devs[i].node.host_node == node)
			return "asked for twice";
	memset(&d->node, 0, sizeof(d->node));
	d->node.host_node = node;
	uint64_t a, s, pa, ps;
	for (int i = 0; !fdt_get_reg(host, node, i, &a, &s); i++) {
		if (i == PT_MAX_REGS)
			return "more than 4 reg entries";
		if (pt_page_span(a, s, &pa, &ps))
			return "a reg entry is empty or wraps around";
		/* What it would share with the hypervisor or another guest is said first:
		 * that is the refusal that matters. */
		const struct pt_range *c = pt_conflict(a, s, busy, nbusy);
		const char *other = other_guests(g, a, s);
		if (c || other) {
			m_snprintf(why, len, "its page at 0x%llx is shared with %s",
				   (unsigned long long)ALIGN_DOWN(a, PT_PAGE), c ? c->owner : other);
			return why;
		}
		if (a % PT_PAGE)
			return "its registers do not start on a page boundary";
		d->node.reg[i][0] = a;
		d->node.reg[i][1] = s;
		d->node.nreg = i + 1;
	}
	if (!d->node.nreg)
		return "it has no registers (reg)";
	if (!pt_allowed(host, node, board_desc.passthrough_allow, &d->compat))
		return "not on this board's passthrough allowlist";
	const char *board_why = board_desc.passthrough_check ?
				board_desc.passthrough_check(host, node) : NULL;
	if (board_why)
		return board_why;
	if (fdt_getprop(host, node, "interrupts-extended", NULL))
		return "interrupts-extended is not supported";
	if (fdt_getprop(host, node, "clocks", NULL) && clock_rate(node, &d->node.clock_hz))
		return "the rate of its clock is unknown (a clock controller is never passed)";
	uint32_t cells[4];
	int ncells;
	for (int i = 0; !fdt_get_interrupt(host, node, i, cells, 4, &ncells); i++) {
		unsigned hirq;
		if (i == PT_MAX_IRQS)
			return "more than 4 interrupts";
		if (irq_of_node(host, node, i, &hirq) || hirq < 32) {
			m_snprintf(why, len, "its interrupt %d is not a shared peripheral interrupt of "
				   "the host's controller", i);
			return why;
		}
		if (irq_registered(hirq)) {
			m_snprintf(why, len, "its interrupt %u is taken (%s)", hirq,
				   irq_name(hirq) ? irq_name(hirq) : "?");
			return why;
		}
		/* Selected but not attached yet: not registered, so look at the selections. */
		for (int k = 0; k < PT_MAX; k++) {
			const struct pt_dev *o = &devs[k];
			for (int j = 0; o->g && o != d && j < o->node.nirq; j++)
				if (o->host_irq[j] == hirq) {
					m_snprintf(why, len, "its interrupt %u is shared with %s", hirq,
						   o->owner);
					return why;
				}
		}
		const char *other = shared_line(node, hirq);
		if (other) {
			m_snprintf(why, len, "its interrupt %u is shared with %s, which is enabled and "
				   "cannot be silenced", hirq, other);
			return why;
		}
		d->host_irq[i] = hirq;
		d->node.irq_flags[i] = ncells >= 3 ? cells[2] : 4;   /* else level-high */
		d->node.nirq = i + 1;
	}
	/* What its bus masters reach (the guest's tree gets the same translation, and its
	 * RAM must lie there: passthrough_ram_reach). */
	d->ndma = pt_dma_windows(host, node, d->dma, PT_MAX_DMA);
	if (d->ndma < 0)
		return "the dma-ranges of its bus cannot be read (or the bus is not at the root)";
	/* Last, once everything else holds: its power domain, which the guest does not get. */
	if (fdt_getprop(host, node, "power-domains", NULL)) {
		const char *off = board_desc.passthrough_power ? board_desc.passthrough_power(host, node)
							       : "this board cannot switch it";
		if (off) {
			m_snprintf(why, len, "its power domain is not on: %s", off);
			return why;
		}
	}
	return NULL;
}

static const char *requested(const struct guest *g, const struct fdt *gdt, int *len)
{
	int chosen = fdt_path_offset(gdt, "/chosen");
	const char *list = chosen >= 0 ? fdt_getprop(gdt, chosen, PROP, len) : NULL;
	if (list)
		return list;
	/* No property: the board's default, for the first guest only. */
	if (g->id != 0 || !board_desc.passthrough_default)
		return NULL;
	*len = (int)board_desc.passthrough_default_len;
	return board_desc.passthrough_default;
}

static void release(struct guest *g)
{
	for (struct pt_dev *d = NULL; (d = next_dev(g, false, d)); )
		d->g = NULL;
}

bool passthrough_select(struct guest *g, const struct fdt *gdt)
{
	int len = 0, pos = 0, n = 0;
	const char *list = host ? requested(g, gdt, &len) : NULL;
	release(g);
	for (const char *path; list && (path = pt_next_string(list, len, &pos));) {
#ifndef CONFIG_PASSTHROUGH
		printk("%s: passthrough %s refused: passthrough is off in this build (Kconfig "
		       "PASSTHROUGH); the guest runs without it\n", g->name, path);
		continue;
#endif
		struct pt_dev *d = NULL;
		char why[160];
		for (int i = 0; i < PT_MAX && !d; i++)
			if (!devs[i].g)
				d = &devs[i];
		const char *err = n == PT_PER_GUEST || !d ? "too many devices for one guest" :
				  check_node(g, path, d, why, sizeof(why));
		if (err) {
			printk("%s: passthrough %s refused: %s; the guest runs without it\n", g->name,
			       path, err);
			continue;
		}
		d->g = g;
		d->attached = false;
		m_snprintf(d->owner, sizeof(d->owner), "%s's %s", g->name,
			   fdt_node_name(host, d->node.host_node));
		n++;
	}
	return n > 0;
}

uint64_t passthrough_ram_limit(const struct guest *g)
{
	uint64_t limit = UINT64_MAX;
	for (const struct pt_dev *d = NULL; (d = next_dev(g, false, d)); ) {
		if (d->ndma <= 0)
			continue;
		/* pt_dma_windows checked that the last byte does not wrap; the end may. */
		uint64_t last = d->dma[0].parent + d->dma[0].size - 1;
		if (last < UINT64_MAX && last + 1 < limit)
			limit = last + 1;
	}
	return limit;
}

bool passthrough_ram_reach(struct guest *g, uint64_t base, uint64_t size)
{
	bool left = false;
	for (struct pt_dev *d = NULL; (d = next_dev(g, false, d)); ) {
		if (pt_dma_reaches(d->dma, d->ndma, base, size)) {
			left = true;
			continue;
		}
		printk("%s: passthrough %s refused: its DMA reaches 0x%llx-0x%llx, not the guest's "
		       "RAM at 0x%llx; the guest runs without it\n", g->name,
		       fdt_node_name(host, d->node.host_node), (unsigned long long)d->dma[0].parent,
		       (unsigned long long)(d->dma[0].parent + d->dma[0].size - 1),
		       (unsigned long long)base);
		d->g = NULL;
	}
	return left;
}

static void forward(unsigned irq, void *arg)
{
	struct pt_irq *p = arg;
	irq_disable(irq);
	p->masked = true;
	/* Raised for a halted guest too: a halted guest's interrupts are masked, so this is
	 * the window where guest_start resets it (still "halted") and a device's line that
	 * is already high fires as soon as passthrough_reset unmasks it. Dropped, it would
	 * stay masked for good, the guest never completing an interrupt it never saw. */
	if (p->g->state != GUEST_FAILED)
		arch_guest_irq_raise(p->g, p->virq);
}

/* The checks that need the guest's emulated devices and interrupt numbers. */
static const char *check_guest_side(struct guest *g, struct pt_dev *d, uint32_t *used,
				    unsigned nr)
{
	for (int k = 0; k < d->node.nreg; k++) {
		uint64_t a, s;
		if (pt_page_span(d->node.reg[k][0], d->node.reg[k][1], &a, &s))
			return "a reg entry is empty or wraps around";
		for (unsigned v = 0; v < g->nvdevs; v++) {
			const struct vdev *e = &g->vdevs[v];
			if (a < e->base + e->size && e->base < a + s)
				return "its address is where the guest has an emulated device";
		}
		if (a < g->ram_ipa + g->ram_size && g->ram_ipa < a + s)
			return "its address is in the guest's RAM";
	}
	uint32_t trial[PT_MAX_IRQS];
	for (int i = 0; i < d->node.nirq; i++) {
		int v = pt_guest_irq(d->host_irq[i], used, nr);
		if (v < 0) {
			for (int k = 0; k < i; k++)
				used[trial[k] / 32] &= ~(1u << (trial[k] % 32));
			return "the guest's interrupt controller has no free interrupt left";
		}
		trial[i] = (uint32_t)v;
		used[v / 32] |= 1u << (v % 32);
		d->node.virq[i] = (unsigned)v;
	}
	return NULL;
}

int passthrough_attach(struct guest *g, const struct fdt *gdt)
{
	uint32_t used[1024 / 32] = {0};
	unsigned nr = MIN(arch_guest_irq_count(), 1024u);
	struct pt_node nodes[PT_PER_GUEST];
	int n = 0;
	if (!next_dev(g, false, NULL))
		return 0;                  /* nothing asked for or all refused: RAM where it was */
	pt_mark_guest_irqs(gdt, used, nr);
	/* RAM placed 1:1 must not cover anything the guest's tree puts elsewhere. */
	int clash = pt_find_overlap(gdt, g->ram_ipa, g->ram_size);
	if (clash >= 0) {
		printk("%s: its RAM at 0x%llx (1:1 for its passed devices) covers its %s\n",
		       g->name, (unsigned long long)g->ram_ipa, fdt_node_name(gdt, clash));
		release(g);
		return -1;
	}
	for (struct pt_dev *d = NULL; (d = next_dev(g, false, d)); ) {
		const char *path = fdt_node_name(host, d->node.host_node);
		const char *why = check_guest_side(g, d, used, nr);
		for (int k = 0; !why && k < d->node.nreg; k++) {
			uint64_t a, s;
			if (pt_page_span(d->node.reg[k][0], d->node.reg[k][1], &a, &s) ||
			    arch_guest_map_device(g, a, a, s))
				why = "this CPU cannot map it into the guest";
		}
		if (why) {
			printk("%s: passthrough %s refused: %s; the guest runs without it\n", g->name,
			       path, why);
			d->g = NULL;
			continue;
		}
		for (int k = 0; k < d->node.nirq; k++) {
			d->irq[k] = (struct pt_irq){.g = g, .host = d->host_irq[k],
						    .virq = d->node.virq[k], .masked = true};
			/* Checked free at selection, and nothing registers interrupts since. */
			if (irq_register_vcpu(d->host_irq[k], d->owner, forward, &d->irq[k]))
				printk("%s: passthrough %s: interrupt %u could not be registered\n",
				       g->name, path, d->host_irq[k]);
			arch_guest_irq_forward(g, d->node.virq[k]);
		}
		d->attached = true;
		nodes[n++] = d->node;
		printk("%s: passthrough %s (%s)", g->name, path, d->compat);
		for (int k = 0; k < d->node.nirq; k++)
			printk(" irq %u -> %u", d->host_irq[k], d->node.virq[k]);
		printk("\n");
	}

	/* The guest's own tree with /memory at its 1:1 base and the passed nodes. */
	size_t cap = gdt->totalsize + 2048 + (size_t)n * 4096, names_cap = gdt->strings_size + 512;
	uint8_t *out = kmalloc(cap);
	char *names = kmalloc(names_cap);
	size_t size = 0;
	int err = out && names ? pt_build_guest_dt(gdt, host, nodes, n, g->ram_ipa, g->ram_size, out,
						   cap, names, names_cap, &size)
			       : FDTW_ERR_NOSPACE;
	kfree(names);
	if (err) {
		kfree(out);
		printk("%s: cannot write its device tree with the passed devices: %s\n", g->name,
		       fdtw_strerror(err));
		return -1;
	}
	g->image.dtb = out;
	g->image.dtb_size = size;
	g->dtb_on_heap = true;
	return 0;
}

static void stop_device(const struct pt_dev *d)
{
	for (size_t i = 0; i < ARRAY_SIZE(stoppers); i++)
		if (!strcmp(d->compat, stoppers[i].compatible))
			stoppers[i].stop(d->node.reg[0][0]);
}

void passthrough_release(struct guest *g)
{
	for (struct pt_dev *d = NULL; (d = next_dev(g, true, d)); ) {
		stop_device(d);
		for (int k = 0; k < d->node.nirq; k++)
			irq_unregister(d->irq[k].host);
		d->attached = false;
	}
	release(g);                  /* every device of g is now only selected: freed */
}

void passthrough_reset(struct guest *g)
{
	for (struct pt_dev *d = NULL; (d = next_dev(g, true, d)); ) {
		for (int k = 0; k < d->node.nirq; k++) {
			struct pt_irq *p = &d->irq[k];
			arch_guest_irq_forward(g, p->virq);    /* the vGIC's reset forgot it */
			p->masked = false;
			irq_enable(p->host);
		}
	}
}

void passthrough_stop(struct guest *g)
{
	for (struct pt_dev *d = NULL; (d = next_dev(g, true, d)); ) {
		for (int k = 0; k < d->node.nirq; k++) {
			irq_disable(d->irq[k].host);
			d->irq[k].masked = true;
		}
		stop_device(d);
	}
}

void passthrough_eoi(struct guest *g, unsigned virq)
{
	for (struct pt_dev *d = NULL; (d = next_dev(g, true, d)); ) {
		for (int k = 0; k < d->node.nirq; k++) {
			struct pt_irq *p = &d->irq[k];
			if (p->virq == virq && p->masked && g->state != GUEST_HALTED &&
			    g->state != GUEST_FAILED) {
				p->masked = false;
				irq_enable(p->host);
			}
		}
	}
}

void passthrough_list(struct console *con, const struct guest *g, const char *indent)
{
	for (const struct pt_dev *d = NULL; (d = next_dev(g, true, d)); ) {
		con_printf(con, "%spassthrough %s (%s)", indent, fdt_node_name(host, d->node.host_node),
			   d->compat);
		for (int k = 0; k < d->node.nirq; k++)
			con_printf(con, " irq %u -> %u%s", d->irq[k].host, d->irq[k].virq,
				   d->irq[k].masked ? " (masked)" : "");
		for (size_t i = 0; i < ARRAY_SIZE(stoppers); i++)
			if (stoppers[i].state && !strcmp(d->compat, stoppers[i].compatible))
				con_printf(con, ": %s", stoppers[i].state(d->node.reg[0][0]));
		con_printf(con, "\n");
	}
}
