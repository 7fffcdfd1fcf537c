/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A virtual CPU running at EL1: its general registers (saved and restored
 * by the entry/exit code in guest_entry.S), EL1 system registers and
 * FP/SIMD state (saved when the hypervisor needs to look at them or
 * switch guests), and the last exit's syndrome.
 */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H

/* Offsets used by guest_entry.S. */
#define VCPU_X0 0
#define VCPU_PC (31 * 8)
#define VCPU_PSTATE (32 * 8)
#define VCPU_HOST (33 * 8)

#ifndef __ASSEMBLER__

#include <arch/sysreg_bits.h>
#include <arch/sysreg_emul.h>
#include <mamoru/types.h>

struct guest;

struct vcpu_el1 {
	uint64_t sctlr, ttbr0, ttbr1, tcr, mair, amair, vbar, contextidr;
	uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, sp_el0, sp_el1, elr, spsr;
	uint64_t esr, far, afsr0, afsr1, par, cpacr, cntkctl, csselr;
	uint64_t cntv_ctl, cntv_cval;
};

struct vcpu_fp {
	uint64_t q[64];          /* q0-q31, low then high halves */
	uint64_t fpsr, fpcr;
};

enum vcpu_exit_kind {
	EXIT_SYNC = 0,
	EXIT_IRQ = 1,
	EXIT_FIQ = 2,
	EXIT_SERROR = 3,
};

struct vcpu {
	uint64_t x[31];
	uint64_t pc, pstate;
	uint64_t host[13];       /* x19-x30 and SP of the hypervisor */
	struct vcpu_el1 el1;
	struct vcpu_fp fp;
	bool el1_live;           /* el1/fp hold stale copies: the CPU has the real state */
	struct vcpu_dbg dbg;     /* debug registers as the guest sees them (emulated) */
	uint64_t esr, far, hpfar; /* syndrome of the last synchronous exit */
	uint64_t exits[4], mmio_exits, hvc_exits, wfi_exits, sysreg_exits;
	uint64_t run_ticks;       /* counter ticks spent in the guest (vcpu_run.c) */
	unsigned id;              /* its index in the guest, MPIDR_EL1.Aff0 as the guest sees it */
	bool online;              /* powered on: the boot vCPU, or PSCI CPU_ON until CPU_OFF */
	bool fresh;               /* started by CPU_ON and not run since: it has work to do */
};

_Static_assert(__builtin_offsetof(struct vcpu, pc) == VCPU_PC, "asm offset");
_Static_assert(__builtin_offsetof(struct vcpu, pstate) == VCPU_PSTATE, "asm offset");
_Static_assert(__builtin_offsetof(struct vcpu, host) == VCPU_HOST, "asm offset");

/* Enters the guest with the vCPU's registers; returns on the next exception
 * taken to EL2 with its kind. Call with interrupts masked. */
enum vcpu_exit_kind guest_enter(struct vcpu *v);
void fp_save(struct vcpu_fp *fp);
void fp_restore(const struct vcpu_fp *fp);

/* Puts the vCPU at a kernel entry point (Linux arm64 boot protocol). */
void vcpu_reset(struct vcpu *v, uint64_t entry, uint64_t dtb);
/* Copies the live EL1/FP state into v (when it is live) / loads it. */
void vcpu_save_el1(struct vcpu *v);
void vcpu_load_el1(struct vcpu *v);

#endif /* __ASSEMBLER__ */
#endif
