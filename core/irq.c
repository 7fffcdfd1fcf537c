/* SPDX-License-Identifier: GPL-2.0-only */
/* Host interrupt dispatch: one root controller, a handler per interrupt. */
#include <mamoru/console.h>
#include <mamoru/irq.h>
#include <mamoru/smp.h>
#include <mamoru/vcpu_pin.h>

struct irq_slot {
	irq_handler_t fn;
	void *arg;
	const char *name;
	uint64_t count;
	bool vcpu_state;        /* touches what vCPUs share: runs under vcpu_lock */
};

#define IRQ_BURST 64   /* interrupts handled per exception, so a storm cannot pin us */

static const struct irqchip_ops *chip;
static const char *chip_name = "none";
static struct irq_slot slots[IRQ_MAX];
static uint64_t unhandled;
static bool ipi_ready;

int irq_init(const struct fdt *fdt)
{
	const struct driver *drv;
	int node = driver_find_node(fdt, DRV_IRQCHIP, &drv);
	if (node < 0) {
		printk("irq: no supported interrupt controller in the device tree\n");
		return -1;
	}
	const struct irqchip_ops *ops = drv->ops;
	int err = ops->init(fdt, node);
	if (err) {
		printk("irq: %s at %s failed to initialise (%d)\n", drv->name, fdt_node_name(fdt, node), err);
		return err;
	}
	chip = ops;
	chip_name = drv->name;
	return 0;
}

const char *irq_chip_name(void) { return chip_name; }

int irq_xlate(const struct fdt *fdt, int ctrl, const uint32_t *cells, int ncells, unsigned *irq)
{
	if (!chip || chip->xlate(fdt, ctrl, cells, ncells, irq) || *irq >= IRQ_MAX)
		return -1;
	return 0;
}

int irq_of_node(const struct fdt *fdt, int node, int idx, unsigned *irq)
{
	uint32_t cells[4];
	int ncells, ctrl;
	/* The controller of this very specifier: with interrupts-extended, each has its own. */
	if (fdt_get_interrupt_ctrl(fdt, node, idx, &ctrl, cells, 4, &ncells))
		return -1;
	return irq_xlate(fdt, ctrl, cells, ncells, irq);
}

int irq_register(unsigned irq, const char *name, irq_handler_t fn, void *arg)
{
	if (irq >= IRQ_MAX || !fn || slots[irq].fn)
		return -1;
	slots[irq].arg = arg;
	slots[irq].name = name;
	slots[irq].vcpu_state = false;
	slots[irq].fn = fn;
	return 0;
}

int irq_register_vcpu(unsigned irq, const char *name, irq_handler_t fn, void *arg)
{
	if (irq_register(irq, name, fn, arg))
		return -1;
	slots[irq].vcpu_state = true;
	return 0;
}

void irq_unregister(unsigned irq)
{
	if (irq >= IRQ_MAX)
		return;
	irq_disable(irq);
	slots[irq].fn = NULL;
	slots[irq].arg = NULL;
	slots[irq].name = NULL;
}

void irq_enable(unsigned irq)
{
	if (chip && irq < IRQ_MAX)
		chip->enable(irq);
}

void irq_disable(unsigned irq)
{
	if (chip && irq < IRQ_MAX)
		chip->disable(irq);
}

int irq_ipi_init(void)
{
	if (!chip || !chip->ipi_send || !chip->cpu_init)
		return -1;
	ipi_ready = true;
	chip->enable(chip->ipi_irq);
	return 0;
}

int irq_cpu_init(unsigned cpu)
{
	if (!ipi_ready || chip->cpu_init(cpu))
		return -1;
	chip->enable(chip->ipi_irq);
	return 0;
}

int irq_send_ipi(unsigned cpu, uint64_t mpidr)
{
	return ipi_ready ? chip->ipi_send(cpu, mpidr) : -1;
}

/* A private interrupt (a core's timers) comes on every core to the same slot. */
static void count_one(uint64_t *n)
{
#ifdef CONFIG_SMP
	__atomic_fetch_add(n, 1, __ATOMIC_RELAXED);
#else
	(*n)++;                         /* one core (ARMv5: no 64-bit atomics) */
#endif
}

void irq_handle(void)
{
	if (!chip)
		return;
	for (int i = 0; i < IRQ_BURST; i++) {
		unsigned irq = chip->ack();
		if (irq == IRQ_SPURIOUS)
			break;
		if (ipi_ready && irq == chip->ipi_irq) {
			/* Counted per CPU (`cpus`), not in the shared slot. */
			chip->eoi(irq);
			smp_ipi_handle();
			continue;
		}
		if (irq < IRQ_MAX && slots[irq].fn) {
			count_one(&slots[irq].count);
			if (slots[irq].vcpu_state) {
				unsigned long f = vcpu_lock();
				slots[irq].fn(irq, slots[irq].arg);
				vcpu_unlock(f);
			} else {
				slots[irq].fn(irq, slots[irq].arg);
			}
		} else {
			/* Nobody owns it: silence it rather than loop on it. */
			unhandled++;
			if (irq < IRQ_MAX)
				chip->disable(irq);
		}
		chip->eoi(irq);
	}
}

uint64_t irq_count(unsigned irq)
{
	if (irq >= IRQ_MAX)
		return 0;
#ifdef CONFIG_SMP
	return __atomic_load_n(&slots[irq].count, __ATOMIC_RELAXED);
#else
	return slots[irq].count;
#endif
}
bool irq_registered(unsigned irq) { return irq < IRQ_MAX && slots[irq].fn; }
const char *irq_name(unsigned irq) { return irq < IRQ_MAX ? slots[irq].name : NULL; }
uint64_t irq_unhandled(void) { return unhandled; }
