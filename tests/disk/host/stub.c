/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host stand-ins for what emulators/virtio_blk.c calls outside itself: the SD
 * card (in memory, with an injectable failure), passthrough's ownership of host
 * devices, the guest interrupt line, the heap, the guest table and the clock.
 */
#include <stdlib.h>
#include <string.h>

#include <arch/cpu.h>
#include <arch/guest_irq.h>
#include <mamoru/vcpu_pin.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>
#include <mamoru/passthrough.h>
#include <mamoru/periodic.h>
#include <mamoru/sdcard.h>

#include "stub.h"

struct guest guests[GUEST_MAX];

uint8_t *stub_card;
uint64_t stub_fail_lba = UINT64_MAX;
uint64_t stub_io_calls, stub_io_sectors;

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void mbr_entry(uint8_t *mbr, unsigned n, uint8_t type, uint32_t first, uint32_t count)
{
	uint8_t *e = mbr + 0x1be + 16 * (n - 1);
	e[4] = type;
	le32(e + 8, first);
	le32(e + 12, count);
}

void stub_card_init(void)
{
	stub_card = malloc((size_t)STUB_CARD_SECTORS * 512);
	if (!stub_card)
		abort();
	for (uint64_t lba = 0; lba < STUB_CARD_SECTORS; lba++)
		for (unsigned i = 0; i < 512; i++)
			stub_card[lba * 512 + i] = stub_pattern(lba, i);
	memset(stub_card, 0, 512);
	mbr_entry(stub_card, 1, 0x0c, STUB_P1_FIRST, STUB_P1_COUNT);
	mbr_entry(stub_card, 2, 0x83, STUB_P2_FIRST, STUB_P2_COUNT);
	stub_card[510] = 0x55;
	stub_card[511] = 0xaa;
}

static const struct sdcard card = {
	.sectors = STUB_CARD_SECTORS, .base = 0x3f300000, .size = 0x100, .node = "mmc@7e300000",
};

const struct sdcard *sdcard_open(const struct fdt *host, const char **why)
{
	(void)host;
	(void)why;
	return &card;
}

/* Whether [lba, lba + count) is on the card and misses the failing sector. */
static bool transfer(uint64_t lba, uint32_t count)
{
	stub_io_calls++;
	if (lba >= STUB_CARD_SECTORS || count > STUB_CARD_SECTORS - lba)
		return false;
	if (stub_fail_lba >= lba && stub_fail_lba - lba < count)
		return false;
	stub_io_sectors += count;
	return true;
}

int sdcard_read(uint64_t lba, uint32_t count, void *buf)
{
	if (!transfer(lba, count))
		return -1;
	memcpy(buf, stub_card + lba * 512, (size_t)count * 512);
	return 0;
}

int sdcard_write(uint64_t lba, uint32_t count, const void *buf)
{
	if (!transfer(lba, count))
		return -1;
	memcpy(stub_card + lba * 512, buf, (size_t)count * 512);
	return 0;
}

const struct fdt *passthrough_host_tree(void)
{
	return NULL;
}

const char *passthrough_reserve(uint64_t base, uint64_t size, const char *owner)
{
	(void)base, (void)size, (void)owner;
	return NULL;
}

bool stub_irq_level[STUB_IRQS];
unsigned stub_irq_calls;

void arch_guest_irq(struct guest *g, unsigned irq, bool level)
{
	(void)g;
	stub_irq_calls++;
	if (irq < STUB_IRQS)
		stub_irq_level[irq] = level;
}

void *kzalloc(size_t size)
{
	return calloc(1, size);
}

void *kmalloc(size_t size)
{
	return malloc(size);
}

void kfree(void *p)
{
	free(p);
}

uint64_t stub_now_ns;

uint64_t timer_now_ns(void)
{
	return stub_now_ns;
}

struct periodic *stub_task;
unsigned stub_task_starts;

/* Linked with --wrap=periodic_start: the emulator's calls come here first. */
void __real_periodic_start(struct periodic *p, uint64_t interval_ns);
void __wrap_periodic_start(struct periodic *p, uint64_t interval_ns);
void __wrap_periodic_start(struct periodic *p, uint64_t interval_ns)
{
	stub_task = p;
	stub_task_starts++;
	__real_periodic_start(p, interval_ns);
}

/* core/periodic.c walks the linker table of boot-time tasks: one that never runs. */
static bool never_run(struct periodic *p)
{
	(void)p;
	return false;
}
static struct periodic never = {.name = "never", .run = never_run};
PERIODIC_TASK(never);

/* One CPU: nothing runs vCPUs elsewhere to stop around a periodic task. */
uint32_t vcpus_stop_others(void) { return 0; }
void vcpus_resume_others(void) {}
unsigned long vcpu_lock(void) { return 0; }
void vcpu_unlock(unsigned long flags) { (void)flags; }
