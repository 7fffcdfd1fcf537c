/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's interrupt controller: a GICv2 as the guest sees it. The
 * distributor is always emulated (vgic.c); how interrupts reach the vCPU is
 * a backend: the GICv2 virtual CPU interface with list registers
 * (vgic_lr.c) on hosts that have one, otherwise a trapped, emulated CPU
 * interface with HCR_EL2.VI (vgic_sw.c: the Raspberry Pi 3 has no GIC, and
 * GICv3 hosts need not offer a GICv2-compatible virtual interface). The
 * distributor registers itself as an emulator (EMULATOR(), matched on the
 * guest device tree's GIC node). Emulated devices raise interrupts with
 * arch_guest_irq() (arch/guest_irq.h), which lands in vgic_set_level(); the
 * virtual timer uses vgic_raise(). Neither sees which backend runs.
 */
#ifndef ARCH_VGIC_H
#define ARCH_VGIC_H

#include <mamoru/types.h>

#define VGIC_NR_IRQS 64          /* SGIs, PPIs and 32 SPIs */
#define VGIC_WORDS (VGIC_NR_IRQS / 32)

struct guest;

struct vgic {
	struct guest *guest;
	bool enabled;                       /* GICD_CTLR.Enable */
	uint32_t enable[VGIC_WORDS];
	uint32_t pending[VGIC_WORDS];       /* edge: latched until delivered */
	uint32_t level[VGIC_WORDS];         /* level: line state from the device */
	uint32_t active[VGIC_WORDS];
	uint32_t group[VGIC_WORDS];
	uint32_t in_lr[VGIC_WORDS];         /* handed to the backend */
	uint32_t forwarded[VGIC_WORDS];     /* from a host interrupt (passthrough) */
	uint32_t config[VGIC_NR_IRQS / 16];
	uint8_t priority[VGIC_NR_IRQS];
	uint8_t lr_of[VGIC_NR_IRQS];        /* backend slot of an in_lr interrupt */
	/* Emulated CPU interface (software backend). */
	uint32_t cpu_ctlr, cpu_pmr, cpu_bpr;
	/* Hardware virtual CPU interface while another guest owns it (list registers). */
	uint32_t saved_lr[16], saved_vmcr, saved_apr, saved_hcr;
};

struct vgic_backend {
	const char *name;
	/* Probe the host side; -1 when this host cannot run the backend. */
	int (*host_init)(void);
	/* Give the guest its CPU interface at gicc_ipa (map or emulate). */
	int (*guest_init)(struct vgic *v, uint64_t gicc_ipa, uint64_t gicc_size);
	/* Before entering the guest, interrupts masked: deliver what is pending. */
	void (*flush)(struct vgic *v);
	/* After leaving it: collect what the guest completed. */
	void (*sync)(struct vgic *v);
	void (*reset)(struct vgic *v);
	/* Another guest is about to use the CPU / this one gets it back. */
	void (*save)(struct vgic *v);
	void (*restore)(struct vgic *v);
};

/* Bit irq of a per-interrupt bitmap (enable, pending, ...). */
static inline bool vgic_bit(const uint32_t *w, unsigned irq)
{
	return (w[irq / 32] >> (irq % 32)) & 1;
}

/* Picks a backend for this host at boot; -1 if none works. */
int vgic_host_init(void);
const char *vgic_backend_name(void);

void vgic_reset(struct vgic *v);
/* Level-sensitive line from an emulated device. */
void vgic_set_level(struct vgic *v, unsigned irq, bool level);
/* Edge: one interrupt (the virtual timer, after masking it). */
void vgic_raise(struct vgic *v, unsigned irq);
/* Something deliverable is pending (for WFI). */
bool vgic_has_pending(const struct vgic *v, unsigned cpu);
void vgic_raise_private(struct vgic *v, unsigned cpu, unsigned irq);
void vgic_flush(struct vgic *v, unsigned cpu);
void vgic_sync(struct vgic *v, unsigned cpu);
/* Guest switch: park this guest's CPU-interface state / bring it back. */
void vgic_save(struct vgic *v, unsigned cpu);
void vgic_restore(struct vgic *v, unsigned cpu);

/* For backends: interrupts that should be signalled now and are not yet. */
bool vgic_deliverable(const struct vgic *v, unsigned irq);
/* Backend reports the guest finished (EOI) an interrupt; a forwarded one is then
 * unmasked at the host (passthrough_eoi). List-register backends ask for EOI
 * maintenance on forwarded interrupts so that this happens at once. */
void vgic_completed(struct vgic *v, unsigned irq);

extern const struct vgic_backend vgic_lr_backend;
extern const struct vgic_backend vgic_sw_backend;

#endif
