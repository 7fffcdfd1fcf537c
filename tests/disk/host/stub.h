/* SPDX-License-Identifier: GPL-2.0-only */
/* What the virtio-blk host test's stand-ins (stub.c) hold and record. */
#ifndef DISK_HOST_STUB_H
#define DISK_HOST_STUB_H

#include <mamoru/periodic.h>
#include <mamoru/types.h>

/* The SD card: STUB_CARD_SECTORS sectors in memory, an MBR in sector 0 with partition 1
 * FAT (the boot partition) and partition 2 Linux; every other sector holds
 * stub_pattern(lba, i) at byte i until something writes it. */
#define STUB_CARD_SECTORS 65536u
#define STUB_P1_FIRST 2048u
#define STUB_P1_COUNT 8192u
#define STUB_P2_FIRST 10240u
#define STUB_P2_COUNT 49152u
extern uint8_t *stub_card;
extern uint64_t stub_fail_lba;          /* a transfer touching it fails (UINT64_MAX: none) */
extern uint64_t stub_io_calls, stub_io_sectors;   /* sdcard_read/write since boot */
void stub_card_init(void);
static inline uint8_t stub_pattern(uint64_t lba, unsigned i)
{
	return (uint8_t)(lba * 7 + i + (lba >> 8));
}

/* The guest interrupt line (arch_guest_irq). */
#define STUB_IRQS 64
extern bool stub_irq_level[STUB_IRQS];
extern unsigned stub_irq_calls;

/* The clock timer_now_ns() reads. */
extern uint64_t stub_now_ns;

/* The last task given to periodic_start (the real one runs too) and its interval. */
extern struct periodic *stub_task;
extern unsigned stub_task_starts;

#endif
