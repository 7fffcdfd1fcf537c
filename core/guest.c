/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest lifecycle. A guest is described entirely by its own device tree
 * (from the bundle): its RAM, its UART and its interrupt controller are
 * read from there, so the addresses the guest kernel sees and the ones the
 * hypervisor emulates cannot disagree. The hypervisor places the images in
 * guest RAM itself: kernel at RAM base + text_offset, DTB in the top 2 MiB,
 * initrd just below it, and writes the initrd location (and a KASLR seed,
 * when the DTB asks for one) into the guest's copy of its DTB.
 */
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <arch/vcpu_run.h>
#include <emulators/pl011.h>
#include <mamoru/console.h>
#include <mamoru/fdt.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>
#include <mamoru/libc.h>
#include <mamoru/serial.h>

#define IMAGE_MAGIC 0x644d5241u        /* "ARM\x64" at offset 0x38 */
#define DTB_AREA (2ull << 20)
#define RAM_ALIGN (2ull << 20)
#define GUEST_RAM_MAX (1ull << 30)
#define REPORT_LIMIT 8     /* bad accesses reported per guest before going quiet */

struct guest guests[GUEST_MAX];

const char *guest_state_name(enum guest_state s)
{
	switch (s) {
	case GUEST_LOADED: return "loaded";
	case GUEST_RUNNING: return "running";
	case GUEST_PAUSED: return "paused";
	case GUEST_HALTED: return "halted";
	case GUEST_FAILED: return "failed";
	default: return "empty";
	}
}

struct guest *guest_by_name(const char *name)
{
	for (int i = 0; i < GUEST_MAX; i++)
		if (guests[i].state != GUEST_EMPTY && !strcmp(guests[i].name, name))
			return &guests[i];
	return NULL;
}

struct guest *guest_lookup(struct console *con, const char *name)
{
	struct guest *g = guest_by_name(name ? name : "guest0");
	if (!g)
		con_printf(con, "error: no guest '%s' (see 'guest list')\n", name ? name : "guest0");
	return g;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void put_be(uint8_t *p, uint64_t v, int len)
{
	for (int i = len - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Fills a fixed-size property of the guest's DTB copy in place. */
static bool patch_prop(struct fdt *fdt, int node, const char *name, uint64_t value)
{
	int len;
	const uint8_t *p = fdt_getprop(fdt, node, name, &len);
	if (!p || (len != 4 && len != 8))
		return false;
	put_be((uint8_t *)(uintptr_t)p, value, len);
	return true;
}

static int fail(struct guest *g, const char *why)
{
	printk("%s: %s\n", g->name, why);
	m_snprintf(g->reason, sizeof(g->reason), "not loaded: %s", why);
	return -1;
}

/* Reads what the hypervisor needs from the guest's device tree. */
static int setup_from_dtb(struct guest *g)
{
	struct fdt fdt;
	int err = fdt_init(&fdt, g->image.dtb, g->image.dtb_size);
	if (err)
		return fail(g, fdt_strerror(err));

	int mem = -1;
	for (int n = fdt_first_child(&fdt, fdt_root(&fdt)); n >= 0; n = fdt_next_sibling(&fdt, n)) {
		const char *type = fdt_getprop_str(&fdt, n, "device_type");
		if (type && !strcmp(type, "memory")) {
			mem = n;
			break;
		}
	}
	if (mem < 0 || fdt_get_reg(&fdt, mem, 0, &g->ram_ipa, &g->ram_size))
		return fail(g, "guest device tree has no memory node");
	if (g->ram_size < 16 * DTB_AREA || g->ram_size > GUEST_RAM_MAX || (g->ram_ipa | g->ram_size) % RAM_ALIGN ||
	    g->ram_ipa + g->ram_size > (1ull << S2_IPA_BITS))
		return fail(g, "guest RAM must be 32 MiB to 1 GiB, 2 MiB aligned, below 512 GiB");

	size_t pages = g->ram_size / PAGE_SIZE;
	void *ram = pages_alloc(&sys_pages, pages, RAM_ALIGN / PAGE_SIZE);
	if (!ram)
		return fail(g, "not enough free memory for guest RAM");
	g->ram_host = (uintptr_t)ram;

	g->s2 = &g->s2_tables;
	if (stage2_init(g->s2, (uint16_t)(g->id + 1)) ||
	    stage2_map(g->s2, g->ram_ipa, g->ram_host, g->ram_size, S2_RAM))
		return fail(g, "cannot build stage-2 tables");

	int gic = fdt_find_compatible(&fdt, -1, "arm,cortex-a15-gic");
	if (gic < 0)
		gic = fdt_find_compatible(&fdt, -1, "arm,gic-400");
	uint64_t gicd, gicd_size, gicc, gicc_size;
	if (gic < 0 || fdt_get_reg(&fdt, gic, 0, &gicd, &gicd_size) || fdt_get_reg(&fdt, gic, 1, &gicc, &gicc_size))
		return fail(g, "guest device tree has no GICv2 with distributor and CPU interface");
	if (vgic_guest_init(g, gicd, gicc, gicc_size))
		return fail(g, "cannot set up the virtual GIC");

	int uart = fdt_find_compatible(&fdt, -1, "arm,pl011");
	uint64_t ubase, usize;
	uint32_t cells[3];
	int ncells;
	if (uart < 0 || fdt_get_reg(&fdt, uart, 0, &ubase, &usize) ||
	    fdt_get_interrupt(&fdt, uart, 0, cells, 3, &ncells) || ncells != 3 || cells[0] != 0 || cells[1] >= 32)
		return fail(g, "guest device tree has no PL011 with an SPI");
	if (vpl011_create(g, ubase, 32 + cells[1]))
		return fail(g, "cannot create the guest UART");
	return 0;
}

int guest_create(struct guest *g, const char *name, const struct guest_image *img)
{
	memset(g, 0, sizeof(*g));
	g->id = (int)(g - guests);
	m_snprintf(g->name, sizeof(g->name), "%s", name);
	g->image = *img;
	g->vcpu.guest = g;

	/* Listed as failed (with the reason) until it is fully set up. */
	g->state = GUEST_FAILED;
	if (!img->kernel || img->kernel_size < 64 || le32(img->kernel + 0x38) != IMAGE_MAGIC)
		return fail(g, "kernel is not an arm64 Linux Image (no ARM\\x64 magic at 0x38)");
	if (!img->dtb)
		return fail(g, "bundle has no device tree for this guest");
	if (setup_from_dtb(g) || guest_reset(g))
		return -1;
	g->state = GUEST_LOADED;
	return 0;
}

int guest_reset(struct guest *g)
{
	const struct guest_image *img = &g->image;
	uint64_t text_offset = le64(img->kernel + 8), image_size = le64(img->kernel + 16);
	if (!image_size)
		image_size = img->kernel_size;       /* pre-3.17 kernels: no size given */
	uint64_t ram_end = g->ram_ipa + g->ram_size;

	g->kernel_ipa = g->ram_ipa + text_offset;
	g->dtb_ipa = ram_end - DTB_AREA;
	g->initrd_ipa = ALIGN_DOWN(g->dtb_ipa - img->initrd_size, (uint64_t)PAGE_SIZE);
	if (text_offset >= g->ram_size || image_size < img->kernel_size ||
	    g->kernel_ipa + image_size > g->initrd_ipa || img->dtb_size > DTB_AREA) {
		return fail(g, "kernel, initrd and device tree do not fit in guest RAM");
	}

	vcpu_put(g);
	guest_wp_reset(g);         /* the new boot relocates the kernel: unprotected until booted */
	memcpy((void *)(g->ram_host + (g->kernel_ipa - g->ram_ipa)), img->kernel, img->kernel_size);
	if (img->initrd_size)
		memcpy((void *)(g->ram_host + (g->initrd_ipa - g->ram_ipa)), img->initrd, img->initrd_size);
	uint8_t *dtb = (uint8_t *)(g->ram_host + (g->dtb_ipa - g->ram_ipa));
	memcpy(dtb, img->dtb, img->dtb_size);

	struct fdt fdt;
	int chosen;
	if (fdt_init(&fdt, dtb, img->dtb_size) == 0 && (chosen = fdt_path_offset(&fdt, "/chosen")) >= 0) {
		if (img->initrd_size) {
			if (!patch_prop(&fdt, chosen, "linux,initrd-start", g->initrd_ipa) ||
			    !patch_prop(&fdt, chosen, "linux,initrd-end", g->initrd_ipa + img->initrd_size))
				printk("%s: the device tree has no linux,initrd-start/end to fill in\n", g->name);
		}
		/* A placeholder kaslr-seed asks for a randomised kernel layout. */
		uint64_t seed = read_sysreg(cntpct_el0) * 0x9e3779b97f4a7c15ull;
		seed ^= seed >> 29;
		patch_prop(&fdt, chosen, "kaslr-seed", seed | 1);
	}

	/* The guest starts with its caches off: what we wrote must be in memory. */
	dcache_clean_inval_range((const void *)(g->ram_host + (g->kernel_ipa - g->ram_ipa)), img->kernel_size);
	if (img->initrd_size)
		dcache_clean_inval_range((const void *)(g->ram_host + (g->initrd_ipa - g->ram_ipa)),
					 img->initrd_size);
	dcache_clean_inval_range(dtb, img->dtb_size);
	icache_invalidate_all();

	vcpu_reset(&g->vcpu, g->kernel_ipa, g->dtb_ipa);
	vgic_reset(&g->vgic);
	for (unsigned i = 0; i < g->nvdevs; i++)
		if (g->vdevs[i].ops->reset)
			g->vdevs[i].ops->reset(&g->vdevs[i]);
	g->resets++;
	g->reason[0] = '\0';
	return 0;
}

void guest_start(struct guest *g)
{
	if (g->state == GUEST_FAILED || g->state == GUEST_EMPTY)
		return;
	if (g->state == GUEST_HALTED && guest_reset(g))
		return;
	g->state = GUEST_RUNNING;
}

struct vdev *guest_add_vdev(struct guest *g, const char *name, uint64_t base, uint64_t size,
			    const struct vdev_ops *ops, void *priv)
{
	if (g->nvdevs >= GUEST_MAX_VDEVS)
		return NULL;
	struct vdev *d = &g->vdevs[g->nvdevs++];
	d->name = name;
	d->base = base;
	d->size = size;
	d->ops = ops;
	d->guest = g;
	d->priv = priv;
	return d;
}

int guest_mmio(struct guest *g, uint64_t ipa, bool write, unsigned size, uint64_t *val)
{
	for (unsigned i = 0; i < g->nvdevs; i++) {
		struct vdev *d = &g->vdevs[i];
		if (ipa < d->base || ipa - d->base >= d->size)
			continue;
		int err = write ? d->ops->write(d, ipa - d->base, size, *val) :
				  d->ops->read(d, ipa - d->base, size, val);
		return err ? GUEST_MMIO_REJECTED : GUEST_MMIO_OK;
	}
	return GUEST_MMIO_NODEV;
}

void guest_bad_access(struct guest *g, const char *what, uint64_t ipa, uint64_t pc)
{
	g->bad_accesses++;
	if (g->bad_accesses <= REPORT_LIMIT)
		printk("%s: %s at guest-physical 0x%llx (pc 0x%llx): abort injected%s\n", g->name, what,
		       (unsigned long long)ipa, (unsigned long long)pc,
		       g->bad_accesses == REPORT_LIMIT ? "; further reports suppressed" : "");
}

void guest_snapshot(struct guest *g)
{
	vcpu_snapshot(g);
}

void guest_pause(struct guest *g)
{
	if (g->state == GUEST_RUNNING)
		g->state = GUEST_PAUSED;
}

void guest_resume(struct guest *g)
{
	if (g->state == GUEST_PAUSED)
		g->state = GUEST_RUNNING;
}

void guest_halt(struct guest *g, const char *reason)
{
	if (reason)
		m_snprintf(g->reason, sizeof(g->reason), "%s", reason);
	g->state = GUEST_HALTED;
	vcpu_put(g);
	guest_wp_reset(g);
	if (reason)
		printk("%s: %s\n", g->name, reason);
}

int guest_read_phys(struct guest *g, uint64_t ipa, void *buf, size_t len)
{
	if (ipa < g->ram_ipa || len > g->ram_size || ipa - g->ram_ipa > g->ram_size - len)
		return -1;
	memcpy(buf, (const void *)(g->ram_host + (ipa - g->ram_ipa)), len);
	return 0;
}

int guest_write_phys(struct guest *g, uint64_t ipa, const void *buf, size_t len)
{
	if (ipa < g->ram_ipa || len > g->ram_size || ipa - g->ram_ipa > g->ram_size - len)
		return -1;
	memcpy((void *)(g->ram_host + (ipa - g->ram_ipa)), buf, len);
	return 0;
}

void guest_console_put(struct guest *g, uint8_t c)
{
	g->out_ring[g->out_head % GUEST_CONSOLE_RING] = c;
	g->out_head++;
	if (g->bound)
		serial_console_putc_raw((char)c);
}

void guest_console_input(struct guest *g, uint8_t c)
{
	if (g->uart)
		vpl011_receive(g->uart, c);
}

bool guests_run(void)
{
	static int next;
	for (int k = 0; k < GUEST_MAX; k++) {
		struct guest *g = &guests[(next + k) % GUEST_MAX];
		if (g->state != GUEST_RUNNING)
			continue;
		next = (g->id + 1) % GUEST_MAX;
		struct vcpu_stop_info info = {.why = ""};
		enum vcpu_stop r = vcpu_run(g, &info);
		switch (r) {
		case VCPU_RESET:
			printk("%s: rebooting (PSCI SYSTEM_RESET)\n", g->name);
			if (guest_reset(g) == 0)
				g->state = GUEST_RUNNING;
			else
				g->state = GUEST_HALTED;
			break;
		case VCPU_POWER_OFF:
			guest_halt(g, info.why[0] ? info.why : "powered off");
			break;
		case VCPU_CRASHED:
			m_snprintf(g->reason, sizeof(g->reason), "%s", info.why[0] ? info.why : "crashed");
			printk("%s: %s; guest halted\n", g->name, g->reason);
			guest_halt(g, NULL);
			break;
		case VCPU_YIELD:
		case VCPU_IDLE:
			break;
		}
		return r != VCPU_IDLE;
	}
	return false;
}
