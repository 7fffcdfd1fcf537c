/* SPDX-License-Identifier: GPL-2.0-only */
/* A guest's console: which UART it is, its output ring, its input (guest_console.h). */
#include <mamoru/guest.h>
#include <mamoru/serial.h>

bool guest_console_attach(struct guest *g, const struct fdt *fdt, int node,
			  const struct guest_console_ops *ops, void *priv)
{
	if (g->console.ops)
		return false;
	int chosen = fdt_stdout_node(fdt, NULL);
	if (chosen >= 0 && chosen != node)
		return false;       /* the device tree names another UART */
	g->console.ops = ops;
	g->console.priv = priv;
	return true;
}

/* out_head: written by the guest's vCPUs (one at a time, under vcpu_lock, or the one CPU),
 * read by whichever core writes the ring to the user's console: the byte is in the ring
 * before the count that covers it. */
static inline uint64_t head_acquire(const struct guest *g)
{
#ifdef CONFIG_SMP
	return __atomic_load_n(&g->out_head, __ATOMIC_ACQUIRE);
#else
	return *(const volatile uint64_t *)&g->out_head;
#endif
}

static inline void head_release(struct guest *g, uint64_t v)
{
#ifdef CONFIG_SMP
	__atomic_store_n(&g->out_head, v, __ATOMIC_RELEASE);
#else
	*(volatile uint64_t *)&g->out_head = v;
#endif
}

void guest_console_put(struct guest *g, uint8_t c)
{
	uint64_t head = g->out_head;
	*(volatile uint8_t *)&g->out_ring[head % GUEST_CONSOLE_RING] = c;
	head_release(g, head + 1);
	guest_console_flush(g);
}

/*
 * What a bound guest wrote and the user's console has not shown yet goes out, in order,
 * with the port held (serial.h: never inside a hypervisor write). out_sent and bound
 * change only with the port held, so one writer at a time moves the cursor.
 */
void guest_console_flush(struct guest *g)
{
	/* Racy reads, on the fast path of every guest entry: a byte another core added and this
	 * one does not see yet is that core's to write (it flushes after adding). */
	if (!*(volatile bool *)&g->bound || *(volatile uint64_t *)&g->out_sent == head_acquire(g))
		return;
	struct serial_hold w;
	if (!serial_console_hold(&w))
		return;
	if (g->bound) {                 /* not detached meanwhile */
		uint64_t head = head_acquire(g), sent = g->out_sent;
		if (head - sent > GUEST_CONSOLE_RING)
			sent = head - GUEST_CONSOLE_RING;      /* overwritten already */
		for (; sent != head; sent++)
			serial_console_guest_putc(
				(char)*(volatile uint8_t *)&g->out_ring[sent % GUEST_CONSOLE_RING]);
		*(volatile uint64_t *)&g->out_sent = sent;
	}
	serial_console_release(&w);
}

void guest_console_bind(struct guest *g, bool bound)
{
	/* With the port held, as a flush on another core moves the cursor (the boot CPU,
	 * where vserial runs, may always wait for it). */
	struct serial_hold w;
	bool held = serial_console_hold(&w);
	*(volatile uint64_t *)&g->out_sent = head_acquire(g);   /* earlier output: `vserial dump` */
	*(volatile bool *)&g->bound = bound;
	if (held)
		serial_console_release(&w);
}

bool guest_console_input(struct guest *g, uint8_t c)
{
	return g->console.ops && g->console.ops->receive(g->console.priv, c);
}
