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

/* The hypervisor's tick and clock: the EL2 physical timer on arm64, an SP804 on ARMv5. */
/* The timer's device-tree node ("arm,armv8-timer" or v7; "arm,sp804"). */
int timer_dt_node(const void *fdt);   /* const struct fdt * */
int timer_init(const void *fdt);   /* const struct fdt * */
uint64_t timer_now_ns(void);
uint64_t timer_ticks(void);
uint64_t timer_freq(void);
#ifdef CONFIG_VCPU_PIN
/* Another core than the boot CPU: its timer interrupt enabled, the timer off. */
int timer_cpu_init(void);
/* On another core than the boot CPU: on, an interrupt one hypervisor tick from now ends
 * the running vCPU's turn (for a core with several vCPUs to run); off, none. */
void timer_turn(bool on);
/* Just before a vCPU enters the guest (interrupts masked): a timed turn's timer is on. */
void timer_turn_enter(void);
/* How many turns core's timer ended. */
uint64_t timer_turns_ended(unsigned core);
#endif

/* Puts the EL2 control registers whose reset values are UNKNOWN in a known
 * state and routes physical interrupts to EL2 (before any guest runs); nothing
 * to do on ARMv5. */
void el2_init_registers(void);

/* Writes back and invalidates [start, start+size) to the point of coherency. */
void dcache_clean_inval_range(const void *start, size_t size);
void icache_invalidate_all(void);

__noreturn void cpu_halt(void);

/* The privilege level the hypervisor runs at: the exception level on arm64 (2
 * once booted), the CPSR mode on ARMv5 (0x13, SVC). */
unsigned cpu_current_el(void);
/* That level for people: "EL2", "SVC". */
const char *cpu_level_name(unsigned level);
/* The level the hypervisor must be entered at (as cpu_current_el() counts), and
 * how to have a loader start it there, for the error when it was not. */
extern const unsigned cpu_boot_level;
extern const char cpu_boot_hint[];

/* Interrupts to this CPU off / on, and sleeping until one is pending (with
 * interrupts masked it still wakes; the caller unmasks to take it). */
void cpu_irq_mask(void);
void cpu_irq_unmask(void);
void cpu_wait_irq(void);

/* Moves the secondary cores the device tree starts by spin table out of the
 * firmware's loop into the hypervisor's WFI park (arm64; call after
 * mm_discover, before mmu_init); arch_smp_report prints what it did in the
 * boot banner. ARMv5: one core, nothing to do. */
void arch_park_secondaries(const void *fdt);   /* const struct fdt * */
void arch_smp_report(void);

/* On a board whose DMA masters reach only low RAM (board_desc.dma_low_end), moves
 * the image above that, when the tree has free RAM there, and enters it again at
 * _start: called first thing at boot, before anything writes the image's data
 * (arm64: image_place.c; the moved image clears its .bss and relocates itself
 * anew). Returns when it does not move it. arch_image_loaded_at() is where the
 * loader put the image when it was moved, else 0. ARMv5: never moves it. */
void arch_image_place(uintptr_t dtb_pa);
uintptr_t arch_image_loaded_at(void);
/* When the image was moved: a page inside the DMA window for what a bus master must
 * reach (the Pi firmware's mailbox messages), the last page of the image as loaded
 * (zeros after its .bss, which nothing uses; reserved with it). Else 0. */
uintptr_t arch_image_low_page(void);

/* SMP (Kconfig SMP, core/smp.c). The running CPU's entry in the CPU table
 * (TPIDR_EL2 on arm64) and its MPIDR. */
struct smp_cpu;
struct smp_cpu *arch_this_cpu(void);
uint64_t arch_cpu_mpidr(void);
/* Starts CPU c (c->mpidr, c->stack_top) at the hypervisor's secondary entry by its
 * cpu node's enable method (enum cpu_enable) and, for a spin table, release address;
 * NULL when it was asked to come, else why it was not. */
const char *arch_cpu_start(const void *fdt, struct smp_cpu *c, int method, uint64_t release_addr);
/* Spinlock word: 0 free, 1 held (load-acquire/store-release exclusives on arm64). */
void arch_spin_lock(uint32_t *lock);
void arch_spin_unlock(uint32_t *lock);
/* Interrupt mask state saved and restored (nests), and a busy-wait hint. */
unsigned long cpu_irq_save(void);
void cpu_irq_restore(unsigned long flags);
void cpu_relax(void);

/* Sets up what guests need from this CPU and interrupt controller (the
 * vGIC backend, the virtual timer interrupt); says what is missing and
 * returns -1 when no guest can run on this host. */
int arch_virt_init(const void *fdt);   /* const struct fdt * */

#endif
