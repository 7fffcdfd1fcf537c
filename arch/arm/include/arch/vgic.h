/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's interrupt controller: a GICv2 as the guest sees it, or a GICv3
 * on hosts whose backend is the GICv3 virtual CPU interface, with up to
 * VGIC_MAX_VCPUS CPU interfaces (one per vCPU). The distributor (and the
 * GICv3's redistributors) are always emulated (vgic.c, vgic_v3.c); how
 * interrupts reach a vCPU is a backend: the GICv3 virtual CPU interface with
 * ICH_* list registers (vgic_ich.c) on GICv3 hosts, the GICv2 virtual CPU
 * interface with GICH list registers (vgic_lr.c) on GICv2 hosts that have
 * one, otherwise a trapped, emulated GICv2 CPU interface with HCR_EL2.VI
 * (vgic_sw.c, its register logic in vgic_cpuif.c: the Raspberry Pi 3 has no
 * GIC). One model of the state serves both views.
 * The distributor registers itself as an emulator (EMULATOR(), matched on the
 * guest device tree's GIC node). Emulated devices raise interrupts (SPIs) with
 * arch_guest_irq() (arch/guest_irq.h), which lands in vgic_set_level(); the
 * virtual timer uses vgic_raise_private(). Neither sees which backend runs.
 *
 * State: SGIs and PPIs (0-31) are banked, one struct vgic_cpu per vCPU; SPIs
 * have one global state and are routed by ITARGETSR. A pending SGI remembers
 * which vCPUs sent it; one source at a time is in flight.
 */
#ifndef ARCH_VGIC_H
#define ARCH_VGIC_H

#include <mamoru/types.h>

#define VGIC_NR_IRQS 64          /* SGIs, PPIs and 32 SPIs */
#define VGIC_WORDS (VGIC_NR_IRQS / 32)
#define VGIC_MAX_VCPUS 4
#define VGIC_NO_VCPU 0xff        /* an SPI with no vCPU to go to */

struct guest;
struct vdev_ops;

/* Provided by the CPU side (arch/arm/cpu/<arch>/; the host tests stub them). */
/* The guest's vCPU count, 1..VGIC_MAX_VCPUS, fixed once the guest exists. */
unsigned vgic_guest_vcpus(const struct guest *g);
/* The vCPU whose register access is being emulated. */
unsigned vgic_current_vcpu(const struct guest *g);

/* The state of 32 interrupts, one bit each. */
struct vgic_bits {
	uint32_t enable;
	uint32_t pending;       /* edge: latched until delivered (SGIs: see sgi_pending) */
	uint32_t level;         /* level: line state from the device */
	uint32_t active;
	uint32_t group;
	uint32_t in_lr;         /* handed to the backend */
	uint32_t eoi_asked;     /* in_lr with EOI maintenance asked (list registers) */
	uint32_t forwarded;     /* from a host interrupt (passthrough; SPIs only) */
};

/* What one vCPU has of its own: its SGIs and PPIs and its CPU interface. */
struct vgic_cpu {
	struct vgic_bits bits;              /* interrupts 0-31 */
	uint8_t priority[32];
	uint8_t sgi_pending[16];            /* per SGI: the source vCPUs waiting (bit n: vCPU n) */
	uint8_t sgi_source[16];             /* per SGI: the source of the one in flight */
	uint8_t lr_of[VGIC_NR_IRQS];        /* backend slot of an in_lr interrupt */
	/* Emulated CPU interface (software backend). */
	uint32_t cpu_ctlr, cpu_pmr, cpu_bpr;
	/* Hardware virtual CPU interface while this vCPU is off it (list registers;
	 * GICv3: 64-bit ICH_LR<n>_EL2 and the AP0R/AP1R active priorities). */
	uint64_t saved_lr[16];
	uint32_t saved_vmcr, saved_apr, saved_hcr;
	uint32_t saved_ap0r[4], saved_ap1r[4];
	/* GICv3 view: this vCPU's redistributor's GICR_WAKER.ProcessorSleep. */
	bool rd_asleep;
};

struct vgic {
	struct guest *guest;
	unsigned nr_cpus;                   /* vgic_guest_vcpus() at probe */
	bool enabled;                       /* GICD_CTLR.Enable (GICv3: EnableGrp0 or 1) */
	bool v3;                            /* the guest sees a GICv3 (vgic_v3.c) */
	uint8_t v3_ctlr;                    /* GICv3 GICD_CTLR.EnableGrp0/1 as written */
	uint64_t irm;                       /* GICv3: SPIs whose GICD_IROUTER has IRM set */
	struct vgic_bits spi[VGIC_WORDS - 1];   /* interrupts 32 and up */
	uint32_t config[VGIC_NR_IRQS / 16];
	uint8_t priority[VGIC_NR_IRQS];     /* SPIs (0-31: per vCPU) */
	uint8_t targets[VGIC_NR_IRQS];      /* SPIs: GICD_ITARGETSR */
	uint8_t owner[VGIC_NR_IRQS];        /* SPIs: the vCPU that has it in_lr or active */
	struct vgic_cpu cpu[VGIC_MAX_VCPUS];
};

struct vgic_backend {
	const char *name;
	/* The guest sees a GICv3 (distributor, redistributors, system-register CPU
	 * interface) instead of a GICv2; guest_init then gets no CPU interface. */
	bool gicv3;
	/* Probe the host side; -1 when this host cannot run the backend. */
	int (*host_init)(void);
	/* Another core that is to run vCPUs: set up its own (banked) interface,
	 * after host_init on the boot CPU; NULL when there is nothing per core. */
	int (*cpu_init)(void);
	/* Give the guest its CPU interface at gicc_ipa (map or emulate). */
	int (*guest_init)(struct vgic *v, uint64_t gicc_ipa, uint64_t gicc_size);
	/* Before entering vCPU cpu, interrupts masked: deliver what is pending. */
	void (*flush)(struct vgic *v, unsigned cpu);
	/* After leaving it: collect what the guest completed. */
	void (*sync)(struct vgic *v, unsigned cpu);
	void (*reset)(struct vgic *v);
	/* vCPU cpu leaves the physical CPU interface / gets it back. */
	void (*save)(struct vgic *v, unsigned cpu);
	void (*restore)(struct vgic *v, unsigned cpu);
};

/* The bits holding irq's state as vCPU cpu sees it (its bank for 0-31). */
static inline struct vgic_bits *vgic_bits_of(struct vgic *v, unsigned cpu, unsigned irq)
{
	return irq < 32 ? &v->cpu[cpu].bits : &v->spi[irq / 32 - 1];
}

static inline const struct vgic_bits *vgic_cbits_of(const struct vgic *v, unsigned cpu,
						    unsigned irq)
{
	return irq < 32 ? &v->cpu[cpu].bits : &v->spi[irq / 32 - 1];
}

static inline uint8_t vgic_priority(const struct vgic *v, unsigned cpu, unsigned irq)
{
	return irq < 32 ? v->cpu[cpu].priority[irq] : v->priority[irq];
}

/* Picks a backend for this host at boot; -1 if none works. */
int vgic_host_init(void);
/* On another core, after vgic_host_init: its part (backend cpu_init); -1 when it cannot. */
int vgic_cpu_init(void);
const char *vgic_backend_name(void);
struct console;
/* vCPU cpu's interrupt state (with vCPU 0: the SPIs too), for `guest regs`. */
void vgic_print_vcpu(struct console *con, const struct vgic *v, unsigned cpu);

void vgic_reset(struct vgic *v);
/* vCPU cpu is powered off or on afresh (PSCI): its SGIs, PPIs and CPU interface as
 * after a reset, the SPIs it held given back. Call with it off the CPU (vcpu_put). */
void vgic_vcpu_reset(struct vgic *v, unsigned cpu);
/* Level-sensitive SPI line from an emulated device (0-31: vCPU 0's). */
void vgic_set_level(struct vgic *v, unsigned irq, bool level);
/* Edge on an SPI (0-31: vCPU 0's). */
void vgic_raise(struct vgic *v, unsigned irq);
/* Edge on a PPI or SGI of vCPU cpu (the virtual timer: PPI 27); an SGI's source is cpu. */
void vgic_raise_private(struct vgic *v, unsigned cpu, unsigned irq);
/* Something deliverable is pending for vCPU cpu (for WFI). */
bool vgic_has_pending(const struct vgic *v, unsigned cpu);
/* Would vCPU cpu's WFI end now: vgic_has_pending, and with the emulated CPU interface
 * also its enable, priority mask and running priority (a vCPU that masked everything
 * idles instead of spinning through WFI). */
bool vgic_wakes(const struct vgic *v, unsigned cpu);
/* vCPU cpu has an interrupt it could take that is not in its list registers or
 * active yet, or one pending again while in a list register that does not ask for EOI
 * maintenance (vgic_ask_eoi_if_pending_again): a vCPU on another core is kicked for it
 * (cheap: a few words). */
bool vgic_kick_wanted(const struct vgic *v, unsigned cpu);
void vgic_flush(struct vgic *v, unsigned cpu);
void vgic_sync(struct vgic *v, unsigned cpu);
/* vCPU cpu leaves the physical CPU interface (another vCPU or guest gets it) / gets it back. */
void vgic_save(struct vgic *v, unsigned cpu);
void vgic_restore(struct vgic *v, unsigned cpu);

/* For backends. */
/* irq should be signalled to vCPU cpu now and is not yet. */
bool vgic_deliverable(const struct vgic *v, unsigned cpu, unsigned irq);
/* The vCPU an SPI goes to: the lowest-numbered existing vCPU of its targets,
 * VGIC_NO_VCPU when there is none. */
unsigned vgic_spi_target(const struct vgic *v, unsigned irq);
/* A deliverable irq goes to vCPU cpu: its edge is consumed (an SGI: the
 * lowest-numbered source), an SPI gets cpu as owner. Returns the interrupt ID
 * as the guest's GICC_IAR shows it (an SGI's source in bits 12:10); the
 * backend then marks it in_lr or active. */
uint32_t vgic_take(struct vgic *v, unsigned cpu, unsigned irq);
/* Backend reports vCPU cpu finished (EOI) an interrupt; a forwarded one is then
 * unmasked at the host (passthrough_eoi). List-register backends ask for EOI
 * maintenance on forwarded interrupts so that this happens at once. */
void vgic_completed(struct vgic *v, unsigned cpu, unsigned irq);
/* For list-register backends: gives vCPU cpu's deliverable interrupts, lowest first,
 * to its free list registers (bit n of free: register n, n < nr), each taken
 * (vgic_take: its IAR value), written by put(v, cpu, n, irq, iar, eoi) and marked
 * in_lr; eoi asks for EOI maintenance (a level or forwarded interrupt). True when one
 * found no free register: the backend asks for an underflow interrupt. */
typedef void vgic_put_lr(struct vgic *v, unsigned cpu, unsigned n, unsigned irq, uint32_t iar,
			 bool eoi);
bool vgic_fill_lrs(struct vgic *v, unsigned cpu, uint64_t free, unsigned nr, vgic_put_lr *put);
/* For list-register backends, after vgic_fill_lrs: interrupts pending for vCPU cpu again
 * while an earlier one of them still sits in a list register (a guest timer that fires
 * again before its handler's EOI; an SGI from a second source). Only an exit presents
 * them, and a vCPU busy in user space with its timer masked makes none: ask_eoi(n) has
 * list register n ask for EOI maintenance, so the guest's EOI is that exit (marked
 * eoi_asked; one raised from another core kicks the vCPU's core so that this runs). */
typedef void vgic_ask_eoi(unsigned n);
void vgic_ask_eoi_if_pending_again(struct vgic *v, unsigned cpu, vgic_ask_eoi *ask_eoi);

/* The registers the GICv2 distributor, the GICv3 distributor and the GICv3
 * redistributor's SGI_base frame share (IGROUPR, I[SC]ENABLER, I[SC]PENDR,
 * I[SC]ACTIVER, IPRIORITYR, ICFGR), for interrupts lo..hi-1 as vCPU cpu sees
 * them; offsets of other interrupts read as zero and ignore writes. False when
 * off is none of these registers. With sgi_pend (GICv3), ISPENDR0/ICPENDR0 set
 * and clear SGIs too (source: cpu). */
bool vgic_common_read(struct vgic *v, unsigned cpu, uint64_t off, unsigned size, uint64_t *val,
		      unsigned lo, unsigned hi);
bool vgic_common_write(struct vgic *v, unsigned cpu, uint64_t off, unsigned size, uint64_t val,
		       unsigned lo, unsigned hi, bool sgi_pend);

/* GICv3 view (vgic_v3.c). The distributor (GICD, 64 KiB) and the redistributors
 * (one 128 KiB RD_base + SGI_base pair per vCPU) as emulated devices. */
#define VGIC_V3_GICD_SIZE 0x10000ull
#define VGIC_V3_GICR_STRIDE 0x20000ull
/* Where the guest's redistributors go: this far above its distributor (QEMU
 * virt's layout, clear of the GICv2 CPU interface page the tree named). */
#define VGIC_V3_GICR_OFFSET 0xa0000ull
extern const struct vdev_ops vgic_v3_dist_ops, vgic_v3_rdist_ops;
/* ICC_SGI1R_EL1 written by vCPU self: the SGI to the vCPUs it names (IRM: all but
 * self; else Aff3.Aff2.Aff1 must be 0 and RS:TargetList names Aff0 = vCPU). */
void vgic_v3_sgi1r(struct vgic *v, unsigned self, uint64_t val);
/* A system register access of vCPU cpu that trapped (op0 3 encoding as
 * arch/sysreg_emul.h's SYSREG_ENC). VGIC_SYSREG_NOT_MINE unless the guest sees a
 * GICv3 and enc is a GIC register that traps: ICC_SGI1R_EL1 (sent), ICC_ASGI1R_EL1
 * and ICC_SGI0R_EL1 (group 0 / other security state: ignored), ICC_SRE_EL1
 * (SRE, DFB, DIB read as 1, writes ignored). */
enum vgic_sysreg_result { VGIC_SYSREG_NOT_MINE, VGIC_SYSREG_DONE, VGIC_SYSREG_UNDEF };
enum vgic_sysreg_result vgic_sysreg(struct vgic *v, unsigned cpu, uint32_t enc, bool read,
				    uint64_t *val);
/* ID_AA64PFR0_EL1 as the guest reads it: GIC (bits 27:24) 1 when it sees a GICv3. */
uint64_t vgic_guest_pfr0(const struct vgic *v, uint64_t val);
/* The backend in use gives guests a GICv3. */
bool vgic_backend_gicv3(void);

/* The emulated GICv2 CPU interface (vgic_cpuif.c): its registers, banked by
 * vgic_current_vcpu(), priv a struct vgic; and the interrupt vCPU cpu would
 * acknowledge now (VGIC_SPURIOUS: none). */
#define VGIC_SPURIOUS 1023
extern const struct vdev_ops vgic_cpuif_ops;
unsigned vgic_cpuif_highest(const struct vgic *v, unsigned cpu);

extern const struct vgic_backend vgic_ich_backend;
extern const struct vgic_backend vgic_lr_backend;
extern const struct vgic_backend vgic_sw_backend;

#endif
