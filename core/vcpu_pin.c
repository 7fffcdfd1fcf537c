/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pinned vCPUs (mamoru/vcpu_pin.h, docs/smp.md "Pinned vCPUs"): which core a
 * vCPU runs on, kicking a core whose vCPU was given an interrupt, stopping the
 * other cores while the boot CPU looks at guests, the secondary cores' loop,
 * and the guest stops (reset, power off, crash) a secondary posts to the boot
 * CPU.
 *
 * Stopping: the boot CPU raises stop_req with a new generation and sends each
 * core an IPI; the IPI makes a core's vCPU exit, and the core, back in its
 * loop, saves the EL1 state on it (vcpu_put_here), acknowledges the generation
 * and waits with interrupts on (it still answers smp_call) until stop_req
 * falls. The generation keeps an acknowledgement of an earlier stop from
 * counting for a later one.
 */
#include <arch/cpu.h>
#include <arch/vcpu_run.h>
#include <mamoru/console.h>
#include <mamoru/fdt_cpus.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>
#include <mamoru/smp.h>
#include <mamoru/vcpu_pin.h>

/* The boot CPU's vCPUs of g run for ns. Alone, it stops early when they all
 * idle (nothing is in the middle of anything); with the other cores running,
 * it waits out ns for them. */
static void run_here_for(struct guest *g, uint64_t ns, bool others)
{
	uint64_t end = timer_now_ns() + ns;
	while (g->state == GUEST_RUNNING && !g->posted && timer_now_ns() < end) {
		bool ran = false;
		for (unsigned c = 0; c < g->nr_vcpus && g->state == GUEST_RUNNING; c++)
			if (vcpu_core(g, c) == 0 && vcpu_online(g, c))
				ran |= guest_run_slice(g, c) != GUEST_SLICE_IDLE;
		if (!ran && !others)
			break;
		if (!ran)
			cpu_relax();
	}
}

#ifdef CONFIG_VCPU_PIN
static uint32_t kicked[FDT_CPUS_MAX];   /* a kick is on its way to that core */
static uint32_t stop_req, stop_gen;     /* written by the boot CPU */
static uint32_t acked[FDT_CPUS_MAX];    /* the stop generation each core is stopped for */
static unsigned stop_depth;             /* boot CPU only */
static uint32_t not_stopped;            /* boot CPU only */
static uint32_t silent;                 /* cores that did not stop last time (boot CPU only) */

static bool core_runs_vcpus(unsigned core)
{
	struct smp_cpu *c = smp_cpu(core);
	return c && smp_cpu_state(c) == SMP_ONLINE && smp_load_acquire(&c->runs_vcpus);
}

bool vcpus_pinned(void)
{
	for (unsigned k = 1; k < smp_cpu_count(); k++)
		if (core_runs_vcpus(k))
			return true;
	return false;
}

unsigned vcpu_core(const struct guest *g, unsigned vcpu)
{
	(void)g;
	return vcpu && core_runs_vcpus(vcpu) ? vcpu : 0;
}

bool vcpus_own_cores(const struct guest *g)
{
	for (unsigned c = 1; c < g->nr_vcpus; c++)
		if (vcpu_core(g, c) != c)
			return false;
	return true;
}

static void send_ipi(unsigned core)
{
	struct smp_cpu *c = smp_cpu(core);
	if (c)
		irq_send_ipi(c->index, c->mpidr);
}

void vcpu_kick_clear(unsigned cpu)
{
	if (cpu < FDT_CPUS_MAX)
		smp_store_release(&kicked[cpu], 0);
}

bool vcpu_core_kicked(unsigned core)
{
	return core < FDT_CPUS_MAX && smp_load_acquire(&kicked[core]);
}

static bool posted_any(void)
{
	for (int i = 0; i < GUEST_MAX; i++)
		if (smp_load_acquire(&guests[i].posted))
			return true;
	return false;
}

bool vcpus_wake_pending(void)
{
	unsigned me = smp_this_cpu();
	return (me < FDT_CPUS_MAX && smp_load_acquire(&kicked[me])) || (me == 0 && posted_any());
}

/* Under the lock, on its last release: a vCPU that has an interrupt to take,
 * or was started, gets its core kicked once until that core next runs its
 * vCPUs (an IPI to another core; a flag that keeps this one from sleeping). */
void vcpu_kick_waiting(void)
{
	unsigned me = smp_this_cpu();
	for (int i = 0; i < GUEST_MAX; i++) {
		struct guest *g = &guests[i];
		if (g->state != GUEST_RUNNING || g->posted)
			continue;
		for (unsigned c = 0; c < g->nr_vcpus; c++) {
			unsigned k = vcpu_core(g, c);
			if (smp_load_acquire(&kicked[k]) || !vcpu_online(g, c) || !vcpu_wants_kick(g, c))
				continue;
			/* This core's own vCPU (its timer, say): no IPI, but no sleep either
			 * before it runs again. */
			smp_store_release(&kicked[k], 1);
			if (k != me)
				send_ipi(k);
		}
	}
}

uint32_t vcpus_stop_others(void)
{
	if (smp_this_cpu() != 0 || !vcpus_pinned())
		return 0;
	if (stop_depth++)
		return not_stopped;
	uint32_t gen = stop_gen + 1;
	smp_store_release(&stop_gen, gen);
	smp_store_release(&stop_req, 1);
	for (unsigned k = 1; k < smp_cpu_count(); k++)
		if (core_runs_vcpus(k))
			send_ipi(k);
	uint64_t start = timer_now_ns();
	not_stopped = 0;
	for (unsigned k = 1; k < smp_cpu_count(); k++) {
		if (!core_runs_vcpus(k))
			continue;
		/* A core that did not answer last time (stuck with interrupts
		 * masked) gets a moment, not the whole wait again. */
		uint64_t wait_ns = (silent & (1u << k) ? 2 : VCPU_STOP_TIMEOUT_MS) * 1000000ull;
		while (smp_load_acquire(&acked[k]) != gen) {
			if (timer_now_ns() - start > wait_ns) {
				not_stopped |= 1u << k;
				break;
			}
			cpu_relax();
		}
	}
	silent = not_stopped;
	return not_stopped;
}

void vcpus_resume_others(void)
{
	if (smp_this_cpu() != 0 || !stop_depth || --stop_depth)
		return;
	not_stopped = 0;
	smp_store_release(&stop_req, 0);
	for (unsigned k = 1; k < smp_cpu_count(); k++)
		if (core_runs_vcpus(k))
			send_ipi(k);
}

uint32_t vcpus_not_stopped(void)
{
	return stop_depth ? not_stopped : 0;
}

uint32_t vcpus_of_guest_running(const struct guest *g)
{
	/* Outside a stop every other core runs its vCPUs. */
	uint32_t cores = stop_depth ? not_stopped : ~1u, mask = 0;
	for (unsigned c = 0; c < g->nr_vcpus; c++)
		if ((cores >> vcpu_core(g, c)) & 1)
			mask |= 1u << c;
	return mask;
}

void vcpus_let_run(struct guest *g, uint64_t ns)
{
	if (smp_this_cpu() != 0 || !stop_depth) {
		run_here_for(g, ns, false);
		return;
	}
	unsigned depth = stop_depth;
	stop_depth = 1;
	vcpus_resume_others();
	run_here_for(g, ns, true);
	vcpus_stop_others();
	stop_depth = depth;
}

/* A stopped core: nothing of a guest stays on it, and it waits. */
static void park(unsigned me)
{
	uint32_t gen = smp_load_acquire(&stop_gen);
	timer_turn(false);              /* no turn to end while stopped */
	unsigned long f = vcpu_lock();
	vcpu_put_here();
	vcpu_unlock(f);
	smp_store_release(&acked[me], gen);
	while (smp_load_acquire(&stop_req) && smp_load_acquire(&stop_gen) == gen) {
		cpu_irq_mask();
		if (smp_load_acquire(&stop_req) && smp_load_acquire(&stop_gen) == gen)
			smp_sleep();
		cpu_irq_unmask();
	}
}

__noreturn void vcpus_secondary_loop(void)
{
	struct smp_cpu *self = smp_this();
	unsigned me = self->index;
	for (;;) {
		if (smp_load_acquire(&stop_req)) {
			park(me);
			continue;
		}
		if (smp_load_acquire(&self->runs_vcpus) && guests_run())
			continue;
		/* Sleep with interrupts masked so a kick arriving after the check
		 * still wakes the core. */
		cpu_irq_mask();
		if (!smp_load_acquire(&stop_req) && !vcpus_wake_pending()) {
			unsigned long f = vcpu_lock();
			vcpu_before_idle();
			vcpu_unlock(f);
			/* Every vCPU idles: the one whose timer fires first is on the core
			 * (vcpu_before_idle), no turn to end. */
			timer_turn(false);
			smp_sleep();
		}
		cpu_irq_unmask();
	}
}
void vcpu_turns_timed(bool on) { timer_turn(on); }
uint64_t vcpu_turns_ended(unsigned core) { return timer_turns_ended(core); }
#else
bool vcpus_pinned(void) { return false; }
void vcpu_turns_timed(bool on) { (void)on; }
uint64_t vcpu_turns_ended(unsigned core) { (void)core; return 0; }
bool vcpus_own_cores(const struct guest *g) { return g->nr_vcpus <= 1; }
unsigned vcpu_core(const struct guest *g, unsigned vcpu) { (void)g; (void)vcpu; return 0; }
void vcpu_kick_clear(unsigned cpu) { (void)cpu; }
bool vcpu_core_kicked(unsigned core) { (void)core; return false; }
bool vcpus_wake_pending(void) { return false; }
void vcpu_kick_waiting(void) {}
uint32_t vcpus_stop_others(void) { return 0; }
void vcpus_resume_others(void) {}
uint32_t vcpus_not_stopped(void) { return 0; }
uint32_t vcpus_of_guest_running(const struct guest *g) { (void)g; return 0; }

void vcpus_let_run(struct guest *g, uint64_t ns)
{
	run_here_for(g, ns, false);
}

__noreturn void vcpus_secondary_loop(void)
{
	smp_idle();
}
#endif

/* What the boot CPU does with a posted stop (as guest_run_slice did before). */
void guests_act_on_posted(void)
{
	for (int i = 0; i < GUEST_MAX; i++) {
		struct guest *g = &guests[i];
		if (!smp_load_acquire(&g->posted))
			continue;
		vcpus_stop_others();
		/* A core of this guest that did not stop may still be in it: later. */
		if (!vcpus_of_guest_running(g)) {
			/* Halted or paused by the user meanwhile: that stands. */
			if (g->state == GUEST_RUNNING)
				guest_act_on_stop(g, (int)g->posted - 1, g->posted_why);
			g->posted = 0;
		}
		vcpus_resume_others();
	}
}
