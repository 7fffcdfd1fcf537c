/* SPDX-License-Identifier: GPL-2.0-only */
/* Architecture services the portable core calls. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <mamoru/regions.h>

/* Image layout, from the linker script (addresses after relocation). */
extern char __image_start[], __text_end[], __rodata_end[], __bss_start[], __bss_end[], __image_end[];

/* Builds the EL2 stage-1 identity map (RAM normal cacheable, the image with
 * W^X permissions, everything else device memory) and turns on the MMU and
 * caches. */
int mmu_init(const struct mem_region *ram, size_t nram);

/* EL2 physical timer. */
/* The architected timer's device-tree node ("arm,armv8-timer" or v7). */
int timer_dt_node(const void *fdt);   /* const struct fdt * */
int timer_init(const void *fdt);   /* const struct fdt * */
uint64_t timer_now_ns(void);
uint64_t timer_ticks(void);
uint64_t timer_freq(void);

/* Puts the EL2 control registers whose reset values are UNKNOWN in a known
 * state and routes physical interrupts to EL2 (before any guest runs). */
void el2_init_registers(void);

/* Writes back and invalidates [start, start+size) to the point of coherency. */
void dcache_clean_inval_range(const void *start, size_t size);
void icache_invalidate_all(void);

__noreturn void cpu_halt(void);

/* The exception level the hypervisor runs at (2 once booted). */
unsigned cpu_current_el(void);

/* Interrupts to this CPU off / on, and sleeping until one is pending (with
 * interrupts masked it still wakes; the caller unmasks to take it). */
void cpu_irq_mask(void);
void cpu_irq_unmask(void);
void cpu_wait_irq(void);

/* Sets up what guests need from this CPU and interrupt controller (the
 * vGIC backend, the virtual timer interrupt); says what is missing and
 * returns -1 when no guest can run on this host. */
int arch_virt_init(const void *fdt);   /* const struct fdt * */

#endif
