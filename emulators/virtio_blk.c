/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A virtio-blk device on a virtio-mmio transport (VIRTIO 1.x, 4.2.2: version 2
 * registers; 5.2: block device) backed by one partition of the board's SD card,
 * which the hypervisor drives itself (drivers/mmc/). The guest's tree asks for
 * it with a "virtio,mmio" node carrying mamoru,disk = "sd:N" (partition N of the
 * card's MBR). One queue; requests are served synchronously when the guest
 * writes QueueNotify (the queue logic, hostile-input proof, is core/lib/virtq.c).
 * A broken ring or chain sets DEVICE_NEEDS_RESET; a bad request gets IOERR. When
 * the disk cannot be given (no card, no such partition) the transport is there
 * with device ID 0, which the guest's driver ignores: it runs without the disk.
 */
#include <arch/cpu.h>
#include <arch/guest_irq.h>
#include <mamoru/console.h>
#include <mamoru/emulator.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>
#include <mamoru/libc.h>
#include <mamoru/mbr.h>
#include <mamoru/passthrough.h>
#include <mamoru/periodic.h>
#include <mamoru/sdcard.h>
#include <mamoru/virtq.h>

#define MAGIC 0x000
#define VERSION 0x004
#define DEVICE_ID 0x008
#define VENDOR_ID 0x00c
#define DEVICE_FEATURES 0x010
#define DEVICE_FEATURES_SEL 0x014
#define DRIVER_FEATURES 0x020
#define DRIVER_FEATURES_SEL 0x024
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define INTERRUPT_STATUS 0x060
#define INTERRUPT_ACK 0x064
#define STATUS 0x070
#define QUEUE_DESC_LOW 0x080
#define QUEUE_DESC_HIGH 0x084
#define QUEUE_DRIVER_LOW 0x090
#define QUEUE_DRIVER_HIGH 0x094
#define QUEUE_DEVICE_LOW 0x0a0
#define QUEUE_DEVICE_HIGH 0x0a4
#define CONFIG_GENERATION 0x0fc
#define CONFIG 0x100
#define CONFIG_SIZE 16           /* capacity (le64), size_max (le32), seg_max (le32) */

#define STATUS_FEATURES_OK 8u
#define STATUS_DRIVER_OK 4u
#define STATUS_NEEDS_RESET 0x40u
#define ISR_USED 1u
#define ISR_CONFIG 2u

#define F_SIZE_MAX (1ull << 1)
#define F_SEG_MAX (1ull << 2)
#define F_FLUSH (1ull << 9)
#define F_VERSION_1 (1ull << 32)
#define FEATURES (F_VERSION_1 | F_SIZE_MAX | F_SEG_MAX | F_FLUSH)
#define VENDOR 0x4f4d414d        /* "MAMO" */
#define PROP "mamoru,disk"

/* Each guest's disk, made by claim and found again by probe. */
struct vblk;
static struct vblk *disks[GUEST_MAX];
static const struct vdev_ops vblk_ops;

struct vblk {
	struct vdev *dev;
	unsigned irq;
	bool present;                /* the disk is there (else device ID 0) */
	char spec[16];               /* "sd:2" */
	uint64_t first;              /* the partition's first sector on the card */
	struct vblk_backend backend;
	uint32_t dev_sel, drv_sel, queue_sel, status, isr;
	uint64_t driver_features;
	bool ready;
	bool pending;                /* requests left for resume() (the budget ran out) */
	struct virtq q;
	uint64_t requests, errors;
};

static void update_irq(struct vblk *b)
{
	arch_guest_irq(b->dev->guest, b->irq, b->isr != 0);
}

static void needs_reset(struct vblk *b)
{
	b->status |= STATUS_NEEDS_RESET;
	b->isr |= ISR_CONFIG;
	b->ready = false;
	update_irq(b);
}

static void device_reset(struct vblk *b)
{
	b->dev_sel = b->drv_sel = b->queue_sel = b->status = b->isr = 0;
	b->driver_features = 0;
	b->ready = b->pending = false;
	memset(&b->q, 0, sizeof(b->q));
	update_irq(b);
}

static struct vq_mem guest_mem(const struct vblk *b)
{
	const struct guest *g = b->dev->guest;
	return (struct vq_mem){(uint8_t *)g->ram_host, g->ram_ipa, g->ram_size};
}

/* The ranges the IDS write-protected in g (mamoru/guest_wp.h), in r: how many. */
static unsigned protected_ranges(const struct guest *g, struct vq_range r[GUEST_WP_RANGES])
{
	const struct guest_wp *wp = &g->wp;
	unsigned n = wp->armed ? MIN(wp->nranges, (unsigned)GUEST_WP_RANGES) : 0;
	for (unsigned i = 0; i < n; i++)
		r[i] = (struct vq_range){wp->range[i].ipa, wp->range[i].size};
	return n;
}

/* One notify serves requests until NOTIFY_BUDGET bytes have moved (a request is at
 * most VIRTIO_BLK_REQ_MAX); the rest is served RESUME_NS later from the main loop, so a
 * guest that queues the most it can holds the others, the shell and the IDS for about
 * one budget's transfer at a time (the card is PIO). */
#define NOTIFY_BUDGET (2u * VIRTIO_BLK_REQ_MAX)
#define RESUME_NS 1000000ull

static bool resume(struct periodic *p);
static struct periodic resume_task = {.name = "virtio-blk", .run = resume,
				      .guests = PERIODIC_LOCKS_GUESTS};

/* Serves the available requests, within the budget. */
static void notify(struct vblk *b)
{
	if (!b->ready || !(b->status & STATUS_DRIVER_OK) || (b->status & STATUS_NEEDS_RESET))
		return;
	/* Off the 16 KiB hypervisor stack: notify runs under vcpu_lock and never nests. */
	static struct vq_seg segs[VIRTQ_MAX];
	struct vq_mem m = guest_mem(b);
	const char *why = NULL;
	bool irq = false;
	uint16_t head;
	int r = 0;
	struct vq_range wp[GUEST_WP_RANGES];
	unsigned nwp = protected_ranges(b->dev->guest, wp);
	if (vq_overlaps(b->q.used, 6 + 8 * (uint64_t)b->q.num, wp, nwp))
		why = "its used ring is in write-protected memory";
	uint64_t served = 0;
	while (!why && served < NOTIFY_BUDGET && (r = virtq_next(&b->q, &m, &head)) != 0) {
		unsigned n;
		if (r < 0 || virtq_chain(&b->q, &m, head, segs, VIRTQ_MAX, &n)) {
			why = "a broken virtqueue";
			break;
		}
		if (vq_writes_into(&m, segs, n, wp, nwp))
			why = "a request would write into write-protected memory";
		int64_t len = why ? -1 : vblk_request(segs, n, &b->backend);
		if (len < 0) {
			why = why ? why : "a request without a status byte";
			break;
		}
		b->requests++;
		for (unsigned i = 0; i < n; i++)
			served += segs[i].len;
		uint8_t st = *vblk_status_place(segs, n);     /* there: len >= 0 */
		if (st != VIRTIO_BLK_S_OK)
			b->errors++;
		irq |= virtq_push(&b->q, &m, head, (uint32_t)len);
	}
	if (irq)
		b->isr |= ISR_USED;     /* what was served before a broken request is done */
	if (why) {
		printk("%s: disk %s: %s: the device needs a reset\n", b->dev->guest->name, b->spec,
		       why);
		needs_reset(b);
		return;
	}
	if (served >= NOTIFY_BUDGET) {
		/* The rest after the other guests and the shell have had their turn. */
		b->pending = true;
		if (!resume_task.interval_ns) {
			periodic_start(&resume_task, RESUME_NS);
			/* periodic_start makes a task due at once, which would serve the next
			 * budget at the main loop's next pass, before the other guests run. */
			resume_task.next_ns = timer_now_ns() + RESUME_NS;
		}
	}
	update_irq(b);
}

/* Serves what the budget left of the disks' requests, between guest time slices. */
static bool resume(struct periodic *p)
{
	bool more = false;
	for (int i = 0; i < GUEST_MAX; i++) {
		struct vblk *b = disks[i];
		if (!b || !b->pending)
			continue;
		b->pending = false;
		if (b->dev->guest->state == GUEST_RUNNING || b->dev->guest->state == GUEST_PAUSED)
			notify(b);
		more |= b->pending;
	}
	if (!more)
		periodic_start(p, 0);
	return false;
}

#ifndef CONFIG_DRIVER_SDHCI
/* No SD card driver in this build (Kconfig DRIVER_SDHCI): no card. */
const struct sdcard *sdcard_open(const struct fdt *host, const char **why)
{
	(void)host;
	*why = "this build has no SD card driver (Kconfig DRIVER_SDHCI)";
	return NULL;
}

int sdcard_read(uint64_t lba, uint32_t count, void *buf)
{
	(void)lba, (void)count, (void)buf;
	return -1;
}

int sdcard_write(uint64_t lba, uint32_t count, const void *buf)
{
	(void)lba, (void)count, (void)buf;
	return -1;
}
#endif

static int part_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	const struct vblk *b = ctx;
	return sdcard_read(b->first + lba, count, buf);
}

static int part_write(void *ctx, uint64_t lba, uint32_t count, const void *buf)
{
	const struct vblk *b = ctx;
	return sdcard_write(b->first + lba, count, buf);
}

static uint32_t config_read(const struct vblk *b, uint64_t off, unsigned size)
{
	uint8_t cfg[CONFIG_SIZE];
	uint64_t cap = b->backend.sectors;
	for (int i = 0; i < 8; i++)
		cfg[i] = (uint8_t)(cap >> (8 * i));
	uint32_t size_max = VIRTIO_BLK_SEG_BYTES, seg_max = VIRTIO_BLK_SEGS;
	for (int i = 0; i < 4; i++) {
		cfg[8 + i] = (uint8_t)(size_max >> (8 * i));
		cfg[12 + i] = (uint8_t)(seg_max >> (8 * i));
	}
	uint32_t v = 0;
	for (unsigned i = 0; i < size && i < 4 && off + i < CONFIG_SIZE; i++)
		v |= (uint32_t)cfg[off + i] << (8 * i);
	return v;
}

static int blk_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	struct vblk *b = d->priv;
	*val = 0;
	if (off >= CONFIG) {
		if (b->present && size <= 4)
			*val = config_read(b, off - CONFIG, size);
		return 0;
	}
	if (size != 4)
		return -1;                /* the registers are 32-bit */
	switch (off) {
	case MAGIC: *val = 0x74726976; break;     /* "virt" */
	case VERSION: *val = 2; break;
	case DEVICE_ID: *val = b->present ? 2 : 0; break;
	case VENDOR_ID: *val = VENDOR; break;
	case DEVICE_FEATURES:
		*val = b->dev_sel < 2 ? (uint32_t)(FEATURES >> (32 * b->dev_sel)) : 0;
		break;
	case QUEUE_NUM_MAX: *val = b->queue_sel == 0 ? VIRTQ_MAX : 0; break;
	case QUEUE_READY: *val = b->queue_sel == 0 && b->ready; break;
	case INTERRUPT_STATUS: *val = b->isr; break;
	case STATUS: *val = b->status; break;
	case CONFIG_GENERATION: *val = 0; break;
	default: break;                /* write-only and reserved: zero */
	}
	return 0;
}

static void set64(uint64_t *v, bool high, uint32_t half)
{
	*v = high ? (*v & 0xffffffffu) | (uint64_t)half << 32 : (*v & ~0xffffffffull) | half;
}

static void set_status(struct vblk *b, uint32_t v)
{
	if (v == 0) {
		device_reset(b);
		return;
	}
	/* FEATURES_OK only for a subset of ours that includes VERSION_1 (legacy is not served). */
	if ((v & STATUS_FEATURES_OK) && !(b->status & STATUS_FEATURES_OK) &&
	    ((b->driver_features & ~FEATURES) || !(b->driver_features & F_VERSION_1)))
		v &= ~STATUS_FEATURES_OK;
	b->status = (v & 0xff) | (b->status & STATUS_NEEDS_RESET);
}

static int blk_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct vblk *b = d->priv;
	uint32_t v = (uint32_t)val;
	if (off >= CONFIG)
		return 0;                 /* the configuration is read-only */
	if (size != 4)
		return -1;
	bool q0 = b->queue_sel == 0 && !b->ready;    /* queue registers take writes */
	switch (off) {
	case DEVICE_FEATURES_SEL: b->dev_sel = v; break;
	case DRIVER_FEATURES_SEL: b->drv_sel = v; break;
	case DRIVER_FEATURES:
		if (b->drv_sel < 2 && !(b->status & STATUS_FEATURES_OK))
			set64(&b->driver_features, b->drv_sel == 1, v);
		break;
	case QUEUE_SEL: b->queue_sel = v; break;
	case QUEUE_NUM: if (q0) b->q.num = v; break;
	case QUEUE_DESC_LOW: case QUEUE_DESC_HIGH:
		if (q0) set64(&b->q.desc, off == QUEUE_DESC_HIGH, v);
		break;
	case QUEUE_DRIVER_LOW: case QUEUE_DRIVER_HIGH:
		if (q0) set64(&b->q.avail, off == QUEUE_DRIVER_HIGH, v);
		break;
	case QUEUE_DEVICE_LOW: case QUEUE_DEVICE_HIGH:
		if (q0) set64(&b->q.used, off == QUEUE_DEVICE_HIGH, v);
		break;
	case QUEUE_READY:
		if (b->queue_sel != 0 || !b->present)
			break;
		if (!(v & 1)) {
			b->ready = false;
			break;
		}
		if (!b->ready) {
			struct vq_mem m = guest_mem(b);
			const char *why = virtq_check(&b->q, &m);
			if (why) {
				printk("%s: disk %s: %s: the device needs a reset\n", d->guest->name,
				       b->spec, why);
				needs_reset(b);
				break;
			}
			/* The indices go on from where they were: only a device reset (status 0)
			 * starts them anew, so re-enabling the queue cannot replay old requests. */
			b->ready = true;
		}
		break;
	case QUEUE_NOTIFY:
		if (v == 0)
			notify(b);
		break;
	case INTERRUPT_ACK:
		b->isr &= ~v;
		update_irq(b);
		break;
	case STATUS: set_status(b, v); break;
	default: break;
	}
	return 0;
}

/* The guest is reset: so is the device (a new boot starts with no queue). */
static void blk_reset(struct vdev *d)
{
	device_reset(d->priv);
}


/* "sd:N": partition N (1-4) of the SD card's MBR. */
static const char *parse_spec(const char *spec, unsigned *part)
{
	if (strncmp(spec, "sd:", 3) || spec[3] < '1' || spec[3] > '4' || spec[4])
		return "not a disk Mamoru knows (it serves \"sd:1\" to \"sd:4\")";
	*part = (unsigned)(spec[3] - '0');
	return NULL;
}

/* The partition behind b->spec on the card, the card's controller then the
 * hypervisor's for passthrough: NULL, or why not (in buf). */
static const char *open_disk(struct vblk *b, char *buf, size_t len)
{
	unsigned part;
	const char *why = parse_spec(b->spec, &part);
	if (why)
		return why;
	const struct sdcard *card = sdcard_open(passthrough_host_tree(), &why);
	if (!card)
		return why;
	static uint8_t mbr[MBR_SECTOR];
	if (sdcard_read(0, 1, mbr))
		return "the card's first sector cannot be read";
	struct mbr_part p;
	why = mbr_partition(mbr, card->sectors, part, &p);
	if (why)
		return why;
	if (part == mbr_boot_partition(mbr))
		return "it is the card's boot partition (the firmware's and the hypervisor's files)";
	const char *owner = passthrough_reserve(card->base, card->size,
						"the hypervisor's SD card (a guest's disk)");
	if (owner) {
		m_snprintf(buf, len, "its controller %s is passed to %s", card->node, owner);
		return buf;
	}
	/* Two guests on one file system would corrupt it: a partition is one guest's. */
	for (int i = 0; i < GUEST_MAX; i++) {
		const struct vblk *o = disks[i];
		if (o && o->present && p.first < o->first + o->backend.sectors &&
		    o->first < p.first + p.count) {
			m_snprintf(buf, len, "it is %s's disk %s already", guests[i].name, o->spec);
			return buf;
		}
	}
	b->first = p.first;
	b->backend.sectors = p.count;
	return NULL;
}

/* Before passthrough selection: the card's controller is the hypervisor's from here. */
static int vblk_claim(struct guest *g, const struct fdt *fdt, int node)
{
	const char *spec = fdt_getprop_str(fdt, node, PROP);
	uint64_t base, size;
	unsigned irq;
	if (!spec)
		return 0;                  /* a transport without a disk: probe says why */
	if (disks[g->id]) {
		printk("%s: disk %s: a guest has one disk (it asks for %s already)\n", g->name, spec,
		       disks[g->id]->spec);
		return -1;
	}
	if (fdt_get_reg(fdt, node, 0, &base, &size) || size < 0x200 || emulator_irq(fdt, node, 0, &irq)) {
		printk("%s: the disk's virtio,mmio node needs registers (0x200 bytes) and an "
		       "interrupt (an SPI below 32)\n", g->name);
		return -1;
	}
	struct vblk *b = kzalloc(sizeof(*b));
	if (!b)
		return -1;
	m_snprintf(b->spec, sizeof(b->spec), "%s", spec);
	b->irq = irq;
	b->backend = (struct vblk_backend){.read = part_read, .write = part_write, .ctx = b,
					   .id = "mamoru-sd"};
	char buf[96];
	const char *why = open_disk(b, buf, sizeof(buf));
	if (why) {
		printk("%s: disk %s refused: %s; the guest runs without it\n", g->name, spec, why);
	} else {
		b->present = true;
		printk("%s: disk %s (%llu MiB) at 0x%llx\n", g->name, spec,
		       (unsigned long long)(b->backend.sectors >> 11), (unsigned long long)base);
	}
	disks[g->id] = b;
	return 0;
}

/* g failed to come up: its partition is free for another guest (the card stays the
 * hypervisor's). It never ran, so nothing of it is pending. */
static void vblk_release(struct guest *g)
{
	struct vblk *b = disks[g->id];
	if (!b)
		return;
	disks[g->id] = NULL;
	if (b->present)
		printk("%s: disk %s given back\n", g->name, b->spec);
	kfree(b);
}

static int vblk_probe(struct guest *g, const struct fdt *fdt, int node)
{
	uint64_t base, size;
	struct vblk *b = disks[g->id];
	if (!b || !fdt_getprop_str(fdt, node, PROP)) {
		printk("%s: %s: a virtio,mmio node without %s (Mamoru emulates virtio disks only)\n",
		       g->name, fdt_node_name(fdt, node), PROP);
		return -1;
	}
	fdt_get_reg(fdt, node, 0, &base, &size);
	struct vdev *d = guest_add_vdev(g, "virtio-blk", base, 0x200, &vblk_ops, b);
	if (!d)
		return -1;
	b->dev = d;
	device_reset(b);
	return 0;
}

/* guest list's line. */
static void blk_list(struct vdev *d, struct console *con, const char *indent)
{
	const struct vblk *b = d->priv;
	if (b->present)
		con_printf(con, "%sdisk %s (%llu MiB) at 0x%llx: %llu requests, %llu failed%s\n",
			   indent, b->spec, (unsigned long long)(b->backend.sectors >> 11),
			   (unsigned long long)d->base,
			   (unsigned long long)b->requests, (unsigned long long)b->errors,
			   (b->status & STATUS_NEEDS_RESET) ? " (needs reset)" : "");
	else
		con_printf(con, "%sdisk %s: not given (see the boot log)\n", indent, b->spec);
}

static const struct vdev_ops vblk_ops = {
	.read = blk_read,
	.write = blk_write,
	.reset = blk_reset,
	.list = blk_list,
};

static const char *const vblk_compatible[] = {"virtio,mmio", NULL};
static const struct emulator vblk_emulator = {
	.name = "virtio-blk",
	.compatible = vblk_compatible,
	.claim = vblk_claim,
	.release = vblk_release,
	.probe = vblk_probe,
};
EMULATOR(vblk_emulator);
