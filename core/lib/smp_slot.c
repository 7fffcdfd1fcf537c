/* SPDX-License-Identifier: GPL-2.0-only */
/* A CPU's call slot (mamoru/smp_slot.h says the protocol). */
#include <mamoru/smp_slot.h>

/*
 * On the arm64 hypervisor and on the host these are the C11 atomics (LDAR,
 * STLR and DMB ISH on arm64: no library calls). ARMv5 has one core and no
 * barrier instruction: plain volatile accesses there.
 */
#if defined(__aarch64__) || defined(MAMORU_HOST)
#define LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define FULL_BARRIER() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#else
#define LOAD_ACQ(p) (*(volatile uint32_t *)(p))
#define STORE_REL(p, v) (*(volatile uint32_t *)(p) = (v))
#define FULL_BARRIER() __asm__ volatile("" ::: "memory")
#endif

bool smp_slot_free(const struct smp_slot *s)
{
	return LOAD_ACQ(&s->done) == s->posted;
}

uint32_t smp_slot_post(struct smp_slot *s, smp_fn fn, void *arg)
{
	uint32_t seq = s->posted + 1;

	s->fn = fn;
	s->arg = arg;
	/* No stale cancel may match this number (after 2^32 calls it could). */
	STORE_REL(&s->cancelled, seq - 1);
	STORE_REL(&s->posted, seq);    /* fn, arg, cancelled visible before the number */
	return seq;
}

enum smp_slot_wait smp_slot_poll(const struct smp_slot *s, uint32_t seq)
{
	if (LOAD_ACQ(&s->done) != seq)
		return SMP_SLOT_PENDING;
	return LOAD_ACQ(&s->ran) == seq ? SMP_SLOT_DONE : SMP_SLOT_SKIPPED;
}

enum smp_slot_cancel smp_slot_cancel(struct smp_slot *s, uint32_t seq)
{
	STORE_REL(&s->cancelled, seq);
	FULL_BARRIER();
	if (LOAD_ACQ(&s->taken) == seq)
		return SMP_SLOT_RUNNING;
	return SMP_SLOT_CANCELLED;
}

bool smp_slot_run(struct smp_slot *s)
{
	uint32_t seq = LOAD_ACQ(&s->posted);

	if (seq == s->done)
		return false;           /* nothing new (done is ours to write) */
	STORE_REL(&s->taken, seq);
	FULL_BARRIER();
	bool run = LOAD_ACQ(&s->cancelled) != seq;
	if (run) {
		s->fn(s->arg);
		STORE_REL(&s->ran, seq);
	}
	STORE_REL(&s->done, seq);
	return run;
}
