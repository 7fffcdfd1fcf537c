/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The interrupt controllers of a Versatile PB guest (ARMv5, no GIC): an
 * ARM PL190 vectored interrupt controller (VIC) and the board's secondary
 * interrupt controller (SIC) cascaded into VIC line 31. Pure state and
 * register logic (arch/arm/vic/vvic.c); the EMULATOR() glue that puts them
 * in a guest is arch/arm/vic/vic_emu.c.
 *
 * Line numbers (vvic_set_line, and what arch_guest_irq passes on ARMv5):
 * 0..31 are the VIC's own source lines, 32 + n is SIC source line n
 * (0..31). VIC line 31 is the SIC's output and cannot be driven directly.
 */
#ifndef ARCH_VVIC_H
#define ARCH_VVIC_H

#include <mamoru/types.h>

#define VVIC_LINES 64
#define VVIC_SIC_BASE 32          /* SIC line n is line 32 + n */
#define VVIC_SIC_CASCADE 31       /* the VIC line the SIC drives */
#define VVIC_SLOTS 16             /* PL190 vectored interrupt slots */
#define VVIC_NO_PRIO 17           /* in-service stack empty */
#define VVIC_DEFAULT_PRIO 16      /* a non-vectored interrupt's priority */
#define VVIC_REG_SIZE 0x1000      /* each controller's register window */

struct vvic {
	/* PL190 */
	uint32_t lines;               /* VIC source line levels (bit 31 unused: the SIC's) */
	uint32_t intselect;           /* 1: FIQ */
	uint32_t intenable;
	uint32_t softint;
	uint32_t protection;          /* bit 0: registers privileged-only (recorded only) */
	uint32_t itcr;                /* test control: recorded only */
	uint32_t defvectaddr;
	uint32_t vectaddr[VVIC_SLOTS];
	uint32_t vectcntl[VVIC_SLOTS];   /* bit 5 enable, bits 4:0 source */
	uint32_t in_service;          /* bit p: priority p (0..16) acknowledged, not ended */
	/* SIC */
	uint32_t sic_lines;
	uint32_t sic_enable;
	uint32_t sic_softint;
	uint32_t sic_picenable;       /* lines 21..30 passed straight to the VIC */
	/* Accesses to offsets with no register (read as zero, write ignored). */
	uint32_t unknown_accesses;
};

/* Power-on state: everything disabled, nothing pending, no line high. */
void vvic_reset(struct vvic *v);

/* Drives line (numbering above) to level; lines >= VVIC_LINES and line 31
 * are ignored (false returned), true otherwise. */
bool vvic_set_line(struct vvic *v, unsigned line, bool level);

/* The controller's outputs to the CPU: nIRQ (after the vectored priority
 * masking) and nFIQ, as active-high levels. */
bool vvic_irq_out(const struct vvic *v);
bool vvic_fiq_out(const struct vvic *v);

/* Register accesses (offset within each 4 KiB window). Only aligned 32-bit
 * accesses are registers: anything else returns -1 (the caller aborts the
 * guest's access). Offsets with no register read 0, ignore writes and
 * count in unknown_accesses. Reading VICVECTADDR acknowledges, so reads
 * change state too. */
int vvic_vic_read(struct vvic *v, uint32_t off, unsigned size, uint32_t *val);
int vvic_vic_write(struct vvic *v, uint32_t off, unsigned size, uint32_t val);
int vvic_sic_read(struct vvic *v, uint32_t off, unsigned size, uint32_t *val);
int vvic_sic_write(struct vvic *v, uint32_t off, unsigned size, uint32_t val);

/* Derived state, for tests and the `irqstat`-style listings. */
uint32_t vvic_rawintr(const struct vvic *v);      /* VICRAWINTR */
uint32_t vvic_sic_status(const struct vvic *v);   /* SIC_STATUS */
unsigned vvic_current_prio(const struct vvic *v); /* 0..16, VVIC_NO_PRIO when none */

struct guest;
/* The VIC a guest's device tree gave it (vic_emu.c), NULL if none. */
struct vvic *vvic_of_guest(struct guest *g);

#endif
