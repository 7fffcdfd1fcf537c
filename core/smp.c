/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The CPUs Mamoru runs on: the table of CPUs from the device tree, bringing
 * the secondaries up, smp_call over IPIs, spinlocks (mamoru/smp.h).
 */
#include <arch/cpu.h>
#include <mamoru/console.h>
#include <mamoru/fdt_cpus.h>
#include <mamoru/irq.h>
#include <mamoru/smp.h>
#include <mamoru/vcpu_pin.h>

#define MPIDR_AFF_MASK 0xff00ffffffull
#define START_WAIT_MS 1000      /* per CPU: how long a started CPU has to come */
#define SECONDARY_STACK 8192    /* the secondaries only idle and run calls */

/* Entry 0 is the boot CPU; head.S points its TPIDR_EL2 here before boot_main. */
struct smp_cpu smp_cpus[FDT_CPUS_MAX];
static unsigned ncpus = 1, in_dt = 1;
static bool others_running;     /* spinlocks are live once a second CPU runs */

#ifdef CONFIG_SMP
static const char *method = "";
static uint8_t stacks[FDT_CPUS_MAX][SECONDARY_STACK] __aligned(16);
#endif

/* Counters one CPU writes and any reads (`cpus`): single-copy atomic 64-bit accesses. */
static uint64_t load64(const uint64_t *p)
{
#ifdef CONFIG_SMP
	return __atomic_load_n(p, __ATOMIC_RELAXED);
#else
	return *p;
#endif
}

static void bump64(uint64_t *p)
{
#ifdef CONFIG_SMP
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
#else
	(*p)++;
#endif
}

uint64_t smp_cpu_ipis(const struct smp_cpu *c) { return load64(&c->ipis); }
uint64_t smp_cpu_calls(const struct smp_cpu *c) { return load64(&c->calls); }
uint64_t smp_cpu_guest_ticks(const struct smp_cpu *c) { return load64(&c->guest_ticks); }
uint64_t smp_cpu_sleeps(const struct smp_cpu *c) { return load64(&c->sleeps); }

void smp_sleep(void)
{
	bump64(&smp_this()->sleeps);
	cpu_wait_irq();
}

unsigned smp_cpu_count(void) { return ncpus; }
struct smp_cpu *smp_this(void) { return arch_this_cpu(); }
unsigned smp_this_cpu(void) { return arch_this_cpu()->index; }
struct smp_cpu *smp_cpu(unsigned i) { return i < ncpus ? &smp_cpus[i] : NULL; }
enum smp_state smp_cpu_state(const struct smp_cpu *c) { return (enum smp_state)smp_load_acquire(&c->state); }

unsigned smp_online_count(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ncpus; i++)
		n += smp_cpu_state(&smp_cpus[i]) == SMP_ONLINE;
	return n;
}

const char *smp_state_name(enum smp_state s)
{
	switch (s) {
	case SMP_STARTING: return "starting";
	case SMP_ONLINE: return "online";
	case SMP_SILENT: return "did not come";
	case SMP_REFUSED: return "refused";
	default: return "absent";
	}
}

const char *smp_err_name(int err)
{
	switch (err) {
	case 0: return "ok";
	case SMP_ERR_NOCPU: return "not online";
	case SMP_ERR_TIMEOUT: return "no answer (timed out)";
	case SMP_ERR_BUSY: return "busy (an earlier call never finished)";
	case SMP_ERR_STUCK: return "took the call but did not finish";
	case SMP_ERR_NOIPI: return "no IPI on this interrupt controller";
	default: return "error";
	}
}

unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = cpu_irq_save();
	if (others_running)
		arch_spin_lock(&l->v);
	return flags;
}

void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	if (others_running)
		arch_spin_unlock(&l->v);
	cpu_irq_restore(flags);
}

static bool deadline_passed(uint64_t start_ns, uint64_t ms)
{
	return timer_now_ns() - start_ns > ms * 1000000ull;
}

int smp_call(unsigned cpu, smp_fn fn, void *arg)
{
	struct smp_cpu *c = smp_cpu(cpu);

	if (!c || smp_cpu_state(c) != SMP_ONLINE)
		return SMP_ERR_NOCPU;
	if (c == smp_this()) {
		unsigned long flags = cpu_irq_save();
		fn(arg);
		cpu_irq_restore(flags);
		return 0;
	}
	unsigned long flags = cpu_irq_save();
	arch_spin_lock(&c->call_lock);
	int err = 0;
	if (!smp_slot_free(&c->slot)) {
		err = SMP_ERR_BUSY;
		goto out;
	}
	uint32_t seq = smp_slot_post(&c->slot, fn, arg);
	if (irq_send_ipi(c->index, c->mpidr)) {
		/* Nobody will take it: withdraw (the target cannot have seen it). */
		smp_slot_cancel(&c->slot, seq);
		err = SMP_ERR_NOIPI;
		goto out;
	}
	uint64_t start = timer_now_ns();
	enum smp_slot_wait w;
	while ((w = smp_slot_poll(&c->slot, seq)) == SMP_SLOT_PENDING) {
		if (deadline_passed(start, SMP_CALL_TIMEOUT_MS))
			break;
		cpu_relax();
	}
	if (w == SMP_SLOT_PENDING) {
		if (smp_slot_cancel(&c->slot, seq) == SMP_SLOT_CANCELLED) {
			err = SMP_ERR_TIMEOUT;
			goto out;
		}
		/* It took the call just now, or is still in fn: a little longer. */
		start = timer_now_ns();
		while ((w = smp_slot_poll(&c->slot, seq)) == SMP_SLOT_PENDING) {
			if (deadline_passed(start, SMP_CALL_TIMEOUT_MS)) {
				err = SMP_ERR_STUCK;
				goto out;
			}
			cpu_relax();
		}
	}
	err = w == SMP_SLOT_DONE ? 0 : SMP_ERR_TIMEOUT;
out:
	arch_spin_unlock(&c->call_lock);
	cpu_irq_restore(flags);
	return err;
}

void smp_ipi_handle(void)
{
	struct smp_cpu *c = smp_this();

	bump64(&c->ipis);
	if (smp_slot_run(&c->slot))
		bump64(&c->calls);
}

#ifdef CONFIG_SMP
/* Waits (bounded) for a started CPU to say it is online. */
static void wait_online(struct smp_cpu *c)
{
	uint64_t start = timer_now_ns();

	while (smp_cpu_state(c) == SMP_STARTING) {
		if (deadline_passed(start, START_WAIT_MS)) {
			smp_store_release(&c->state, SMP_SILENT);
			return;
		}
		cpu_relax();
	}
}

void smp_init(const struct fdt *fdt)
{
	struct fdt_cpu dt[FDT_CPUS_MAX];
	uint64_t self = smp_cpus[0].mpidr = arch_cpu_mpidr() & MPIDR_AFF_MASK;
	int n = fdt_cpus(fdt, dt, FDT_CPUS_MAX);

	smp_store_release(&smp_cpus[0].state, SMP_ONLINE);
	if (n <= 0)
		return;
	in_dt = (unsigned)n;
	if (irq_ipi_init()) {
		printk("smp: the interrupt controller cannot send IPIs; Mamoru stays on the boot CPU\n");
		return;
	}
	for (int i = 0; i < n && i < FDT_CPUS_MAX; i++) {
		if ((dt[i].mpidr & MPIDR_AFF_MASK) == self || ncpus >= FDT_CPUS_MAX)
			continue;
		struct smp_cpu *c = &smp_cpus[ncpus];
		c->index = ncpus++;
		c->mpidr = dt[i].mpidr & MPIDR_AFF_MASK;
		c->stack_top = (uintptr_t)stacks[c->index] + SECONDARY_STACK;
		if (dt[i].enable == CPU_ENABLE_PSCI)
			method = "psci";
		else if (dt[i].enable == CPU_ENABLE_SPIN_TABLE)
			method = "spin-table";
		smp_store_release(&c->state, SMP_STARTING);
		others_running = true;  /* from now on a CPU may come: locks are real */
		c->why = arch_cpu_start(fdt, c, dt[i].enable, dt[i].release_addr);
		if (c->why) {
			smp_store_release(&c->state, SMP_REFUSED);
			continue;
		}
		wait_online(c);
	}
}

__noreturn void smp_secondary_main(struct smp_cpu *c)
{
	el2_init_registers();
	if (irq_cpu_init(c->index)) {
		c->why = "its interrupt controller interface did not start";
		smp_store_release(&c->state, SMP_REFUSED);
		cpu_halt();
	}
	smp_store_release(&c->state, SMP_ONLINE);
	/* Runs the vCPUs pinned here once the boot CPU set the core up for
	 * them; idles meanwhile. Calls arrive by IPI and run in the interrupt
	 * handler. */
	vcpus_secondary_loop();
}
#else
void smp_init(const struct fdt *fdt)
{
	struct fdt_cpu dt[FDT_CPUS_MAX];
	int n = fdt_cpus(fdt, dt, FDT_CPUS_MAX);

	in_dt = n > 0 ? (unsigned)n : 1;
	smp_cpus[0].mpidr = arch_cpu_mpidr() & MPIDR_AFF_MASK;
	smp_store_release(&smp_cpus[0].state, SMP_ONLINE);
}

__noreturn void smp_secondary_main(struct smp_cpu *c)
{
	(void)c;
	cpu_halt();
}
#endif

__noreturn void smp_idle(void)
{
	for (;;) {
		cpu_irq_mask();
		smp_sleep();
		cpu_irq_unmask();
	}
}

void smp_report(void)
{
#ifdef CONFIG_SMP
	unsigned silent = 0, refused = 0;
	for (unsigned i = 0; i < ncpus; i++) {
		silent += smp_cpu_state(&smp_cpus[i]) == SMP_SILENT;
		refused += smp_cpu_state(&smp_cpus[i]) == SMP_REFUSED;
	}
	printk("  cpus: %u in the device tree, %u online", in_dt, smp_online_count());
	if (*method)
		printk(" (%s)", method);
	if (silent)
		printk("; %u did not come", silent);
	if (refused)
		printk("; %u refused (`cpus` says why)", refused);
	if (in_dt > FDT_CPUS_MAX)
		printk("; %u beyond the %u Mamoru handles", in_dt - FDT_CPUS_MAX, FDT_CPUS_MAX);
	printk("\n");
#else
	arch_smp_report();
#endif
}
