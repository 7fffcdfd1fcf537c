/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's interrupt controller: a GICv2 as the guest sees it, with up to
 * VGIC_MAX_VCPUS CPU interfaces (one per vCPU). The distributor is always
 * emulated (vgic.c); how interrupts reach a vCPU is a backend: the GICv2
 * virtual CPU interface with list registers (vgic_lr.c) on hosts that have
 * one, otherwise a trapped, emulated CPU interface with HCR_EL2.VI
 * (vgic_sw.c, its register logic in vgic_cpuif.c: the Raspberry Pi 3 has no
 * GIC, and GICv3 hosts need not offer a GICv2-compatible virtual interface).
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
	/* Hardware virtual CPU interface while this vCPU is off it (list registers). */
	uint32_t saved_lr[16], saved_vmcr, saved_apr, saved_hcr;
};

struct vgic {
	struct guest *guest;
	unsigned nr_cpus;                   /* vgic_guest_vcpus() at probe */
	bool enabled;                       /* GICD_CTLR.Enable */
	struct vgic_bits spi[VGIC_WORDS - 1];   /* interrupts 32 and up */
	uint32_t config[VGIC_NR_IRQS / 16];
	uint8_t priority[VGIC_NR_IRQS];     /* SPIs (0-31: per vCPU) */
	uint8_t targets[VGIC_NR_IRQS];      /* SPIs: GICD_ITARGETSR */
	uint8_t owner[VGIC_NR_IRQS];        /* SPIs: the vCPU that has it in_lr or active */
	struct vgic_cpu cpu[VGIC_MAX_VCPUS];
};

struct vgic_backend {
	const char *name;
	/* Probe the host side; -1 when this host cannot run the backend. */
	int (*host_init)(void);
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
const char *vgic_backend_name(void);

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

/* The emulated GICv2 CPU interface (vgic_cpuif.c): its registers, banked by
 * vgic_current_vcpu(), priv a struct vgic; and the interrupt vCPU cpu would
 * acknowledge now (VGIC_SPURIOUS: none). */
#define VGIC_SPURIOUS 1023
extern const struct vdev_ops vgic_cpuif_ops;
unsigned vgic_cpuif_highest(const struct vgic *v, unsigned cpu);

extern const struct vgic_backend vgic_lr_backend;
extern const struct vgic_backend vgic_sw_backend;

#endif
