/*
 * Running a vCPU: enter the guest, and handle what traps to EL2 until the
 * hypervisor itself is needed: emulated device accesses (data aborts on
 * unmapped guest-physical addresses), PSCI calls, WFI, and host interrupts.
 * Anything the guest is not allowed to do becomes an exception injected
 * into the guest, never a crash of the hypervisor.
 */
#include <arch/sysreg.h>
#include <arch/vcpu_run.h>
#include <arch/vtimer.h>
#include <mamoru/console.h>
#include <mamoru/guest.h>
#include <mamoru/irq.h>
#include <mamoru/libc.h>

#define HCR_VM (1ull << 0)
#define HCR_SWIO (1ull << 1)
#define HCR_FMO (1ull << 3)
#define HCR_IMO (1ull << 4)
#define HCR_AMO (1ull << 5)
#define HCR_TWI (1ull << 13)
#define HCR_TSC (1ull << 19)
#define HCR_RW (1ull << 31)
#define HCR_GUEST (HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_TWI | HCR_TSC | HCR_RW)

#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYSREG 0x18
#define EC_IABT_LOW 0x20
#define EC_DABT_LOW 0x24

#define ESR_IL (1u << 25)
#define FSC_EXT_ABORT 0x10
#define BURST 64           /* traps handled before giving the hypervisor a look */
#define REPORT_LIMIT 8     /* bad accesses reported per guest before going quiet */

static struct guest *loaded;   /* whose EL1 state and stage 2 are on the CPU */

void vcpu_put(struct guest *g)
{
	if (loaded == g) {
		vcpu_save_el1(&g->vcpu);
		g->vcpu.el1_live = false;
		vgic_save(&g->vgic);
		vtimer_set_owner(NULL);
		loaded = NULL;
	}
}

void vcpu_snapshot(struct guest *g)
{
	if (loaded == g)
		vcpu_save_el1(&g->vcpu);
}

static void vcpu_load(struct guest *g)
{
	if (loaded == g)
		return;
	if (loaded)
		vcpu_put(loaded);
	stage2_activate(g->s2);
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, (1ull << 31));       /* uniprocessor-style affinity 0 */
	vcpu_load_el1(&g->vcpu);
	vgic_restore(&g->vgic);
	vtimer_set_owner(g);
	loaded = g;
}

/* Exception vector offset for an exception taken to EL1 from pstate. */
static uint64_t vector_offset(uint64_t pstate)
{
	if (pstate & 0x10)
		return 0x600;                      /* from AArch32 EL0 */
	if ((pstate & 0xc) == 0)
		return 0x400;                      /* from AArch64 EL0 */
	return (pstate & 1) ? 0x200 : 0x000;       /* EL1h : EL1t */
}

/* Makes the guest take a synchronous exception at EL1. */
static void inject_sync(struct vcpu *v, unsigned ec_same, bool lower_ec, uint32_t iss, uint64_t far)
{
	bool from_el0 = (v->pstate & 0xc) == 0;
	unsigned ec = ec_same + ((lower_ec && !from_el0) ? 1 : 0);
	write_sysreg(esr_el1, ((uint64_t)ec << 26) | ESR_IL | iss);
	write_sysreg(far_el1, far);
	write_sysreg(elr_el1, v->pc);
	write_sysreg(spsr_el1, v->pstate);
	v->pc = read_sysreg(vbar_el1) + vector_offset(v->pstate);
	v->pstate = PSTATE_EL1H | PSTATE_DAIF;
}

static void inject_undef(struct vcpu *v)
{
	inject_sync(v, EC_UNKNOWN, false, 0, 0);
}

static void report_bad_access(struct guest *g, const char *what, uint64_t ipa)
{
	g->bad_accesses++;
	if (g->bad_accesses <= REPORT_LIMIT)
		printk("%s: %s at guest-physical 0x%llx (pc 0x%llx): abort injected%s\n", g->name, what,
		       (unsigned long long)ipa, (unsigned long long)g->vcpu.pc,
		       g->bad_accesses == REPORT_LIMIT ? "; further reports suppressed" : "");
}

static struct vdev *find_vdev(struct guest *g, uint64_t ipa)
{
	for (unsigned i = 0; i < g->nvdevs; i++)
		if (ipa >= g->vdevs[i].base && ipa - g->vdevs[i].base < g->vdevs[i].size)
			return &g->vdevs[i];
	return NULL;
}

static void handle_dabt(struct guest *g, uint64_t esr)
{
	struct vcpu *v = &g->vcpu;
	uint64_t ipa = ((v->hpfar >> 4) << 12) | (v->far & 0xfff);
	struct vdev *d = find_vdev(g, ipa);
	bool write = (esr >> 6) & 1;

	if (!d || !((esr >> 24) & 1)) {
		/* Not a device we emulate (or an access we cannot decode). */
		report_bad_access(g, d ? "undecodable device access" : (write ? "write to unmapped memory" :
			"read of unmapped memory"), ipa);
		inject_sync(v, EC_DABT_LOW, true, FSC_EXT_ABORT | (write ? 1u << 6 : 0), v->far);
		return;
	}
	unsigned size = 1u << ((esr >> 22) & 3);
	unsigned reg = (esr >> 16) & 31;
	uint64_t mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
	uint64_t val = 0;
	int err;
	v->mmio_exits++;
	if (write) {
		val = (reg == 31 ? 0 : v->x[reg]) & mask;
		err = d->ops->write(d, ipa - d->base, size, val);
	} else {
		err = d->ops->read(d, ipa - d->base, size, &val);
		val &= mask;
		if (((esr >> 21) & 1) && size < 8 && (val >> (8 * size - 1)) & 1)
			val |= ~mask;                  /* sign-extending load */
		if (!((esr >> 15) & 1))
			val &= 0xffffffffu;            /* W register */
		if (!err && reg != 31)
			v->x[reg] = val;
	}
	if (err) {
		report_bad_access(g, "rejected device access", ipa);
		inject_sync(v, EC_DABT_LOW, true, FSC_EXT_ABORT | (write ? 1u << 6 : 0), v->far);
		return;
	}
	v->pc += 4;
}

static enum run_result handle_sync(struct guest *g, bool *resume)
{
	struct vcpu *v = &g->vcpu;
	unsigned ec = (unsigned)(v->esr >> 26) & 0x3f;
	*resume = true;
	switch (ec) {
	case EC_DABT_LOW:
		handle_dabt(g, v->esr);
		return RUN_INTERRUPTED;
	case EC_IABT_LOW:
		report_bad_access(g, "instruction fetch from unmapped memory",
				  ((v->hpfar >> 4) << 12) | (v->far & 0xfff));
		inject_sync(v, EC_IABT_LOW, true, FSC_EXT_ABORT, v->far);
		return RUN_INTERRUPTED;
	case EC_WFX:
		v->pc += 4;
		v->wfi_exits++;
		if (!(v->esr & 1) && !vgic_has_pending(&g->vgic)) {
			*resume = false;
			return RUN_IDLE;
		}
		return RUN_INTERRUPTED;
	case EC_SMC64:
		v->pc += 4;     /* a trapped SMC returns to itself */
		/* fall through */
	case EC_HVC64: {
		bool handled;
		v->hvc_exits++;
		enum run_result r = vpsci_call(g, &handled);
		if (!handled)
			v->x[0] = (uint64_t)-1;    /* SMCCC: NOT_SUPPORTED */
		if (r != RUN_INTERRUPTED)
			*resume = false;
		return r;
	}
	case EC_SYSREG:
	case EC_UNKNOWN:
		inject_undef(v);
		return RUN_INTERRUPTED;
	default:
		*resume = false;
		m_snprintf(g->reason, sizeof(g->reason), "crashed: unhandled exception class 0x%02x at pc 0x%llx",
			   ec, (unsigned long long)v->pc);
		printk("%s: %s; guest halted\n", g->name, g->reason);
		guest_halt(g, NULL);
		return RUN_STOPPED;
	}
}

enum run_result vcpu_run(struct guest *g)
{
	struct vcpu *v = &g->vcpu;
	enum run_result result = RUN_INTERRUPTED;

	irq_mask();
	vcpu_load(g);
	write_sysreg(hcr_el2, HCR_GUEST);
	isb();
	for (int i = 0; i < BURST; i++) {
		vgic_flush(&g->vgic);
		enum vcpu_exit_kind kind = guest_enter(v);
		v->exits[kind & 3]++;
		g->exits_seen++;
		if (kind == EXIT_SYNC) {
			v->esr = read_sysreg(esr_el2);
			v->far = read_sysreg(far_el2);
			v->hpfar = read_sysreg(hpfar_el2);
		}
		vgic_sync(&g->vgic);
		if (kind == EXIT_IRQ || kind == EXIT_FIQ) {
			irq_handle();
			break;
		}
		if (kind == EXIT_SERROR) {
			m_snprintf(g->reason, sizeof(g->reason), "crashed: SError at pc 0x%llx",
				   (unsigned long long)v->pc);
			printk("%s: %s; guest halted\n", g->name, g->reason);
			guest_halt(g, NULL);
			result = RUN_STOPPED;
			break;
		}
		bool resume;
		result = handle_sync(g, &resume);
		if (!resume || g->state != GUEST_RUNNING)
			break;
	}
	irq_unmask();
	return result;
}
