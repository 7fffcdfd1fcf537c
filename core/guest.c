/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest lifecycle. A guest is described entirely by its own device tree
 * (from the bundle): its RAM is read from there and every device in it that
 * an emulator handles is instantiated (core/emulator.c), so the addresses
 * the guest kernel sees and the ones the hypervisor emulates cannot
 * disagree. The hypervisor places the images in guest RAM itself
 * (core/guest_layout.c) and writes the initrd location (and a KASLR seed,
 * when the DTB asks for one) into the guest's copy of its DTB. The vCPU is
 * the arch code's: it reports why it stopped and this file decides what
 * happens to the guest.
 */
#include <arch/cpu.h>
#include <arch/guest_setup.h>
#include <arch/vcpu_run.h>
#include <mamoru/console.h>
#include <mamoru/emulator.h>
#include <mamoru/fdt.h>
#include <mamoru/fdt_cpus.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>
#include <mamoru/smp.h>
#include <mamoru/vcpu_pin.h>
#include <mamoru/guest_layout.h>
#include <mamoru/libc.h>
#include <mamoru/heap.h>
#include <mamoru/passthrough.h>

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

/*
 * Gives back what setup_from_dtb took when g's creation fails after it: what its
 * emulators claimed (a disk's partition), the host devices it selected or attached,
 * what arch_guest_free gives back (safe before arch_guest_init too: the ARMv5 shadow
 * MMU's tables; arm64 keeps its stage-2 tables, nothing frees them), its RAM. The slot stays FAILED (listed with the
 * reason); nothing it keeps is a device or RAM another guest could need. Returns -1.
 */
static int undo_setup(struct guest *g)
{
	g->nvdevs = 0;                  /* a failed guest has no devices to list or reset */
	emulators_release(g);
	passthrough_release(g);
	arch_guest_free(g);
	if (g->ram_host)
		page_set_free(&sys_pages, (void *)g->ram_host, (size_t)(g->ram_size / PAGE_SIZE));
	g->ram_host = 0;
	return -1;
}

/*
 * The guest's vCPUs: the cpu nodes of its device tree's /cpus, whose reg (MPIDR
 * affinity) must be 0, 1, ... in order, as vCPU i reads Aff0 = i in MPIDR_EL1 and
 * PSCI CPU_ON names it so (fdt_guest_vcpus); one without /cpus (an ARMv5 board's
 * tree). NULL, or why not.
 */
static const char *guest_vcpus_from_dt(struct guest *g, const struct fdt *fdt)
{
	static char why[80];
	unsigned n, max = arch_guest_max_vcpus();
	switch (fdt_guest_vcpus(fdt, &n)) {
	case FDT_VCPUS_OK:
		if (n <= max) {
			g->nr_vcpus = n;
			return NULL;
		}
		m_snprintf(why, sizeof(why), "guest device tree has %u cpus; a guest may have %u here",
			   n, max);
		return why;
	case FDT_VCPUS_NONE:
		return "guest device tree has no usable /cpus/cpu nodes";
	case FDT_VCPUS_TOO_MANY:
		m_snprintf(why, sizeof(why), "guest device tree has more than %d cpus; a guest may "
			   "have %u here", FDT_CPUS_MAX, max);
		return why;
	case FDT_VCPUS_BAD_REG:
	default:
		m_snprintf(why, sizeof(why), "guest cpu node %u has a reg other than %u (vCPU i is "
			   "MPIDR affinity i)", n, n);
		return why;
	}
}

/* Reads the guest's RAM from its device tree, gives it memory and lets the
 * architecture map it (stage 2, shadow tables), then lets the emulators create
 * its devices. */
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
	const char *why = guest_vcpus_from_dt(g, &fdt);
	if (why)
		return fail(g, why);
	why = guest_ram_check(g->ram_ipa, g->ram_size, arch_guest_ipa_limit());
	if (why)
		return fail(g, why);

	/* Host resources an emulated device needs (the SD card behind a virtio disk) are the
	 * hypervisor's before any guest's passthrough is chosen. */
	why = emulators_claim(g, &fdt);
	if (why) {
		fail(g, why);
		emulators_release(g);           /* what the claims before the failing one took */
		return -1;
	}
	/* A guest that owns DMA-capable devices gets its RAM at IPA = PA: the devices
	 * take guest-physical addresses as bus addresses (docs/passthrough.md). */
	bool one_to_one = passthrough_select(g, &fdt);
	size_t pages = g->ram_size / PAGE_SIZE;
	/* Within the DMA window of its devices' buses when it can be; else anywhere, and
	 * the devices that cannot reach it are refused (passthrough_ram_reach). */
	uint64_t limit = one_to_one ? passthrough_ram_limit(g) : UINT64_MAX;
	void *ram = limit != UINT64_MAX ? page_set_alloc_below(&sys_pages, pages,
							       GUEST_RAM_ALIGN / PAGE_SIZE, limit) : NULL;
	if (!ram)
		ram = page_set_alloc(&sys_pages, pages, GUEST_RAM_ALIGN / PAGE_SIZE);
	if (!ram) {
		fail(g, "not enough free memory for guest RAM");
		return undo_setup(g);           /* the devices it selected */
	}
	g->ram_host = (uintptr_t)ram;
	if (one_to_one) {
		g->ram_ipa = g->ram_host;
		passthrough_ram_reach(g, g->ram_ipa, g->ram_size);
		why = guest_ram_check(g->ram_ipa, g->ram_size, arch_guest_ipa_limit());
		if (why) {
			fail(g, why);
			return undo_setup(g);
		}
	}

	if (arch_guest_init(g) || arch_guest_map_ram(g)) {
		fail(g, "cannot build the guest's translation tables");
		return undo_setup(g);
	}

	why = emulators_probe(g, &fdt);
	if (why) {
		fail(g, why);
		return undo_setup(g);
	}
	if (passthrough_attach(g, &fdt)) {
		fail(g, "cannot attach its passthrough devices");
		return undo_setup(g);
	}
	/* An emulator that shows the guest another device than its tree says (the vGIC
	 * on a GICv3 host) rewrites that node in the tree the guest boots with. */
	if (g->dt_rewrite && (err = emulators_rewrite_dt(g))) {
		fail(g, "cannot write its device tree for the emulated devices");
		return undo_setup(g);
	}
	return 0;
}

int guest_create(struct guest *g, const char *name, const struct guest_image *img)
{
	memset(g, 0, sizeof(*g));
	g->id = (int)(g - guests);
	m_snprintf(g->name, sizeof(g->name), "%s", name);
	g->image = *img;

	/* Listed as failed (with the reason) until it is fully set up. */
	g->state = GUEST_FAILED;
	uint64_t text_offset, image_size;
	const char *why = arch_guest_kernel(img->kernel, img->kernel_size, &text_offset, &image_size);
	if (why)
		return fail(g, why);   /* checked first: the layout needs the image's header */
	if (!img->dtb)
		return fail(g, "bundle has no device tree for this guest");
	if (setup_from_dtb(g))
		return -1;                     /* gave back what it took */
	if (guest_reset(g))
		return undo_setup(g);
	g->state = GUEST_LOADED;
	return 0;
}

/* Writes the initrd location and a fresh KASLR seed into the DTB copy. */
static void patch_dtb(struct guest *g, uint8_t *dtb)
{
	const struct guest_image *img = &g->image;
	struct fdt fdt;
	int chosen;
	if (fdt_init(&fdt, dtb, img->dtb_size) || (chosen = fdt_path_offset(&fdt, "/chosen")) < 0)
		return;
	if (img->initrd_size) {
		if (!patch_prop(&fdt, chosen, "linux,initrd-start", g->initrd_ipa) ||
		    !patch_prop(&fdt, chosen, "linux,initrd-end", g->initrd_ipa + img->initrd_size))
			printk("%s: the device tree has no linux,initrd-start/end to fill in\n", g->name);
	}
	/* A placeholder kaslr-seed asks for a randomised kernel layout. */
	uint64_t seed = timer_now_ns() * 0x9e3779b97f4a7c15ull;
	seed ^= seed >> 29;
	patch_prop(&fdt, chosen, "kaslr-seed", seed | 1);
}

int guest_reset(struct guest *g)
{
	const struct guest_image *img = &g->image;
	struct guest_layout_in in = {
		.ram_ipa = g->ram_ipa, .ram_size = g->ram_size,
		.kernel_size = img->kernel_size, .initrd_size = img->initrd_size, .dtb_size = img->dtb_size,
	};
	const char *why = arch_guest_kernel(img->kernel, img->kernel_size, &in.text_offset,
					    &in.image_size);
	if (why)
		return fail(g, why);
	struct guest_layout l;
	why = guest_layout(&in, &l);
	if (why)
		return fail(g, why);
	g->kernel_ipa = g->ram_ipa + l.kernel;
	g->initrd_ipa = g->ram_ipa + l.initrd;
	g->dtb_ipa = g->ram_ipa + l.dtb;

	g->boots++;
	vcpu_put(g);
	guest_wp_reset(g);         /* the new boot relocates the kernel: unprotected until booted */
	passthrough_stop(g);       /* its devices write nothing more into this RAM */
	uint8_t *ram = (uint8_t *)g->ram_host;
	guest_layout_load(ram, g->ram_size, &l, img->kernel, img->kernel_size, img->initrd,
			  img->initrd_size, img->dtb, img->dtb_size);
	patch_dtb(g, ram + l.dtb);
	/* The guest starts with its caches off: all of its RAM, the zeroes
	 * included, must be in memory, not only in the hypervisor's cache. */
	dcache_clean_inval_range(ram, g->ram_size);
	icache_invalidate_all();

	arch_guest_reset(g, g->kernel_ipa, g->dtb_ipa);
	guest_reset_vdevs(g);
	passthrough_reset(g);
	guest_stats_mark(g);
	g->reason[0] = '\0';
	g->posted = 0;                  /* what a vCPU asked of the old boot is moot */
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

void guest_snapshot(struct guest *g)
{
	vcpu_snapshot(g);
}

/*
 * The state changes below take vcpu_lock: the other cores are stopped while a command
 * runs, but one that did not stop in time may be handling an exit of this guest, under
 * the lock, and must see the guest before or after the change, not in between.
 */
void guest_pause(struct guest *g)
{
	unsigned long f = vcpu_lock();
	if (g->state == GUEST_RUNNING)
		g->state = GUEST_PAUSED;
	vcpu_unlock(f);
}

void guest_resume(struct guest *g)
{
	unsigned long f = vcpu_lock();
	if (g->state == GUEST_PAUSED)
		g->state = GUEST_RUNNING;
	vcpu_unlock(f);
}

void guest_halt(struct guest *g, const char *reason)
{
	unsigned long f = vcpu_lock();
	if (reason)
		m_snprintf(g->reason, sizeof(g->reason), "%s", reason);
	g->state = GUEST_HALTED;
	vcpu_put(g);
	guest_wp_reset(g);
	passthrough_stop(g);
	vcpu_unlock(f);
	if (reason)
		printk("%s: %s\n", g->name, reason);
}

int guest_read_phys(struct guest *g, uint64_t ipa, void *buf, size_t len)
{
	/* No RAM: a guest whose creation failed gave it back. */
	if (!g->ram_host || ipa < g->ram_ipa || len > g->ram_size ||
	    ipa - g->ram_ipa > g->ram_size - len)
		return -1;
	memcpy(buf, (const void *)(g->ram_host + (uintptr_t)(ipa - g->ram_ipa)), len);
	return 0;
}

void guest_act_on_stop(struct guest *g, int stop, const char *why)
{
	switch ((enum vcpu_stop)stop) {
	case VCPU_PREEMPTED: case VCPU_YIELD: case VCPU_IDLE:
		return;
	case VCPU_RESET:
		printk("%s: rebooting (PSCI SYSTEM_RESET)\n", g->name);
		if (guest_reset(g))
			g->state = GUEST_HALTED;      /* fail() said why */
		return;
	case VCPU_POWER_OFF:
		guest_halt(g, why[0] ? why : "powered off");
		return;
	case VCPU_CRASHED:
	default:
		m_snprintf(g->reason, sizeof(g->reason), "%s", why[0] ? why : "crashed");
		printk("%s: %s; guest halted\n", g->name, g->reason);
		guest_halt(g, NULL);
		return;
	}
}

/* With vCPUs on other cores the boot CPU acts, once they are stopped; the first
 * vCPU to ask wins, and the guest runs no more until then. */
static void post_stop(struct guest *g, enum vcpu_stop r, const char *why)
{
	unsigned long f = vcpu_lock();
	if (!g->posted) {
		m_snprintf(g->posted_why, sizeof(g->posted_why), "%s", why);
		smp_store_release(&g->posted, (uint32_t)r + 1);
		struct smp_cpu *boot = smp_cpu(0);
		if (smp_this_cpu() != 0 && boot)
			irq_send_ipi(boot->index, boot->mpidr);
	}
	vcpu_unlock(f);
}

enum guest_slice guest_run_slice(struct guest *g, unsigned cpu)
{
	struct vcpu_stop_info info = {.why = ""};
	enum vcpu_stop r = vcpu_run(g, cpu, &info);
	if (r == VCPU_PREEMPTED)
		return GUEST_SLICE_PREEMPTED;
	if (r == VCPU_YIELD)
		return GUEST_SLICE_TURN_OVER;
	if (r == VCPU_IDLE)
		return GUEST_SLICE_IDLE;
	if (vcpus_pinned())
		post_stop(g, r, info.why);
	else
		guest_act_on_stop(g, r, info.why);
	return GUEST_SLICE_TURN_OVER;
}
