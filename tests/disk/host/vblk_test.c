/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The virtio-blk emulator (emulators/virtio_blk.c, built as it is) on the host,
 * driven through guest_mmio() as a guest's driver would drive it: virtio-mmio
 * version 2 registers, one split queue in a host buffer that stands for guest
 * RAM, the SD card in memory (stub.c), the main loop's scheduler the real one.
 *   vblk_test <disk.dtb> <scenario>
 * One scenario a run: the emulator keeps each guest's disk for the whole boot.
 * The register offsets and bits below are written from the VIRTIO 1.x
 * specification (4.2.2, 5.2), not taken from the emulator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mamoru/console.h>
#include <mamoru/emulator.h>
#include <mamoru/guest.h>
#include <mamoru/periodic.h>
#include <mamoru/virtq.h>

#include "hostcheck.h"
#include "stub.h"

/* virtio-mmio registers (4.2.2). */
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_VENDOR_ID 0x00c
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC_LOW 0x080
#define R_QUEUE_DESC_HIGH 0x084
#define R_QUEUE_DRIVER_LOW 0x090
#define R_QUEUE_DRIVER_HIGH 0x094
#define R_QUEUE_DEVICE_LOW 0x0a0
#define R_QUEUE_DEVICE_HIGH 0x0a4
#define R_CONFIG_GENERATION 0x0fc
#define R_CONFIG 0x100

/* Device status (2.1) and interrupt status bits. */
#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 0x40u
#define S_NEGOTIATED (S_ACK | S_DRIVER | S_FEATURES_OK)
#define I_USED 1u
#define I_CONFIG 2u

/* Feature bits (5.2.3, 6). */
#define FB_SIZE_MAX (1u << 1)
#define FB_SEG_MAX (1u << 2)
#define FB_FLUSH (1u << 9)
#define FB_INDIRECT (1u << 28)
#define FB_HI_VERSION_1 1u           /* bit 32 */
#define FB_HI_RING_PACKED (1u << 2)  /* bit 34 */

/* Descriptor flags (2.7.5). */
#define D_NEXT 1u
#define D_WRITE 2u

/* The guest: RAM at RAM_IPA, the disk's transport at BASE with SPI 16. */
#define RAM_IPA 0x40000000ull
#define RAM_SIZE (16u << 20)
#define BASE 0x0a000000ull
#define IRQ (32u + 16u)
#define MIB (1u << 20)

/* Where the driver keeps its queue, as offsets in guest RAM. */
#define QSIZE 128u
#define O_DESC 0x0000u
#define O_AVAIL 0x1000u
#define O_USED 0x2000u
#define O_HDRS 0x3000u               /* a 16-byte request header per head */
#define O_STATUS 0x4000u             /* a status byte per head */
#define O_DATA MIB                   /* data buffers: 15 MiB from here */

static struct fdt fdt;
static struct guest *g;              /* the guest being driven */
static uint64_t base = BASE;

/* --- printk, captured ------------------------------------------------------------------ */

static char log_buf[8192];
static struct buffer_console log_con;

static bool logged(const char *s)
{
	log_buf[log_con.len < sizeof(log_buf) ? log_con.len : sizeof(log_buf) - 1] = 0;
	return strstr(log_buf, s) != NULL;
}

/* The device's `guest list` line. */
static const char *list_line(void)
{
	static char buf[256];
	static struct buffer_console c;
	buffer_console_init(&c, buf, sizeof(buf) - 1);
	guest_list_vdevs(g, &c.con, "");
	buf[c.len] = 0;
	return buf;
}

/* --- the transport ---------------------------------------------------------------------- */

static int mmio(uint64_t off, bool write, unsigned size, uint64_t *v)
{
	return guest_mmio(g, base + off, write, size, v);
}

static uint32_t rd(uint64_t off)
{
	uint64_t v = 0xdeadbeef;
	int r = mmio(off, false, 4, &v);
	CHECK_MSG(r == GUEST_MMIO_OK, "32-bit read at 0x%llx: %d", (unsigned long long)off, r);
	return (uint32_t)v;
}

static void wr(uint64_t off, uint32_t val)
{
	uint64_t v = val;
	int r = mmio(off, true, 4, &v);
	CHECK_MSG(r == GUEST_MMIO_OK, "32-bit write at 0x%llx: %d", (unsigned long long)off, r);
}

/* A config-space read of size bytes (1, 2, 4 or 8). */
static uint64_t rd_cfg(uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeef;
	int r = mmio(R_CONFIG + off, false, size, &v);
	CHECK_MSG(r == GUEST_MMIO_OK, "%u-byte config read at 0x%llx: %d", size,
		  (unsigned long long)off, r);
	return v;
}

static bool irq_line(void)
{
	return stub_irq_level[IRQ];
}

/* --- guest RAM and the driver's side of the queue ----------------------------------- */

static uint8_t *ram(uint64_t off)
{
	return (uint8_t *)g->ram_host + off;
}

static void put(uint64_t off, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		ram(off)[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(uint64_t off, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)ram(off)[i] << (8 * i);
	return v;
}

static unsigned next_desc;           /* the next free descriptor */
static uint16_t avail_idx;

static void desc(unsigned i, uint64_t off, uint32_t len, uint16_t flags)
{
	uint64_t d = O_DESC + 16u * i;
	put(d, RAM_IPA + off, 8);
	put(d + 8, len, 4);
	put(d + 12, flags, 2);
	put(d + 14, (flags & D_NEXT) ? i + 1 : 0, 2);
}

/* A request as Linux lays it out: the header alone, nseg data segments of len / nseg
 * bytes from data (a RAM offset; device-writable but for OUT), the status byte alone.
 * Returns its head. */
static uint16_t add_req(uint32_t type, uint64_t sector, uint64_t data, uint32_t len,
			unsigned nseg)
{
	if (next_desc + nseg + 2 > QSIZE) {
		printf("the test ran out of descriptors\n");
		exit(2);
	}
	uint16_t head = (uint16_t)next_desc;
	put(O_HDRS + 16u * head, type, 4);
	put(O_HDRS + 16u * head + 4, 0, 4);
	put(O_HDRS + 16u * head + 8, sector, 8);
	desc(next_desc++, O_HDRS + 16u * head, 16, D_NEXT);
	for (unsigned k = 0; k < nseg; k++)
		desc(next_desc++, data + (uint64_t)k * (len / nseg), len / nseg,
		     D_NEXT | (type == VIRTIO_BLK_T_OUT ? 0 : D_WRITE));
	*ram(O_STATUS + head) = 0xff;
	desc(next_desc++, O_STATUS + head, 1, D_WRITE);
	return head;
}

static void push(uint16_t head)
{
	put(O_AVAIL + 4 + 2u * (avail_idx % QSIZE), head, 2);
	avail_idx++;
	put(O_AVAIL + 2, avail_idx, 2);
}

static uint16_t used_idx(void)
{
	return (uint16_t)get(O_USED + 2, 2);
}

static uint32_t used_id(unsigned i)
{
	return (uint32_t)get(O_USED + 4 + 8u * (i % QSIZE), 4);
}

static uint32_t used_len(unsigned i)
{
	return (uint32_t)get(O_USED + 8 + 8u * (i % QSIZE), 4);
}

static uint8_t status_of(uint16_t head)
{
	return *ram(O_STATUS + head);
}

static void notify(void)
{
	wr(R_QUEUE_NOTIFY, 0);
}

/* Whether len bytes at data hold the partition's sectors from sector on, as the card has them. */
static bool holds_card(uint64_t data, uint64_t sector, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (*ram(data + i) != stub_pattern(STUB_P2_FIRST + sector + i / 512, i % 512))
			return false;
	return true;
}

/* Reset, ACKNOWLEDGE, DRIVER, the features given, FEATURES_OK: the status read back. */
static uint32_t negotiate(uint32_t lo, uint32_t hi)
{
	wr(R_STATUS, 0);
	wr(R_STATUS, S_ACK);
	wr(R_STATUS, S_ACK | S_DRIVER);
	wr(R_DRIVER_FEATURES_SEL, 0);
	wr(R_DRIVER_FEATURES, lo);
	wr(R_DRIVER_FEATURES_SEL, 1);
	wr(R_DRIVER_FEATURES, hi);
	wr(R_STATUS, S_NEGOTIATED);
	return rd(R_STATUS);
}

/* Queue 0 at the driver's rings, emptied, then ready. */
static void queue_regs(void)
{
	wr(R_QUEUE_SEL, 0);
	wr(R_QUEUE_NUM, QSIZE);
	wr(R_QUEUE_DESC_LOW, (uint32_t)(RAM_IPA + O_DESC));
	wr(R_QUEUE_DESC_HIGH, (uint32_t)((RAM_IPA + O_DESC) >> 32));
	wr(R_QUEUE_DRIVER_LOW, (uint32_t)(RAM_IPA + O_AVAIL));
	wr(R_QUEUE_DRIVER_HIGH, (uint32_t)((RAM_IPA + O_AVAIL) >> 32));
	wr(R_QUEUE_DEVICE_LOW, (uint32_t)(RAM_IPA + O_USED));
	wr(R_QUEUE_DEVICE_HIGH, (uint32_t)((RAM_IPA + O_USED) >> 32));
}

static void queue_setup(void)
{
	memset(ram(0), 0, O_DATA);
	next_desc = 0;
	avail_idx = 0;
	queue_regs();
	wr(R_QUEUE_READY, 1);
	CHECK_EQ(rd(R_QUEUE_READY), 1);
}

/* The driver's whole start-up, as Linux does it. */
static void start(void)
{
	CHECK_EQ(negotiate(FB_SIZE_MAX | FB_SEG_MAX | FB_FLUSH, FB_HI_VERSION_1), S_NEGOTIATED);
	queue_setup();
	wr(R_STATUS, S_NEGOTIATED | S_DRIVER_OK);
	CHECK_EQ(rd(R_STATUS), S_NEGOTIATED | S_DRIVER_OK);
}

static void ack_all(void)
{
	wr(R_INTERRUPT_ACK, rd(R_INTERRUPT_STATUS));
	CHECK(!irq_line());
}

/* Runs the main loop's due tasks at stub_now_ns + ns (the clock moves on). */
static void main_loop_at(uint64_t ns)
{
	stub_now_ns += ns;
	periodic_run_due(stub_now_ns);
}

/* --- set-up ------------------------------------------------------------------------------ */

static void guest_init(struct guest *gg, int id)
{
	gg->id = id;
	memcpy(gg->name, "guest0", 7);
	gg->name[5] = (char)('0' + id);
	gg->state = GUEST_RUNNING;
	gg->ram_ipa = RAM_IPA;
	gg->ram_size = RAM_SIZE;
	gg->ram_host = (uintptr_t)calloc(1, RAM_SIZE);
	if (!gg->ram_host)
		abort();
}

/* The emulator's claim then probe for node path in guest gg: 0, or -1 when one refused. */
static int attach(struct guest *gg, const char *path)
{
	int node = fdt_path_offset(&fdt, path);
	const struct emulator *e = emulator_for_node(&fdt, node);
	if (node < 0 || !e || strcmp(e->name, "virtio-blk")) {
		printf("%s: no virtio-blk node in the test's device tree\n", path);
		exit(2);
	}
	if (e->claim(gg, &fdt, node))
		return -1;
	return e->probe(gg, &fdt, node);
}

/* guest0 with the disk sd:2 at BASE, driven from here on. */
static void disk0(void)
{
	g = &guests[0];
	CHECK_EQ(attach(g, "/virtio_mmio@a000000"), 0);
	CHECK(logged("guest0: disk sd:2 (24 MiB) at 0xa000000"));
}

/* --- scenarios --------------------------------------------------------------------------- */

/* Identification, register widths and offsets, read-only and write-only registers, the
 * config space at each width, queue registers that take no writes. */
static void regs(void)
{
	disk0();
	CHECK_EQ(rd(R_MAGIC), 0x74726976);
	CHECK_EQ(rd(R_VERSION), 2);
	CHECK_EQ(rd(R_DEVICE_ID), 2);
	CHECK_EQ(rd(R_VENDOR_ID), 0x4f4d414d);
	wr(R_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(rd(R_DEVICE_FEATURES), FB_SIZE_MAX | FB_SEG_MAX | FB_FLUSH);
	wr(R_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ(rd(R_DEVICE_FEATURES), FB_HI_VERSION_1);
	wr(R_DEVICE_FEATURES_SEL, 2);
	CHECK_EQ(rd(R_DEVICE_FEATURES), 0);
	wr(R_DEVICE_FEATURES_SEL, 0xffffffff);
	CHECK_EQ(rd(R_DEVICE_FEATURES), 0);
	CHECK_EQ(rd(R_STATUS), 0);
	CHECK_EQ(rd(R_INTERRUPT_STATUS), 0);
	CHECK_EQ(rd(R_CONFIG_GENERATION), 0);

	/* The registers are 32-bit: other widths fault, and change nothing. */
	wr(R_STATUS, S_ACK);
	static const unsigned offs[] = {R_MAGIC, R_STATUS, R_QUEUE_NOTIFY, R_INTERRUPT_ACK,
					R_QUEUE_READY, R_DRIVER_FEATURES};
	static const unsigned sizes[] = {1, 2, 8};
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		for (unsigned k = 0; k < 3; k++) {
			uint64_t v = 0;
			CHECK_EQ(mmio(offs[i], false, sizes[k], &v), GUEST_MMIO_REJECTED);
			CHECK_EQ(mmio(offs[i], true, sizes[k], &v), GUEST_MMIO_REJECTED);
		}
	CHECK_EQ(rd(R_STATUS), S_ACK);       /* the 0 written at other widths was no reset */

	/* Unaligned and reserved offsets read zero and take no writes. */
	CHECK_EQ(rd(R_STATUS + 1), 0);
	CHECK_EQ(rd(R_MAGIC + 2), 0);
	CHECK_EQ(rd(0x0f8), 0);
	wr(R_STATUS + 1, 0);
	wr(R_STATUS + 2, S_ACK | S_DRIVER);
	CHECK_EQ(rd(R_STATUS), S_ACK);
	/* Read-only registers ignore writes; write-only ones read zero. */
	wr(R_MAGIC, 0);
	wr(R_DEVICE_ID, 5);
	wr(R_QUEUE_NUM_MAX, 4);
	wr(R_INTERRUPT_STATUS, I_USED | I_CONFIG);
	CHECK_EQ(rd(R_MAGIC), 0x74726976);
	CHECK_EQ(rd(R_DEVICE_ID), 2);
	CHECK_EQ(rd(R_QUEUE_NUM_MAX), QSIZE);
	CHECK_EQ(rd(R_INTERRUPT_STATUS), 0);
	CHECK(!irq_line());
	wr(R_QUEUE_DESC_LOW, 0x1000);
	CHECK_EQ(rd(R_QUEUE_DESC_LOW), 0);
	CHECK_EQ(rd(R_QUEUE_NOTIFY), 0);
	CHECK_EQ(rd(R_INTERRUPT_ACK), 0);
	CHECK_EQ(rd(R_DRIVER_FEATURES), 0);
	/* Past the 0x200-byte window is no device. */
	uint64_t v = 0;
	CHECK_EQ(mmio(0x200, false, 4, &v), GUEST_MMIO_NODEV);

	/* The config space: capacity (le64, the partition's sectors), size_max (64 KiB),
	 * seg_max (16), at each width the driver may use; nothing after it. */
	uint8_t cfg[16];
	for (int i = 0; i < 8; i++)
		cfg[i] = (uint8_t)((uint64_t)STUB_P2_COUNT >> (8 * i));
	for (int i = 0; i < 4; i++) {
		cfg[8 + i] = (uint8_t)((64u * 1024) >> (8 * i));
		cfg[12 + i] = (uint8_t)(16u >> (8 * i));
	}
	for (unsigned size = 1; size <= 4; size *= 2)
		for (unsigned off = 0; off < 16; off += size) {
			uint64_t want = 0;
			for (unsigned i = 0; i < size; i++)
				want |= (uint64_t)cfg[off + i] << (8 * i);
			CHECK_MSG(rd_cfg(off, size) == want, "config +%u, %u bytes", off, size);
		}
	CHECK_EQ(rd_cfg(0, 4), STUB_P2_COUNT);
	CHECK_EQ(rd_cfg(4, 4), 0);
	CHECK_EQ(rd_cfg(8, 4), 64 * 1024);
	CHECK_EQ(rd_cfg(12, 4), 16);
	CHECK_EQ(rd_cfg(14, 4), 0);          /* the last two bytes, then nothing */
	CHECK_EQ(rd_cfg(13, 2), 0);
	CHECK_EQ(rd_cfg(16, 4), 0);
	CHECK_EQ(rd_cfg(0xfc, 4), 0);
	CHECK_EQ(rd_cfg(0, 8), 0);           /* 64-bit: not a width the driver may use */
	/* The config space is read-only, at any width. */
	v = 0xffffffffffffffffull;
	for (unsigned size = 1; size <= 8; size *= 2)
		CHECK_EQ(mmio(R_CONFIG, true, size, &v), GUEST_MMIO_OK);
	CHECK_EQ(rd_cfg(0, 4), STUB_P2_COUNT);

	/* Queue 1 does not exist: its registers read zero and take nothing, and what is
	 * written to them while it is selected does not reach queue 0. */
	CHECK_EQ(negotiate(0, FB_HI_VERSION_1), S_NEGOTIATED);
	queue_setup();
	wr(R_QUEUE_READY, 0);
	wr(R_QUEUE_SEL, 1);
	CHECK_EQ(rd(R_QUEUE_NUM_MAX), 0);
	CHECK_EQ(rd(R_QUEUE_READY), 0);
	wr(R_QUEUE_NUM, 3);
	wr(R_QUEUE_DESC_LOW, 1);
	wr(R_QUEUE_READY, 1);
	CHECK_EQ(rd(R_QUEUE_READY), 0);
	wr(R_QUEUE_SEL, 0);
	CHECK_EQ(rd(R_QUEUE_READY), 0);
	wr(R_QUEUE_READY, 1);
	CHECK_EQ(rd(R_QUEUE_READY), 1);
	CHECK_EQ(rd(R_STATUS), S_NEGOTIATED);
	/* Queue 0's registers take no writes while it is ready. */
	wr(R_QUEUE_NUM, 3);
	wr(R_QUEUE_DESC_LOW, 1);
	wr(R_QUEUE_DEVICE_HIGH, 0x10);
	wr(R_QUEUE_READY, 0);
	wr(R_QUEUE_READY, 1);
	CHECK_EQ(rd(R_QUEUE_READY), 1);
	CHECK_EQ(rd(R_STATUS), S_NEGOTIATED);
	wr(R_STATUS, S_NEGOTIATED | S_DRIVER_OK);

	/* So the queue serves: GET_ID, and the used-buffer interrupt until acknowledged. */
	uint16_t h = add_req(VIRTIO_BLK_T_GET_ID, 0, O_DATA, VIRTIO_BLK_ID_BYTES, 1);
	push(h);
	notify();
	CHECK_EQ(used_idx(), 1);
	CHECK_EQ(used_id(0), h);
	CHECK_EQ(used_len(0), VIRTIO_BLK_ID_BYTES + 1);
	CHECK_EQ(status_of(h), VIRTIO_BLK_S_OK);
	CHECK(!memcmp(ram(O_DATA), "mamoru-sd", 10));
	CHECK_EQ(rd(R_INTERRUPT_STATUS), I_USED);
	CHECK(irq_line());
	wr(R_INTERRUPT_ACK, I_CONFIG);        /* not the bit that is set */
	CHECK_EQ(rd(R_INTERRUPT_STATUS), I_USED);
	CHECK(irq_line());
	wr(R_INTERRUPT_ACK, I_USED);
	CHECK_EQ(rd(R_INTERRUPT_STATUS), 0);
	CHECK(!irq_line());
	CHECK_STR(list_line(), "disk sd:2 (24 MiB) at 0xa000000: 1 requests, 0 failed\n");

	/* A queue larger than QueueNumMax, or with its used ring outside RAM, is refused when
	 * made ready: the device needs a reset (config interrupt), the queue is not ready. */
	static const struct {
		uint64_t reg;
		uint32_t val;
		const char *why;
	} bad[] = {
		{R_QUEUE_NUM, 2 * QSIZE, "the queue size is not a power of 2 up to the maximum"},
		{R_QUEUE_DEVICE_HIGH, 1, "a ring is outside the guest's RAM"},
	};
	for (unsigned i = 0; i < 2; i++) {
		CHECK_EQ(negotiate(0, FB_HI_VERSION_1), S_NEGOTIATED);
		queue_regs();
		wr(bad[i].reg, bad[i].val);
		wr(R_QUEUE_READY, 1);
		CHECK_EQ(rd(R_QUEUE_READY), 0);
		CHECK_EQ(rd(R_STATUS), S_NEGOTIATED | S_NEEDS_RESET);
		CHECK_EQ(rd(R_INTERRUPT_STATUS), I_CONFIG);
		CHECK(irq_line());
		CHECK_MSG(logged(bad[i].why), "%s", bad[i].why);
	}
	wr(R_STATUS, 0);
	CHECK(!irq_line());
}

/* Only a subset of the offered features that includes VERSION_1 gets FEATURES_OK;
 * the features are fixed once it is set and forgotten by a device reset. */
static void features(void)
{
	disk0();
	CHECK_EQ(negotiate(FB_SEG_MAX | FB_INDIRECT, FB_HI_VERSION_1), S_ACK | S_DRIVER);
	CHECK_EQ(negotiate(FB_SIZE_MAX | FB_SEG_MAX | FB_FLUSH, 0), S_ACK | S_DRIVER);
	CHECK_EQ(negotiate(0, FB_HI_VERSION_1 | FB_HI_RING_PACKED), S_ACK | S_DRIVER);
	CHECK_EQ(negotiate(1u << 31, FB_HI_VERSION_1), S_ACK | S_DRIVER);
	/* Refused, the driver may try again with fewer. */
	wr(R_DRIVER_FEATURES_SEL, 0);
	wr(R_DRIVER_FEATURES, FB_FLUSH);
	wr(R_DRIVER_FEATURES_SEL, 1);
	wr(R_DRIVER_FEATURES, FB_HI_VERSION_1);
	wr(R_STATUS, S_NEGOTIATED);
	CHECK_EQ(rd(R_STATUS), S_NEGOTIATED);
	/* Selector 2 and above hold no features: writes through them are ignored. */
	CHECK_EQ(negotiate(0, FB_HI_VERSION_1), S_NEGOTIATED);
	wr(R_STATUS, S_ACK | S_DRIVER);
	wr(R_DRIVER_FEATURES_SEL, 2);
	wr(R_DRIVER_FEATURES, 0xffffffff);
	wr(R_STATUS, S_NEGOTIATED);
	CHECK_EQ(rd(R_STATUS), S_NEGOTIATED);
	/* After FEATURES_OK the features are fixed: an unoffered one written then is not
	 * taken (clearing FEATURES_OK and setting it again still passes). */
	wr(R_DRIVER_FEATURES_SEL, 0);
	wr(R_DRIVER_FEATURES, FB_INDIRECT);
	wr(R_STATUS, S_ACK | S_DRIVER);
	wr(R_STATUS, S_NEGOTIATED);
	CHECK_EQ(rd(R_STATUS), S_NEGOTIATED);
	/* Exactly what is offered. */
	CHECK_EQ(negotiate(FB_SIZE_MAX | FB_SEG_MAX | FB_FLUSH, FB_HI_VERSION_1), S_NEGOTIATED);
	/* A device reset forgets them: FEATURES_OK without writing any is refused. */
	wr(R_STATUS, 0);
	CHECK_EQ(rd(R_STATUS), 0);
	wr(R_STATUS, S_ACK | S_DRIVER);
	wr(R_STATUS, S_NEGOTIATED);
	CHECK_EQ(rd(R_STATUS), S_ACK | S_DRIVER);
	/* The negotiated device serves. */
	start();
	uint16_t h = add_req(VIRTIO_BLK_T_IN, 3, O_DATA, 4096, 1);
	push(h);
	notify();
	CHECK_EQ(used_idx(), 1);
	CHECK_EQ(status_of(h), VIRTIO_BLK_S_OK);
	CHECK(holds_card(O_DATA, 3, 4096));
}

/* Five 1 MiB reads queued at once: a notify moves at most 2 MiB, the main loop the rest,
 * 2 MiB a turn, and then the task stops; a halted guest's rest is dropped. */
static void budget(void)
{
	disk0();
	start();
	uint16_t heads[5];
	for (unsigned k = 0; k < 5; k++) {
		heads[k] = add_req(VIRTIO_BLK_T_IN, 2048u * k, O_DATA + (uint64_t)k * MIB, MIB,
				   VIRTIO_BLK_SEGS);
		push(heads[k]);
	}
	notify();
	CHECK_EQ(used_idx(), 2);
	CHECK_EQ(stub_io_sectors, 2 * 2048 + 1);     /* and the MBR, read at claim */
	for (unsigned k = 0; k < 2; k++) {
		CHECK_EQ(used_id(k), heads[k]);
		CHECK_EQ(used_len(k), MIB + 1);
		CHECK_EQ(status_of(heads[k]), VIRTIO_BLK_S_OK);
	}
	CHECK_EQ(status_of(heads[2]), 0xff);
	CHECK_EQ(rd(R_INTERRUPT_STATUS), I_USED);
	CHECK(irq_line());
	CHECK(stub_task != NULL);
	if (!stub_task)
		return;
	CHECK_EQ(stub_task->interval_ns, 1000000);
	ack_all();

	/* The main loop's next pass (the other guests, the shell, the IDS) serves nothing:
	 * the rest waits 1 ms from the notify, not the next pass. */
	main_loop_at(0);
	main_loop_at(999999);
	CHECK_EQ(used_idx(), 2);
	CHECK_EQ(stub_io_sectors, 2 * 2048 + 1);
	/* Then turns 1 ms apart, 2 MiB each, each with its interrupt. */
	main_loop_at(1);
	CHECK_EQ(used_idx(), 4);
	CHECK_EQ(stub_io_sectors, 4 * 2048 + 1);
	CHECK_EQ(rd(R_INTERRUPT_STATUS), I_USED);
	CHECK(irq_line());
	CHECK_EQ(stub_task->interval_ns, 1000000);
	ack_all();
	main_loop_at(1000000);
	CHECK_EQ(used_idx(), 5);
	CHECK_EQ(stub_io_sectors, 5 * 2048 + 1);
	CHECK(irq_line());
	CHECK_EQ(stub_task->interval_ns, 0);         /* nothing left: the task stopped */
	for (unsigned k = 0; k < 5; k++) {
		CHECK_EQ(used_id(k), heads[k]);
		CHECK_EQ(status_of(heads[k]), VIRTIO_BLK_S_OK);
		CHECK_MSG(holds_card(O_DATA + (uint64_t)k * MIB, 2048u * k, MIB), "request %u", k);
	}
	main_loop_at(1000000);
	CHECK_EQ(used_idx(), 5);
	CHECK_STR(list_line(), "disk sd:2 (24 MiB) at 0xa000000: 5 requests, 0 failed\n");
	ack_all();

	/* Three more (the same chains again): a notify serves two; the guest halts; the
	 * main loop serves nothing more for it and stops its task. */
	for (unsigned k = 0; k < 3; k++)
		push(heads[k]);
	notify();
	CHECK_EQ(used_idx(), 7);
	CHECK_EQ(stub_task->interval_ns, 1000000);
	g->state = GUEST_HALTED;
	main_loop_at(1000000);
	CHECK_EQ(used_idx(), 7);
	CHECK_EQ(stub_io_sectors, 7 * 2048 + 1);
	CHECK_EQ(stub_task->interval_ns, 0);
	/* A paused guest's rest is served (it is still there to take it). */
	g->state = GUEST_RUNNING;
	ack_all();
	for (unsigned k = 0; k < 2; k++)
		push(heads[k]);
	notify();                            /* the one left, then one of these two */
	CHECK_EQ(used_idx(), 9);
	g->state = GUEST_PAUSED;
	main_loop_at(1000000);
	CHECK_EQ(used_idx(), 10);
	CHECK_EQ(stub_task->interval_ns, 0);
}

/* One 1 MiB chain named 100 times in the available ring: each is served (the device
 * does not track heads), 2 MiB a turn, so the guest holds the hypervisor for one budget
 * at a time however long its ring. */
static void dup_heads(void)
{
	disk0();
	start();
	uint16_t h = add_req(VIRTIO_BLK_T_IN, 0, O_DATA, MIB, VIRTIO_BLK_SEGS);
	for (unsigned k = 0; k < 100; k++)
		push(h);
	notify();
	CHECK_EQ(used_idx(), 2);
	uint64_t moved = stub_io_sectors;
	CHECK_EQ(moved, 2 * 2048 + 1);
	unsigned turns = 0;
	while (used_idx() < 100 && turns < 100) {
		main_loop_at(1000000);
		turns++;
		CHECK_MSG(stub_io_sectors - moved <= 2 * 2048, "turn %u moved %llu sectors", turns,
			  (unsigned long long)(stub_io_sectors - moved));
		moved = stub_io_sectors;
	}
	CHECK_EQ(turns, 49);
	CHECK_EQ(used_idx(), 100);
	for (unsigned k = 0; k < 100; k++)
		CHECK_EQ(used_id(k), h);
	CHECK_EQ(rd(R_STATUS), S_NEGOTIATED | S_DRIVER_OK);
	/* The last turn used the whole budget, so one more looks, finds nothing and stops. */
	main_loop_at(1000000);
	CHECK_EQ(stub_io_sectors, moved);
	CHECK(stub_task && stub_task->interval_ns == 0);
	CHECK(holds_card(O_DATA, 0, MIB));

	/* Two small ones on one head, in one notify: both served, both in the used ring. */
	ack_all();
	uint16_t small = add_req(VIRTIO_BLK_T_IN, 9, O_DATA + MIB, 512, 1);
	push(small);
	push(small);
	notify();
	CHECK_EQ(used_idx(), 102);
	CHECK_EQ(used_id(100), small);
	CHECK_EQ(used_id(101), small);
	CHECK_EQ(status_of(small), VIRTIO_BLK_S_OK);
	CHECK_STR(list_line(), "disk sd:2 (24 MiB) at 0xa000000: 102 requests, 0 failed\n");
}

/* Two good requests then a broken ring in one notify: the two are completed with the
 * used-buffer interrupt, then the device needs a reset (config interrupt) and serves
 * nothing until a device reset. */
static void broken(void)
{
	disk0();
	start();
	uint16_t a = add_req(VIRTIO_BLK_T_IN, 0, O_DATA, 4096, 1);
	uint16_t b = add_req(VIRTIO_BLK_T_IN, 8, O_DATA + 4096, 4096, 1);
	push(a);
	push(b);
	push(200);                           /* a head beyond the queue */
	notify();
	CHECK_EQ(used_idx(), 2);
	CHECK_EQ(used_id(0), a);
	CHECK_EQ(used_id(1), b);
	CHECK_EQ(status_of(a), VIRTIO_BLK_S_OK);
	CHECK_EQ(status_of(b), VIRTIO_BLK_S_OK);
	CHECK(holds_card(O_DATA, 0, 8192));
	CHECK_EQ(rd(R_INTERRUPT_STATUS), I_USED | I_CONFIG);
	CHECK_EQ(rd(R_STATUS), S_NEGOTIATED | S_DRIVER_OK | S_NEEDS_RESET);
	CHECK_EQ(rd(R_QUEUE_READY), 0);
	CHECK(irq_line());
	CHECK(logged("guest0: disk sd:2: a broken virtqueue: the device needs a reset"));
	CHECK_STR(list_line(),
		  "disk sd:2 (24 MiB) at 0xa000000: 2 requests, 0 failed (needs reset)\n");

	/* It serves nothing more, and the driver cannot clear NEEDS_RESET but by a reset. */
	uint64_t moved = stub_io_sectors;
	uint16_t c = add_req(VIRTIO_BLK_T_IN, 16, O_DATA, 512, 1);
	push(c);
	notify();
	wr(R_QUEUE_READY, 1);                /* re-enabling it does not help */
	notify();
	CHECK_EQ(used_idx(), 2);
	CHECK_EQ(stub_io_sectors, moved);
	wr(R_STATUS, S_NEGOTIATED | S_DRIVER_OK);
	CHECK_EQ(rd(R_STATUS) & S_NEEDS_RESET, S_NEEDS_RESET);
	wr(R_INTERRUPT_ACK, I_USED);
	CHECK(irq_line());                   /* the config change is still pending */
	wr(R_INTERRUPT_ACK, I_CONFIG);
	CHECK(!irq_line());

	/* A device reset and a new start: served again, indices from 0. */
	start();
	uint16_t d = add_req(VIRTIO_BLK_T_IN, 24, O_DATA, 512, 1);
	push(d);
	notify();
	CHECK_EQ(used_idx(), 1);
	CHECK_EQ(used_id(0), d);
	CHECK_EQ(status_of(d), VIRTIO_BLK_S_OK);
	CHECK_EQ(rd(R_STATUS), S_NEGOTIATED | S_DRIVER_OK);

	/* A chain with a descriptor outside guest RAM, after a good one: the same. */
	ack_all();
	uint16_t e = add_req(VIRTIO_BLK_T_IN, 32, O_DATA, 512, 1);
	uint16_t f = add_req(VIRTIO_BLK_T_IN, 40, O_DATA + 512, 512, 1);
	put(O_DESC + 16u * (f + 1u), RAM_IPA + RAM_SIZE, 8);
	push(e);
	push(f);
	notify();
	CHECK_EQ(used_idx(), 2);
	CHECK_EQ(used_id(1), e);
	CHECK_EQ(status_of(e), VIRTIO_BLK_S_OK);
	CHECK_EQ(status_of(f), 0xff);
	CHECK_EQ(rd(R_INTERRUPT_STATUS), I_USED | I_CONFIG);
	CHECK_EQ(rd(R_STATUS) & S_NEEDS_RESET, S_NEEDS_RESET);
}

/* QueueReady 1 -> 0 -> 1: the queue goes on from its indices, nothing is served twice. */
static void requeue(void)
{
	disk0();
	start();
	uint16_t a = add_req(VIRTIO_BLK_T_IN, 0, O_DATA, 4096, 1);
	uint16_t b = add_req(VIRTIO_BLK_T_IN, 8, O_DATA + 4096, 4096, 1);
	push(a);
	push(b);
	notify();
	CHECK_EQ(used_idx(), 2);
	ack_all();
	uint64_t moved = stub_io_sectors;
	wr(R_QUEUE_READY, 0);
	CHECK_EQ(rd(R_QUEUE_READY), 0);
	notify();                            /* not ready: nothing */
	wr(R_QUEUE_READY, 1);
	CHECK_EQ(rd(R_QUEUE_READY), 1);
	notify();
	CHECK_EQ(stub_io_sectors, moved);
	CHECK_EQ(used_idx(), 2);
	CHECK_EQ(rd(R_INTERRUPT_STATUS), 0);
	CHECK(!irq_line());
	CHECK_STR(list_line(), "disk sd:2 (24 MiB) at 0xa000000: 2 requests, 0 failed\n");
	/* A new request is served once, in the next used entry. */
	uint16_t c = add_req(VIRTIO_BLK_T_IN, 16, O_DATA + 8192, 512, 1);
	push(c);
	notify();
	CHECK_EQ(used_idx(), 3);
	CHECK_EQ(used_id(2), c);
	CHECK_EQ(stub_io_sectors, moved + 1);
	CHECK_EQ(status_of(c), VIRTIO_BLK_S_OK);
	CHECK_STR(list_line(), "disk sd:2 (24 MiB) at 0xa000000: 3 requests, 0 failed\n");
}

/* Status 0 (a device reset) or a guest reset while the budget left requests for the
 * main loop: everything is forgotten, and the device moves no more data. */
static void reset_mid_use(bool guest_reset)
{
	disk0();
	start();
	uint16_t heads[4];
	for (unsigned k = 0; k < 4; k++) {
		heads[k] = add_req(VIRTIO_BLK_T_IN, 2048u * k, O_DATA + (uint64_t)k * MIB, MIB,
				   VIRTIO_BLK_SEGS);
		push(heads[k]);
	}
	notify();
	CHECK_EQ(used_idx(), 2);
	CHECK(irq_line());
	uint64_t moved = stub_io_sectors;
	memset(ram(O_DATA + 2 * MIB), 0xa5, 2 * MIB);
	if (guest_reset)
		guest_reset_vdevs(g);
	else
		wr(R_STATUS, 0);
	CHECK_EQ(rd(R_STATUS), 0);
	CHECK_EQ(rd(R_INTERRUPT_STATUS), 0);
	CHECK_EQ(rd(R_QUEUE_READY), 0);
	CHECK(!irq_line());
	main_loop_at(1000000);
	main_loop_at(1000000);
	notify();
	CHECK_EQ(stub_io_sectors, moved);
	CHECK_EQ(used_idx(), 2);
	CHECK_EQ(status_of(heads[2]), 0xff);
	CHECK_EQ(*ram(O_DATA + 2 * MIB), 0xa5);
	CHECK(stub_task && stub_task->interval_ns == 0);
	/* The queue is forgotten: made ready again without being set up, it is refused. */
	wr(R_QUEUE_READY, 1);
	CHECK_EQ(rd(R_QUEUE_READY), 0);
	notify();
	CHECK_EQ(stub_io_sectors, moved);
	/* And so are the features (features scenario) and the indices: a new start. */
	ack_all();
	start();
	uint16_t h = add_req(VIRTIO_BLK_T_IN, 5, O_DATA, 1024, 2);
	push(h);
	notify();
	CHECK_EQ(used_idx(), 1);
	CHECK_EQ(used_id(0), h);
	CHECK(holds_card(O_DATA, 5, 1024));
}

static void reset_status(void)
{
	reset_mid_use(false);
}

static void reset_guest(void)
{
	reset_mid_use(true);
}

/* QueueNotify before DRIVER_OK, or before the queue is ready, or for another queue: ignored. */
static void early(void)
{
	disk0();
	CHECK_EQ(negotiate(FB_SEG_MAX, FB_HI_VERSION_1), S_NEGOTIATED);
	queue_setup();
	uint16_t h = add_req(VIRTIO_BLK_T_IN, 0, O_DATA, 4096, 1);
	push(h);
	notify();
	CHECK_EQ(used_idx(), 0);
	CHECK_EQ(stub_io_sectors, 1);
	CHECK_EQ(rd(R_INTERRUPT_STATUS), 0);
	CHECK(!irq_line());
	/* DRIVER_OK with the queue not ready. */
	wr(R_QUEUE_READY, 0);
	wr(R_STATUS, S_NEGOTIATED | S_DRIVER_OK);
	notify();
	CHECK_EQ(used_idx(), 0);
	wr(R_QUEUE_READY, 1);
	/* Another queue's notify. */
	wr(R_QUEUE_NOTIFY, 1);
	CHECK_EQ(used_idx(), 0);
	CHECK_EQ(stub_io_sectors, 1);
	notify();
	CHECK_EQ(used_idx(), 1);
	CHECK_EQ(status_of(h), VIRTIO_BLK_S_OK);
	CHECK(holds_card(O_DATA, 0, 4096));
}

/* The card fails a transfer: that request gets IOERR, the device goes on. Writes reach
 * the partition's sectors; a request past its end gets IOERR and touches nothing. */
static void ioerr(void)
{
	disk0();
	start();
	stub_fail_lba = STUB_P2_FIRST + 8;
	uint16_t a = add_req(VIRTIO_BLK_T_IN, 0, O_DATA, 8192, 2);
	uint16_t b = add_req(VIRTIO_BLK_T_IN, 100, O_DATA + 8192, 512, 1);
	push(a);
	push(b);
	notify();
	CHECK_EQ(used_idx(), 2);
	CHECK_EQ(status_of(a), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(status_of(b), VIRTIO_BLK_S_OK);
	CHECK(holds_card(O_DATA + 8192, 100, 512));
	CHECK_EQ(rd(R_STATUS), S_NEGOTIATED | S_DRIVER_OK);
	CHECK_EQ(rd(R_INTERRUPT_STATUS), I_USED);
	CHECK_STR(list_line(), "disk sd:2 (24 MiB) at 0xa000000: 2 requests, 1 failed\n");
	stub_fail_lba = UINT64_MAX;

	/* A write: on the card at the partition's offset. */
	memset(ram(O_DATA + MIB), 0x5a, 1024);
	uint16_t w = add_req(VIRTIO_BLK_T_OUT, 7, O_DATA + MIB, 1024, 1);
	push(w);
	notify();
	CHECK_EQ(status_of(w), VIRTIO_BLK_S_OK);
	CHECK_EQ(used_len(2), 1);
	CHECK_EQ(stub_card[(STUB_P2_FIRST + 7) * 512], 0x5a);
	CHECK_EQ(stub_card[(STUB_P2_FIRST + 9) * 512 - 1], 0x5a);
	CHECK_EQ(stub_card[(STUB_P2_FIRST + 9) * 512], stub_pattern(STUB_P2_FIRST + 9, 0));
	/* Across the partition's end: IOERR, the sector after it untouched. */
	uint64_t after = (uint64_t)(STUB_P2_FIRST + STUB_P2_COUNT) * 512;
	uint16_t x = add_req(VIRTIO_BLK_T_OUT, STUB_P2_COUNT - 1, O_DATA + MIB, 1024, 1);
	push(x);
	notify();
	CHECK_EQ(status_of(x), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(stub_card[after], stub_pattern(STUB_P2_FIRST + STUB_P2_COUNT, 0));
	CHECK_EQ(rd(R_STATUS), S_NEGOTIATED | S_DRIVER_OK);
}

/* Memory the IDS write-protected: a request writing there, after a good one, and a used
 * ring there make the device need a reset; nothing is written into it. */
static void wp(void)
{
	disk0();
	start();
	memset(ram(O_DATA + MIB), 0xa5, 4096);
	g->wp.armed = true;
	g->wp.nranges = 1;
	g->wp.range[0] = (struct guest_wp_range){RAM_IPA + O_DATA + MIB, 4096};
	uint16_t a = add_req(VIRTIO_BLK_T_IN, 0, O_DATA, 512, 1);
	uint16_t b = add_req(VIRTIO_BLK_T_IN, 8, O_DATA + MIB, 4096, 1);
	push(a);
	push(b);
	notify();
	CHECK_EQ(used_idx(), 1);
	CHECK_EQ(status_of(a), VIRTIO_BLK_S_OK);
	CHECK_EQ(status_of(b), 0xff);
	CHECK_EQ(*ram(O_DATA + MIB), 0xa5);
	CHECK_EQ(*ram(O_DATA + MIB + 4095), 0xa5);
	CHECK_EQ(rd(R_INTERRUPT_STATUS), I_USED | I_CONFIG);
	CHECK_EQ(rd(R_STATUS) & S_NEEDS_RESET, S_NEEDS_RESET);
	CHECK(logged("a request would write into write-protected memory: the device needs a reset"));

	/* The used ring protected: nothing is served. */
	g->wp.range[0] = (struct guest_wp_range){RAM_IPA + O_USED, 4096};
	start();
	uint64_t moved = stub_io_sectors;
	uint16_t c = add_req(VIRTIO_BLK_T_IN, 0, O_DATA, 512, 1);
	push(c);
	notify();
	CHECK_EQ(used_idx(), 0);
	CHECK_EQ(stub_io_sectors, moved);
	CHECK_EQ(rd(R_INTERRUPT_STATUS), I_CONFIG);
	CHECK(logged("its used ring is in write-protected memory: the device needs a reset"));
	/* Disarmed: served. */
	g->wp.armed = false;
	start();
	push(add_req(VIRTIO_BLK_T_IN, 0, O_DATA, 512, 1));
	notify();
	CHECK_EQ(used_idx(), 1);
}

/* Disks refused at claim: the card's boot partition, a card whose MBR cannot be read. The
 * transport is there with device ID 0, its config space empty, its queue never ready. */
static void absent(void)
{
	g = &guests[0];
	base = BASE + 0x200;
	CHECK_EQ(attach(g, "/virtio_mmio@a000200"), 0);
	CHECK(logged("guest0: disk sd:1 refused: it is the card's boot partition"));
	CHECK_EQ(rd(R_MAGIC), 0x74726976);
	CHECK_EQ(rd(R_DEVICE_ID), 0);
	for (unsigned off = 0; off < 16; off += 4)
		CHECK_EQ(rd_cfg(off, 4), 0);
	CHECK_EQ(negotiate(0, FB_HI_VERSION_1), S_NEGOTIATED);
	queue_regs();
	wr(R_QUEUE_READY, 1);
	CHECK_EQ(rd(R_QUEUE_READY), 0);
	wr(R_STATUS, S_NEGOTIATED | S_DRIVER_OK);
	notify();
	CHECK_EQ(rd(R_STATUS), S_NEGOTIATED | S_DRIVER_OK);
	CHECK_STR(list_line(), "disk sd:1: not given (see the boot log)\n");

	g = &guests[1];
	base = BASE;
	stub_fail_lba = 0;
	CHECK_EQ(attach(g, "/virtio_mmio@a000000"), 0);
	CHECK(logged("guest1: disk sd:2 refused: the card's first sector cannot be read"));
	CHECK_EQ(rd(R_DEVICE_ID), 0);
}

/* A partition is one guest's. */
static void shared(void)
{
	disk0();
	g = &guests[1];
	CHECK_EQ(attach(g, "/virtio_mmio@a000000"), 0);
	CHECK(logged("guest1: disk sd:2 refused: it is guest0's disk sd:2 already"));
	CHECK_EQ(rd(R_DEVICE_ID), 0);
	/* A second disk for one guest fails it. */
	CHECK_EQ(attach(&guests[0], "/virtio_mmio@a000400"), -1);
	CHECK(logged("guest0: disk sd:3: a guest has one disk (it asks for sd:2 already)"));
}

static const struct {
	const char *name;
	void (*run)(void);
} scenarios[] = {
	{"regs", regs}, {"features", features}, {"budget", budget}, {"dup_heads", dup_heads},
	{"broken", broken}, {"requeue", requeue}, {"reset_status", reset_status},
	{"reset_guest", reset_guest}, {"early", early}, {"ioerr", ioerr}, {"wp", wp},
	{"absent", absent}, {"shared", shared},
};

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: vblk_test <disk.dtb> <scenario>\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	static uint8_t blob[1 << 14];
	size_t size = f ? fread(blob, 1, sizeof(blob), f) : 0;
	if (f)
		fclose(f);
	if (!size || fdt_init(&fdt, blob, size)) {
		fprintf(stderr, "%s: not a device tree blob\n", argv[1]);
		return 2;
	}
	buffer_console_init(&log_con, log_buf, sizeof(log_buf) - 1);
	sys_console = &log_con.con;
	stub_card_init();
	for (int i = 0; i < GUEST_MAX; i++)
		guest_init(&guests[i], i);
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!strcmp(argv[2], scenarios[i].name)) {
			scenarios[i].run();
			if (check_failures && !logged("\1"))
				printf("boot log:\n%s", log_buf);
			return check_summary("vblk_test");
		}
	fprintf(stderr, "vblk_test: no scenario %s\n", argv[2]);
	return 2;
}
