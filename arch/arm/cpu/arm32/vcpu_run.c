/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running the ARMv5 vCPU (issue 15): the guest kernel runs in the CPU's USR mode on the
 * shadow tables (guest_trap.S switches worlds); every trap comes back here and is handled
 * with the pure v5 core (virt/): a patch SVC is decoded back to the original instruction
 * and emulated, cp15 accesses (undefined instructions) are emulated, aborts go to the
 * shadow MMU (fill, the guest's own fault, or a device access decoded and emulated), host
 * interrupts stop the burst. docs/armv5-virt.md, "Integration".
 */
#include <arch/arm32_patch.h>
#include <arch/cpu.h>
#include <arch/guest_irq.h>
#include <arch/vcpu_run.h>
#include <arch/vvic.h>
#include <mamoru/console.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>
#include <mamoru/libc.h>
#include <mamoru/vdev.h>
#include "cp15.h"
#include "emulators/vsp804.h"
#include "emulators/vsysregs.h"
#include "guest_trap.h"
#include "virt/v5_ldst.h"

#define BURST 256          /* traps handled before giving the hypervisor a look */
#define STUCK 64           /* the same abort this many times in a row: no progress */
#define FSR_EXTERNAL 0x8u  /* external abort, non-translation (a refused device access) */

/* Nothing of a guest stays on the CPU between vcpu_run calls: the registers go through
 * the world switch's context each time. */
void vcpu_put(struct guest *g) { (void)g; }
bool vcpu_online(const struct guest *g, unsigned cpu) { (void)g; return cpu == 0; }
bool vcpu_pending(const struct guest *g, unsigned cpu) { (void)g, (void)cpu; return false; }
void vcpu_before_idle(void) {}   /* the guest timer is emulated (SP804): nothing on the CPU */
void vcpu_snapshot(struct guest *g) { (void)g; }

const char *arch_guest_irq_model(void) { return "emulated PL190 VIC + SIC (software)"; }

void arch_guest_irq(struct guest *g, unsigned irq, bool level)
{
	struct vvic *v = vvic_of_guest(g);
	if (v)
		vvic_set_line(v, irq, level);
}

/* No passthrough on ARMv5 (arch_guest_map_device refuses): nothing is forwarded. */
unsigned arch_guest_irq_count(void) { return 0; }
void arch_guest_irq_forward(struct guest *g, unsigned virq) { (void)g, (void)virq; }
void arch_guest_irq_raise(struct guest *g, unsigned virq) { (void)g, (void)virq; }

/* --- guest memory, as the instruction being emulated sees it --- */

struct access_ctx {
	struct guest *g;
	bool privileged;
	uint32_t fsr, far;       /* of the failed access */
	bool mmio;
};

static uint8_t *ram_at(struct guest *g, uint32_t gpa, unsigned size)
{
	if (gpa < g->ram_ipa || gpa - g->ram_ipa > g->ram_size - size)
		return NULL;
	return (uint8_t *)g->ram_host + (gpa - (uint32_t)g->ram_ipa);
}

/* One access of size bytes at guest VA va with the rights of the given virtual mode. */
static bool guest_access(struct access_ctx *c, uint32_t va, unsigned size, bool write,
			 uint32_t *val)
{
	struct shadow_outcome o;
	enum shadow_result r = shadow_translate(c->g->arch.mmu, va, write, false, c->privileged, &o);
	c->far = va;
	if (r == SHADOW_FILLED || r == SHADOW_EMULATE) {
		uint8_t *p = ram_at(c->g, o.gpa, size);
		if (!p) {
			c->fsr = FSR_EXTERNAL;
			return false;
		}
		if (write)
			memcpy(p, val, size);    /* little-endian host and guest */
		else {
			*val = 0;
			memcpy(val, p, size);
		}
		return true;
	}
	if (r == SHADOW_MMIO) {
		uint64_t v64 = write ? *val : 0;
		c->mmio = true;
		c->g->arch.mmio++;
		if (guest_mmio(c->g, o.gpa, write, size, &v64) != GUEST_MMIO_OK) {
			guest_bad_access(c->g, write ? "write" : "read", o.gpa, c->g->arch.vcpu.r[15]);
			c->fsr = FSR_EXTERNAL;
			return false;
		}
		if (!write)
			*val = (uint32_t)v64;
		return true;
	}
	c->fsr = r == SHADOW_GUEST_FAULT ? o.fsr : FSR_EXTERNAL;
	return false;
}

static bool core_access(void *ctx, uint32_t va, unsigned size, bool write, bool privileged,
			uint32_t *val, uint32_t *fsr)
{
	struct access_ctx *c = ctx;
	c->privileged = privileged;
	bool ok = guest_access(c, va, size, write, val);
	*fsr = c->fsr;
	return ok;
}

static bool ldst_read(void *ctx, uint32_t va, unsigned size, uint32_t *v)
{
	return guest_access(ctx, va, size, false, v);
}

static bool ldst_write(void *ctx, uint32_t va, unsigned size, uint32_t v)
{
	return guest_access(ctx, va, size, true, &v);
}

static uint32_t reg_get(void *ctx, unsigned r)
{
	return ((struct access_ctx *)ctx)->g->arch.vcpu.r[r & 15];
}

static void reg_set(void *ctx, unsigned r, uint32_t val)
{
	((struct access_ctx *)ctx)->g->arch.vcpu.r[r & 15] = val;
}

static bool reg_carry(void *ctx)
{
	return ((struct access_ctx *)ctx)->g->arch.vcpu.cpsr & V5_PSR_C;
}

/* The instruction word at guest VA va (as the current virtual mode may execute it). */
static bool fetch(struct guest *g, uint32_t va, uint32_t *word)
{
	struct shadow_outcome o;
	enum shadow_result r = shadow_translate(g->arch.mmu, va, false, true,
						v5_privileged(&g->arch.vcpu), &o);
	uint8_t *p = (r == SHADOW_FILLED || r == SHADOW_EMULATE) && !(va & 3) ? ram_at(g, o.gpa, 4) : NULL;
	if (!p)
		return false;
	memcpy(word, p, 4);
	return true;
}

/* --- the patch SVCs (docs/armv5-patching.md) --- */

#define F(imm, K, FIELD) ARM32_PATCH_FIELD(imm, ARM32_PATCH_##K##_##FIELD##_LSB, \
					   ARM32_PATCH_##K##_##FIELD##_WIDTH)

/* The original word of a patch SVC, or false when the immediate is no patch. */
static bool unpatch(uint32_t svc, uint32_t *orig)
{
	uint32_t imm = svc & 0xffffffu, cond = svc & 0xf0000000u;
	switch (ARM32_PATCH_KIND(imm)) {
	case ARM32_PATCH_KIND_MRS:
		*orig = cond | ARM32_PATCH_MRS_BASE | F(imm, MRS, R) << 22 | F(imm, MRS, RD) << 12;
		return true;
	case ARM32_PATCH_KIND_MSR_REG:
		*orig = cond | ARM32_PATCH_MSR_REG_BASE | F(imm, MSR_REG, R) << 22 |
			F(imm, MSR_REG, MASK) << 16 | F(imm, MSR_REG, RM);
		return true;
	case ARM32_PATCH_KIND_MSR_IMM:
		*orig = cond | ARM32_PATCH_MSR_IMM_BASE | F(imm, MSR_IMM, R) << 22 |
			F(imm, MSR_IMM, MASK) << 16 | F(imm, MSR_IMM, ROT) << 8 | F(imm, MSR_IMM, IMM8);
		return true;
	case ARM32_PATCH_KIND_DP_REG:
		*orig = cond | ARM32_PATCH_DP_REG_BASE | F(imm, DP_REG, OPCODE) << 21 |
			F(imm, DP_REG, RN) << 16 | F(imm, DP_REG, SHIFTER);
		return true;
	case ARM32_PATCH_KIND_DP_IMM:
		*orig = cond | ARM32_PATCH_DP_IMM_BASE | F(imm, DP_IMM, OPCODE) << 21 |
			F(imm, DP_IMM, RN) << 16 | F(imm, DP_IMM, ROT) << 8 | F(imm, DP_IMM, IMM8);
		return true;
	case ARM32_PATCH_KIND_LDSTM: {
		uint32_t lo = F(imm, LDSTM, LO), hi = F(imm, LDSTM, HI);
		if (lo > hi)
			return false;
		uint32_t list = ((2u << hi) - 1u) & ~((1u << lo) - 1u);
		*orig = cond | ARM32_PATCH_LDSTM_BASE | F(imm, LDSTM, P) << 24 | F(imm, LDSTM, U) << 23 |
			F(imm, LDSTM, W) << 21 | F(imm, LDSTM, L) << 20 | F(imm, LDSTM, RN) << 16 | list;
		return true;
	}
	default:
		return false;    /* the side table (kind 8) is not loaded yet: see the doc */
	}
}

/* --- traps --- */

enum handled { GO_ON, STOP_IDLE, STOP_CRASH };

static enum handled crash(struct vcpu_stop_info *info, const char *why, uint32_t pc, uint32_t x)
{
	m_snprintf(info->why, sizeof(info->why), "%s at pc 0x%08x (0x%08x)", why, pc, x);
	return STOP_CRASH;
}

static enum handled apply(struct guest *g, const struct v5_result *res)
{
	v5_apply(&g->arch.vcpu, res);
	return res->kind == V5_IDLE ? STOP_IDLE : GO_ON;
}

static enum handled on_svc(struct guest *g, uint32_t pc, struct vcpu_stop_info *info)
{
	struct v5_vcpu *v = &g->arch.vcpu;
	uint32_t word, orig;
	v->r[15] = pc;
	if (!fetch(g, pc, &word))
		return crash(info, "cannot read the SVC it trapped on", pc, 0);
	/* A patch SVC from virtual USR mode is the guest user's own SVC. */
	if (!v5_privileged(v) || !unpatch(word, &orig)) {
		v5_inject(v, V5_EXC_SVC);
		return GO_ON;
	}
	struct access_ctx c = {.g = g};
	const struct v5_mem mem = {&c, core_access};
	g->arch.emulated++;
	struct v5_result res = v5_emulate(v, orig, &mem);
	return apply(g, &res);
}

/* VMRS/VMSR (MRC/MCR p10, 7) of the VFP system registers that USR mode may not use
 * (FPSID, MVFR1, MVFR0, FPEXC, FPINST, FPINST2): the hypervisor uses no VFP (soft float),
 * so the real registers are the guest's; its kernel reaches them through here and keeps
 * managing the VFP state itself (FPEXC.EN: lazy switching through injected undefined
 * instructions, as on its own hardware). False when the word is not one of them. */
#define VFP_SYSREG_MASK 0x0fe00fffu
#define VFP_SYSREG_VAL 0x0ee00a10u
#define VFP_READ(n) __asm__ volatile("mrc p10, 7, %0, c" #n ", c0, 0" : "=r"(val))
#define VFP_WRITE(n) __asm__ volatile("mcr p10, 7, %0, c" #n ", c0, 0" : : "r"(val))

static bool vfp_sysreg(struct v5_vcpu *v, uint32_t word)
{
	if ((word & VFP_SYSREG_MASK) != VFP_SYSREG_VAL)
		return false;
	unsigned reg = (word >> 16) & 0xfu, rt = (word >> 12) & 0xfu;
	bool read = word & (1u << 20);
	if (!v5_privileged(v) || rt == 15 || !(reg == 0 || (reg >= 6 && reg <= 10)))
		return false;
	if (!v5_cond_passed(word >> 28, v->cpsr)) {
		v->r[15] += 4;
		return true;
	}
	uint32_t val = read ? 0 : v->r[rt];
	if (read) {
		switch (reg) {
		case 0: VFP_READ(0); break;
		case 6: VFP_READ(6); break;
		case 7: VFP_READ(7); break;
		case 8: VFP_READ(8); break;
		case 9: VFP_READ(9); break;
		default: VFP_READ(10); break;
		}
		v->r[rt] = val;
	} else {
		switch (reg) {
		case 8: VFP_WRITE(8); break;
		case 9: VFP_WRITE(9); break;
		case 10: VFP_WRITE(10); break;
		default: break;          /* FPSID, MVFR0/1: read-only */
		}
	}
	v->r[15] += 4;
	return true;
}

static enum handled on_undef(struct guest *g, uint32_t pc, struct vcpu_stop_info *info)
{
	struct v5_vcpu *v = &g->arch.vcpu;
	uint32_t word;
	v->r[15] = pc;
	if (!fetch(g, pc, &word))
		return crash(info, "cannot read the undefined instruction", pc, 0);
	if (vfp_sysreg(v, word)) {
		g->arch.emulated++;
		return GO_ON;
	}
	enum v5_insn k = v5_classify(word);
	if (k == V5_INSN_CP15_MCR || k == V5_INSN_CP15_MRC || k == V5_INSN_COPROC_OTHER) {
		g->arch.emulated++;
		struct v5_result res = v5_cp15_emulate(v, word);
		return apply(g, &res);
	}
	v5_inject(v, V5_EXC_UNDEF);
	return GO_ON;
}

static enum handled on_pabt(struct guest *g, uint32_t pc, struct vcpu_stop_info *info)
{
	struct v5_vcpu *v = &g->arch.vcpu;
	struct shadow_outcome o;
	v->r[15] = pc;
	switch (shadow_fault(g->arch.mmu, pc, false, true, v5_privileged(v), &o)) {
	case SHADOW_FILLED:
		return GO_ON;
	case SHADOW_GUEST_FAULT:
		v5_inject_pabt(v, o.fsr);
		return GO_ON;
	case SHADOW_ERROR:
		return crash(info, "shadow MMU refused an instruction fetch", pc, o.error);
	default:
		return crash(info, "instruction fetch from a device or reserved address", pc, o.gpa);
	}
}

/* Whether the load/store word writes (ARMv5 has no write bit in the DFSR). */
static bool writes(uint32_t word, const struct v5_access *a, bool decoded)
{
	if (decoded)
		return a->write;
	return !(word & (1u << 20));     /* LDM/STM, LDC/STC: L is bit 20 */
}

/* repeat: the same instruction aborted on the same address last time. Filling again could
 * not help: the shadow MiB holds the instruction's page and the data's with rights no one
 * kind gives both (Linux's vectors page loading from its stubs page), and each fill drops
 * the other page. The access is then done in software, the MiB left as the fetch needs it. */
static enum handled on_dabt(struct guest *g, uint32_t pc, bool repeat, bool *filled,
			    struct vcpu_stop_info *info)
{
	struct v5_vcpu *v = &g->arch.vcpu;
	uint32_t far = read_far(), word;
	v->r[15] = pc;
	if (!fetch(g, pc, &word))
		return crash(info, "cannot read the instruction that aborted", pc, far);
	struct v5_access a;
	bool decoded = v5_ldst_decode(word, &a) == V5_LDST_OK;
	bool privileged = v5_privileged(v) && !(decoded && a.user);
	struct shadow_outcome o;
	bool w = writes(word, &a, decoded);
	enum shadow_result r = repeat && decoded
		? shadow_translate(g->arch.mmu, far, w, false, privileged, &o)
		: shadow_fault(g->arch.mmu, far, w, false, privileged, &o);
	if (r == SHADOW_FILLED && repeat && decoded)
		r = SHADOW_EMULATE;
	*filled = r == SHADOW_FILLED;
	switch (r) {
	case SHADOW_FILLED:
		return GO_ON;
	case SHADOW_GUEST_FAULT:
		/* Nothing at that guest-physical address (external abort): the hypervisor's
		 * memory and host devices have none. Reported like a refused device access. */
		if ((o.fsr & 0xfu) == 0x8u || (o.fsr & 0xfu) == 0xau)
			guest_bad_access(g, w ? "write to nothing" : "read of nothing", o.gpa, pc);
		v5_inject_dabt(v, o.far, o.fsr);
		return GO_ON;
	case SHADOW_MMIO:
	case SHADOW_EMULATE: {
		if (!decoded)
			return crash(info, "device or reserved-address access by an instruction "
				     "that cannot be emulated", pc, word);
		struct access_ctx c = {.g = g, .privileged = privileged};
		const struct v5_regs regs = {&c, reg_get, reg_set, reg_carry};
		const struct v5_ldst_mem mem = {&c, ldst_read, ldst_write};
		uint32_t before = v->r[15];
		enum v5_ldst_status st = v5_ldst_execute(&a, pc, &regs, &mem);
		if (st == V5_LDST_ABORT) {
			v5_inject_dabt(v, c.far, c.fsr);
			return GO_ON;
		}
		if (st != V5_LDST_OK)
			return crash(info, "cannot emulate the access", pc, word);
		if (v->r[15] == before)
			v->r[15] = pc + 4;       /* not a load to the PC */
		return GO_ON;
	}
	case SHADOW_ERROR:
	default:
		return crash(info, "shadow MMU refused a data access", pc, o.error);
	}
}

/* Host time: the guest's SP804 catches up and drives its line. */
static void sync_devices(struct guest *g)
{
	g->arch.next_timer_ns = sp804_guest_sync(g, timer_now_ns());
}

static void inject_irq(struct guest *g)
{
	struct vvic *vic = vvic_of_guest(g);
	struct v5_vcpu *v = &g->arch.vcpu;
	if (vic && v5_irq_should_take(v, vvic_irq_out(vic)))
		v5_inject(v, V5_EXC_IRQ);
}

static unsigned enter(struct guest *g)
{
	struct v5_vcpu *v = &g->arch.vcpu;
	volatile struct arm32_trap_ctx *t = ARM32_TRAP(ctx);
	for (unsigned i = 0; i < 15; i++)
		t->r[i] = v->r[i];
	t->pc = v->r[15];
	/* The guest runs in USR mode whatever its virtual mode, host IRQs enabled. */
	t->cpsr = MODE_USR | PSR_F | (v->cpsr & V5_PSR_FLAGS);
	t->hyp_ttbr = (uint32_t)(uintptr_t)arm32_hyp_l1();
	t->hyp_dacr = 1;
	t->hyp_sctlr = read_sctlr();
	t->g_ttbr = shadow_ttbr(g->arch.mmu);
	t->g_dacr = shadow_dacr(g->arch.mmu);
	t->g_sctlr = t->hyp_sctlr & ~SCTLR_V;
	/* The SVC fast path (guest_trap.S) may change I and F while the mode stays. */
	struct vvic *vic = vvic_of_guest(g);
	t->vctl = v->cpsr & 0xffu;
	t->fast_ok = (v5_privileged(v) ? 1u : 0u) | (vic && vvic_irq_out(vic) ? 0u : 2u);
	t->fast_count = 0;
	uint64_t entered = timer_now_ns();
	unsigned kind = arm32_run_guest();
	g->arch.run_ns += timer_now_ns() - entered;
	v->cpsr = (v->cpsr & ~(V5_PSR_I | V5_PSR_F)) | (t->vctl & (V5_PSR_I | V5_PSR_F));
	g->arch.fast += t->fast_count;
	g->exits_seen += t->fast_count;
	for (unsigned i = 0; i < 15; i++)
		v->r[i] = t->r[i];
	v->cpsr = (v->cpsr & ~V5_PSR_FLAGS) | (t->cpsr & V5_PSR_FLAGS);
	v->r[15] = t->pc;     /* the mode's lr: the handlers adjust it */
	if (kind < sizeof(g->arch.traps) / sizeof(g->arch.traps[0]))
		g->arch.traps[kind]++;
	return kind;
}

enum vcpu_stop vcpu_run(struct guest *g, unsigned cpu, struct vcpu_stop_info *info)
{
	(void)cpu;                     /* one vCPU (ARCH_GUEST_VCPUS) */
	struct arch_guest *a = &g->arch;
	if (a->broken) {
		m_snprintf(info->why, sizeof(info->why), "its shadow MMU could not be set up");
		return VCPU_CRASHED;
	}
	uint32_t last_pc = 0, last_far = 0;
	unsigned same = 0;
	bool filled_last = false;
	cpu_irq_mask();
	for (unsigned n = 0; n < BURST; n++) {
		sync_devices(g);
		if (vsysregs_take_reset(g))
			return VCPU_RESET;
		inject_irq(g);
		unsigned kind = enter(g);
		g->exits_seen++;
		uint32_t lr = a->vcpu.r[15];
		enum handled h;
		switch (kind) {
		case TRAP_SVC: h = on_svc(g, lr - 4, info); break;
		case TRAP_UNDEF: h = on_undef(g, lr - 4, info); break;
		case TRAP_PABT: h = on_pabt(g, lr - 4, info); break;
		case TRAP_DABT: {
			/* Only a fill retries the instruction: the same abort right after one means
			 * the fill did not help (see on_dabt); a device access completes. */
			uint32_t far = read_far();
			bool repeat = filled_last && lr - 8 == last_pc && far == last_far, filled = false;
			h = on_dabt(g, lr - 8, repeat, &filled, info);
			same = filled && repeat ? same + 1 : 0;
			if (same > STUCK)
				return crash(info, "no progress on a data abort", lr - 8, far),
				       VCPU_CRASHED;
			filled_last = filled;
			last_pc = lr - 8;
			last_far = far;
			break;
		}
		case TRAP_IRQ:
			a->vcpu.r[15] = lr - 4;    /* the next instruction: where it resumes */
			irq_handle();
			sync_devices(g);
			inject_irq(g);
			return VCPU_PREEMPTED;
		default:
			crash(info, "unexpected exception from the guest", lr, kind);
			return VCPU_CRASHED;
		}
		if (h == STOP_CRASH)
			return VCPU_CRASHED;
		if (h == STOP_IDLE) {
			sync_devices(g);
			struct vvic *vic = vvic_of_guest(g);
			if (vic && vvic_irq_out(vic))
				continue;              /* something is pending already */
			return VCPU_IDLE;
		}
	}
	return VCPU_PREEMPTED;         /* its burst used up */
}
