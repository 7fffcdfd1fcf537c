/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The CPUs Mamoru runs on (docs/smp.md). At boot the boot CPU brings every
 * core the device tree describes into the hypervisor (PSCI CPU_ON, or the
 * spin table on the Raspberry Pis); each gets its own stack, EL2 state and
 * interrupt controller CPU interface, then idles in WFI with interrupts on,
 * running the calls other CPUs send it by IPI. Without Kconfig SMP only the
 * boot CPU is in the table.
 *
 * CPU indexes: 0 is the boot CPU, then the device tree's other cpu nodes in
 * order, up to FDT_CPUS_MAX.
 */
#ifndef MAMORU_SMP_H
#define MAMORU_SMP_H

#include <mamoru/fdt.h>
#include <mamoru/smp_slot.h>
#include <mamoru/types.h>

enum smp_state {
	SMP_ABSENT,             /* no such CPU (beyond the table) */
	SMP_STARTING,           /* asked to come, not there yet */
	SMP_ONLINE,             /* in the hypervisor, answering IPIs */
	SMP_SILENT,             /* asked to come, did not (within the deadline) */
	SMP_REFUSED,            /* not started: see why */
};

struct smp_cpu {
	/* First member: the vCPU whose EL1 state is on this CPU, read and written
	 * by the world switch (arch/arm/cpu/arm64/guest_entry.S) at offset 0. */
	void *vcpu;
	unsigned index;
	uint64_t mpidr;         /* MPIDR_EL1 affinity (the cpu node's reg) */
	uint32_t state;         /* enum smp_state; acquire/release between CPUs */
	const char *why;        /* SMP_REFUSED: the reason, for `cpus` */
	uint64_t ipis;          /* IPIs this CPU handled (written by it only): */
	uint64_t calls;         /* calls it ran; read both with smp_cpu_ipis/calls */
	uintptr_t stack_top;
	struct smp_slot slot;
	uint32_t call_lock;     /* held by the CPU posting into slot */
	/* Pinned vCPUs (mamoru/vcpu_pin.h): set up to run them (its virtual CPU
	 * interface and timer; written once by the core itself), and the time it
	 * spent in guests, in counter ticks (written by it only). */
	uint32_t runs_vcpus;
	uint64_t guest_ticks;
	uint64_t sleeps;        /* times it waited for an interrupt (smp_sleep; its own) */
};

/* Errors of smp_call (negative). */
#define SMP_ERR_NOCPU (-1)      /* no such CPU, or it is not online */
#define SMP_ERR_TIMEOUT (-2)    /* no answer within the deadline: withdrawn */
#define SMP_ERR_BUSY (-3)       /* an earlier call to it never finished */
#define SMP_ERR_STUCK (-4)      /* it took the call but did not finish in time */
#define SMP_ERR_NOIPI (-5)      /* the interrupt controller cannot send IPIs */

/* How long smp_call waits for an answer. */
#define SMP_CALL_TIMEOUT_MS 200

/* CPUs in the table (the boot CPU and the device tree's others, up to FDT_CPUS_MAX). */
unsigned smp_cpu_count(void);
unsigned smp_online_count(void);
/* The running CPU's index, and its entry (cheap: TPIDR_EL2 on arm64). */
unsigned smp_this_cpu(void);
struct smp_cpu *smp_this(void);
/* CPU i's entry, or NULL beyond smp_cpu_count(). */
struct smp_cpu *smp_cpu(unsigned i);
enum smp_state smp_cpu_state(const struct smp_cpu *c);
uint64_t smp_cpu_ipis(const struct smp_cpu *c);
uint64_t smp_cpu_calls(const struct smp_cpu *c);
uint64_t smp_cpu_guest_ticks(const struct smp_cpu *c);
uint64_t smp_cpu_sleeps(const struct smp_cpu *c);
const char *smp_state_name(enum smp_state s);
const char *smp_err_name(int err);

/*
 * Runs fn(arg) on CPU cpu (in its IPI handler, interrupts masked) and waits
 * until it returns: 0, or a negative SMP_ERR_* after at most about
 * SMP_CALL_TIMEOUT_MS (a CPU that does not answer is reported, never waited
 * for forever). On the calling CPU itself fn runs directly. Call with
 * interrupts on or off; fn must not call smp_call. After SMP_ERR_STUCK fn may
 * still be running: arg must outlive the call (static, or a plain value).
 */
int smp_call(unsigned cpu, smp_fn fn, void *arg);

/* Boot CPU, after the interrupt controller and the timer: starts the others. */
void smp_init(const struct fdt *fdt);
/* The banner's "cpus:" line. */
void smp_report(void);

/* Entered by each secondary CPU (arch code) with its MMU on, on its own stack
 * and with TPIDR_EL2 pointing at its entry; never returns. */
__noreturn void smp_secondary_main(struct smp_cpu *c);
/* This CPU waits for an interrupt (WFI; call with interrupts masked, any
 * pending one ends it) and counts it: a core that "sleeps" thousands of times
 * a second is not sleeping (`cpus` shows the count). */
void smp_sleep(void);
/* A CPU with nothing of its own to do: it sleeps, and wakes only to run the
 * calls IPIs bring (in the interrupt handler). */
__noreturn void smp_idle(void);
/* Called by irq_handle when the IPI interrupt arrives. */
void smp_ipi_handle(void);

/* A flag one CPU writes and others read: acquire/release with Kconfig SMP, a plain
 * volatile access without (ARMv5's GCC would call the Linux kernel's barrier helpers,
 * which a hypervisor does not have). */
static inline uint32_t smp_load_acquire(const uint32_t *p)
{
#ifdef CONFIG_SMP
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
#else
	return *(const volatile uint32_t *)p;
#endif
}

static inline void smp_store_release(uint32_t *p, uint32_t v)
{
#ifdef CONFIG_SMP
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
#else
	*(volatile uint32_t *)p = v;
#endif
}

/* Spinlocks (load-acquire/store-release exclusives on arm64; nothing to do with
 * one CPU). The irqsave forms mask this CPU's interrupts while held, so an
 * interrupt handler on the same CPU cannot deadlock on the lock. Locks are
 * taken only once other CPUs run (before that the MMU may be off, where
 * exclusives do not work). */
typedef struct { uint32_t v; } spinlock_t;
unsigned long spin_lock_irqsave(spinlock_t *l);
void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags);

#endif
