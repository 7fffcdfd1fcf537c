/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host interrupt handling: the root interrupt controller (GICv2, GICv3 or
 * the BCM2836/BCM2835 pair) behind one interface, a handler table and
 * per-interrupt counters.
 */
#ifndef MAMORU_IRQ_H
#define MAMORU_IRQ_H

#include <mamoru/driver.h>

#define IRQ_MAX 1024
#define IRQ_SPURIOUS 0xffffffffu

struct irqchip_ops {
	/* Probe and initialise the controller described by node (and any
	 * chained controller it owns), for the boot CPU. */
	int (*init)(const struct fdt *fdt, int node);
	void (*enable)(unsigned irq);
	void (*disable)(unsigned irq);
	/* Acknowledge the highest-priority pending interrupt and return its
	 * number, or IRQ_SPURIOUS when nothing is pending. */
	unsigned (*ack)(void);
	void (*eoi)(unsigned irq);
	/* Device-tree interrupt specifier (for a controller node this driver
	 * owns) to interrupt number. */
	int (*xlate)(const struct fdt *fdt, int ctrl_node, const uint32_t *cells, int ncells, unsigned *irq);
	/* SMP (NULL on a uniprocessor controller). cpu_init: on secondary CPU
	 * cpu (mamoru/smp.h index), set up its CPU interface (the distributor
	 * is shared and already set up). ipi_send: raise the IPI on the CPU of
	 * that index and MPIDR affinity. ipi_irq: the IPI's interrupt number
	 * as ack() returns it on the receiving CPU. */
	int (*cpu_init)(unsigned cpu);
	int (*ipi_send)(unsigned cpu, uint64_t mpidr);
	unsigned ipi_irq;
};

typedef void (*irq_handler_t)(unsigned irq, void *arg);

int irq_init(const struct fdt *fdt);
const char *irq_chip_name(void);
/* The idx-th interrupt of a device node as a host interrupt number. */
int irq_of_node(const struct fdt *fdt, int node, int idx, unsigned *irq);
/* An interrupt specifier of controller node ctrl as a host interrupt number. */
int irq_xlate(const struct fdt *fdt, int ctrl, const uint32_t *cells, int ncells, unsigned *irq);
/* name is shown by `irqstat`. */
int irq_register(unsigned irq, const char *name, irq_handler_t fn, void *arg);
/* The same for a handler that changes what vCPUs share (it injects into a guest's vGIC):
 * it runs under vcpu_lock (mamoru/vcpu_pin.h). The others must not take that lock. */
int irq_register_vcpu(unsigned irq, const char *name, irq_handler_t fn, void *arg);
/* Disables irq and forgets its handler (a device given back). */
void irq_unregister(unsigned irq);
const char *irq_name(unsigned irq);
void irq_enable(unsigned irq);
void irq_disable(unsigned irq);
/* Called from the exception vector with interrupts masked. */
void irq_handle(void);
uint64_t irq_count(unsigned irq);
bool irq_registered(unsigned irq);
/* SMP: the boot CPU takes the IPI (0, or -1 if the controller cannot send
 * one); a secondary sets up its CPU interface and takes the IPI; sending one. */
int irq_ipi_init(void);
int irq_cpu_init(unsigned cpu);
int irq_send_ipi(unsigned cpu, uint64_t mpidr);
/* Interrupts that arrived with no handler (and were disabled). */
uint64_t irq_unhandled(void);

#endif
